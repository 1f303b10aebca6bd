"""Who may call each proposals service (P4-P10), checked in the service itself,
so a view or endpoint that forgets its own check still refuses. Each refusal
leaves the proposal as it was."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.models import (
    Category,
    Channel,
    CloseReason,
    DevelopmentMode,
    Proposal,
    ReserveExtension,
)
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    delegated,
    fresh,
    make_proposal,
    reserved,
    studied,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_department_manager(other_manager):
    return other_manager


def state(proposal):
    p = fresh(proposal)
    return (
        p.status,
        p.version,
        p.decide_by,
        p.development_mode,
        p.events.count(),
        ReserveExtension.objects.count(),
        Message.objects.count(),
        Proposal.objects.count(),
    )


def _prepare(service, *, specialist, cs_manager, rd):
    """(proposal, call(by)) for each service, with a proposal in the state the
    service works on and arguments it would accept from someone allowed."""
    today = timezone.localdate()
    p = make_proposal()
    if service == "receive_letter":
        return p, lambda by: services.proposal_receive(
            customer=p.customer, channel=Channel.LETTER, title="信", content="内容", by=by
        )
    if service == "accept":
        return p, lambda by: services.proposal_accept(
            proposal=p, by=by, category=Category.PRODUCT, summary="摘要", seen_version=p.version
        )
    if service == "close":
        return p, lambda by: services.proposal_close(
            proposal=p, by=by, reason=CloseReason.SPAM, seen_version=p.version
        )
    if service == "route":
        p = accepted(p, by=specialist)
        return p, lambda by: services.proposal_route(
            proposal=p, by=by, departments=[rd], seen_version=p.version
        )
    if service in ("adopt", "not_adopt", "reserve"):
        p = studied(p, by=specialist, departments=[rd])
        return p, {
            "adopt": lambda by: services.proposal_adopt(
                proposal=p,
                by=by,
                implementing_department=rd,
                planned_date=today + timedelta(days=10),
                measures="措施",
                seen_version=p.version,
            ),
            "not_adopt": lambda by: services.proposal_not_adopt(
                proposal=p, by=by, note="理由", seen_version=p.version
            ),
            "reserve": lambda by: services.proposal_reserve(
                proposal=p,
                by=by,
                reason="理由",
                decide_by=today + timedelta(days=10),
                seen_version=p.version,
            ),
        }[service]
    if service in ("extend_within_limit", "extend_past_limit"):
        p = reserved(p, by=specialist, decider=cs_manager, departments=[rd])
        days = 50 if service == "extend_within_limit" else 90
        return p, lambda by: services.proposal_reserve_extend(
            proposal=p,
            by=by,
            decide_by=today + timedelta(days=days),
            reason="理由",
            seen_version=p.version,
        )
    p = adopted(p, by=specialist, decider=cs_manager, departments=[rd])
    if service == "implemented":
        return p, lambda by: services.proposal_implemented(
            proposal=p, by=by, seen_version=p.version
        )
    assert service == "set_development"
    return p, lambda by: services.proposal_set_development(
        proposal=p, by=by, development_mode=DevelopmentMode.COMPANY, seen_version=p.version
    )


# Who must be refused each service. The customer service manager decides (P6);
# the after-sales department manager approves a reserve past its limit (P9);
# the general manager approves policy and rewards, not proposals.
REFUSED = {
    "receive_letter": ["outsider", "quality_specialist", "general_manager"],
    "accept": ["worker", "quality_specialist", "outsider", "general_manager"],
    "close": ["worker", "quality_specialist", "outsider", "general_manager"],
    "route": ["worker", "quality_specialist", "outsider", "general_manager"],
    "adopt": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "aftersales_manager",
    ],
    "not_adopt": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "aftersales_manager",
    ],
    "reserve": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "aftersales_manager",
    ],
    "extend_within_limit": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
    ],
    "extend_past_limit": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "cs_manager",
    ],
    "implemented": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "other_department_manager",
    ],
    "set_development": [
        "worker",
        "quality_specialist",
        "outsider",
        "general_manager",
        "specialist",
        "aftersales_manager",
    ],
}

# Who may: the same set-up goes through for them, so each refusal above is
# about the person, not the arguments.
ALLOWED = {
    "receive_letter": ["worker", "specialist"],
    "accept": ["specialist", "cs_manager", "aftersales_manager"],
    "close": ["specialist", "cs_manager"],
    "route": ["specialist", "cs_manager"],
    "adopt": ["cs_manager"],
    "not_adopt": ["cs_manager"],
    "reserve": ["cs_manager"],
    "extend_within_limit": ["cs_manager", "aftersales_manager"],
    "extend_past_limit": ["aftersales_manager"],
    "implemented": ["cs_manager", "aftersales_manager", "rd_manager"],
    "set_development": ["cs_manager"],
}


def persona(name, request, rd):
    if name == "rd_manager":
        return rd.manager
    return request.getfixturevalue(name)


@pytest.mark.parametrize(
    ("service", "who"), [(s, w) for s, people in REFUSED.items() for w in people]
)
def test_p4_p10_service_refuses_who_may_not_call_it(
    service, who, request, specialist, cs_manager, rd
):
    by = persona(who, request, rd)
    proposal, call = _prepare(service, specialist=specialist, cs_manager=cs_manager, rd=rd)
    before = state(proposal)

    with pytest.raises(PermissionDenied):
        call(by)

    assert state(proposal) == before


@pytest.mark.parametrize(
    ("service", "who"), [(s, w) for s, people in ALLOWED.items() for w in people]
)
def test_p4_p10_service_lets_its_roles_call_it(service, who, request, specialist, cs_manager, rd):
    by = persona(who, request, rd)
    proposal, call = _prepare(service, specialist=specialist, cs_manager=cs_manager, rd=rd)
    before = state(proposal)

    call(by)

    assert state(proposal) != before


def test_p4_p10_an_inactive_manager_is_refused(specialist, cs_manager, rd):
    proposal, call = _prepare("adopt", specialist=specialist, cs_manager=cs_manager, rd=rd)
    cs_manager.is_active = False
    cs_manager.save()
    before = state(proposal)

    with pytest.raises(PermissionDenied):
        call(cs_manager)

    assert state(proposal) == before


def test_p6_a_delegate_of_the_cs_manager_may_decide(specialist, cs_manager, rd, worker):
    delegated(delegator=cs_manager, delegate=worker, role=Role.CS_MANAGER, days=5)
    proposal, call = _prepare("not_adopt", specialist=specialist, cs_manager=cs_manager, rd=rd)

    # Fresh from the database: permissions are cached on the user object.
    call(type(worker).objects.get(pk=worker.pk))

    assert fresh(proposal).decided_by == worker
