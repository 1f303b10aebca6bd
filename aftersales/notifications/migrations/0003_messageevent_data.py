# The shared workflow engine writes data with every event (issue 8).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_message_message_status_created"),
    ]

    operations = [
        migrations.AddField(
            model_name="messageevent",
            name="data",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
