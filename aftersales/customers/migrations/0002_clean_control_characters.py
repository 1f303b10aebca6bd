"""Issue 7: names and text stored with control characters before every entry
refused them are cleaned, with a trace in the audit trail (see
aftersales.core.cleaning)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from aftersales.core.cleaning import clean_stored_text

    clean_stored_text(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("accounts", "0002_historicaluser"),
        ("proposals", "0003_reserve_and_implementation_indexes"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
