"""P11: committee scoring, grade, reward approval and payment."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.roles import Role
from aftersales.notifications.models import Message
from aftersales.policy.services import policy_in_force
from aftersales.policy.tests.factories import approved_version, policy_values
from aftersales.proposals.models import Evaluation, ProposalEvent, Score
from aftersales.proposals.services import rewards
from aftersales.proposals.tests.factories import adopted, fresh, make_department, make_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def specialist(make_staff):
    return make_staff("spec", Role.AFTERSALES_SPECIALIST)


@pytest.fixture
def rd_manager(make_staff):
    return make_staff("rdmgr", Role.DEPARTMENT_MANAGER)


@pytest.fixture
def committee(general_manager, aftersales_manager, rd_manager):
    """The three people holding committee roles: GM, after-sales and R&D managers."""
    return [general_manager, aftersales_manager, rd_manager]


@pytest.fixture
def adopted_proposal(specialist, cs_manager, rd_manager):
    rd = make_department(manager=rd_manager)
    return adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])


@pytest.fixture
def evaluation(adopted_proposal, cs_manager, committee):
    return rewards.evaluation_open(
        proposal=adopted_proposal, by=cs_manager, seen_version=fresh(adopted_proposal).version
    )


def score(evaluation, member, c, f, b, note=""):
    return rewards.score_submit(
        evaluation=evaluation, by=member, creativity=c, feasibility=f, benefit=b, note=note
    )


def policy_from_today(**overrides):
    """A version in force from today, approved after version 1 (so it wins)."""
    version = approved_version(timezone.localdate(), **overrides)
    version.approved_at = timezone.now()
    version.save()
    assert policy_in_force() == version
    return version


def reload(evaluation) -> Evaluation:
    return Evaluation.objects.get(pk=evaluation.pk)


def reward_actions(proposal) -> list[str]:
    return [
        e.data["action"]
        for e in ProposalEvent.objects.filter(proposal=proposal, kind=ProposalEvent.Kind.REWARD)
    ]


# --- opening ------------------------------------------------------------------


def test_p11_open_snapshots_committee_and_policy_and_asks_each_member_to_score(
    evaluation, committee, worker, cs_manager
):
    assert set(evaluation.members.all()) == set(committee)
    # Neither the worker nor the customer service manager sits on the committee.
    assert worker not in evaluation.members.all()
    assert cs_manager not in evaluation.members.all()
    assert evaluation.policy == policy_in_force()
    assert evaluation.status == Evaluation.Status.SCORING
    asked = Message.objects.filter(template="proposals/score_requested")
    assert {m.user for m in asked} == set(committee)
    assert all(evaluation.proposal.reference in m.subject for m in asked)
    assert reward_actions(evaluation.proposal) == ["opened"]


def test_p11_open_refuses_a_proposal_that_is_not_adopted(cs_manager, committee):
    proposal = make_proposal()
    with pytest.raises(DomainError) as exc:
        rewards.evaluation_open(proposal=proposal, by=cs_manager, seen_version=proposal.version)
    assert exc.value.code == "p11_not_adopted"
    assert not Evaluation.objects.exists()


def test_p11_a_proposal_is_evaluated_once(evaluation, cs_manager):
    proposal = evaluation.proposal
    with pytest.raises(DomainError) as exc:
        rewards.evaluation_open(
            proposal=proposal, by=cs_manager, seen_version=fresh(proposal).version
        )
    assert exc.value.code == "p11_evaluation_exists"
    assert Evaluation.objects.filter(proposal=proposal).count() == 1


def test_p11_only_who_manages_evaluations_opens_one(adopted_proposal, worker, rd_manager):
    for person in (worker, rd_manager):
        with pytest.raises(PermissionDenied):
            rewards.evaluation_open(
                proposal=adopted_proposal,
                by=person,
                seen_version=fresh(adopted_proposal).version,
            )
    assert not Evaluation.objects.exists()


def test_p11_open_with_a_stale_version_is_refused(adopted_proposal, cs_manager, committee):
    with pytest.raises(ConflictError):
        rewards.evaluation_open(
            proposal=adopted_proposal,
            by=cs_manager,
            seen_version=fresh(adopted_proposal).version - 1,
        )
    assert not Evaluation.objects.exists()


# --- scoring ------------------------------------------------------------------


def test_p11_grade_is_computed_once_every_member_has_scored(evaluation, committee):
    gm, asm, rd = committee
    score(evaluation, gm, "9", "9", "9")
    score(evaluation, asm, "8", "8", "8")
    assert reload(evaluation).status == Evaluation.Status.SCORING
    assert reload(evaluation).grade == ""

    score(evaluation, rd, "7", "7", "7")

    graded = reload(evaluation)
    # Means 8 / 8 / 8, weights 0.4 / 0.3 / 0.3: 8.00, grade B (from 7): 1000 CNY.
    assert graded.status == Evaluation.Status.GRADED
    assert graded.weighted_score == Decimal("8.00")
    assert (graded.grade, graded.amount) == ("B", Decimal("1000.00"))
    assert graded.graded_at is not None
    assert reward_actions(evaluation.proposal) == ["opened", "scored", "scored", "scored", "graded"]


def test_p11_weights_and_grade_table_come_from_the_policy(
    adopted_proposal, cs_manager, committee, general_manager
):
    # Only creativity counts, and a single grade "S" from 6 gives 888.
    policy_from_today(
        reward_weights={"creativity": "1", "feasibility": "0", "benefit": "0"},
        reward_grades=[{"grade": "S", "min_score": "6", "amount": "888"}],
        reward_score_max=20,
    )
    evaluation = rewards.evaluation_open(
        proposal=adopted_proposal, by=cs_manager, seen_version=fresh(adopted_proposal).version
    )
    for member in committee:
        score(evaluation, member, "15", "0", "0")
    graded = reload(evaluation)
    assert graded.weighted_score == Decimal("15.00")
    assert (graded.grade, graded.amount) == ("S", Decimal("888.00"))


def test_p11_a_later_policy_leaves_an_open_evaluation_alone(evaluation, committee):
    policy_from_today(
        reward_grades=[{"grade": "Z", "min_score": "0", "amount": "1"}],
    )
    for member in committee:
        score(evaluation, member, "9", "9", "9")
    assert reload(evaluation).grade == "A"


def test_p11_grade_is_the_best_one_reached_with_means_weighted_and_rounded():
    weights = {"creativity": "0.4", "feasibility": "0.3", "benefit": "0.3"}
    grades = policy_values()["reward_grades"]
    scores = [
        {"creativity": Decimal("9"), "feasibility": Decimal("8"), "benefit": Decimal("8.5")},
        {"creativity": Decimal("8"), "feasibility": Decimal("9"), "benefit": Decimal("8.5")},
    ]
    # 8.5 * 0.4 + 8.5 * 0.3 + 8.5 * 0.3 = 8.5: exactly the minimum of A.
    assert rewards.grade_for(scores, weights, grades) == (Decimal("8.50"), "A", Decimal("2000.00"))
    one = [
        {"creativity": Decimal("5.5"), "feasibility": Decimal("5.5"), "benefit": Decimal("5.49")}
    ]
    # 5.497 rounds to 5.50, which is C.
    assert rewards.grade_for(one, weights, grades)[:2] == (Decimal("5.50"), "C")
    # The table's order on file does not matter: the best grade reached wins.
    assert rewards.grade_for(scores, weights, list(reversed(grades)))[1] == "A"


def test_p11_below_every_grade_there_is_no_reward(evaluation, committee, general_manager):
    for member in committee:
        score(evaluation, member, "1", "2", "3")
    graded = reload(evaluation)
    assert graded.status == Evaluation.Status.GRADED
    assert (graded.grade, graded.amount) == ("", Decimal("0.00"))
    assert graded.weighted_score == Decimal("1.90")
    event = ProposalEvent.objects.filter(proposal=evaluation.proposal, data__action="graded").get()
    assert event.data["grade"] == ""
    with pytest.raises(DomainError) as exc:
        rewards.reward_approve(evaluation=graded, by=general_manager, seen_version=graded.version)
    assert exc.value.code == "p11_no_reward"


@pytest.mark.parametrize("bad", ["-1", "10.01", "11", "abc", "7.555", ""])
def test_p11_each_score_is_from_zero_to_the_policy_maximum(evaluation, committee, bad):
    with pytest.raises(DomainError) as exc:
        score(evaluation, committee[0], bad, "5", "5")
    assert "creativity" in exc.value.fields
    assert not Score.objects.exists()


def test_p11_the_scale_ends_at_the_policy_maximum(evaluation, committee):
    score(evaluation, committee[0], "10", "0", "9.75")
    assert Score.objects.get().creativity == Decimal("10")


def test_p11_a_member_cannot_score_twice(evaluation, committee):
    score(evaluation, committee[0], "5", "5", "5")
    with pytest.raises(DomainError) as exc:
        score(evaluation, committee[0], "9", "9", "9")
    assert exc.value.code == "p11_already_scored"
    assert Score.objects.get().creativity == Decimal("5")


def test_p11_the_database_holds_one_score_per_member(evaluation, committee):
    score(evaluation, committee[0], "5", "5", "5")
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(
            evaluation=evaluation,
            member=committee[0],
            creativity=1,
            feasibility=1,
            benefit=1,
            at=timezone.now(),
        )


def test_p11_a_non_member_cannot_score(evaluation, worker, cs_manager, make_staff):
    # No committee role at all.
    for person in (worker, cs_manager):
        with pytest.raises(PermissionDenied):
            score(evaluation, person, "5", "5", "5")
    # A committee role given after scoring opened: not on this committee.
    latecomer = make_staff("late", Role.COMMITTEE_MEMBER)
    with pytest.raises(DomainError) as exc:
        score(evaluation, latecomer, "5", "5", "5")
    assert exc.value.code == "p11_not_a_member"
    assert not Score.objects.exists()


def test_p11_no_scoring_after_grading(evaluation, committee, general_manager):
    score(evaluation, committee[1], "5", "5", "5")
    rewards.evaluation_close_scoring(evaluation=evaluation, by=general_manager, note="时间到")
    with pytest.raises(DomainError) as exc:
        score(evaluation, committee[2], "5", "5", "5")
    assert exc.value.code == "transition_forbidden"


# --- closing early ---------------------------------------------------------------


def test_p11_the_chair_closes_scoring_with_the_scores_given_so_far(
    evaluation, committee, general_manager
):
    score(evaluation, committee[1], "9", "9", "9")
    score(evaluation, committee[2], "7", "7", "7")

    rewards.evaluation_close_scoring(
        evaluation=evaluation, by=general_manager, note="委员出差，按已评分数定级"
    )

    graded = reload(evaluation)
    assert graded.status == Evaluation.Status.GRADED
    assert graded.closed_early_by == general_manager
    assert graded.closed_early_note == "委员出差，按已评分数定级"
    assert (graded.weighted_score, graded.grade) == (Decimal("8.00"), "B")
    assert reward_actions(evaluation.proposal)[-2:] == ["closed_early", "graded"]


def test_p11_closing_early_needs_a_score_and_a_reason(evaluation, general_manager, committee):
    with pytest.raises(DomainError) as exc:
        rewards.evaluation_close_scoring(evaluation=evaluation, by=general_manager, note="原因")
    assert exc.value.code == "p11_no_scores"
    score(evaluation, committee[1], "5", "5", "5")
    with pytest.raises(DomainError) as exc:
        rewards.evaluation_close_scoring(evaluation=evaluation, by=general_manager, note=" ")
    assert "note" in exc.value.fields
    assert reload(evaluation).status == Evaluation.Status.SCORING


def test_p11_only_the_chair_closes_scoring(evaluation, committee, cs_manager, aftersales_manager):
    score(evaluation, committee[1], "5", "5", "5")
    for person in (cs_manager, aftersales_manager):
        with pytest.raises(PermissionDenied):
            rewards.evaluation_close_scoring(evaluation=evaluation, by=person, note="早点结束")
    assert reload(evaluation).status == Evaluation.Status.SCORING


# --- approval and payment --------------------------------------------------------


@pytest.fixture
def graded(evaluation, committee):
    for member in committee:
        score(evaluation, member, "9", "9", "9")
    return reload(evaluation)


def test_p11_only_the_general_manager_approves_the_reward(
    graded, cs_manager, aftersales_manager, rd_manager, general_manager
):
    for person in (cs_manager, aftersales_manager, rd_manager):
        with pytest.raises(PermissionDenied):
            rewards.reward_approve(evaluation=graded, by=person, seen_version=graded.version)
    assert reload(graded).status == Evaluation.Status.GRADED

    rewards.reward_approve(evaluation=graded, by=general_manager, seen_version=graded.version)

    approved = reload(graded)
    assert approved.status == Evaluation.Status.APPROVED
    assert approved.approved_by == general_manager
    assert approved.approved_at is not None


def test_p11_approving_what_someone_changed_meanwhile_is_refused(graded, general_manager):
    with pytest.raises(ConflictError):
        rewards.reward_approve(
            evaluation=graded, by=general_manager, seen_version=graded.version - 1
        )
    assert reload(graded).status == Evaluation.Status.GRADED


def test_p11_approval_waits_for_the_grade(evaluation, general_manager):
    with pytest.raises(DomainError) as exc:
        rewards.reward_approve(
            evaluation=evaluation, by=general_manager, seen_version=reload(evaluation).version
        )
    assert exc.value.code == "transition_forbidden"


def test_p11_payment_is_recorded_and_the_customer_told_grade_and_amount(
    graded, general_manager, cs_manager, smtp_server, django_capture_on_commit_callbacks
):
    rewards.reward_approve(evaluation=graded, by=general_manager, seen_version=graded.version)
    approved = reload(graded)

    with django_capture_on_commit_callbacks(execute=True):
        rewards.reward_pay(
            evaluation=approved,
            by=cs_manager,
            payment_reference="FK-2026-0042",
            seen_version=approved.version,
        )

    paid = reload(graded)
    assert paid.status == Evaluation.Status.PAID
    assert (paid.paid_by, paid.payment_reference) == (cs_manager, "FK-2026-0042")
    assert paid.paid_at is not None
    notice = Message.objects.get(template="proposals/reward_granted")
    assert notice.customer == paid.proposal.customer
    assert "A" in notice.body and "2000.00" in notice.body
    # The mail arrives at the (real, loopback) mail server.
    [mail] = smtp_server.accepted
    assert paid.proposal.reference in mail["Subject"]
    assert "2000.00" in mail.get_content()
    assert reward_actions(paid.proposal)[-2:] == ["approved", "paid"]


def test_p11_payment_needs_approval_a_reference_and_the_right_role(
    graded, general_manager, cs_manager, worker
):
    with pytest.raises(DomainError) as exc:
        rewards.reward_pay(
            evaluation=graded, by=cs_manager, payment_reference="X1", seen_version=graded.version
        )
    assert exc.value.code == "transition_forbidden"
    rewards.reward_approve(evaluation=graded, by=general_manager, seen_version=graded.version)
    approved = reload(graded)
    with pytest.raises(DomainError) as exc:
        rewards.reward_pay(
            evaluation=approved, by=cs_manager, payment_reference="", seen_version=approved.version
        )
    assert "payment_reference" in exc.value.fields
    for person in (worker, general_manager):
        with pytest.raises(PermissionDenied):
            rewards.reward_pay(
                evaluation=approved,
                by=person,
                payment_reference="X1",
                seen_version=approved.version,
            )
    with pytest.raises(ConflictError):
        rewards.reward_pay(
            evaluation=approved,
            by=cs_manager,
            payment_reference="X1",
            seen_version=approved.version - 1,
        )
    assert reload(graded).status == Evaluation.Status.APPROVED
    assert not Message.objects.filter(template="proposals/reward_granted").exists()


def test_p11_committee_is_every_active_holder_of_a_committee_role(make_staff, committee):
    gone = make_staff("gone", Role.DEPARTMENT_MANAGER)
    gone.is_active = False
    gone.save()
    named = make_staff("named", Role.COMMITTEE_MEMBER)
    assert set(rewards.committee()) == {*committee, named}


# --- pages ---------------------------------------------------------------------


def test_p11_pages_score_close_approve_pay(
    evaluation, committee, client_for, general_manager, cs_manager
):
    gm, asm, rd = committee
    page = client_for(asm).get(f"/proposals/evaluations/{evaluation.pk}/score/")
    assert page.status_code == 200
    response = client_for(asm).post(
        f"/proposals/evaluations/{evaluation.pk}/score/",
        {"creativity": "9", "feasibility": "9", "benefit": "9"},
    )
    assert response.status_code == 302
    # Twice: the form shows the refusal, nothing changes.
    again = client_for(asm).post(
        f"/proposals/evaluations/{evaluation.pk}/score/",
        {"creativity": "1", "feasibility": "1", "benefit": "1"},
    )
    assert again.status_code == 200
    assert Score.objects.get().creativity == Decimal("9")

    # Only the chair closes scoring; only the general manager approves.
    close = f"/proposals/evaluations/{evaluation.pk}/close/"
    assert client_for(cs_manager).post(close, {"note": "x"}).status_code == 403
    closing = client_for(gm).post(
        close, {"note": "其余委员缺席", "seen_version": reload(evaluation).version}
    )
    assert closing.status_code == 302
    graded = reload(evaluation)
    assert graded.status == Evaluation.Status.GRADED
    approve = f"/proposals/evaluations/{evaluation.pk}/approve/"
    assert client_for(asm).post(approve, {"seen_version": graded.version}).status_code == 403
    assert client_for(gm).post(approve, {"seen_version": graded.version}).status_code == 302
    approved = reload(evaluation)
    assert approved.status == Evaluation.Status.APPROVED
    pay = f"/proposals/evaluations/{evaluation.pk}/pay/"
    assert client_for(gm).get(pay).status_code == 403
    response = client_for(cs_manager).post(
        pay, {"payment_reference": "FK-1", "seen_version": approved.version}
    )
    assert response.status_code == 302
    assert reload(evaluation).status == Evaluation.Status.PAID


def test_p11_non_member_score_page_refuses(evaluation, client_for, make_staff, worker):
    latecomer = make_staff("late", Role.COMMITTEE_MEMBER)
    url = f"/proposals/evaluations/{evaluation.pk}/score/"
    assert client_for(worker).get(url).status_code == 403
    response = client_for(latecomer).post(
        url, {"creativity": "5", "feasibility": "5", "benefit": "5"}
    )
    assert response.status_code == 200
    assert not Score.objects.exists()


def test_p11_open_page_and_panel(adopted_proposal, committee, client_for, cs_manager, rd_manager):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from aftersales.proposals.views_rewards import panel_context

    response = client_for(cs_manager).post(
        f"/proposals/{adopted_proposal.pk}/evaluation/open/",
        {"seen_version": fresh(adopted_proposal).version},
    )
    assert response.status_code == 302
    evaluation = Evaluation.objects.get(proposal=adopted_proposal)

    request = RequestFactory().get("/")
    request.user = rd_manager
    context = panel_context(adopted_proposal, rd_manager)
    assert context["reward_may_score"] and not context["reward_may_approve"]
    html = render_to_string(
        "proposals/rewards/panel.html",
        {"proposal": adopted_proposal, **context},
        request=request,
    )
    assert f"/proposals/evaluations/{evaluation.pk}/score/" in html


# --- P11: each member judges alone ------------------------------------------------


@pytest.fixture
def english(client_for):
    """english(user) -> a signed-in test client whose pages are in English."""

    def make(user):
        # Staff read pages in their profile's language.
        user.profile.language = "en"
        user.profile.save(update_fields=["language"])
        return client_for(user)

    return make


def detail_page(english, user, proposal) -> str:
    response = english(user).get(f"/proposals/{proposal.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_p11_while_scoring_nobody_sees_another_members_scores_not_even_the_chair(
    evaluation, committee, english, cs_manager
):
    gm, asm, rd = committee
    score(evaluation, asm, "3.17", "4", "5", note="售后经理的评语")
    score(evaluation, rd, "6.43", "7", "8", note="研发经理的评语")
    assert reload(evaluation).status == Evaluation.Status.SCORING
    proposal = evaluation.proposal

    # The chair (approve_reward) and the customer service manager
    # (manage_evaluation) see who has scored, never what.
    for person in (gm, cs_manager):
        page = detail_page(english, person, proposal)
        assert "2 of 3 committee members have scored." in page
        assert page.count("✓") == 2
        for secret in ("售后经理的评语", "研发经理的评语", "3.17", "6.43"):
            assert secret not in page
    # The after-sales manager manages evaluations and sits on the committee:
    # their own scores, and only theirs.
    page = detail_page(english, asm, proposal)
    assert "售后经理的评语" in page and "3.17" in page
    assert "研发经理的评语" not in page and "6.43" not in page
    page = detail_page(english, rd, proposal)
    assert "研发经理的评语" in page and "6.43" in page
    assert "售后经理的评语" not in page and "3.17" not in page


def test_p11_once_graded_the_chair_and_the_evaluation_managers_see_every_score(
    evaluation, committee, english, cs_manager
):
    from aftersales.proposals.views_rewards import panel_context

    gm, asm, rd = committee
    score(evaluation, asm, "3.17", "4", "5", note="售后经理的评语")
    score(evaluation, rd, "6.43", "7", "8", note="研发经理的评语")
    score(evaluation, gm, "9", "9", "9", note="总经理的评语")
    assert reload(evaluation).status == Evaluation.Status.GRADED

    for person in (gm, asm, cs_manager):
        page = detail_page(english, person, evaluation.proposal)
        for note in ("售后经理的评语", "研发经理的评语", "总经理的评语"):
            assert note in page
    assert len(panel_context(evaluation.proposal, gm)["reward_scores"]) == 3
    # A member without those permissions still sees only their own.
    assert [s.member for s in panel_context(evaluation.proposal, rd)["reward_scores"]] == [rd]


# --- P11: optimistic concurrency on the pages -------------------------------------

CONFLICT = "changed by someone else while you were looking"


@pytest.mark.parametrize("seen", ["stale", "", None], ids=["stale", "blank", "missing"])
def test_p11_approve_page_refuses_a_stale_or_missing_version(
    graded, english, general_manager, seen
):
    data = {} if seen is None else {"seen_version": graded.version - 1 if seen else ""}
    response = english(general_manager).post(
        f"/proposals/evaluations/{graded.pk}/approve/", data, follow=True
    )
    assert CONFLICT in response.content.decode()
    after = reload(graded)
    assert (after.status, after.version, after.approved_by) == (
        Evaluation.Status.GRADED,
        graded.version,
        None,
    )
    assert "approved" not in reward_actions(graded.proposal)


@pytest.mark.parametrize("seen", ["stale", "", None], ids=["stale", "blank", "missing"])
def test_p11_pay_page_refuses_a_stale_or_missing_version(
    graded, english, general_manager, cs_manager, seen
):
    rewards.reward_approve(evaluation=graded, by=general_manager, seen_version=graded.version)
    approved = reload(graded)
    data = {"payment_reference": "FK-9"}
    if seen is not None:
        data["seen_version"] = approved.version - 1 if seen else ""
    url = f"/proposals/evaluations/{graded.pk}/pay/"

    response = english(cs_manager).post(url, data)

    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    # The reference typed is kept; the form now carries the current version.
    assert "FK-9" in page
    assert f'name="seen_version" value="{approved.version}"' in page
    after = reload(graded)
    assert (after.status, after.version, after.payment_reference) == (
        Evaluation.Status.APPROVED,
        approved.version,
        "",
    )
    assert not Message.objects.filter(template="proposals/reward_granted").exists()
    # Resent deliberately with the version shown, it goes through.
    data["seen_version"] = approved.version
    assert english(cs_manager).post(url, data).status_code == 302
    assert reload(graded).status == Evaluation.Status.PAID


@pytest.mark.parametrize("seen", ["stale", "", None], ids=["stale", "blank", "missing"])
def test_p11_close_page_refuses_a_stale_or_missing_version(
    evaluation, committee, english, general_manager, seen
):
    gm, asm, rd = committee
    score(evaluation, asm, "5", "5", "5")
    data = {"note": "其余委员缺席"}
    if seen is not None:
        data["seen_version"] = reload(evaluation).version - 1 if seen else ""
    url = f"/proposals/evaluations/{evaluation.pk}/close/"

    response = english(gm).post(url, data)

    assert response.status_code == 409
    assert CONFLICT in response.content.decode()
    after = reload(evaluation)
    assert after.status == Evaluation.Status.SCORING
    assert after.closed_early_by is None
    assert "closed_early" not in reward_actions(evaluation.proposal)


def test_p11_closing_is_refused_when_a_member_scored_after_the_chair_looked(
    evaluation, committee, english
):
    gm, asm, rd = committee
    score(evaluation, asm, "5", "5", "5")
    url = f"/proposals/evaluations/{evaluation.pk}/close/"
    form = english(gm).get(url).content.decode()
    seen = reload(evaluation).version
    assert f'name="seen_version" value="{seen}"' in form
    score(evaluation, rd, "7", "7", "7")  # meanwhile

    response = english(gm).post(url, {"note": "其余委员缺席", "seen_version": seen})

    assert response.status_code == 409
    page = response.content.decode()
    assert CONFLICT in page
    # The page now shows the new count.
    assert "2 of 3 committee members have scored." in page
    assert reload(evaluation).status == Evaluation.Status.SCORING


def test_p11_close_service_checks_the_version_only_when_given(evaluation, committee):
    gm, asm, rd = committee
    score(evaluation, asm, "5", "5", "5")
    stale = reload(evaluation).version - 1
    with pytest.raises(ConflictError):
        rewards.evaluation_close_scoring(
            evaluation=evaluation, by=gm, note="其余委员缺席", seen_version=stale
        )
    assert reload(evaluation).status == Evaluation.Status.SCORING
    # The API calls it without a version, as before.
    rewards.evaluation_close_scoring(evaluation=evaluation, by=gm, note="其余委员缺席")
    assert reload(evaluation).status == Evaluation.Status.GRADED
