"""The summary counters (proposals_tally), kept in the transaction of each
change so the summary page reads totals instead of counting a million rows."""

import random

from django.db import connection


def tally(changes: dict[str, int]) -> None:
    """Add to the summary counters in the current transaction. Keys are taken
    in sorted order, so two writers never wait on each other in a circle."""
    changes = {k: v for k, v in changes.items() if v}
    if not changes:
        return
    shard = random.randrange(8) if connection.vendor == "postgresql" else 0
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO proposals_tally (key, shard, count) VALUES (%s, %s, %s) "
            "ON CONFLICT (key, shard) DO UPDATE SET count = proposals_tally.count + excluded.count",
            [(key, shard, changes[key]) for key in sorted(changes)],
        )
