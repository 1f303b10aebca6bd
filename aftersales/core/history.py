"""Reading a record's audit trail (django-simple-history) as rows to show."""

HISTORY_LIMIT = 50
_SKIP = {"version", "updated_at", "created_at"}


def history_rows(record, limit: int = HISTORY_LIMIT) -> list[dict]:
    """Newest first: when, who, what kind of change, and each changed field.

    One query whatever the history's length: the entries with their users and
    the users' profiles (the page shows each user's display name); diffs are
    computed between neighbouring entries in memory.
    """
    entries = list(
        record.history.select_related("history_user__profile").order_by(
            "-history_date", "-history_id"
        )[: limit + 1]
    )
    rows = []
    for index, entry in enumerate(entries[:limit]):
        older = entries[index + 1] if index + 1 < len(entries) else None
        changes = []
        if older is not None:
            delta = entry.diff_against(older)
            for change in delta.changes:
                if change.field in _SKIP:
                    continue
                field = record._meta.get_field(change.field)
                changes.append({"field": field.verbose_name, "old": change.old, "new": change.new})
        rows.append(
            {
                "date": entry.history_date,
                "user": entry.history_user,
                "type": entry.get_history_type_display(),
                "reason": entry.history_change_reason or "",
                "changes": changes,
            }
        )
    return rows
