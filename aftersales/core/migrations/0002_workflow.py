# The shared workflow engine's tables (issue 8): generic events, sign-off
# signatures and the deadline-notice claims.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkflowEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_id", models.PositiveBigIntegerField()),
                ("old_status", models.CharField(blank=True, max_length=30)),
                ("new_status", models.CharField(blank=True, max_length=30)),
                ("at", models.DateTimeField(verbose_name="at")),
                ("note", models.TextField(blank=True, verbose_name="note")),
                ("data", models.JSONField(blank=True, default=dict)),
                ("by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype")),
            ],
            options={
                "verbose_name": "workflow event",
                "verbose_name_plural": "workflow events",
                "ordering": ["at", "id"],
                "indexes": [models.Index(fields=["content_type", "object_id", "at"], name="wf_event_obj")],
            },
        ),
        migrations.CreateModel(
            name="Signature",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_id", models.PositiveBigIntegerField()),
                ("step", models.CharField(max_length=40)),
                ("round", models.PositiveIntegerField()),
                ("slot", models.CharField(max_length=60, verbose_name="signing for")),
                ("kind", models.CharField(choices=[("signed", "signed"), ("returned", "returned")], max_length=10)),
                ("note", models.TextField(blank=True, verbose_name="comment")),
                ("at", models.DateTimeField(verbose_name="at")),
                ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype")),
                ("signer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="signer")),
            ],
            options={
                "verbose_name": "signature",
                "verbose_name_plural": "signatures",
                "ordering": ["at", "id"],
                "indexes": [models.Index(fields=["content_type", "object_id", "step"], name="signature_obj")],
                "constraints": [models.UniqueConstraint(fields=("content_type", "object_id", "step", "round", "slot"), name="signature_once_per_round")],
            },
        ),
        migrations.CreateModel(
            name="DeadlineNotice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_id", models.PositiveBigIntegerField()),
                ("state", models.CharField(max_length=30)),
                ("entered_at", models.DateTimeField()),
                ("kind", models.CharField(max_length=10)),
                ("at", models.DateTimeField()),
                ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="contenttypes.contenttype")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("content_type", "object_id", "state", "entered_at", "kind"), name="deadline_notice_once")],
            },
        ),
    ]
