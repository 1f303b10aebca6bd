"""P6-P9: the customer service manager's decision — adopt (P7), not adopt
(P8) or reserve (P9) — with the notice each needs, and extending a reserve."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.permissions import require
from aftersales.policy.services import deadline_from
from aftersales.proposals.actions import require_may, require_state
from aftersales.proposals.counters import tally
from aftersales.proposals.models import (
    PROPOSAL_FLOW,
    Proposal,
    ProposalEvent,
    ReserveExtension,
    Status,
)
from aftersales.proposals.services.common import (
    CONTENT_MAX,
    _clean_text,
    _decision_notice,
    _event,
    _required,
    local_today,
)
from aftersales.proposals.services.implementation import _check_development

# --- P6-P9: the decision ---------------------------------------------------


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
    require_may(by, proposal, "adopt")
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
    require_state(proposal, "adopt")
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
        "proposals/proposal_adopted",
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
    require_may(by, proposal, "not_adopt")
    note = _clean_text(note, field="note", max_length=CONTENT_MAX)
    _required({"note": note})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "not_adopt")
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
    _decision_notice("proposals/proposal_not_adopted", proposal, {"note": note}, by=by)
    return proposal


def reserve_limit(reserved_on: date, version=None) -> tuple[date, object]:
    """P9: the latest decide-by date for a reserve made on ``reserved_on``,
    under the policy in force that day (or the stored ``version``)."""
    return deadline_from(reserved_on, "reserve_max_days", version=version)


def reserve_limit_text(limit: date, version) -> str:
    """P9's limit as the reserve form explains it and a refusal states it."""
    return _(
        "A reserve lasts at most %(days)s days (P9): decide by %(limit)s at the latest. "
        "A longer period needs the after-sales department manager's approval, "
        "given as an extension once reserved."
    ) % {"days": version.value("reserve_max_days"), "limit": limit.isoformat()}


@transaction.atomic
def proposal_reserve(
    *, proposal: Proposal, by, reason: str, decide_by: date | None, seen_version: int | None
) -> Proposal:
    """P9: reserve, with a reason and a decide-by date at most
    ``reserve_max_days`` after today under the policy in force today."""
    require_may(by, proposal, "reserve")
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
            reserve_limit_text(limit, version),
            fields={"decide_by": _("At the latest %(limit)s.") % {"limit": limit.isoformat()}},
        )
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "reserve")
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
        "proposals/proposal_reserved", proposal, {"reason": reason, "decide_by": decide_by}, by=by
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
    require_may(by, proposal, "extend")
    reason = _clean_text(reason, field="reason", max_length=CONTENT_MAX)
    _required({"decide_by": decide_by, "reason": reason})
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    require_state(proposal, "extend")
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
        "proposals/proposal_reserve_extended",
        proposal,
        {"reason": reason, "decide_by": decide_by},
        by=by,
    )
    return extension
