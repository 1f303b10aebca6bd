"""Policy version 1: the regulation's defaults, recorded as approved at installation."""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):
    from aftersales.policy.registry import defaults

    PolicyVersion = apps.get_model("policy", "PolicyVersion")
    if PolicyVersion.objects.filter(number=1).exists():
        return
    now = timezone.now()
    PolicyVersion.objects.create(
        number=1,
        status="approved",
        values=defaults(),
        note="The regulation's defaults, approved at installation. / 制度默认值，安装时批准。",
        effective_from=timezone.localdate(now),
        approved_at=now,
        installed=True,
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
