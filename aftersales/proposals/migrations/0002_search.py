"""The full-text index of proposals (see aftersales/proposals/search.py and
platform-notes.md "Chinese full-text search at 1,000,000 rows").

SQLite: a contentless FTS5 table, rowid = proposal id; "|" is a token
character so the phrase breaks written by the tokenizer are indexed.
PostgreSQL: a side table with the tsvector and a GIN index; its statistics
target is raised so the planner knows how rare a word is (with the default
it guessed 5,001 rows for a word in 113 and walked the date index for 1 s).
No foreign key: Django's test flush truncates model tables only.
"""

from django.db import migrations


def create(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE VIRTUAL TABLE proposals_search USING fts5("
                "doc, content='', "
                "tokenize=\"unicode61 remove_diacritics 0 tokenchars '|'\")"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "CREATE TABLE proposals_search ("
                "proposal_id bigint PRIMARY KEY, doc tsvector NOT NULL)"
            )
            cursor.execute(
                "CREATE INDEX proposals_search_doc ON proposals_search USING gin (doc)"
            )
            cursor.execute(
                "ALTER TABLE proposals_search ALTER COLUMN doc SET STATISTICS 10000"
            )
        else:
            raise NotImplementedError(connection.vendor)
    # Proposals received before this migration.
    from aftersales.proposals.search import bulk_index

    Proposal = apps.get_model("proposals", "Proposal")
    rows = Proposal.objects.order_by("pk").values_list("pk", "title", "content", "reference")
    bulk_index(rows.iterator(chunk_size=5000))


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS proposals_search")


class Migration(migrations.Migration):

    dependencies = [
        ("proposals", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
