"""What the proposal services share: references, the event row, checks on
typed text, and the notices to the customer and to colleagues (P7, P8, P9
say what a notice must contain)."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.notifications.services import notify
from aftersales.proposals.links import portal_url
from aftersales.proposals.models import (
    Proposal,
    ProposalEvent,
)

TITLE_MAX = 300
CONTENT_MAX = 20000

# What each decision notice must say (P7, P8, P9). A notice missing any of it
# is refused, never sent half-empty.
REQUIRED_NOTICE_CONTENT = {
    "proposals/proposal_adopted": ("planned_date", "measures", "department"),
    "proposals/proposal_not_adopted": ("note",),
    "proposals/proposal_reserved": ("reason", "decide_by"),
    "proposals/proposal_reserve_extended": ("reason", "decide_by"),
    "proposals/proposal_implemented": ("measures", "done_date"),
    "proposals/proposal_duplicate": ("original_reference",),
}


# --- helpers ---------------------------------------------------------------


def local_today() -> date:
    return timezone.localdate()


def reference_for(proposal: Proposal) -> str:
    year = timezone.localtime(proposal.received_at).year
    return f"P-{year}-{proposal.pk:06d}"


def _event(proposal, kind, *, by=None, note="", old="", new="", at=None, **data) -> ProposalEvent:
    return ProposalEvent.objects.create(
        proposal=proposal,
        kind=kind,
        by=by,
        note=note,
        old_status=old,
        new_status=new,
        at=at or timezone.now(),
        data=data,
    )


def _required(fields: dict[str, object]) -> None:
    missing = {name: _("Required.") for name, value in fields.items() if value in (None, "")}
    if missing:
        raise DomainError(
            "fields_required",
            _("Fill in every required field."),
            fields=missing,
        )


def _clean_text(value: str | None, *, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(
            "too_long",
            _("This text is longer than %(n)s characters.") % {"n": max_length},
            fields={field: _("At most %(n)s characters.") % {"n": max_length}},
        )
    return value


def _notice(template: str, proposal: Proposal, context: dict, *, by=None, in_reply_to=""):
    """A notice to the proposal's customer, refused if it lacks what its
    article requires (P7, P8, P9)."""
    for key in REQUIRED_NOTICE_CONTENT.get(template, ()):
        if context.get(key) in (None, ""):
            raise DomainError(
                "notice_incomplete",
                _("The notice cannot be sent without: %(what)s.") % {"what": key},
            )
    return notify(
        template=template,
        context={
            "reference": proposal.reference,
            "title": proposal.title,
            "portal_url": portal_url(proposal),
            **context,
        },
        customer=proposal.customer,
        related=proposal,
        by=by,
        in_reply_to=in_reply_to,
    )


def _decision_notice(template: str, proposal: Proposal, context: dict, *, by=None) -> None:
    """A decision notice (P7, P8, P9) to the proposal's customer, and the same
    to the customer of each duplicate closed into it (P5: "handled there"),
    filed under their own reference. A customer who sent both hears once."""
    _notice(template, proposal, context, by=by)
    told = {proposal.customer_id}
    for duplicate in proposal.duplicates.select_related("customer").order_by("pk"):
        if duplicate.customer_id in told:
            continue
        told.add(duplicate.customer_id)
        _notice(template, duplicate, {**context, "original_reference": proposal.reference}, by=by)


def _staff_notice(template: str, proposal: Proposal, users, context: dict | None = None):
    from django.conf import settings
    from django.urls import reverse

    url = settings.SITE_URL.rstrip("/") + reverse("proposals:detail", args=[proposal.pk])
    sent = set()
    for user in users:
        if user is None or user.pk in sent or not user.is_active:
            continue
        sent.add(user.pk)
        notify(
            template=template,
            context={
                "reference": proposal.reference,
                "title": proposal.title,
                "url": url,
                **(context or {}),
            },
            user=user,
            related=proposal,
        )
