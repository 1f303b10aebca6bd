"""Issue 8: the proposals' notice templates moved from the notifications app
into this one, and their key gained the app label ("proposal_ack" became
"proposals/proposal_ack"). Stored messages are looked up by key (today's
acknowledgements per customer, P4; the portal's "acknowledged by email";
late decision notices, P7-P9), so their keys move too.

Nothing re-renders a stored message: its subject and body were rendered once,
when it was written, and stay as they are.
"""

from django.db import migrations

KEYS = (
    "certificate_issued",
    "implementation_reminder",
    "notice_late",
    "proposal_ack",
    "proposal_adopted",
    "proposal_duplicate",
    "proposal_implemented",
    "proposal_not_adopted",
    "proposal_reserve_extended",
    "proposal_reserved",
    "reserve_escalated",
    "reserve_reminder",
    "reward_granted",
    "score_requested",
    "study_escalated",
    "study_reminder",
    "study_requested",
)


def _rename(apps, old, new):
    Message = apps.get_model("notifications", "Message")
    for key in KEYS:
        Message.objects.filter(template=old(key)).update(template=new(key))


def forwards(apps, schema_editor):
    _rename(apps, lambda key: key, lambda key: f"proposals/{key}")


def backwards(apps, schema_editor):
    _rename(apps, lambda key: f"proposals/{key}", lambda key: key)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_messageevent_data"),
        ("proposals", "0003_reserve_and_implementation_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=True)]
