"""The outbox's section of 'My work': letters to print and calls to make."""

from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.permissions import can
from aftersales.notifications import selectors
from aftersales.notifications.failures import failure_explanation
from aftersales.notifications.models import Channel

SHOWN = 10


def offline_work(user) -> dict | None:
    """One query, whatever is waiting; nothing at all for those who do not handle letters and calls."""
    if not can(user, "notifications.handle_offline_message"):
        return None
    rows = list(selectors.offline_waiting(limit=SHOWN))
    if not rows:
        return None
    items = []
    for message in rows:
        if message.channel == Channel.LETTER:
            label = _("Print a letter to %(name)s: %(subject)s")
        else:
            label = _("Call %(name)s: %(subject)s")
        items.append(
            {
                "label": label % {"name": message.recipient_name, "subject": message.subject},
                "url": message.get_absolute_url(),
                "note": message.address if message.channel == Channel.CALL else "",
            }
        )
    return {
        "title": _("Letters to print and calls to make"),
        "items": items,
        "more_url": reverse("notifications:offline"),
    }


def undeliverable_work(user) -> dict | None:
    """Notices no retry can deliver (issue 7): they wait on a person who can
    correct the customer's contact. One query."""
    if not can(user, "notifications.retry_message"):
        return None
    rows = list(selectors.undeliverable(limit=SHOWN))
    if not rows:
        return None
    return {
        "title": _("Notices that cannot be sent"),
        "items": [
            {
                "label": _("%(name)s: %(subject)s")
                % {"name": message.recipient_name, "subject": message.subject},
                "url": message.get_absolute_url(),
                "note": failure_explanation(message),
            }
            for message in rows
        ],
        "more_url": reverse("notifications:outbox") + "?status=failed",
    }
