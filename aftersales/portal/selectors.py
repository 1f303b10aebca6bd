"""What the portal reads: one proposal, found by reference and contact or by
signed link, and only what its customer may see of it.

Never shown here: study opinions, who at the company did what, internal
notes, anything about another customer. The page's query count is fixed:
the proposal, its status events, its notices and the customer's certificates.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from aftersales.core.templatetags.aftersales import localized_name
from aftersales.customers.models import ContactPoint
from aftersales.customers.normalize import normalize_email, normalize_phone
from aftersales.notifications.models import Channel as MessageChannel
from aftersales.notifications.models import Message
from aftersales.notifications.models import Status as MessageStatus
from aftersales.proposals.links import certificate_token
from aftersales.proposals.models import Certificate, Proposal, ProposalEvent, Status

# Only what the page shows is loaded: a column left out cannot leak.
_PUBLIC_FIELDS = (
    "id",
    "reference",
    "customer_id",
    "status",
    "title",
    "content",
    "received_at",
    "accepted_at",
    "decided_at",
    "decision_note",
    "reserve_reason",
    "decide_by",
    "planned_implementation_date",
    "improvement_measures",
    "implemented_at",
    "implementing_department__name",
    "implementing_department__name_en",
)


def _contact_key(contact: str) -> tuple[str, str] | None:
    contact = (contact or "").strip()
    try:
        if "@" in contact:
            return ContactPoint.Kind.EMAIL, normalize_email(contact)
        return ContactPoint.Kind.PHONE, normalize_phone(contact)
    except ValidationError:
        return None


def _public():
    return Proposal.objects.select_related("implementing_department").only(*_PUBLIC_FIELDS)


def proposal_for_lookup(reference: str, contact: str) -> Proposal | None:
    """The proposal with this reference whose customer has this email or
    phone, in one query; None for a wrong pair exactly as for no proposal."""
    key = _contact_key(contact)
    if key is None or not key[1]:
        return None
    kind, normalized = key
    return (
        _public()
        .filter(
            reference=reference,
            customer__anonymised_at__isnull=True,
            customer__contacts__kind=kind,
            customer__contacts__normalized=normalized,
        )
        .first()
    )


def proposal_for_link(proposal_id: int, customer_id: int) -> Proposal | None:
    """The proposal a signed link names, only while it still belongs to the
    customer the link was sent to."""
    return (
        _public()
        .filter(pk=proposal_id, customer_id=customer_id, customer__anonymised_at__isnull=True)
        .first()
    )


@dataclass
class Milestone:
    status: str
    label: str
    at: datetime
    details: list[tuple[str, object]] = field(default_factory=list)


@dataclass
class Notice:
    subject: str
    body: str
    at: datetime


@dataclass
class CertificateLink:
    number: str
    year: int
    url: str


@dataclass
class PublicProposal:
    proposal: Proposal
    status_label: str
    milestones: list[Milestone]
    notices: list[Notice]
    certificates: list[CertificateLink]


def customer_status_label(status: str) -> str:
    if status == Status.CLOSED:
        # The staff label explains why; the customer was told in a notice.
        return _("closed")
    return str(Status(status).label)


def _details(proposal: Proposal, status: str) -> list[tuple[str, object]]:
    """What the customer's notice for this step told them (P7, P8, P9), and
    nothing more."""
    if status == Status.ADOPTED:
        rows = [
            (_("Planned implementation date"), proposal.planned_implementation_date),
            (_("Improvement measures"), proposal.improvement_measures),
        ]
        if proposal.implementing_department is not None:
            rows.insert(
                0, (_("Implementing department"), localized_name(proposal.implementing_department))
            )
        return rows
    if status == Status.NOT_ADOPTED:
        return [(_("Our answer"), proposal.decision_note)]
    if status == Status.RESERVED:
        return [
            (_("Why it is reserved"), proposal.reserve_reason),
            (_("Decision expected by"), proposal.decide_by),
        ]
    return []


def public_proposal(proposal: Proposal) -> PublicProposal:
    events = ProposalEvent.objects.filter(
        proposal_id=proposal.pk,
        kind__in=(ProposalEvent.Kind.RECEIVED, ProposalEvent.Kind.STATUS),
    ).values_list("kind", "new_status", "at")
    milestones = []
    for kind, new_status, at in events:
        status = Status.RECEIVED if kind == ProposalEvent.Kind.RECEIVED else new_status
        if not status:
            continue
        label = _("received") if status == Status.RECEIVED else customer_status_label(status)
        milestones.append(Milestone(status, label, at, _details(proposal, status)))
    if not milestones:
        milestones.append(Milestone(Status.RECEIVED, _("received"), proposal.received_at))

    # Only notices to this proposal's customer about this proposal; notices
    # to colleagues (reminders, escalations) have no customer and never match.
    notices = [
        Notice(subject, body, sent_at or created_at)
        for subject, body, sent_at, created_at in Message.objects.filter(
            customer_id=proposal.customer_id,
            related_type=ContentType.objects.get_for_model(Proposal),
            related_id=proposal.pk,
        )
        .exclude(status=MessageStatus.CANCELLED)
        .order_by("created_at", "id")
        .values_list("subject", "body", "sent_at", "created_at")
    ]
    certificates = [
        CertificateLink(
            number,
            year,
            reverse("portal:certificate", args=[certificate_token(_Ref(pk, customer_id))]),
        )
        for pk, customer_id, number, year in Certificate.objects.filter(
            customer_id=proposal.customer_id
        ).values_list("pk", "customer_id", "number", "year")
    ]
    return PublicProposal(
        proposal=proposal,
        status_label=customer_status_label(proposal.status),
        milestones=milestones,
        notices=notices,
        certificates=certificates,
    )


@dataclass
class _Ref:
    pk: int
    customer_id: int


def certificate_for_link(certificate_id: int, customer_id: int) -> Certificate | None:
    return (
        Certificate.objects.filter(
            pk=certificate_id, customer_id=customer_id, customer__anonymised_at__isnull=True
        )
        .only("number", "year", "file", "customer_id")
        .first()
    )


def acknowledged_by_email(proposal: Proposal) -> bool:
    """Whether the acknowledgement (P4) went out as an email; it may instead
    be a letter or call task, or be held back by the daily cap."""
    return Message.objects.filter(
        customer_id=proposal.customer_id,
        related_type=ContentType.objects.get_for_model(Proposal),
        related_id=proposal.pk,
        template="proposals/proposal_ack",
        channel=MessageChannel.EMAIL,
    ).exists()
