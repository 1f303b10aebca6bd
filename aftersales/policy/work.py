"""The policy's section of 'My work': a draft waiting for approval (Q3, Q14, I3)."""

from django.utils.translation import gettext as _

from aftersales.core.permissions import can
from aftersales.policy.models import PolicyVersion


def policy_work(user) -> dict | None:
    """One query: the open draft, shown to whoever approves or edits drafts."""
    approves = can(user, "policy.approve_policyversion")
    if not approves and not can(user, "policy.change_policyversion"):
        return None
    draft = (
        PolicyVersion.objects.filter(status=PolicyVersion.Status.DRAFT).order_by("-number").first()
    )
    if draft is None:
        return None
    if approves:
        label = _("Policy version %(n)s waits for your approval") % {"n": draft.number}
    else:
        label = _("Policy version %(n)s is a draft waiting for the general manager") % {
            "n": draft.number
        }
    return {
        "title": _("Policy"),
        "items": [{"label": label, "url": draft.get_absolute_url(), "note": draft.note[:80]}],
        "more_url": "",
    }
