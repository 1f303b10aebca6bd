"""Benchmarks against the production server: ``python -m bench`` (``make bench``).

The pieces, each its own process so the timed server runs exactly the code and
settings of a deployment:

- ``__main__``     the orchestrator: per database, prepare (migrate, seed when the
                   recorded seeding does not match), start ``aftersales serve --prod``,
                   sign in, count queries, drive load, write ``results/latest.json``.
- ``django_side``  runs with the benchmark's DATABASE_URL and production settings:
                   checks the seed record, creates the bench user and API token,
                   counts SQL queries per scenario with Django's test Client.
- ``load``         the load generator: one process per connection, http.client
                   with keep-alive when the server allows it, every response's
                   status and marker checked.
- ``scenarios/``   what is measured; later issues add modules there.

See docs/performance.md.
"""
