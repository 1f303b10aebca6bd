"""Every write about proposals, P4-P10: receiving, accepting, closing, routing
for study, study opinions, the decision, reserves, implementation and the
development mode. Rewards (P11) are in rewards.py, certificates (P12) in
certificates.py, mail intake in mail/.

Each action takes the ``seen_version`` of the proposal its author saw: the row
is locked, and if someone else changed it first the action is refused with a
ConflictError and nothing is written.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.selectors import users_with_role
from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.permissions import can, require
from aftersales.core.roles import Role
from aftersales.notifications.services import notify
from aftersales.policy.services import deadline_from, policy_in_force, policy_value
from aftersales.proposals import search
from aftersales.proposals.counters import tally
from aftersales.proposals.links import portal_url
from aftersales.proposals.models import (
    ADOPTED_STATUSES,
    PROPOSAL_FLOW,
    Attachment,
    Category,
    Channel,
    CloseReason,
    DevelopmentMode,
    Proposal,
    ProposalEvent,
    ReserveExtension,
    Status,
    StudyRequest,
    opinion_delegators,
)
from aftersales.proposals.uploads import CheckedFile

TITLE_MAX = 300
CONTENT_MAX = 20000

# What each decision notice must say (P7, P8, P9). A notice missing any of it
# is refused, never sent half-empty.
REQUIRED_NOTICE_CONTENT = {
    "proposal_adopted": ("planned_date", "measures", "department"),
    "proposal_not_adopted": ("note",),
    "proposal_reserved": ("reason", "decide_by"),
    "proposal_reserve_extended": ("reason", "decide_by"),
    "proposal_implemented": ("measures", "done_date"),
    "proposal_duplicate": ("original_reference",),
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


def _acknowledge(proposal: Proposal, *, in_reply_to: str = "") -> None:
    """P4: the customer learns the reference. At most ``ack_max_per_address_per_day``
    acknowledgements go to one customer a day, so an automatic sender that slips
    through cannot start a mail loop."""
    from aftersales.notifications.models import Message

    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    sent_today = Message.objects.filter(
        customer=proposal.customer, template="proposal_ack", created_at__gte=since
    ).count()
    if sent_today >= int(policy_value("ack_max_per_address_per_day")):
        _event(
            proposal,
            ProposalEvent.Kind.NOTE,
            note=_("No acknowledgement sent: the daily limit for this customer was reached."),
        )
        return
    _notice("proposal_ack", proposal, {}, in_reply_to=in_reply_to)


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
    require(by, "proposals.accept_proposal")
    summary = _clean_text(summary, field="summary", max_length=CONTENT_MAX)
    _required({"category": category, "summary": summary})
    if category not in Category.values:
        raise DomainError("invalid_category", _("Unknown category."), fields={"category": ""})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
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
    require(by, "proposals.accept_proposal")
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
            "proposal_duplicate",
            proposal,
            {"original_reference": duplicate_of.reference, "original_title": duplicate_of.title},
            by=by,
        )
    return proposal


# --- P5: study -------------------------------------------------------------


@transaction.atomic
def proposal_route(
    *,
    proposal: Proposal,
    by,
    departments,
    due_date: date | None = None,
    seen_version: int | None,
) -> list[StudyRequest]:
    """P5: send an accepted proposal to one or more departments for study, each
    with a due date (policy ``study_due_days`` unless given). Departments can
    be added while the study runs."""
    require(by, "proposals.accept_proposal")
    # A department named twice is asked once (one study per department).
    departments = list({d.pk: d for d in departments}.values())
    if not departments:
        raise DomainError(
            "departments_required",
            _("Choose at least one department."),
            fields={"departments": _("Required.")},
        )
    today = local_today()
    if due_date is None:
        due_date, _version = deadline_from(today, "study_due_days")
    elif due_date < today:
        raise DomainError(
            "due_in_past",
            _("The due date cannot be in the past."),
            fields={"due_date": _("Cannot be in the past.")},
        )
    without_manager = [d for d in departments if d.manager_id is None or not d.active]
    if without_manager:
        raise DomainError(
            "department_without_manager",
            _("These departments have no manager to write a study opinion: %(names)s.")
            % {"names": "、".join(str(d) for d in without_manager)},
            fields={"departments": _("Give the department a manager first.")},
        )
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    if proposal.status not in (Status.ACCEPTED, Status.UNDER_STUDY):
        raise DomainError(
            "transition_forbidden",
            _("Only an accepted proposal, or one under study, can be sent for study."),
            status=409,
        )
    already = set(proposal.study_requests.values_list("department_id", flat=True))
    new = [d for d in departments if d.pk not in already]
    if not new:
        raise DomainError(
            "already_routed",
            _("These departments are already studying this proposal."),
            fields={"departments": _("Choose another department.")},
        )
    requests = [
        StudyRequest.objects.create(
            proposal=proposal, department=d, due_date=due_date, requested_by=by
        )
        for d in new
    ]
    for request in requests:
        _event(
            proposal,
            ProposalEvent.Kind.STUDY_REQUESTED,
            by=by,
            note=str(request.department),
            department=request.department_id,
            due_date=due_date.isoformat(),
        )
        tally({f"department:{request.department_id}": 1})
    if proposal.status == Status.ACCEPTED:
        PROPOSAL_FLOW.move(proposal, Status.UNDER_STUDY, by=by)
    else:
        proposal.save(update_fields=())
    for request in requests:
        _staff_notice(
            "study_requested",
            proposal,
            [request.department.manager],
            {"department": str(request.department), "due_date": due_date},
        )
    return requests


def can_write_opinion(user, study: StudyRequest) -> bool:
    """The department's manager, or whom that manager delegated a managing role to."""

    if not (user and user.is_authenticated and user.is_active):
        return False
    manager_id = study.department.manager_id
    if manager_id is None:
        return False
    if user.pk == manager_id:
        return True
    return opinion_delegators(user).filter(delegator_id=manager_id).exists()


@transaction.atomic
def study_opinion_submit(
    *, study: StudyRequest, by, opinion: str, seen_version: int | None
) -> StudyRequest:
    """P5: a department's written study opinion, once."""
    if not can_write_opinion(by, study):
        raise PermissionDenied("proposals.study_opinion")
    opinion = _clean_text(opinion, field="opinion", max_length=CONTENT_MAX)
    _required({"opinion": opinion})
    proposal = PROPOSAL_FLOW.lock(study.proposal, seen_version)
    study = StudyRequest.objects.select_for_update().get(pk=study.pk)
    if study.is_answered:
        raise ConflictError(
            "opinion_given", _("This department has already given its study opinion.")
        )
    if proposal.status != Status.UNDER_STUDY:
        raise DomainError(
            "transition_forbidden", _("The proposal is no longer under study."), status=409
        )
    study.opinion = opinion
    study.opinion_at = timezone.now()
    study.opinion_by = by
    study.save(update_fields={"opinion", "opinion_at", "opinion_by"})
    _event(
        proposal,
        ProposalEvent.Kind.OPINION,
        by=by,
        note=opinion,
        department=study.department_id,
    )
    # The proposal's version moves, so a decision drafted before this opinion
    # arrived is refused and its author sees the opinion first.
    proposal.save(update_fields=())
    return study


# --- P6-P9: the decision ---------------------------------------------------


def _ready_to_decide(proposal: Proposal) -> None:
    waiting = [s for s in proposal.study_requests.select_related("department") if not s.is_answered]
    if proposal.status == Status.UNDER_STUDY and waiting:
        raise DomainError(
            "study_pending",
            _("Waiting for study opinions from: %(names)s.")
            % {"names": "、".join(str(s.department) for s in waiting)},
            status=409,
        )


def _count_final_decision(proposal: Proposal, now) -> None:
    days = (timezone.localtime(now).date() - timezone.localtime(proposal.received_at).date()).days
    tally({f"decision_days:{max(days, 0)}": 1})


@transaction.atomic
def proposal_adopt(
    *,
    proposal: Proposal,
    by,
    implementing_department,
    planned_date: date | None,
    measures: str,
    note: str = "",
    development_mode: str = "",
    agreement_reference: str = "",
    seen_version: int | None,
) -> Proposal:
    """P7: adopt; the implementing department, planned date and improvement
    measures are required and are what the customer's notice states."""
    require(by, "proposals.decide_proposal")
    measures = _clean_text(measures, field="measures", max_length=CONTENT_MAX)
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    _required(
        {
            "implementing_department": implementing_department,
            "planned_date": planned_date,
            "measures": measures,
        }
    )
    if planned_date < local_today():
        raise DomainError(
            "planned_in_past",
            _("The planned implementation date cannot be in the past."),
            fields={"planned_date": _("Cannot be in the past.")},
        )
    _check_development(development_mode, agreement_reference)
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    _ready_to_decide(proposal)
    now = timezone.now()
    proposal.decided_at, proposal.decided_by, proposal.decision_note = now, by, note
    proposal.implementing_department = implementing_department
    proposal.planned_implementation_date = planned_date
    proposal.improvement_measures = measures
    proposal.development_mode = development_mode
    proposal.agreement_reference = agreement_reference.strip()
    PROPOSAL_FLOW.move(
        proposal,
        Status.ADOPTED,
        by=by,
        note=note,
        fields=(
            "decided_at",
            "decided_by",
            "decision_note",
            "implementing_department",
            "planned_implementation_date",
            "improvement_measures",
            "development_mode",
            "agreement_reference",
        ),
    )
    _count_final_decision(proposal, now)
    _decision_notice(
        "proposal_adopted",
        proposal,
        {
            "department": str(implementing_department),
            "department_en": implementing_department.name_en or implementing_department.name,
            "planned_date": planned_date,
            "measures": measures,
            "note": note,
        },
        by=by,
    )
    return proposal


@transaction.atomic
def proposal_not_adopt(*, proposal: Proposal, by, note: str, seen_version: int | None) -> Proposal:
    """P8: not adopted; the customer is told, with thanks."""
    require(by, "proposals.decide_proposal")
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    _required({"note": note})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    _ready_to_decide(proposal)
    now = timezone.now()
    proposal.decided_at, proposal.decided_by, proposal.decision_note = now, by, note
    PROPOSAL_FLOW.move(
        proposal,
        Status.NOT_ADOPTED,
        by=by,
        note=note,
        fields=("decided_at", "decided_by", "decision_note"),
    )
    _count_final_decision(proposal, now)
    _decision_notice("proposal_not_adopted", proposal, {"note": note}, by=by)
    return proposal


def reserve_limit(reserved_on: date, version=None) -> tuple[date, object]:
    """P9: the latest decide-by date for a reserve made on ``reserved_on``,
    under the policy in force that day (or the stored ``version``)."""
    return deadline_from(reserved_on, "reserve_max_days", version=version)


@transaction.atomic
def proposal_reserve(
    *, proposal: Proposal, by, reason: str, decide_by: date | None, seen_version: int | None
) -> Proposal:
    """P9: reserve, with a reason and a decide-by date at most
    ``reserve_max_days`` after today under the policy in force today."""
    require(by, "proposals.decide_proposal")
    reason = _clean_text(reason, field="reason", max_length=CONTENT_MAX)
    _required({"reason": reason, "decide_by": decide_by})
    today = local_today()
    limit, version = reserve_limit(today)
    if decide_by <= today:
        raise DomainError(
            "decide_by_in_past",
            _("The decide-by date must be after today."),
            fields={"decide_by": _("Must be after today.")},
        )
    if decide_by > limit:
        raise DomainError(
            "p9_reserve_too_long",
            _(
                "A reserve lasts at most %(days)s days (P9): decide by %(limit)s at the latest. "
                "A longer period needs the after-sales department manager's approval, "
                "given as an extension once reserved."
            )
            % {"days": version.value("reserve_max_days"), "limit": limit.isoformat()},
            fields={"decide_by": _("At the latest %(limit)s.") % {"limit": limit.isoformat()}},
        )
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    _ready_to_decide(proposal)
    proposal.decided_at, proposal.decided_by, proposal.decision_note = timezone.now(), by, reason
    proposal.reserve_reason = reason
    proposal.reserved_on = today
    proposal.decide_by = decide_by
    proposal.reserve_policy = version
    PROPOSAL_FLOW.move(
        proposal,
        Status.RESERVED,
        by=by,
        note=reason,
        fields=(
            "decided_at",
            "decided_by",
            "decision_note",
            "reserve_reason",
            "reserved_on",
            "decide_by",
            "reserve_policy",
        ),
        data={"decide_by": decide_by.isoformat()},
    )
    _decision_notice(
        "proposal_reserved", proposal, {"reason": reason, "decide_by": decide_by}, by=by
    )
    return proposal


@transaction.atomic
def proposal_reserve_extend(
    *, proposal: Proposal, by, decide_by: date | None, reason: str, seen_version: int | None
) -> ReserveExtension:
    """P9: move a reserve's decide-by date. Within the limit fixed on the
    reserve date the customer service manager may; past it, only the
    after-sales department manager, whose approval and reason are recorded."""
    # Refused before anything about the proposal is read or told.
    if not (can(by, "proposals.decide_proposal") or can(by, "proposals.extend_reserve")):
        raise PermissionDenied("proposals.decide_proposal")
    reason = _clean_text(reason, field="reason", max_length=CONTENT_MAX)
    _required({"decide_by": decide_by, "reason": reason})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    if proposal.status != Status.RESERVED:
        raise DomainError(
            "not_reserved", _("Only a reserved proposal has a decide-by date."), status=409
        )
    limit, _version = reserve_limit(proposal.reserved_on, proposal.reserve_policy)
    if decide_by <= max(local_today(), proposal.decide_by):
        raise DomainError(
            "decide_by_not_later",
            _("The new decide-by date must be later than the current one and than today."),
            fields={"decide_by": _("Choose a later date.")},
        )
    if decide_by > limit:
        # P9: past the limit needs the after-sales department manager.
        require(by, "proposals.extend_reserve")
    # Within the limit, whoever may decide the proposal or approve past the
    # limit may move the date (the after-sales manager holds extend_reserve only).
    extension = ReserveExtension.objects.create(
        proposal=proposal,
        old_decide_by=proposal.decide_by,
        new_decide_by=decide_by,
        reason=reason,
        approved_by=by,
        approved_at=timezone.now(),
    )
    proposal.decide_by = decide_by
    proposal.reserve_reminded_at = None
    proposal.reserve_escalated_at = None
    proposal.save(update_fields={"decide_by", "reserve_reminded_at", "reserve_escalated_at"})
    _event(
        proposal,
        ProposalEvent.Kind.RESERVE_EXTENDED,
        by=by,
        note=reason,
        old_decide_by=extension.old_decide_by.isoformat(),
        new_decide_by=decide_by.isoformat(),
        past_limit=decide_by > limit,
    )
    _decision_notice(
        "proposal_reserve_extended", proposal, {"reason": reason, "decide_by": decide_by}, by=by
    )
    return extension


# --- P7 / P10: after adoption ----------------------------------------------


def can_record_implementation(user, proposal: Proposal) -> bool:
    if not can(user, "proposals.record_implementation"):
        return False
    if can(user, "proposals.decide_proposal") or can(user, "proposals.manage_evaluation"):
        return True
    department = proposal.implementing_department
    return department is not None and department.manager_id == user.pk


@transaction.atomic
def proposal_implemented(
    *, proposal: Proposal, by, note: str = "", seen_version: int | None
) -> Proposal:
    """P7: implementation done; the customer is told."""
    if not can_record_implementation(by, proposal):
        raise PermissionDenied("proposals.record_implementation")
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    proposal.implemented_at = timezone.now()
    proposal.implemented_by = by
    proposal.implementation_note = note
    PROPOSAL_FLOW.move(
        proposal,
        Status.IMPLEMENTED,
        by=by,
        note=note,
        fields=("implemented_at", "implemented_by", "implementation_note"),
    )
    _decision_notice(
        "proposal_implemented",
        proposal,
        {
            "measures": proposal.improvement_measures,
            "note": note,
            "done_date": timezone.localtime(proposal.implemented_at).date(),
        },
        by=by,
    )
    return proposal


def _check_development(mode: str, agreement_reference: str) -> None:
    if mode and mode not in DevelopmentMode.values:
        raise DomainError(
            "invalid_mode", _("Unknown development mode."), fields={"development_mode": ""}
        )
    if mode == DevelopmentMode.JOINT and not (agreement_reference or "").strip():
        # P10: joint development is settled by an agreement between the two sides.
        raise DomainError(
            "p10_agreement_required",
            _("Joint development needs the reference of the agreement with the customer (P10)."),
            fields={"agreement_reference": _("Required for joint development.")},
        )


@transaction.atomic
def proposal_set_development(
    *,
    proposal: Proposal,
    by,
    development_mode: str,
    agreement_reference: str = "",
    seen_version: int | None,
) -> Proposal:
    """P10: the development mode of an adopted proposal."""
    require(by, "proposals.decide_proposal")
    _required({"development_mode": development_mode})
    agreement_reference = _clean_text(
        agreement_reference, field="agreement_reference", max_length=100
    )
    _check_development(development_mode, agreement_reference)
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    if proposal.status not in ADOPTED_STATUSES:
        raise DomainError(
            "not_adopted",
            _("Only an adopted proposal has a development mode (P10)."),
            status=409,
        )
    proposal.development_mode = development_mode
    proposal.agreement_reference = agreement_reference
    proposal.save(update_fields={"development_mode", "agreement_reference"})
    _event(
        proposal,
        ProposalEvent.Kind.DEVELOPMENT,
        by=by,
        note=agreement_reference,
        mode=development_mode,
    )
    return proposal


# --- reminders and escalation (tasks call these) ----------------------------


def _cs_managers():
    return list(users_with_role(Role.CS_MANAGER))


def _aftersales_managers():
    return list(users_with_role(Role.AFTERSALES_MANAGER))


def _claim_once(model, pk: int, field: str) -> bool:
    """Stamp ``field`` with now if it is still empty; True for the one caller
    that did, so a reminder or an escalation goes out once however many
    workers run the job."""
    return bool(
        model.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()})
    )


def remind_and_escalate(*, today: date | None = None) -> dict[str, int]:
    """P5 / P9 / P7: remind before due dates and escalate after them, each
    once. Safe to run any number of times; each row is handled in its own
    transaction, so one failure never stops the rest."""
    today = today or local_today()
    done = {"study_reminders": 0, "study_escalations": 0, "reserve_reminders": 0}
    done |= {"reserve_escalations": 0, "implementation_reminders": 0}
    policy = policy_in_force(today)

    from datetime import timedelta

    def days(key):
        return timedelta(days=int(policy.value(key)))

    open_studies = StudyRequest.objects.filter(
        opinion_at__isnull=True, proposal__status=Status.UNDER_STUDY
    ).select_related("proposal", "department__manager")
    for study in open_studies.filter(
        reminded_at__isnull=True, due_date__lte=today + days("study_reminder_days_before")
    ):
        with transaction.atomic():
            if _claim_once(StudyRequest, study.pk, "reminded_at"):
                _staff_notice(
                    "study_reminder",
                    study.proposal,
                    [study.department.manager],
                    {"department": str(study.department), "due_date": study.due_date},
                )
                _event(
                    study.proposal,
                    ProposalEvent.Kind.REMINDER,
                    note=str(study.department),
                    department=study.department_id,
                )
                done["study_reminders"] += 1
    for study in open_studies.filter(
        escalated_at__isnull=True, due_date__lte=today - days("study_escalation_days_after")
    ):
        with transaction.atomic():
            if _claim_once(StudyRequest, study.pk, "escalated_at"):
                _staff_notice(
                    "study_escalated",
                    study.proposal,
                    _cs_managers(),
                    {"department": str(study.department), "due_date": study.due_date},
                )
                _event(
                    study.proposal,
                    ProposalEvent.Kind.ESCALATION,
                    note=str(study.department),
                    department=study.department_id,
                )
                done["study_escalations"] += 1

    reserved = Proposal.objects.filter(status=Status.RESERVED)
    for proposal in reserved.filter(
        reserve_reminded_at__isnull=True,
        decide_by__lte=today + days("reserve_reminder_days_before"),
    ):
        with transaction.atomic():
            if _claim_once(Proposal, proposal.pk, "reserve_reminded_at"):
                _staff_notice(
                    "reserve_reminder", proposal, _cs_managers(), {"decide_by": proposal.decide_by}
                )
                _event(proposal, ProposalEvent.Kind.REMINDER, note=_("Reserve decide-by date"))
                done["reserve_reminders"] += 1
    for proposal in reserved.filter(
        reserve_escalated_at__isnull=True,
        decide_by__lte=today - days("reserve_escalation_days_after"),
    ):
        with transaction.atomic():
            if _claim_once(Proposal, proposal.pk, "reserve_escalated_at"):
                _staff_notice(
                    "reserve_escalated",
                    proposal,
                    _aftersales_managers() + _cs_managers(),
                    {"decide_by": proposal.decide_by},
                )
                _event(proposal, ProposalEvent.Kind.ESCALATION, note=_("Reserve past its date"))
                done["reserve_escalations"] += 1

    for proposal in Proposal.objects.filter(
        status=Status.ADOPTED,
        implementation_reminded_at__isnull=True,
        planned_implementation_date__lte=today + days("implementation_reminder_days_before"),
    ).select_related("implementing_department__manager"):
        with transaction.atomic():
            if _claim_once(Proposal, proposal.pk, "implementation_reminded_at"):
                _staff_notice(
                    "implementation_reminder",
                    proposal,
                    [proposal.implementing_department.manager],
                    {"planned_date": proposal.planned_implementation_date},
                )
                _event(proposal, ProposalEvent.Kind.REMINDER, note=_("Planned implementation"))
                done["implementation_reminders"] += 1
    done["notice_escalations"] = _escalate_late_notices(days("notice_due_days"))
    return done


# The notices that tell a customer a decision (P7, P8, P9).
DECISION_TEMPLATES = (
    "proposal_adopted",
    "proposal_not_adopted",
    "proposal_reserved",
    "proposal_reserve_extended",
    "proposal_implemented",
)


def _escalate_late_notices(due, *, batch: int = 500) -> int:
    """P7 / P8 / P9: the customer is told promptly. A decision notice not
    delivered ``notice_due_days`` after it was written (email failing, a letter
    not printed, a call not made) is escalated to the customer service
    managers, once per notice."""
    from django.contrib.contenttypes.models import ContentType

    from aftersales.notifications.models import Message
    from aftersales.notifications.models import Status as MessageStatus

    late = Message.objects.filter(
        related_type=ContentType.objects.get_for_model(Proposal),
        template__in=DECISION_TEMPLATES,
        status__in=[
            MessageStatus.QUEUED,
            MessageStatus.SENDING,
            MessageStatus.FAILED,
            MessageStatus.TO_PRINT,
            MessageStatus.TO_CALL,
        ],
        created_at__lte=timezone.now() - due,
    ).order_by("pk")[:batch]
    count = 0
    for message in late:
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=message.related_id)
            if ProposalEvent.objects.filter(
                proposal=proposal, kind=ProposalEvent.Kind.ESCALATION, data__message=message.pk
            ).exists():
                continue
            _staff_notice(
                "notice_late",
                proposal,
                _cs_managers(),
                {"subject": message.subject, "status": message.get_status_display()},
            )
            _event(
                proposal,
                ProposalEvent.Kind.ESCALATION,
                note=_("The customer has not been told yet: %(subject)s")
                % {"subject": message.subject},
                message=message.pk,
            )
            count += 1
    return count
