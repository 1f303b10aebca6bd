"""P6-P9: the three decisions and their notices to the customer, the workflow
table that allows them, reserves and their limit, implementation."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.policy.services import policy_in_force
from aftersales.proposals import services
from aftersales.proposals.models import (
    TRANSITIONS,
    Category,
    CloseReason,
    ProposalEvent,
    ReserveExtension,
    Status,
)
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    closed,
    fresh,
    implemented,
    make_proposal,
    not_adopted,
    policy_in_force_with,
    reserved,
    studied,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def state(proposal):
    p = fresh(proposal)
    return (
        p.status,
        p.version,
        p.decided_at,
        p.decide_by,
        p.events.count(),
        p.reserve_extensions.count(),
        Message.objects.filter(customer=p.customer).count(),
    )


def zh_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def notice(proposal, template):
    return Message.objects.get(customer=proposal.customer, template=template)


# --- the transition table (P6, STYLE rule 2) --------------------------------


def test_p6_the_workflow_table_is_the_regulations():
    regulation = {
        Status.RECEIVED: {Status.ACCEPTED, Status.CLOSED},
        Status.ACCEPTED: {Status.UNDER_STUDY, Status.CLOSED},
        # P6: three ways to decide.
        Status.UNDER_STUDY: {Status.ADOPTED, Status.NOT_ADOPTED, Status.RESERVED},
        # P9: a reserve is decided later, one way or the other.
        Status.RESERVED: {Status.ADOPTED, Status.NOT_ADOPTED},
        # P7: an adopted proposal is implemented.
        Status.ADOPTED: {Status.IMPLEMENTED},
        Status.NOT_ADOPTED: set(),
        Status.IMPLEMENTED: set(),
        Status.CLOSED: set(),
    }
    assert regulation == TRANSITIONS


def _build(status, *, specialist, decider, rd):
    """A proposal in ``status``, made by the real workflow."""
    proposal = make_proposal()
    kw = {"by": specialist, "departments": [rd]}
    return {
        Status.RECEIVED: lambda: proposal,
        Status.ACCEPTED: lambda: accepted(proposal, by=specialist),
        Status.UNDER_STUDY: lambda: studied(proposal, **kw),
        Status.RESERVED: lambda: reserved(proposal, decider=decider, **kw),
        Status.ADOPTED: lambda: adopted(proposal, decider=decider, **kw),
        Status.NOT_ADOPTED: lambda: not_adopted(proposal, decider=decider, **kw),
        Status.IMPLEMENTED: lambda: implemented(proposal, decider=decider, **kw),
        Status.CLOSED: lambda: closed(proposal, by=specialist),
    }[status]()


# Each action and the status it moves a proposal to.
ACTIONS = {
    "accept": Status.ACCEPTED,
    "close": Status.CLOSED,
    "route": Status.UNDER_STUDY,
    "adopt": Status.ADOPTED,
    "not_adopt": Status.NOT_ADOPTED,
    "reserve": Status.RESERVED,
    "implemented": Status.IMPLEMENTED,
}


def _act(action, proposal, *, specialist, decider, other_department):
    p = fresh(proposal)
    v = p.version
    later = TODAY() + timedelta(days=20)
    return {
        "accept": lambda: services.proposal_accept(
            proposal=p, by=specialist, category=Category.OTHER, summary="摘要", seen_version=v
        ),
        "close": lambda: services.proposal_close(
            proposal=p, by=specialist, reason=CloseReason.SPAM, seen_version=v
        ),
        # Routing to a department not yet asked: the only refusal left is the status.
        "route": lambda: services.proposal_route(
            proposal=p, by=specialist, departments=[other_department], seen_version=v
        ),
        "adopt": lambda: services.proposal_adopt(
            proposal=p,
            by=decider,
            implementing_department=other_department,
            planned_date=later,
            measures="措施",
            seen_version=v,
        ),
        "not_adopt": lambda: services.proposal_not_adopt(
            proposal=p, by=decider, note="理由", seen_version=v
        ),
        "reserve": lambda: services.proposal_reserve(
            proposal=p, by=decider, reason="理由", decide_by=later, seen_version=v
        ),
        "implemented": lambda: services.proposal_implemented(
            proposal=p, by=decider, seen_version=v
        ),
    }[action]()


FORBIDDEN = [
    (status, action)
    for status in Status.values
    for action, target in ACTIONS.items()
    if target not in TRANSITIONS[status]
    # Routing more departments while the study runs is allowed (P5).
    and not (status == Status.UNDER_STUDY and action == "route")
]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_p6_every_move_the_table_forbids_is_refused_and_nothing_changes(
    status, action, specialist, cs_manager, rd, qa
):
    proposal = _build(status, specialist=specialist, decider=cs_manager, rd=rd)
    assert fresh(proposal).status == status
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        _act(action, proposal, specialist=specialist, decider=cs_manager, other_department=qa)

    assert caught.value.code == "transition_forbidden"
    assert caught.value.status == 409
    assert state(proposal) == before


ALLOWED = [
    (status, action)
    for status in Status.values
    for action, target in ACTIONS.items()
    if target in TRANSITIONS[status]
]


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_p6_every_move_the_table_allows_is_made_and_logged(
    status, action, specialist, cs_manager, rd, qa
):
    proposal = _build(status, specialist=specialist, decider=cs_manager, rd=rd)

    _act(action, proposal, specialist=specialist, decider=cs_manager, other_department=qa)

    after = fresh(proposal)
    if action == "route":
        assert after.status == Status.UNDER_STUDY
    else:
        assert after.status == ACTIONS[action]
        last = after.events.filter(kind=ProposalEvent.Kind.STATUS).last()
        assert (last.old_status, last.new_status) == (status, ACTIONS[action])


def test_p6_a_proposal_is_decided_once(specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    for action in ("adopt", "not_adopt", "reserve"):
        with pytest.raises(DomainError) as caught:
            _act(action, proposal, specialist=specialist, decider=cs_manager, other_department=rd)
        assert caught.value.code == "transition_forbidden"

    assert state(proposal) == before
    assert (
        Message.objects.filter(
            customer=proposal.customer, template="proposals/proposal_adopted"
        ).count()
        == 1
    )


# --- P7: adopt ---------------------------------------------------------------


def test_p7_adoption_records_department_date_measures_and_tells_the_customer(
    specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    planned = TODAY() + timedelta(days=45)

    services.proposal_adopt(
        proposal=proposal,
        by=cs_manager,
        implementing_department=rd,
        planned_date=planned,
        measures="周末增设售后热线。",
        note="感谢建议",
        seen_version=proposal.version,
    )

    record = fresh(proposal)
    assert record.status == Status.ADOPTED
    assert (record.implementing_department, record.planned_implementation_date) == (rd, planned)
    assert record.improvement_measures == "周末增设售后热线。"
    assert record.decided_by == cs_manager and record.decided_at is not None
    body = notice(record, "proposals/proposal_adopted").body
    assert zh_date(planned) in body
    assert "周末增设售后热线。" in body
    assert "研发部" in body
    assert record.reference in body


def test_p7_adoption_notice_in_english_states_time_and_measures(specialist, cs_manager, rd):
    proposal = make_proposal(customer=make_customer(preferred_language="en"))
    proposal = studied(proposal, by=specialist, departments=[rd])
    planned = TODAY() + timedelta(days=10)

    services.proposal_adopt(
        proposal=proposal,
        by=cs_manager,
        implementing_department=rd,
        planned_date=planned,
        measures="A weekend hotline.",
        seen_version=proposal.version,
    )

    body = notice(proposal, "proposals/proposal_adopted").body
    assert f"{planned.day} {planned:%B} {planned.year}" in body
    assert "A weekend hotline." in body
    assert rd.name_en in body


@pytest.mark.parametrize("missing", ["implementing_department", "planned_date", "measures"])
def test_p7_adoption_needs_department_planned_date_and_measures(
    missing, specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = state(proposal)
    given = {
        "implementing_department": rd,
        "planned_date": TODAY() + timedelta(days=5),
        "measures": "措施",
    } | {missing: "" if missing == "measures" else None}

    with pytest.raises(DomainError) as caught:
        services.proposal_adopt(
            proposal=proposal, by=cs_manager, seen_version=proposal.version, **given
        )

    assert caught.value.code == "fields_required"
    assert set(caught.value.fields) == {missing}
    assert state(proposal) == before


def test_p7_planned_date_cannot_be_in_the_past(specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_adopt(
            proposal=proposal,
            by=cs_manager,
            implementing_department=rd,
            planned_date=TODAY() - timedelta(days=1),
            measures="措施",
            seen_version=proposal.version,
        )

    assert caught.value.code == "planned_in_past"
    assert state(proposal) == before


def test_p7_implementation_done_is_recorded_and_the_customer_told(specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    services.proposal_implemented(
        proposal=proposal, by=rd.manager, note="已于本周上线。", seen_version=proposal.version
    )

    record = fresh(proposal)
    assert record.status == Status.IMPLEMENTED
    assert record.implemented_by == rd.manager and record.implemented_at is not None
    body = notice(record, "proposals/proposal_implemented").body
    assert "退货审批由三级改为一级。" in body
    assert "已于本周上线。" in body


def test_p7_only_the_implementing_departments_manager_or_a_decider_records_it(
    specialist, cs_manager, rd, qa
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    with pytest.raises(PermissionDenied):
        services.proposal_implemented(
            proposal=proposal, by=qa.manager, seen_version=proposal.version
        )

    assert state(proposal) == before


# --- P8: not adopt -----------------------------------------------------------


def test_p8_not_adopted_customer_is_told_why_and_thanked(specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    services.proposal_not_adopt(
        proposal=proposal, by=cs_manager, note="成本过高。", seen_version=proposal.version
    )

    record = fresh(proposal)
    assert (record.status, record.decision_note, record.decided_by) == (
        Status.NOT_ADOPTED,
        "成本过高。",
        cs_manager,
    )
    body = notice(record, "proposals/proposal_not_adopted").body
    assert "成本过高。" in body
    assert "感谢" in body


def test_p8_english_notice_thanks_the_customer(specialist, cs_manager, rd):
    proposal = make_proposal(customer=make_customer(preferred_language="en"))
    proposal = studied(proposal, by=specialist, departments=[rd])

    services.proposal_not_adopt(
        proposal=proposal, by=cs_manager, note="Too costly.", seen_version=proposal.version
    )

    body = notice(proposal, "proposals/proposal_not_adopted").body
    assert "thank" in body.lower()
    assert "Too costly." in body


def test_p8_not_adopting_needs_a_note(specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_not_adopt(
            proposal=proposal, by=cs_manager, note=" ", seen_version=proposal.version
        )

    assert caught.value.code == "fields_required"
    assert state(proposal) == before


# --- P9: reserve -------------------------------------------------------------


def reserve(proposal, by, *, decide_by, reason="需要评估成本。"):
    return services.proposal_reserve(
        proposal=proposal,
        by=by,
        reason=reason,
        decide_by=decide_by,
        seen_version=fresh(proposal).version,
    )


def extend(proposal, by, *, decide_by, reason="供应商报价未到。"):
    return services.proposal_reserve_extend(
        proposal=proposal,
        by=by,
        decide_by=decide_by,
        reason=reason,
        seen_version=fresh(proposal).version,
    )


def test_p9_reserve_records_reason_and_date_and_tells_the_customer(specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    decide_by = TODAY() + timedelta(days=40)

    reserve(proposal, cs_manager, decide_by=decide_by, reason="需要与供应商协商。")

    record = fresh(proposal)
    assert record.status == Status.RESERVED
    assert (record.reserve_reason, record.reserved_on, record.decide_by) == (
        "需要与供应商协商。",
        TODAY(),
        decide_by,
    )
    assert record.reserve_policy == policy_in_force()
    body = notice(record, "proposals/proposal_reserved").body
    assert "需要与供应商协商。" in body
    assert zh_date(decide_by) in body


@pytest.mark.parametrize(
    ("reason", "days", "code"),
    [
        ("", 10, "fields_required"),
        ("原因", None, "fields_required"),
        ("原因", 0, "decide_by_in_past"),
        ("原因", -3, "decide_by_in_past"),
        # reserve_max_days defaults to 60 (P9: normally at most 2 months).
        ("原因", 61, "p9_reserve_too_long"),
    ],
)
def test_p9_reserve_needs_a_reason_and_a_date_within_the_limit(
    reason, days, code, specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        reserve(
            proposal,
            cs_manager,
            reason=reason,
            decide_by=None if days is None else TODAY() + timedelta(days=days),
        )

    assert caught.value.code == code
    assert state(proposal) == before


def test_p9_reserve_up_to_the_limit_is_allowed(specialist, cs_manager, rd):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    reserve(proposal, cs_manager, decide_by=TODAY() + timedelta(days=60))

    assert fresh(proposal).status == Status.RESERVED


def test_p9_the_limit_comes_from_the_policy_in_force_on_the_reserve_date(
    specialist, cs_manager, rd, general_manager
):
    policy_in_force_with(general_manager, reserve_max_days=30)
    proposal = studied(make_proposal(), by=specialist, departments=[rd])

    with pytest.raises(DomainError) as caught:
        reserve(proposal, cs_manager, decide_by=TODAY() + timedelta(days=31))
    assert caught.value.code == "p9_reserve_too_long"

    reserve(proposal, cs_manager, decide_by=TODAY() + timedelta(days=30))
    assert fresh(proposal).reserve_policy.value("reserve_max_days") == 30


@pytest.mark.parametrize("effective_in_days", [0, 1])
def test_p9_a_later_policy_leaves_existing_reserves_limit_alone(
    effective_in_days, specialist, cs_manager, rd, general_manager
):
    proposal = reserved(
        make_proposal(),
        by=specialist,
        decider=cs_manager,
        departments=[rd],
        decide_by=TODAY() + timedelta(days=20),
    )
    policy_in_force_with(
        general_manager,
        effective_from=TODAY() + timedelta(days=effective_in_days),
        reserve_max_days=30,
    )

    # Still 60 days from the reserve date, under the version stored with it.
    record = fresh(proposal)
    limit, _version = services.reserve_limit(record.reserved_on, record.reserve_policy)
    assert limit == TODAY() + timedelta(days=60)
    extend(proposal, cs_manager, decide_by=TODAY() + timedelta(days=60))
    assert fresh(proposal).decide_by == TODAY() + timedelta(days=60)


def test_p9_cs_manager_extends_within_the_limit(specialist, cs_manager, rd):
    proposal = reserved(
        make_proposal(),
        by=specialist,
        decider=cs_manager,
        departments=[rd],
        decide_by=TODAY() + timedelta(days=20),
    )
    new = TODAY() + timedelta(days=50)

    extension = extend(proposal, cs_manager, decide_by=new, reason="等待检测报告。")

    record = fresh(proposal)
    assert record.decide_by == new
    assert (extension.old_decide_by, extension.new_decide_by) == (TODAY() + timedelta(days=20), new)
    assert (extension.approved_by, extension.reason) == (cs_manager, "等待检测报告。")
    event = record.events.get(kind=ProposalEvent.Kind.RESERVE_EXTENDED)
    assert event.data["past_limit"] is False
    body = notice(record, "proposals/proposal_reserve_extended").body
    assert zh_date(new) in body and "等待检测报告。" in body


def test_p9_cs_manager_cannot_extend_past_the_limit(specialist, cs_manager, rd):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    with pytest.raises(PermissionDenied):
        extend(proposal, cs_manager, decide_by=TODAY() + timedelta(days=61))

    assert state(proposal) == before
    assert not ReserveExtension.objects.exists()


def test_p9_past_the_limit_only_with_the_aftersales_managers_recorded_approval(
    specialist, cs_manager, aftersales_manager, rd
):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    new = TODAY() + timedelta(days=90)

    extend(proposal, aftersales_manager, decide_by=new, reason="需总部审批，预计三个月。")

    record = fresh(proposal)
    assert record.decide_by == new
    extension = ReserveExtension.objects.get(proposal=record)
    assert extension.approved_by == aftersales_manager
    assert extension.reason == "需总部审批，预计三个月。"
    assert extension.approved_at is not None
    event = record.events.get(kind=ProposalEvent.Kind.RESERVE_EXTENDED)
    assert (event.by, event.data["past_limit"]) == (aftersales_manager, True)


def test_p9_aftersales_manager_may_also_extend_within_the_limit(
    specialist, cs_manager, aftersales_manager, rd
):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    extend(proposal, aftersales_manager, decide_by=TODAY() + timedelta(days=45))

    assert fresh(proposal).decide_by == TODAY() + timedelta(days=45)


@pytest.mark.parametrize(
    ("days", "reason", "code"),
    [
        (30, "原因", "decide_by_not_later"),
        (10, "原因", "decide_by_not_later"),
        (40, " ", "fields_required"),
    ],
)
def test_p9_extension_needs_a_later_date_and_a_reason(
    days, reason, code, specialist, cs_manager, rd
):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        extend(proposal, cs_manager, decide_by=TODAY() + timedelta(days=days), reason=reason)

    assert caught.value.code == code
    assert state(proposal) == before


def test_p9_only_a_reserved_proposal_is_extended(specialist, cs_manager, rd):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        extend(proposal, cs_manager, decide_by=TODAY() + timedelta(days=10))

    assert caught.value.code == "not_reserved"
    assert state(proposal) == before


def test_p9_a_reserved_proposal_is_later_adopted(specialist, cs_manager, rd):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    planned = TODAY() + timedelta(days=15)

    services.proposal_adopt(
        proposal=proposal,
        by=cs_manager,
        implementing_department=rd,
        planned_date=planned,
        measures="下季度实施。",
        seen_version=proposal.version,
    )

    record = fresh(proposal)
    assert record.status == Status.ADOPTED
    assert zh_date(planned) in notice(record, "proposals/proposal_adopted").body
    last = record.events.filter(kind=ProposalEvent.Kind.STATUS).last()
    assert (last.old_status, last.new_status) == (Status.RESERVED, Status.ADOPTED)


def test_p9_a_reserved_proposal_is_later_not_adopted(specialist, cs_manager, rd):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    services.proposal_not_adopt(
        proposal=proposal, by=cs_manager, note="研究后不可行。", seen_version=proposal.version
    )

    record = fresh(proposal)
    assert record.status == Status.NOT_ADOPTED
    assert "研究后不可行。" in notice(record, "proposals/proposal_not_adopted").body


# --- no decision notice without its content (P7, P8, P9) ----------------------

FULL_CONTEXT = {
    "planned_date": TODAY(),
    "measures": "措施",
    "department": "研发部",
    "reason": "原因",
    "decide_by": TODAY(),
    "original_reference": "P-2025-000001",
    "note": "说明",
    "done_date": TODAY(),
}
REQUIRED = [
    (template, key) for template, keys in services.REQUIRED_NOTICE_CONTENT.items() for key in keys
]


@pytest.mark.parametrize(("template", "key"), REQUIRED)
@pytest.mark.parametrize("empty", [None, ""])
def test_p7_p9_no_decision_notice_without_the_content_its_article_requires(template, key, empty):
    proposal = make_proposal()
    before = Message.objects.count()

    with pytest.raises(DomainError) as caught:
        services.common._notice(template, proposal, FULL_CONTEXT | {key: empty})

    assert caught.value.code == "notice_incomplete"
    assert key in caught.value.message
    assert Message.objects.count() == before


def test_p7_the_requirements_name_each_decision_notice():
    required = services.REQUIRED_NOTICE_CONTENT
    assert set(required["proposals/proposal_adopted"]) >= {"planned_date", "measures"}
    assert set(required["proposals/proposal_reserved"]) >= {"reason", "decide_by"}
    assert set(required["proposals/proposal_reserve_extended"]) >= {"reason", "decide_by"}


@pytest.mark.parametrize("template", list(services.REQUIRED_NOTICE_CONTENT))
def test_p7_p9_a_complete_notice_is_written(template):
    proposal = make_proposal()

    message = services.common._notice(template, proposal, FULL_CONTEXT)

    assert message.template == template
    assert proposal.reference in message.body
