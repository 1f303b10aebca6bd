"""Background jobs for proposals. Each takes ids or nothing, calls a service,
and is safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from aftersales.proposals import services


@db_periodic_task(crontab(minute="7"))
def proposals_remind_and_escalate():
    # P5 / P7 / P9: reminders before due dates, escalation after them.
    return services.remind_and_escalate()
