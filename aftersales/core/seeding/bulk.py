"""Bulk inserts for seeding.

Two ways in, for two sizes:

- ``bulk_create_with_history(model, objs)``: Django's bulk_create on model
  instances, plus the history rows. For hundreds of rows (staff).
- ``insert_rows(model, rows)``: plain dicts straight to the database, by
  ``executemany`` on SQLite and ``COPY`` on PostgreSQL, with primary keys
  assigned here. For millions: bulk_create spends two thirds of its time
  turning each value into an SQL parameter (``get_db_prep_save`` per value,
  per field) and most of the rest building a model instance per row; at 1M
  customers that is the difference between 3-4 and 15-18 minutes.

Both write the "+" history row a service would have written, dated by the
record's ``_history_date`` / ``history_date``.
"""

from contextlib import contextmanager
from datetime import UTC, date
from operator import itemgetter

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max


@contextmanager
def explicit_timestamps(*model_classes):
    """Let bulk_create keep the created_at / updated_at the seeder chose.

    ``auto_now`` and ``auto_now_add`` overwrite any value on insert, which would
    give every row the same minute; switched off for the duration of the
    seeding only (management commands run single-threaded).
    """
    saved = []
    for model in model_classes:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def bulk_create_with_history(model, objs: list) -> list:
    """bulk_create (pks come back by RETURNING on both databases) and one
    history row per object."""
    if not objs:
        return objs
    model._default_manager.bulk_create(
        objs, batch_size=None if connection.vendor == "sqlite" else 2000
    )
    history = getattr(model, "history", None)
    if history is not None:
        history_model = history.model
        history_model._default_manager.bulk_create(
            [
                history_model(
                    history_date=obj._history_date,
                    history_user_id=getattr(obj, "_history_user_id", None),
                    history_change_reason=None,
                    history_type="+",
                    **{f.attname: getattr(obj, f.attname) for f in history_model.tracked_fields},
                )
                for obj in objs
            ],
            batch_size=None if connection.vendor == "sqlite" else 2000,
        )
    return objs


class IdBlock:
    """Primary keys handed out by the seeder, so rows need no RETURNING.

    Seeding is the only writer while it runs. ``close()`` moves PostgreSQL's
    identity sequence past the last id (SQLite's AUTOINCREMENT follows by itself).
    """

    def __init__(self, model):
        self.model = model
        self.next = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1

    def take(self, n: int) -> range:
        ids = range(self.next, self.next + n)
        self.next += n
        return ids

    def close(self) -> None:
        models_to_reset = [self.model]
        history = getattr(self.model, "history", None)
        if history is not None:
            models_to_reset.append(history.model)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_to_reset):
                cursor.execute(sql)


def insert_rows(model, rows: list[dict], *, history: bool = True) -> None:
    """Insert ``rows`` (dicts by attname, ``id`` included; missing columns take
    the field's default) and, for a model with simple_history, a "+" history
    row each from the row's ``history_date`` / ``history_user_id``."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields]
    _write(model, fields, rows)
    manager = getattr(model, "history", None)
    if history and manager is not None:
        history_model = manager.model
        extra = {"history_change_reason": None, "history_type": "+"}
        history_rows = [
            {
                **row,
                **extra,
                "history_date": row["history_date"],
                "history_user_id": row.get("history_user_id"),
            }
            for row in rows
        ]
        tracked = {f.attname for f in history_model.tracked_fields}
        wanted = tracked | {
            "history_date",
            "history_user_id",
            "history_change_reason",
            "history_type",
        }
        # history_id is left to the database.
        history_fields = [f for f in history_model._meta.concrete_fields if f.attname in wanted]
        _write(history_model, history_fields, history_rows)


def _write(model, fields: list, rows: list[dict]) -> None:
    """Adapts values in place, column by column (cheaper than row by row), then
    hands the tuples to the driver."""
    columns = [f.attname for f in fields]
    missing = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    if missing:
        rows = [{**missing, **row} for row in rows]
    for field in fields:
        adapt = _adapter(field)
        if adapt is None:
            continue
        name = field.attname
        if isinstance(adapt, _Prepare):  # values may be unhashable (JSON)
            for row in rows:
                row[name] = adapt(row[name])
            continue
        # Rows share timestamps (created = updated = history date), so a memo
        # turns most conversions into a dict lookup.
        memo = {}
        for row in rows:
            value = row[name]
            done = memo.get(value)
            if done is None:
                done = memo[value] = adapt(value)
            row[name] = done
    values = list(map(itemgetter(*columns), rows))
    write_rows(model._meta.db_table, [f.column for f in fields], values)


def write_rows(table: str, columns: list[str], rows) -> None:
    """Rows (tuples in ``columns`` order) into ``table`` the fastest way each
    database has: COPY on PostgreSQL, one executemany on SQLite."""
    quote = connection.ops.quote_name
    table = quote(table)
    column_sql = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            # Identifiers are the model's own, quoted; values go as parameters.
            sql = f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(sql, rows)


_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _adapter(field):
    """How a Python value becomes a parameter: as Django would store it, for
    the field types seeding uses; anything else goes through the field itself."""
    if isinstance(field, models.DateTimeField):
        return _sqlite_datetime if connection.vendor == "sqlite" else None
    if isinstance(field, models.DateField):
        return _sqlite_date if connection.vendor == "sqlite" else None
    if isinstance(field, _PLAIN) or field.primary_key:
        return None
    return _Prepare(field)


class _Prepare:
    """Any other field: exactly what Django would send, at Django's cost."""

    def __init__(self, field):
        self.field = field

    def __call__(self, value):
        return self.field.get_db_prep_save(value, connection)


def _sqlite_datetime(value):
    # Django keeps aware datetimes in SQLite as naive UTC text. Already-text
    # values pass: history rows reuse their record's adapted columns.
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def _sqlite_date(value: date | str | None):
    return value if value is None or isinstance(value, str) else value.isoformat()
