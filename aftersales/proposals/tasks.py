"""Background jobs for proposals. Each takes ids or nothing, calls a service,
and is safe to run twice."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(month="1", day="1", hour="2", minute="17"))
def proposals_issue_certificates():
    # P12: on 1 January, certificates of appreciation for the year just ended.
    # Safe to run twice: nobody gets a second certificate for a year.
    from django.utils import timezone

    from aftersales.proposals.certificates import certificates_issue

    return len(certificates_issue(year=timezone.localdate().year - 1))


@db_periodic_task(crontab(minute="*"))
def proposals_imap_poll():
    # P4: read the intake mailbox every INTAKE_IMAP_INTERVAL_MINUTES when one
    # is configured. Checked each minute rather than fixed in the crontab, so
    # settings are read when the task runs, not when the module is imported.
    # Two runs overlapping are safe: a Message-ID is stored once (the second
    # sees a duplicate), and a message already moved is only logged.
    from django.conf import settings
    from django.utils import timezone

    from aftersales.proposals.mail.imap import imap_poll

    if not settings.INTAKE_IMAP_HOST:
        return None
    if timezone.now().minute % settings.INTAKE_IMAP_INTERVAL_MINUTES:
        return None
    return imap_poll()
