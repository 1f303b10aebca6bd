"""'My work' lists the proposals waiting on the user, and only those."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from aftersales.core.roles import Role
from aftersales.proposals.actions import can_write_opinion
from aftersales.proposals.models import Evaluation, InboundMail, Proposal
from aftersales.proposals.services import rewards
from aftersales.proposals.tests.factories import (
    adopted,
    fresh,
    make_department,
    make_proposal,
    reserved,
    studied,
    under_study,
)
from aftersales.proposals.work import LIMIT, proposals_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def specialist(make_staff):
    return make_staff("spec", Role.AFTERSALES_SPECIALIST)


def labels(section):
    return [item["label"] for item in (section or {}).get("items", [])]


def test_p5_department_manager_sees_the_study_waiting_on_them(make_staff, specialist):
    manager = make_staff("rdmgr", Role.DEPARTMENT_MANAGER)
    other_manager = make_staff("othermgr", Role.DEPARTMENT_MANAGER)
    rd = make_department(manager=manager)
    make_department(manager=other_manager)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    assert proposal.reference in " ".join(labels(proposals_work(manager)))
    assert proposals_work(other_manager) is None


def test_p5_a_delegate_sees_the_managers_study(make_staff, specialist):
    from datetime import timedelta

    from django.utils import timezone

    from aftersales.accounts.services import delegation_create

    manager = make_staff("rdmgr", Role.DEPARTMENT_MANAGER)
    deputy = make_staff("deputy")
    rd = make_department(manager=manager)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    today = timezone.localdate()
    delegation_create(
        by=manager,
        delegator=manager,
        delegate=deputy,
        role=Role.DEPARTMENT_MANAGER,
        starts_on=today,
        ends_on=today + timedelta(days=7),
        reason="出差",
    )
    assert proposal.reference in " ".join(labels(proposals_work(deputy)))


def test_p4_new_proposals_wait_on_intake_staff_not_on_others(specialist, worker):
    proposal = make_proposal()
    assert proposal.reference in " ".join(labels(proposals_work(specialist)))
    assert proposals_work(worker) is None


def test_p6_cs_manager_sees_proposals_whose_study_is_complete(make_staff, specialist, cs_manager):
    rd = make_department(manager=make_staff("rdmgr", Role.DEPARTMENT_MANAGER))
    waiting = under_study(make_proposal(), by=specialist, departments=[rd])
    ready = studied(make_proposal(), by=specialist, departments=[rd])

    shown = " ".join(labels(proposals_work(cs_manager)))
    assert ready.reference in shown
    assert waiting.reference not in shown


def test_my_work_page_links_to_the_proposal(client_for, specialist):
    proposal = make_proposal()
    page = client_for(specialist).get(reverse("core:my_work")).content.decode()
    assert reverse("proposals:detail", args=[proposal.pk]) in page


# --- helpers for the items added later --------------------------------------------


def entries(user) -> list[tuple[str, str]]:
    """(label, note) of each item, notes in English whatever the test's language."""
    with translation.override("en"):
        section = proposals_work(user)
    return [(item["label"], item["note"]) for item in (section or {}).get("items", [])]


def notes_for(user, proposal) -> list[str]:
    return [note for label, note in entries(user) if label.startswith(f"{proposal.reference} ")]


@pytest.fixture
def rd_manager(make_staff):
    return make_staff("rdmgr", Role.DEPARTMENT_MANAGER)


@pytest.fixture
def rd(rd_manager):
    return make_department(manager=rd_manager)


@pytest.fixture
def adopted_proposal(specialist, cs_manager, rd):
    return adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])


def open_evaluation(proposal, by) -> Evaluation:
    return rewards.evaluation_open(proposal=proposal, by=by, seen_version=fresh(proposal).version)


def graded_evaluation(proposal, *, by, committee, points: str) -> Evaluation:
    evaluation = open_evaluation(proposal, by)
    for member in committee:
        rewards.score_submit(
            evaluation=evaluation, by=member, creativity=points, feasibility=points, benefit=points
        )
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    assert evaluation.status == Evaluation.Status.GRADED
    return evaluation


# --- P5: only a managing role's delegate writes the opinion ------------------------


def test_p5_a_delegate_of_a_non_managing_role_does_not_see_the_study(make_staff, specialist):
    from aftersales.accounts.services import delegation_create

    # The R&D manager is also the general manager, and hands on only that role.
    manager = make_staff("rdmgr", Role.DEPARTMENT_MANAGER, Role.GENERAL_MANAGER)
    deputy = make_staff("deputy")
    rd = make_department(manager=manager)
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    today = timezone.localdate()
    delegation_create(
        by=manager,
        delegator=manager,
        delegate=deputy,
        role=Role.GENERAL_MANAGER,
        starts_on=today,
        ends_on=today + timedelta(days=7),
        reason="出差",
    )

    assert proposal.reference not in " ".join(labels(proposals_work(deputy)))
    # The same rule as the service that takes the opinion.
    assert not can_write_opinion(deputy, proposal.study_requests.get())


# --- P7: adopted proposals waiting for implementation ------------------------------


def test_p7_an_adopted_proposal_waits_on_the_implementing_manager_and_the_deciders(
    adopted_proposal, rd_manager, cs_manager, make_staff, worker
):
    other_manager = make_staff("othermgr", Role.DEPARTMENT_MANAGER)
    make_department(manager=other_manager)
    planned = fresh(adopted_proposal).planned_implementation_date
    expected = f"To implement by {planned.isoformat()} (P7)"

    assert notes_for(rd_manager, adopted_proposal) == [expected]
    assert expected in notes_for(cs_manager, adopted_proposal)
    assert notes_for(other_manager, adopted_proposal) == []
    assert proposals_work(worker) is None


def test_p7_an_overdue_implementation_is_flagged_in_the_note(adopted_proposal, rd_manager):
    yesterday = timezone.localdate() - timedelta(days=1)
    Proposal.objects.filter(pk=adopted_proposal.pk).update(planned_implementation_date=yesterday)

    [note] = notes_for(rd_manager, adopted_proposal)
    assert note.startswith("Overdue")
    assert yesterday.isoformat() in note


def test_p7_an_implemented_proposal_no_longer_waits_for_implementation(
    adopted_proposal, rd_manager, cs_manager
):
    from aftersales.proposals.services import proposal_implemented

    proposal_implemented(
        proposal=adopted_proposal, by=rd_manager, seen_version=fresh(adopted_proposal).version
    )
    assert notes_for(rd_manager, adopted_proposal) == []


# --- P9: reserves past their decide-by date ----------------------------------------


def test_p9_a_reserve_past_its_decide_by_date_waits_on_who_extends_reserves(
    specialist, cs_manager, aftersales_manager, rd, worker
):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    assert not any("(P9)" in note for note in notes_for(aftersales_manager, proposal))

    yesterday = timezone.localdate() - timedelta(days=1)
    Proposal.objects.filter(pk=proposal.pk).update(decide_by=yesterday)

    assert f"Reserve past its decide-by date (P9): {yesterday.isoformat()}" in notes_for(
        aftersales_manager, proposal
    )
    # The customer service manager decides it (listed as such), but does not extend reserves.
    assert not any("(P9)" in note for note in notes_for(cs_manager, proposal))
    assert notes_for(worker, proposal) == []


# --- P11: evaluations to open, to approve, to pay ----------------------------------


@pytest.fixture
def committee(general_manager, aftersales_manager, rd_manager):
    return [general_manager, aftersales_manager, rd_manager]


def test_p11_an_adopted_proposal_without_evaluation_waits_to_be_opened(
    adopted_proposal, cs_manager, aftersales_manager, rd_manager, general_manager, committee
):
    note = "To open committee scoring (P11)"
    assert note in notes_for(cs_manager, adopted_proposal)
    assert note in notes_for(aftersales_manager, adopted_proposal)
    assert note not in notes_for(rd_manager, adopted_proposal)
    assert note not in notes_for(general_manager, adopted_proposal)

    open_evaluation(adopted_proposal, cs_manager)

    assert note not in notes_for(cs_manager, adopted_proposal)


def test_p11_a_reward_below_every_grade_is_not_offered_for_approval(
    specialist, cs_manager, rd, general_manager, committee
):
    low = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    high = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    ungradeable = graded_evaluation(low, by=cs_manager, committee=committee, points="1")
    assert (ungradeable.grade, ungradeable.amount) == ("", 0)
    graded_evaluation(high, by=cs_manager, committee=committee, points="9")

    assert "Reward to approve" not in notes_for(general_manager, low)
    assert "Reward to approve" in notes_for(general_manager, high)


def test_p11_an_approved_reward_waits_on_who_manages_evaluations_for_payment(
    adopted_proposal, cs_manager, aftersales_manager, general_manager, rd_manager, committee
):
    evaluation = graded_evaluation(adopted_proposal, by=cs_manager, committee=committee, points="9")
    note = "Approved reward to pay: 2000.00 CNY (P11)"
    assert note not in notes_for(cs_manager, adopted_proposal)

    rewards.reward_approve(
        evaluation=evaluation, by=general_manager, seen_version=evaluation.version
    )

    assert note in notes_for(cs_manager, adopted_proposal)
    assert note in notes_for(aftersales_manager, adopted_proposal)
    assert note not in notes_for(general_manager, adopted_proposal)
    assert note not in notes_for(rd_manager, adopted_proposal)
    assert "Reward to approve" not in notes_for(general_manager, adopted_proposal)


# --- P4: quarantined mail --------------------------------------------------------


def inbound(n: int, outcome: str) -> InboundMail:
    return InboundMail.objects.create(
        dedupe_key=f"<work{n}@example.com>",
        message_id=f"<work{n}@example.com>",
        source=InboundMail.Source.IMAP,
        raw=f"mail/2026/01/work{n}.eml",
        size=100,
        mail_from="客户 <c@example.com>",
        subject=f"关于保修的建议 {n}",
        outcome=outcome,
        error="cannot decode" if outcome == InboundMail.Outcome.QUARANTINED else "",
    )


def test_p4_quarantined_mail_waits_on_who_handles_inbound_mail(
    specialist, administrator, worker, cs_manager, general_manager
):
    stuck = inbound(1, InboundMail.Outcome.QUARANTINED)
    inbound(2, InboundMail.Outcome.CREATED)
    url = reverse("proposals:mail_detail", args=[stuck.pk])

    for person in (specialist, administrator, cs_manager):
        with translation.override("en"):
            items = proposals_work(person)["items"]
        mail_items = [i for i in items if "/mail/" in i["url"]]
        assert [(i["label"], i["url"], i["note"]) for i in mail_items] == [
            (stuck.subject, url, "Quarantined mail (P4)")
        ]
    assert proposals_work(worker) is None
    assert proposals_work(general_manager) is None


# --- the page's cost does not grow with what waits ---------------------------------


def one_of_each(boss, dept, n: int) -> None:
    """One waiting item of every kind, all waiting on ``boss``."""
    under_study(make_proposal(), by=boss, departments=[dept])  # P5: opinion
    make_proposal()  # P4/P5: to accept
    studied(make_proposal(), by=boss, departments=[dept])  # P6: to decide
    late = reserved(make_proposal(), by=boss, decider=boss, departments=[dept])
    Proposal.objects.filter(pk=late.pk).update(
        decide_by=timezone.localdate() - timedelta(days=1)
    )  # P9
    to_open, to_score, to_approve, to_pay = (
        adopted(make_proposal(), by=boss, decider=boss, departments=[dept]) for _ in range(4)
    )  # P7: all four wait for implementation; P11: to_open waits for its evaluation
    open_evaluation(to_score, boss)
    graded_evaluation(to_approve, by=boss, committee=[boss], points="9")
    paying = graded_evaluation(to_pay, by=boss, committee=[boss], points="9")
    rewards.reward_approve(evaluation=paying, by=boss, seen_version=paying.version)
    inbound(n, InboundMail.Outcome.QUARANTINED)


def test_my_work_costs_the_same_queries_with_one_or_thirty_waiting_items(
    make_staff, client_for, django_assert_max_num_queries
):
    # Every proposals role at once, and the only committee member.
    boss = make_staff(
        "boss",
        Role.CS_MANAGER,
        Role.AFTERSALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.DEPARTMENT_MANAGER,
        language="en",
    )
    dept = make_department(manager=boss)
    one_of_each(boss, dept, 0)
    client = client_for(boss)
    url = reverse("core:my_work")
    client.get(url)  # warm up the session and caches
    with CaptureQueriesContext(connection) as one:
        first = client.get(url)
    assert first.status_code == 200
    kinds = 10
    with translation.override("en"):
        assert len(proposals_work(boss)["items"]) == kinds + 3 + 1  # 4 adopted, 2 to decide

    # Three of every kind (a query per row would show), and thirty of the
    # cheap ones, past LIMIT.
    for n in (1, 2):
        one_of_each(boss, dept, n)
    for n in range(3, 30):
        make_proposal()
        inbound(n, InboundMail.Outcome.QUARANTINED)

    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("To accept (acceptance record)") == LIMIT
    assert page.count("Quarantined mail (P4)") == LIMIT
    assert page.count("To open committee scoring (P11)") == 3
    assert page.count("Reward to approve") == 3
    assert page.count("Approved reward to pay") == 3
    assert page.count("To score (evaluation committee)") == 3
    assert page.count("Reserve past its decide-by date (P9)") == 3
    assert page.count("To implement by") == min(4 * 3, LIMIT)
