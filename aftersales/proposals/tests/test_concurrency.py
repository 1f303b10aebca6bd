"""Optimistic concurrency: every write carries the version its author saw; if
someone changed the proposal first, the write is refused (ConflictError) and
nothing is written. Proven with one connection (a stale version) and with two
real connections deciding at once, on PostgreSQL (row lock) and on SQLite
(BEGIN IMMEDIATE serialises writers)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone

from aftersales.core.errors import ConflictError
from aftersales.core.roles import Role
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.models import (
    Category,
    CloseReason,
    DevelopmentMode,
    Proposal,
    ProposalEvent,
    ReserveExtension,
    Status,
    StudyRequest,
)
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    delegated,
    fresh,
    make_proposal,
    reserved,
    studied,
    under_study,
)

DECISION_NOTICES = (
    "proposals/proposal_adopted",
    "proposals/proposal_not_adopted",
    "proposals/proposal_reserved",
)
LATER = timedelta(days=20)


def written(proposal):
    """Every row a write about ``proposal`` could add or change."""
    p = fresh(proposal)
    return (
        p.status,
        p.version,
        p.updated_at,
        p.events.count(),
        StudyRequest.objects.filter(proposal=p).values_list("version", flat=True).first(),
        StudyRequest.objects.filter(proposal=p).count(),
        ReserveExtension.objects.filter(proposal=p).count(),
        Message.objects.count(),
    )


# --- one connection: a stale version is refused -----------------------------


def _stale_case(name, *, specialist, cs_manager, rd, qa):
    """(proposal, write(seen_version)) for each service that takes seen_version."""
    today = timezone.localdate()
    p = make_proposal()
    if name == "accept":
        return p, lambda v: services.proposal_accept(
            proposal=p, by=specialist, category=Category.SERVICE, summary="摘要", seen_version=v
        )
    if name == "close":
        return p, lambda v: services.proposal_close(
            proposal=p, by=specialist, reason=CloseReason.SPAM, seen_version=v
        )
    if name == "route":
        p = accepted(p, by=specialist)
        return p, lambda v: services.proposal_route(
            proposal=p, by=specialist, departments=[qa], seen_version=v
        )
    if name == "study_opinion":
        p = under_study(p, by=specialist, departments=[rd])
        study = p.study_requests.get()
        return p, lambda v: services.study_opinion_submit(
            study=study, by=rd.manager, opinion="可行", seen_version=v
        )
    if name in ("adopt", "not_adopt", "reserve"):
        p = studied(p, by=specialist, departments=[rd])
        return p, {
            "adopt": lambda v: services.proposal_adopt(
                proposal=p,
                by=cs_manager,
                implementing_department=rd,
                planned_date=today + LATER,
                measures="措施",
                seen_version=v,
            ),
            "not_adopt": lambda v: services.proposal_not_adopt(
                proposal=p, by=cs_manager, note="理由", seen_version=v
            ),
            "reserve": lambda v: services.proposal_reserve(
                proposal=p, by=cs_manager, reason="理由", decide_by=today + LATER, seen_version=v
            ),
        }[name]
    if name == "reserve_extend":
        p = reserved(p, by=specialist, decider=cs_manager, departments=[rd])
        return p, lambda v: services.proposal_reserve_extend(
            proposal=p, by=cs_manager, decide_by=today + 2 * LATER, reason="理由", seen_version=v
        )
    p = adopted(p, by=specialist, decider=cs_manager, departments=[rd])
    if name == "implemented":
        return p, lambda v: services.proposal_implemented(proposal=p, by=cs_manager, seen_version=v)
    assert name == "set_development"
    return p, lambda v: services.proposal_set_development(
        proposal=p, by=cs_manager, development_mode=DevelopmentMode.COMPANY, seen_version=v
    )


STALE_CASES = [
    "accept",
    "close",
    "route",
    "study_opinion",
    "adopt",
    "not_adopt",
    "reserve",
    "reserve_extend",
    "implemented",
    "set_development",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", STALE_CASES)
def test_a_write_with_a_stale_version_is_refused_and_nothing_written(
    name, specialist, cs_manager, rd, qa
):
    proposal, write = _stale_case(name, specialist=specialist, cs_manager=cs_manager, rd=rd, qa=qa)
    seen = fresh(proposal).version
    # Someone else changes the proposal after it was read.
    Proposal.objects.get(pk=proposal.pk).save()
    before = written(proposal)

    with pytest.raises(ConflictError) as caught:
        write(seen)

    assert caught.value.code == "stale_version"
    assert caught.value.status == 409
    assert proposal.reference in caught.value.message
    assert written(proposal) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", STALE_CASES)
def test_the_same_write_with_the_current_version_goes_through(name, specialist, cs_manager, rd, qa):
    proposal, write = _stale_case(name, specialist=specialist, cs_manager=cs_manager, rd=rd, qa=qa)
    version = fresh(proposal).version

    write(version)

    assert fresh(proposal).version > version


@pytest.mark.django_db
def test_a_decision_drafted_before_a_study_opinion_arrived_is_refused(
    specialist, cs_manager, rd, qa
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd, qa])
    services.study_opinion_submit(
        study=proposal.study_requests.get(department=rd),
        by=rd.manager,
        opinion="可行",
        seen_version=fresh(proposal).version,
    )
    seen = fresh(proposal).version
    # The last opinion arrives while the decider reads the first.
    services.study_opinion_submit(
        study=proposal.study_requests.get(department=qa),
        by=qa.manager,
        opinion="不可行：成本过高",
        seen_version=seen,
    )

    with pytest.raises(ConflictError):
        services.proposal_adopt(
            proposal=proposal,
            by=cs_manager,
            implementing_department=rd,
            planned_date=timezone.localdate() + LATER,
            measures="措施",
            seen_version=seen,
        )

    assert fresh(proposal).status == Status.UNDER_STUDY


# --- two real connections ------------------------------------------------------


def _in_thread(fn, outcome: dict, key: str):
    """Run ``fn`` on its own thread, hence its own Django connection."""

    def run():
        try:
            outcome[key] = fn()
        except Exception as exc:  # noqa: BLE001 - inspected by the test
            outcome[key] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=key)
    thread.start()
    return thread


def _two_deciders_race(specialist, rd, make_staff):
    """Two customer service managers open the same studied proposal, both see
    version v, then both decide at the same moment: one adopts, the other
    does not. Returns (proposal, {name: result or exception})."""
    first, second = make_staff("csm1", Role.CS_MANAGER), make_staff("csm2", Role.CS_MANAGER)
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    both_read = threading.Barrier(2, timeout=30)
    outcome: dict = {}

    def adopt():
        seen = Proposal.objects.get(pk=proposal.pk)
        both_read.wait()
        return services.proposal_adopt(
            proposal=seen,
            by=first,
            implementing_department=rd,
            planned_date=timezone.localdate() + LATER,
            measures="措施",
            seen_version=seen.version,
        )

    def not_adopt():
        seen = Proposal.objects.get(pk=proposal.pk)
        both_read.wait()
        return services.proposal_not_adopt(
            proposal=seen, by=second, note="不采用", seen_version=seen.version
        )

    threads = [_in_thread(adopt, outcome, "adopt"), _in_thread(not_adopt, outcome, "not_adopt")]
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads)
    return proposal, outcome


def _exactly_one_decision(proposal, outcome):
    errors = [r for r in outcome.values() if isinstance(r, Exception)]
    winners = [k for k, r in outcome.items() if isinstance(r, Proposal)]
    assert len(winners) == 1, outcome
    assert len(errors) == 1 and isinstance(errors[0], ConflictError), outcome
    record = fresh(proposal)
    assert record.status == {"adopt": Status.ADOPTED, "not_adopt": Status.NOT_ADOPTED}[winners[0]]
    decisions = record.events.filter(kind=ProposalEvent.Kind.STATUS, old_status=Status.UNDER_STUDY)
    assert decisions.count() == 1
    notices = Message.objects.filter(
        customer=record.customer, template__in=DECISION_NOTICES, related_id=record.pk
    )
    assert notices.count() == 1


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_on_postgresql_one_wins_the_other_conflicts(
    specialist, rd, make_staff
):
    proposal, outcome = _two_deciders_race(specialist, rd, make_staff)

    _exactly_one_decision(proposal, outcome)


@pytest.mark.sqlite_only
@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_on_sqlite_one_wins_the_other_conflicts(specialist, rd, make_staff):
    proposal, outcome = _two_deciders_race(specialist, rd, make_staff)

    _exactly_one_decision(proposal, outcome)


@pytest.mark.django_db(transaction=True)
def test_a_second_decider_waits_for_the_first_then_conflicts(specialist, rd, make_staff):
    """The order made certain: the first decider's transaction is held open
    after its write; the second, who read the same version, must wait for it
    (PostgreSQL: the row lock; SQLite: the write lock taken at BEGIN), and
    then finds the proposal changed."""
    first, second = make_staff("csm1", Role.CS_MANAGER), make_staff("csm2", Role.CS_MANAGER)
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    both_read = threading.Barrier(2, timeout=30)
    first_wrote, first_may_commit = threading.Event(), threading.Event()
    outcome: dict = {}

    def adopt_and_hold():
        seen = Proposal.objects.get(pk=proposal.pk)
        both_read.wait()
        with transaction.atomic():
            result = services.proposal_adopt(
                proposal=seen,
                by=first,
                implementing_department=rd,
                planned_date=timezone.localdate() + LATER,
                measures="措施",
                seen_version=seen.version,
            )
            first_wrote.set()
            assert first_may_commit.wait(30)
        return result

    def not_adopt_after():
        seen = Proposal.objects.get(pk=proposal.pk)
        both_read.wait()
        assert first_wrote.wait(30)
        return services.proposal_not_adopt(
            proposal=seen, by=second, note="不采用", seen_version=seen.version
        )

    holder = _in_thread(adopt_and_hold, outcome, "adopt")
    waiter = _in_thread(not_adopt_after, outcome, "not_adopt")
    assert first_wrote.wait(30)
    time.sleep(0.5)
    # Still waiting: the second writer cannot pass the first's open transaction.
    assert waiter.is_alive()
    assert "not_adopt" not in outcome
    first_may_commit.set()
    holder.join(60)
    waiter.join(60)

    assert isinstance(outcome["adopt"], Proposal), outcome
    assert isinstance(outcome["not_adopt"], ConflictError), outcome
    _exactly_one_decision(proposal, outcome)
    assert fresh(proposal).decided_by == first


@pytest.mark.django_db(transaction=True)
def test_two_study_opinions_from_one_department_at_once_keep_one(specialist, rd, make_staff):
    """The manager and the delegate both answer the same study at once."""
    deputy = make_staff("deputy", Role.SERVICE_WORKER)
    delegated(
        delegator=rd.manager, delegate=deputy, role=Role.DEPARTMENT_MANAGER, days=3, reason="休假"
    )
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study_id = proposal.study_requests.get().pk
    both_read = threading.Barrier(2, timeout=30)
    outcome: dict = {}

    def answer(user, text):
        def run():
            study = StudyRequest.objects.select_related("proposal", "department").get(pk=study_id)
            seen = study.proposal.version
            both_read.wait()
            return services.study_opinion_submit(
                study=study, by=user, opinion=text, seen_version=seen
            )

        return run

    threads = [
        _in_thread(answer(rd.manager, "经理意见"), outcome, "manager"),
        _in_thread(answer(deputy, "代理意见"), outcome, "deputy"),
    ]
    for thread in threads:
        thread.join(60)

    kinds = sorted(type(r).__name__ for r in outcome.values())
    assert kinds == ["ConflictError", "StudyRequest"], outcome
    assert proposal.events.filter(kind=ProposalEvent.Kind.OPINION).count() == 1
    study = StudyRequest.objects.get(pk=study_id)
    winner = next(k for k, r in outcome.items() if isinstance(r, StudyRequest))
    assert study.opinion == {"manager": "经理意见", "deputy": "代理意见"}[winner]
