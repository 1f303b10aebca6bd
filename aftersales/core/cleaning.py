"""Cleaning text stored before issue 7 made every entry refuse control
characters: the data migration ``customers.0002_clean_control_characters``
runs ``clean_stored_text``. Single-line fields get ``clean_line`` (controls
become a space), multi-line fields ``clean_text`` (controls dropped, line
breaks and tabs kept). Every changed row leaves a trace in the audit trail:
a history row with ``REASON`` for models with django-simple-history, a
proposal event for proposals and their study opinions (they keep their own
timeline instead). Kept, append-only records (events, scores, sent notices)
are not rewritten: the regulation keeps them as they were; a sent notice's
name is cleaned when it is sent again (notifications.smtp)."""

from django.utils import timezone

from aftersales.core.fields import clean_line, clean_text

REASON = "Cleaned control characters (issue 7)"

# (app, model, single-line fields, multi-line fields, has history)
TARGETS = [
    ("customers", "Customer", ["name", "organisation"], ["notes"], True),
    ("accounts", "StaffProfile", ["employee_no", "display_name", "position", "phone"], [], True),
    ("accounts", "Department", ["name", "name_en"], [], True),
    ("accounts", "Delegation", ["reason"], [], True),
    (
        "proposals",
        "Proposal",
        ["title", "agreement_reference"],
        [
            "content",
            "summary",
            "close_note",
            "decision_note",
            "reserve_reason",
            "improvement_measures",
            "implementation_note",
        ],
        False,
    ),
    ("proposals", "StudyRequest", [], ["opinion"], False),
]

# What a row must contain to need cleaning; the database finds those rows.
# PostgreSQL cannot hold NUL at all, so its pattern leaves it out.
_LINE_NEEDS = "[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_TEXT_NEEDS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]"


def _pattern(pattern: str, vendor: str) -> str:
    return pattern.replace("\x00", "\x01") if vendor == "postgresql" else pattern


def clean_row_values(values: dict, lines: list[str], texts: list[str]) -> dict:
    """The fields of ``values`` that change when cleaned, with their new values."""
    changed = {}
    for name in lines:
        new = clean_line(values.get(name) or "")
        if new != (values.get(name) or ""):
            changed[name] = new
    for name in texts:
        new = clean_text(values.get(name) or "")
        if new != (values.get(name) or ""):
            changed[name] = new
    return changed


def clean_stored_text(apps, schema_editor) -> dict:
    """Clean every target; returns {"app.Model": rows changed}."""
    from django.db.models import F, Q

    vendor = schema_editor.connection.vendor
    now = timezone.now()
    counts = {}
    for app, name, lines, texts, has_history in TARGETS:
        model = apps.get_model(app, name)
        query = Q()
        for field in lines:
            query |= Q(**{f"{field}__regex": _pattern(_LINE_NEEDS, vendor)})
        for field in texts:
            query |= Q(**{f"{field}__regex": _pattern(_TEXT_NEEDS, vendor)})
        changed_rows = 0
        for row in model.objects.filter(query).iterator():
            values = {field: getattr(row, field) for field in lines + texts}
            changed = clean_row_values(values, lines, texts)
            if not changed:
                continue
            changed_rows += 1
            model.objects.filter(pk=row.pk).update(
                **changed, version=F("version") + 1, updated_at=now
            )
            row.refresh_from_db()
            if has_history:
                _history_row(apps, app, name, row, now)
            elif name == "Proposal":
                _proposal_event(apps, row.pk, sorted(changed), now)
            else:
                _proposal_event(apps, row.proposal_id, [f"study:{row.pk}:opinion"], now)
        counts[f"{app}.{name}"] = changed_rows
    return counts


def _history_row(apps, app: str, name: str, row, now) -> None:
    historical = apps.get_model(app, f"Historical{name}")
    values = {
        field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields
    }
    historical.objects.create(
        **values,
        history_date=now,
        history_type="~",
        history_change_reason=REASON,
        history_user_id=None,
    )


def _proposal_event(apps, proposal_id: int, fields: list[str], now) -> None:
    event = apps.get_model("proposals", "ProposalEvent")
    event.objects.create(
        proposal_id=proposal_id, kind="note", at=now, note=REASON, data={"cleaned": fields}
    )
