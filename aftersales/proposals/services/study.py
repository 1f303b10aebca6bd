"""P5: routing an accepted proposal to departments for study, and their
written study opinions."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.errors import ConflictError, DomainError
from aftersales.policy.services import deadline_from
from aftersales.proposals.actions import can_write_opinion, require_may, require_state
from aftersales.proposals.counters import tally
from aftersales.proposals.models import (
    PROPOSAL_FLOW,
    Proposal,
    ProposalEvent,
    Status,
    StudyRequest,
)
from aftersales.proposals.services.common import (
    CONTENT_MAX,
    _clean_text,
    _event,
    _required,
    _staff_notice,
    local_today,
)

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
    require_may(by, proposal, "route")
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
    require_state(proposal, "route")
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
            "proposals/study_requested",
            proposal,
            [request.department.manager],
            {"department": str(request.department), "due_date": due_date},
        )
    return requests


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
