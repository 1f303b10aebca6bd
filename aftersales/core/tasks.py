"""Background jobs of the core, and the pattern for every app's tasks.py.

The periodic-task registry is huey's: each app's ``tasks.py`` declares its jobs
with ``@db_periodic_task(crontab(...))`` and huey's Django integration imports
every installed app's ``tasks`` module, so a later issue adds a job by writing
it in its own app. Tasks take ids, never model instances, and are safe to run
twice.
"""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(hour="3", minute="17"))
def housekeeping():
    """Expired sessions and old failed-login records go; nothing the regulation keeps does."""
    from axes.models import AccessAttempt

    call_command("clearsessions")
    AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - timedelta(days=30)).delete()


@db_task()
def worker_ping(token: str) -> str:
    """Answers with what it was given: proves a worker is consuming the queue."""
    return f"pong:{token}"


@db_periodic_task(crontab(minute="7"))
def workflow_deadlines():
    """The one reminder-and-escalation job for every workflow (the engine's
    per-state deadlines and the proposals' due dates, P5 / P7 / P9)."""
    from aftersales.core.workflow import workflow_deadlines as run

    return run()
