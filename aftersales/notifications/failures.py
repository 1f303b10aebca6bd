"""Why a notice could not be sent, in plain words for the staff who can fix it.

Most delivery failures pass: the mail server is down, a mailbox is full for a
while; the outbox retries them. Some no retry can fix: there is no address,
the address or the name cannot be written as mail, the recipient's server
refused the message for good (5xx) or bounced it. Such a notice is failed at
once (``smtp.SendResult.retry`` is False) and says what a person must do.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

# smtp.send() starts the error of a message that cannot be written as mail
# with this, so the reason is known without parsing Python's messages.
INVALID = "invalid address or header: "


def failure_kind(message) -> str:
    """``no_address``, ``invalid``, ``refused``, ``bounced`` or ``""`` (not a
    failure, or one retrying may fix)."""
    if message.status != "failed":
        return ""
    if not message.address:
        return "no_address"
    error = message.last_error or ""
    if error.startswith(INVALID):
        return "invalid"
    if message.bounced_at is not None:
        return "bounced"
    if error[:1] == "5" and error[:3].isdigit():
        return "refused"
    return ""


def failure_explanation(message) -> str:
    """What staff are told about a notice no retry can deliver, or ""."""
    kind = failure_kind(message)
    if kind == "no_address":
        return _(
            "This notice cannot be sent: no address is known for the recipient. "
            "Add the customer's email, postal address or phone number, then write to them again."
        )
    if kind == "invalid":
        return _(
            "This notice cannot be sent: the address is not valid. "
            "Correct the customer's contact details, then send it again."
        )
    if kind in ("refused", "bounced"):
        return _(
            "This notice cannot be sent: the recipient's mail server refused it for good. "
            "Check the customer's email address, then send it again."
        )
    return ""


def undeliverable_q() -> Q:
    """Failed notices that retrying cannot deliver (see failure_kind)."""
    return Q(status="failed") & (
        Q(address="")
        | Q(last_error__startswith=INVALID)
        | Q(bounced_at__isnull=False)
        | Q(last_error__regex=r"^5[0-9][0-9]")
    )
