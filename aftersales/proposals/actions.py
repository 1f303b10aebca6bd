"""What a user may do to a proposal, asked in one place (issue 8).

The detail page shows exactly the actions ``allowed_actions`` names, the API
and "My work" read the same rules, and every service refuses through
``require_may`` (before anything about the proposal is read) and
``require_state`` (on the locked row). A test walks every status and role,
reads the buttons on the page and posts every action: offered ⇔ accepted.

A rule is two questions: who may (roles, P-articles name them), and is the
proposal in a state where it applies (the workflow table and the articles'
own conditions, e.g. P6: decided only once every study opinion is in).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from aftersales.core.errors import DomainError
from aftersales.core.permissions import can
from aftersales.core.workflow import FORBIDDEN
from aftersales.proposals.models import (
    ADOPTED_STATUSES,
    PROPOSAL_FLOW,
    Proposal,
    Status,
    StudyRequest,
    opinion_delegators,
)

Refusal = Callable[[Proposal], DomainError | None]


@dataclass(frozen=True)
class Rule:
    may: Callable  # (user, proposal) -> bool
    state: Refusal  # the refusal when the proposal is not in a state for it, else None
    perm: str  # named in a 403, for logs


def _perm(codename: str) -> Callable:
    return lambda user, proposal: can(user, codename)


def _move(status: str) -> Refusal:
    """The workflow table allows the move (the engine's own refusal)."""
    return lambda proposal: PROPOSAL_FLOW.forbidden(proposal.status, status)


def waiting_studies(proposal: Proposal) -> list[StudyRequest]:
    """P6: the study opinions still missing (from the prefetched studies
    where the page loaded them)."""
    if proposal.status != Status.UNDER_STUDY:
        return []
    return [s for s in proposal.study_requests.all() if not s.is_answered]


def _decision(status: str) -> Refusal:
    # P6: a proposal is decided once every department has given its opinion.
    move = _move(status)

    def check(proposal):
        refused = move(proposal)
        if refused is not None:
            return refused
        waiting = waiting_studies(proposal)
        if waiting:
            return DomainError(
                "study_pending",
                _("Waiting for study opinions from: %(names)s.")
                % {"names": "、".join(str(s.department) for s in waiting)},
                status=409,
            )
        return None

    return check


def _in(statuses, code: str, message: Callable[[], str]) -> Refusal:
    """The proposal is in one of ``statuses``; ``message`` is called when
    refusing, so it speaks the reader's language."""

    def check(proposal):
        if proposal.status in statuses:
            return None
        return DomainError(code, message(), status=409)

    return check


def may_extend(user, proposal) -> bool:
    # P9: within the limit the customer service manager extends; past it only
    # the after-sales department manager (the service checks which applies).
    return can(user, "proposals.decide_proposal") or can(user, "proposals.extend_reserve")


def can_record_implementation(user, proposal: Proposal) -> bool:
    # P7: the implementing department's manager records it, or whoever decides
    # and manages proposals.
    if not can(user, "proposals.record_implementation"):
        return False
    if can(user, "proposals.decide_proposal") or can(user, "proposals.manage_evaluation"):
        return True
    department = proposal.implementing_department
    return department is not None and department.manager_id == user.pk


ACCEPT, DECIDE = "proposals.accept_proposal", "proposals.decide_proposal"

RULES: dict[str, Rule] = {
    # P5: accept (the acceptance record), route for study, close what is not a proposal.
    "accept": Rule(_perm(ACCEPT), _move(Status.ACCEPTED), ACCEPT),
    "route": Rule(
        _perm(ACCEPT),
        _in(
            (Status.ACCEPTED, Status.UNDER_STUDY),
            FORBIDDEN,
            lambda: _("Only an accepted proposal, or one under study, can be sent for study."),
        ),
        ACCEPT,
    ),
    "close": Rule(_perm(ACCEPT), _move(Status.CLOSED), ACCEPT),
    # P6-P9: the customer service manager decides.
    "adopt": Rule(_perm(DECIDE), _decision(Status.ADOPTED), DECIDE),
    "not_adopt": Rule(_perm(DECIDE), _decision(Status.NOT_ADOPTED), DECIDE),
    "reserve": Rule(_perm(DECIDE), _decision(Status.RESERVED), DECIDE),
    "extend": Rule(
        may_extend,
        _in(
            (Status.RESERVED,),
            "not_reserved",
            lambda: _("Only a reserved proposal has a decide-by date."),
        ),
        DECIDE,
    ),
    # P7: implementation; P10: the development mode of an adopted proposal.
    "implemented": Rule(
        can_record_implementation, _move(Status.IMPLEMENTED), "proposals.record_implementation"
    ),
    "development": Rule(
        _perm(DECIDE),
        _in(
            ADOPTED_STATUSES,
            "not_adopted",
            lambda: _("Only an adopted proposal has a development mode (P10)."),
        ),
        DECIDE,
    ),
}


def require_may(user, proposal: Proposal, action: str) -> None:
    """Refuse who may not take ``action`` at all, before anything about the
    proposal is read or told (403)."""
    rule = RULES[action]
    if not rule.may(user, proposal):
        raise PermissionDenied(rule.perm)


def require_state(proposal: Proposal, action: str) -> None:
    """Refuse ``action`` on a proposal (the locked row) not in a state for it."""
    refused = RULES[action].state(proposal)
    if refused is not None:
        raise refused


def allowed_actions(user, proposal: Proposal) -> list[str]:
    """Every action ``user`` may take on ``proposal`` as it is now, in the
    table's order: what the page offers and the services accept."""
    return [
        name
        for name, rule in RULES.items()
        if rule.may(user, proposal) and rule.state(proposal) is None
    ]


# --- P5: study opinions, on a study request --------------------------------


def can_write_opinion(user, study: StudyRequest) -> bool:
    """P5: the department's manager writes its study opinion, or whoever that
    manager delegated a managing role to."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    manager_id = study.department.manager_id
    if manager_id is None:
        return False
    if user.pk == manager_id:
        return True
    return opinion_delegators(user).filter(delegator_id=manager_id).exists()


def opinion_open(study: StudyRequest) -> bool:
    """P5: the opinion is still to be written, on a proposal under study."""
    return study.proposal.status == Status.UNDER_STUDY and not study.is_answered
