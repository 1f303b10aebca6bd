"""Background jobs: they take ids and call a service, and are safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from aftersales.notifications import services


@db_task()
def deliver_message(message_id: int) -> None:
    services.message_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def outbox_sweep() -> None:
    # Catches what the on-commit queueing missed (a queue that was down),
    # messages whose back-off has run out, and sends interrupted by a crash.
    services.outbox_deliver_due()
