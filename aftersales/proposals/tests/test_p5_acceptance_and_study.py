"""P5: the acceptance record, closing what is not a proposal, routing to the
relevant departments, and their written study opinions."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from aftersales.accounts.services import delegation_revoke
from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.roles import Role
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.models import (
    Category,
    CloseReason,
    Proposal,
    ProposalEvent,
    Status,
    StudyRequest,
)
from aftersales.proposals.tests.factories import (
    accepted,
    closed,
    delegated,
    fresh,
    make_department,
    make_proposal,
    policy_in_force_with,
    under_study,
)

pytestmark = pytest.mark.django_db


def state(proposal):
    """Everything a refused action must leave as it was."""
    p = fresh(proposal)
    return (
        p.status,
        p.version,
        p.close_reason,
        p.duplicate_of_id,
        p.events.count(),
        StudyRequest.objects.filter(proposal=p).count(),
        Message.objects.count(),
    )


# --- the acceptance record -------------------------------------------------


def test_p5_acceptance_record_says_who_when_category_and_summary(specialist):
    proposal = make_proposal()
    before = timezone.now()

    services.proposal_accept(
        proposal=proposal,
        by=specialist,
        category=Category.PRODUCT,
        summary="  增加夜间热线  ",
        seen_version=proposal.version,
    )

    record = fresh(proposal)
    assert record.status == Status.ACCEPTED
    assert record.accepted_by == specialist
    assert before <= record.accepted_at <= timezone.now()
    assert (record.category, record.summary) == (Category.PRODUCT, "增加夜间热线")
    assert record.version == proposal.version + 1
    event = record.events.get(kind=ProposalEvent.Kind.STATUS)
    assert (event.old_status, event.new_status, event.by) == ("received", "accepted", specialist)


@pytest.mark.parametrize(
    ("category", "summary", "code"),
    [
        ("", "摘要", "fields_required"),
        ("weather", "摘要", "invalid_category"),
        (Category.SERVICE, " ", "fields_required"),
    ],
)
def test_p5_acceptance_record_needs_a_known_category_and_a_summary(
    category, summary, code, specialist
):
    proposal = make_proposal()
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_accept(
            proposal=proposal,
            by=specialist,
            category=category,
            summary=summary,
            seen_version=proposal.version,
        )

    assert caught.value.code == code
    assert state(proposal) == before


# --- not a proposal ----------------------------------------------------------


@pytest.mark.parametrize("reason", [CloseReason.SPAM, CloseReason.MISDIRECTED])
@pytest.mark.parametrize("accept_first", [False, True])
def test_p5_spam_and_misdirected_are_closed_without_a_word_to_the_customer(
    reason, accept_first, specialist
):
    proposal = make_proposal()
    if accept_first:
        proposal = accepted(proposal, by=specialist)
    told = Message.objects.filter(customer=proposal.customer).count()

    services.proposal_close(
        proposal=proposal, by=specialist, reason=reason, seen_version=fresh(proposal).version
    )

    record = fresh(proposal)
    assert (record.status, record.close_reason, record.duplicate_of) == (
        Status.CLOSED,
        reason,
        None,
    )
    assert Message.objects.filter(customer=proposal.customer).count() == told


def test_p5_closing_for_another_reason_needs_a_note(specialist):
    proposal = make_proposal()
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_close(
            proposal=proposal, by=specialist, reason=CloseReason.OTHER, seen_version=1
        )

    assert caught.value.code == "note_required"
    assert state(proposal) == before
    services.proposal_close(
        proposal=proposal, by=specialist, reason=CloseReason.OTHER, note="测试邮件", seen_version=1
    )
    assert fresh(proposal).close_note == "测试邮件"


def test_p5_duplicate_is_linked_to_the_original_and_the_customer_told_its_reference(specialist):
    original = make_proposal()
    repeat = make_proposal()

    services.proposal_close(
        proposal=repeat,
        by=specialist,
        reason=CloseReason.DUPLICATE,
        duplicate_of=original,
        seen_version=repeat.version,
    )

    record = fresh(repeat)
    assert (record.status, record.duplicate_of) == (Status.CLOSED, original)
    notice = Message.objects.get(customer=repeat.customer, template="proposals/proposal_duplicate")
    assert original.reference in notice.body
    assert repeat.reference in notice.body
    assert notice.related == record


def test_p5_duplicate_of_a_duplicate_links_through_to_the_root_original(specialist):
    root, middle, last = make_proposal(), make_proposal(), make_proposal()
    services.proposal_close(
        proposal=middle,
        by=specialist,
        reason=CloseReason.DUPLICATE,
        duplicate_of=root,
        seen_version=middle.version,
    )

    services.proposal_close(
        proposal=last,
        by=specialist,
        reason=CloseReason.DUPLICATE,
        duplicate_of=fresh(middle),
        seen_version=last.version,
    )

    assert fresh(last).duplicate_of == root
    notice = Message.objects.get(customer=last.customer, template="proposals/proposal_duplicate")
    assert root.reference in notice.body
    assert middle.reference not in notice.body


def test_p5_duplicate_needs_the_original_and_cannot_repeat_itself(specialist):
    proposal = make_proposal()
    before = state(proposal)

    for duplicate_of, code in [(None, "duplicate_of_required"), (proposal, "duplicate_of_self")]:
        with pytest.raises(DomainError) as caught:
            services.proposal_close(
                proposal=proposal,
                by=specialist,
                reason=CloseReason.DUPLICATE,
                duplicate_of=duplicate_of,
                seen_version=proposal.version,
            )
        assert caught.value.code == code
    assert state(proposal) == before


def test_p5_duplicate_chain_leading_back_to_the_proposal_is_refused(specialist):
    # B repeats C; C is later found to repeat D, so B -> C -> D. Closing D as a
    # duplicate of B would make D a copy of itself.
    b, c, d = make_proposal(), make_proposal(), make_proposal()
    for proposal, original in [(b, c), (c, d)]:
        services.proposal_close(
            proposal=proposal,
            by=specialist,
            reason=CloseReason.DUPLICATE,
            duplicate_of=fresh(original),
            seen_version=fresh(proposal).version,
        )
    before = state(d)

    with pytest.raises(DomainError) as caught:
        services.proposal_close(
            proposal=d,
            by=specialist,
            reason=CloseReason.DUPLICATE,
            duplicate_of=fresh(b),
            seen_version=fresh(d).version,
        )

    assert caught.value.code == "duplicate_of_self"
    assert state(d) == before


# --- routing for study -------------------------------------------------------


def test_p5_routing_sends_to_each_department_with_the_policy_due_date(specialist, rd, qa):
    proposal = accepted(make_proposal(), by=specialist)

    requests = services.proposal_route(
        proposal=proposal, by=specialist, departments=[rd, qa], seen_version=proposal.version
    )

    # study_due_days defaults to 14.
    due = timezone.localdate() + timedelta(days=14)
    assert {(r.department, r.due_date, r.requested_by) for r in requests} == {
        (rd, due, specialist),
        (qa, due, specialist),
    }
    assert fresh(proposal).status == Status.UNDER_STUDY
    asked = Message.objects.filter(template="proposals/study_requested", related_id=proposal.pk)
    assert {m.user for m in asked} == {rd.manager, qa.manager}


def test_p5_default_due_date_follows_the_policy_in_force(specialist, rd, general_manager):
    policy_in_force_with(general_manager, study_due_days=5)
    proposal = accepted(make_proposal(), by=specialist)

    [request] = services.proposal_route(
        proposal=proposal, by=specialist, departments=[rd], seen_version=proposal.version
    )

    assert request.due_date == timezone.localdate() + timedelta(days=5)


def test_p5_a_given_due_date_is_kept_but_never_in_the_past(specialist, rd):
    proposal = accepted(make_proposal(), by=specialist)
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_route(
            proposal=proposal,
            by=specialist,
            departments=[rd],
            due_date=timezone.localdate() - timedelta(days=1),
            seen_version=proposal.version,
        )
    assert caught.value.code == "due_in_past"
    assert state(proposal) == before

    due = timezone.localdate() + timedelta(days=3)
    [request] = services.proposal_route(
        proposal=proposal,
        by=specialist,
        departments=[rd],
        due_date=due,
        seen_version=proposal.version,
    )
    assert request.due_date == due


def test_p5_departments_can_be_added_while_the_study_runs(specialist, rd, qa):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    services.proposal_route(
        proposal=proposal, by=specialist, departments=[rd, qa], seen_version=proposal.version
    )

    assert {s.department for s in proposal.study_requests.all()} == {rd, qa}
    with pytest.raises(DomainError) as caught:
        services.proposal_route(
            proposal=proposal, by=specialist, departments=[qa], seen_version=fresh(proposal).version
        )
    assert caught.value.code == "already_routed"


def test_p5_a_department_named_twice_is_asked_once(specialist, rd):
    proposal = accepted(make_proposal(), by=specialist)

    services.proposal_route(
        proposal=proposal, by=specialist, departments=[rd, rd], seen_version=proposal.version
    )

    assert proposal.study_requests.count() == 1


@pytest.mark.parametrize("fault", ["no_manager", "inactive"])
def test_p5_department_without_a_manager_is_refused_and_nothing_routed(fault, specialist, rd):
    lacking = make_department(manager=None if fault == "no_manager" else specialist)
    if fault == "inactive":
        lacking.active = False
        lacking.save()
    proposal = accepted(make_proposal(), by=specialist)
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_route(
            proposal=proposal,
            by=specialist,
            departments=[rd, lacking],
            seen_version=proposal.version,
        )

    assert caught.value.code == "department_without_manager"
    assert str(lacking) in caught.value.message
    assert state(proposal) == before


def test_p5_routing_needs_a_department(specialist):
    proposal = accepted(make_proposal(), by=specialist)

    with pytest.raises(DomainError) as caught:
        services.proposal_route(
            proposal=proposal, by=specialist, departments=[], seen_version=proposal.version
        )

    assert caught.value.code == "departments_required"


def test_p5_a_proposal_not_yet_accepted_cannot_be_routed(specialist, rd):
    proposal = make_proposal()
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        services.proposal_route(
            proposal=proposal, by=specialist, departments=[rd], seen_version=proposal.version
        )

    assert caught.value.code == "transition_forbidden"
    assert state(proposal) == before


# --- study opinions ----------------------------------------------------------


def submit(study, by, opinion="可行。"):
    return services.study_opinion_submit(
        study=study, by=by, opinion=opinion, seen_version=fresh(study.proposal).version
    )


def test_p5_the_department_manager_writes_the_study_opinion(specialist, rd):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()
    version = fresh(proposal).version

    submit(study, rd.manager, "  可行，建议三个月内实施。 ")

    study.refresh_from_db()
    assert (study.opinion, study.opinion_by) == ("可行，建议三个月内实施。", rd.manager)
    assert study.is_answered
    assert proposal.events.filter(kind=ProposalEvent.Kind.OPINION, by=rd.manager).count() == 1
    # The opinion moves the proposal's version: a decision drafted before it is stale.
    assert fresh(proposal).version == version + 1


def test_p5_an_active_delegate_of_the_manager_writes_the_study_opinion(specialist, rd, make_staff):
    deputy = make_staff("deputy", Role.SERVICE_WORKER)
    delegated(delegator=rd.manager, delegate=deputy, role=Role.DEPARTMENT_MANAGER)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    submit(proposal.study_requests.get(), deputy)

    assert proposal.study_requests.get().opinion_by == deputy


@pytest.mark.parametrize("delegation", ["revoked", "not_started"])
def test_p5_a_delegate_whose_delegation_is_not_active_is_refused(
    delegation, specialist, rd, make_staff
):
    deputy = make_staff("deputy", Role.SERVICE_WORKER)
    today = timezone.localdate()
    starts = today if delegation == "revoked" else today + timedelta(days=1)
    given = delegated(
        delegator=rd.manager, delegate=deputy, role=Role.DEPARTMENT_MANAGER, starts_on=starts
    )
    if delegation == "revoked":
        delegation_revoke(delegation=given, by=rd.manager)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()

    with pytest.raises(PermissionDenied):
        submit(study, deputy)

    assert not fresh(proposal).study_requests.get().is_answered


@pytest.mark.parametrize(
    "persona",
    [
        "specialist",
        "cs_manager",
        "aftersales_manager",
        "general_manager",
        "other_manager",
        "outsider",
    ],
)
def test_p5_anyone_else_is_refused_the_study_opinion(persona, specialist, rd, qa, request):
    by = qa.manager if persona == "other_manager" else request.getfixturevalue(persona)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()
    before = state(proposal)

    with pytest.raises(PermissionDenied):
        submit(study, by)

    assert state(proposal) == before
    assert not proposal.study_requests.get().is_answered


def test_p5_a_department_gives_its_opinion_once(specialist, rd):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()
    submit(study, rd.manager, "第一次意见")

    with pytest.raises(ConflictError) as caught:
        submit(study, rd.manager, "第二次意见")

    assert caught.value.code == "opinion_given"
    assert proposal.study_requests.get().opinion == "第一次意见"


def test_p5_an_empty_opinion_is_refused(specialist, rd):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    with pytest.raises(DomainError) as caught:
        submit(proposal.study_requests.get(), rd.manager, "  ")

    assert caught.value.code == "fields_required"


@pytest.mark.parametrize("decision", ["adopt", "not_adopt", "reserve"])
def test_p5_no_decision_while_a_study_opinion_is_missing(decision, specialist, rd, qa, cs_manager):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd, qa])
    submit(proposal.study_requests.get(department=rd), rd.manager)
    before = state(proposal)
    proposal = fresh(proposal)
    today = timezone.localdate()
    act = {
        "adopt": lambda: services.proposal_adopt(
            proposal=proposal,
            by=cs_manager,
            implementing_department=rd,
            planned_date=today + timedelta(days=10),
            measures="措施",
            seen_version=proposal.version,
        ),
        "not_adopt": lambda: services.proposal_not_adopt(
            proposal=proposal, by=cs_manager, note="不采用", seen_version=proposal.version
        ),
        "reserve": lambda: services.proposal_reserve(
            proposal=proposal,
            by=cs_manager,
            reason="再研究",
            decide_by=today + timedelta(days=10),
            seen_version=proposal.version,
        ),
    }[decision]

    with pytest.raises(DomainError) as caught:
        act()

    assert caught.value.code == "study_pending"
    assert str(qa) in caught.value.message
    assert str(rd) not in caught.value.message
    assert state(proposal) == before
    assert Proposal.objects.get(pk=proposal.pk).decided_at is None


def test_p5_closed_proposals_are_not_routed(specialist, rd):
    proposal = closed(make_proposal(), by=specialist)

    with pytest.raises(DomainError):
        services.proposal_route(
            proposal=proposal, by=specialist, departments=[rd], seen_version=fresh(proposal).version
        )
