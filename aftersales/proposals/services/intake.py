"""P4 and P5: receiving a proposal by any channel, its originals, the
acknowledgement, acceptance (the acceptance record) and closing what is not
a proposal (spam, misdirected, duplicates)."""

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.permissions import require
from aftersales.customers.services import customer_find_or_create
from aftersales.policy.services import policy_value
from aftersales.proposals import search
from aftersales.proposals.actions import require_may, require_state
from aftersales.proposals.counters import tally
from aftersales.proposals.models import (
    PROPOSAL_FLOW,
    Attachment,
    Category,
    Channel,
    CloseReason,
    Proposal,
    ProposalEvent,
    Status,
)
from aftersales.proposals.services.common import (
    CONTENT_MAX,
    TITLE_MAX,
    _clean_text,
    _event,
    _notice,
    _required,
    reference_for,
)
from aftersales.proposals.uploads import CheckedFile

# --- P4: receiving ---------------------------------------------------------


@transaction.atomic
def proposal_receive(
    *,
    customer,
    channel: str,
    title: str,
    content: str,
    language: str | None = None,
    received_at: datetime | None = None,
    by=None,
    consent_at: datetime | None = None,
    source_message_id: str = "",
    files: list[tuple[CheckedFile, str]] = (),
    acknowledge: bool = True,
) -> Proposal:
    """A proposal as it arrived (P4), with its originals, and the customer's
    acknowledgement carrying its reference.

    ``files`` are (checked file, Attachment.Kind). Letters and calls are
    recorded by staff (``by``), web and email arrive on their own.
    """
    if channel not in Channel.values:
        raise DomainError("invalid_channel", _("Unknown channel."), fields={"channel": ""})
    if channel in (Channel.LETTER, Channel.PHONE):
        require(by, "proposals.add_proposal")
    title = _clean_text(title, field="title", max_length=TITLE_MAX)
    content = _clean_text(content, field="content", max_length=CONTENT_MAX)
    _required({"title": title, "content": content})
    now = timezone.now()
    if received_at is None:
        received_at = now
    if received_at > now:
        raise DomainError(
            "received_in_future",
            _("The date received cannot be in the future."),
            fields={"received_at": _("Cannot be in the future.")},
        )
    proposal = Proposal.objects.create(
        customer=customer,
        channel=channel,
        title=title,
        content=content,
        language=language or customer.preferred_language,
        received_at=received_at,
        recorded_by=by,
        consent_at=consent_at,
        source_message_id=source_message_id[:255],
    )
    proposal.reference = reference_for(proposal)
    Proposal.objects.filter(pk=proposal.pk).update(reference=proposal.reference)
    search.index_proposal(proposal)
    for checked, kind in files:
        attachment_add(proposal=proposal, checked=checked, kind=kind, by=by)
    _event(proposal, ProposalEvent.Kind.RECEIVED, by=by, new=Status.RECEIVED, channel=channel)
    tally({f"status:{Status.RECEIVED}": 1, f"channel:{channel}": 1})
    if acknowledge:
        _acknowledge(proposal, in_reply_to=source_message_id)
    return proposal


@transaction.atomic
def proposal_receive_for(
    *, customer=None, contact: dict | None = None, by=None, **proposal
) -> tuple[Proposal, object, bool]:
    """P4: receive a proposal from a known ``customer``, or from whoever
    ``contact`` (name, email, phone...) names, found or created. The customer
    and the proposal are saved together or not at all, on every channel
    (the staff form, the API, the portal, mail)."""
    created = False
    if customer is None:
        customer, created = customer_find_or_create(
            **contact, **({"by": by} if by is not None else {})
        )
    received = proposal_receive(customer=customer, by=by, **proposal)
    return received, customer, created


def _acknowledge(proposal: Proposal, *, in_reply_to: str = "") -> None:
    """P4: the customer learns the reference. At most ``ack_max_per_address_per_day``
    acknowledgements go to one customer a day, so an automatic sender that slips
    through cannot start a mail loop."""
    from aftersales.notifications.models import Message

    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = Message.objects.filter(
        customer=proposal.customer, template="proposals/proposal_ack", created_at__gte=since
    ).count()
    if sent_today >= int(policy_value("ack_max_per_address_per_day")):
        _event(
            proposal,
            ProposalEvent.Kind.NOTE,
            note=_("No acknowledgement sent: the daily limit for this customer was reached."),
        )
        return
    _notice("proposals/proposal_ack", proposal, {}, in_reply_to=in_reply_to)


def attachment_add(
    *, proposal: Proposal, checked: CheckedFile, kind: str, by=None, inbound_mail=None
):
    attachment = Attachment(
        proposal=proposal,
        kind=kind,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        uploaded_by=by,
        inbound_mail=inbound_mail,
    )
    # The stored name is the hash, never the sender's name: no path tricks,
    # no clashes.
    extension = checked.name.rpartition(".")[2][:10] if "." in checked.name else "bin"
    attachment.file.save(
        f"{checked.sha256[:32]}.{extension}", ContentFile(checked.data), save=False
    )
    attachment.save()
    return attachment


@transaction.atomic
def proposal_attach_original(*, proposal: Proposal, checked: CheckedFile, by) -> Attachment:
    """P4: the original of a letter or call (scan, call note) added after the
    proposal was recorded, with an event on its timeline."""
    require(by, "proposals.add_proposal")
    kinds = {Channel.LETTER: Attachment.Kind.SCAN, Channel.PHONE: Attachment.Kind.CALL_NOTE}
    proposal = PROPOSAL_FLOW.lock(proposal, None)
    if proposal.channel not in kinds:
        raise DomainError(
            "not_recorded_by_staff",
            _("Only a letter or a call recorded by staff takes its original this way."),
            status=409,
        )
    attachment = attachment_add(
        proposal=proposal, checked=checked, kind=kinds[proposal.channel], by=by
    )
    _event(
        proposal,
        ProposalEvent.Kind.NOTE,
        by=by,
        note=_("Original attached: %(name)s") % {"name": attachment.original_name},
        attachment=attachment.pk,
    )
    return attachment


# --- P5: acceptance and not-a-proposal -------------------------------------


@transaction.atomic
def proposal_accept(
    *, proposal: Proposal, by, category: str, summary: str, seen_version: int | None
) -> Proposal:
    """P5: the acceptance record: who accepted, when, category, summary."""
    require_may(by, proposal, "accept")
    summary = _clean_text(summary, field="summary", max_length=CONTENT_MAX)
    _required({"category": category, "summary": summary})
    if category not in Category.values:
        raise DomainError("invalid_category", _("Unknown category."), fields={"category": ""})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "accept")
    proposal.accepted_at = timezone.now()
    proposal.accepted_by = by
    proposal.category = category
    proposal.summary = summary
    PROPOSAL_FLOW.move(
        proposal,
        Status.ACCEPTED,
        by=by,
        fields=("accepted_at", "accepted_by", "category", "summary"),
    )
    return proposal


@transaction.atomic
def proposal_close(
    *,
    proposal: Proposal,
    by,
    reason: str,
    note: str = "",
    duplicate_of: Proposal | None = None,
    seen_version: int | None,
) -> Proposal:
    """P5: what is not a proposal is closed with a reason and no thank-you. A
    duplicate is linked to the proposal it repeats, and its customer is told
    where that one is handled."""
    require_may(by, proposal, "close")
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    if reason not in CloseReason.values:
        raise DomainError(
            "invalid_reason", _("Choose a reason."), fields={"reason": _("Required.")}
        )
    if reason == CloseReason.DUPLICATE:
        if duplicate_of is None:
            raise DomainError(
                "duplicate_of_required",
                _("Name the proposal this one repeats."),
                fields={"duplicate_of": _("Required.")},
            )
        # Link to the original, never to another duplicate.
        while duplicate_of.duplicate_of_id:
            duplicate_of = duplicate_of.duplicate_of
        # Checked on the original reached, not only the proposal named: a chain
        # that leads back to this proposal would close it as a copy of itself.
        if duplicate_of.status == Status.CLOSED:
            raise DomainError(
                "duplicate_of_closed",
                _("Proposal %(ref)s was closed as not a proposal: nothing is handled there.")
                % {"ref": duplicate_of.reference},
                fields={"duplicate_of": _("Choose an open or decided proposal.")},
            )
        if duplicate_of.pk == proposal.pk:
            raise DomainError(
                "duplicate_of_self",
                _("A proposal cannot repeat itself."),
                fields={"duplicate_of": _("Choose another proposal.")},
            )
    elif reason == CloseReason.OTHER and not note:
        raise DomainError(
            "note_required", _("Say why it is not a proposal."), fields={"note": _("Required.")}
        )
    else:
        duplicate_of = None
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "close")
    proposal.close_reason = reason
    proposal.close_note = note
    proposal.duplicate_of = duplicate_of
    PROPOSAL_FLOW.move(
        proposal,
        Status.CLOSED,
        by=by,
        note=note,
        fields=("close_reason", "close_note", "duplicate_of"),
        data={"reason": reason},
    )
    if duplicate_of is not None:
        _notice(
            "proposals/proposal_duplicate",
            proposal,
            {"original_reference": duplicate_of.reference, "original_title": duplicate_of.title},
            by=by,
        )
    return proposal
