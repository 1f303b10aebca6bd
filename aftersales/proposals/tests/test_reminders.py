"""P5 / P7 / P9: reminders before a due date and escalation after it, each sent
once however often the job runs, with the numbers taken from the policy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.models import ProposalEvent
from aftersales.proposals.tests.factories import (
    adopted,
    delegated,
    fresh,
    implemented,
    make_proposal,
    policy_in_force_with,
    reserved,
    under_study,
)

pytestmark = pytest.mark.django_db

NOTHING = {
    "study_reminders": 0,
    "study_escalations": 0,
    "reserve_reminders": 0,
    "reserve_escalations": 0,
    "implementation_reminders": 0,
    "notice_escalations": 0,
}


def run(day):
    return services.remind_and_escalate(today=day)


def did(**counts):
    return NOTHING | counts


def sent(template):
    """Who got ``template``, as a sorted list of usernames (repeats kept)."""
    return sorted(m.user.username for m in Message.objects.filter(template=template))


@pytest.fixture
def cs_managers(cs_manager, make_staff):
    return [cs_manager, make_staff("csmanager2", Role.CS_MANAGER)]


# --- P5: study ------------------------------------------------------------------


def test_p5_study_reminder_goes_to_the_department_manager_once_before_the_due_date(
    specialist, rd, cs_managers
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    due = proposal.study_requests.get().due_date
    assert due == timezone.localdate() + timedelta(days=14)

    # study_reminder_days_before defaults to 2.
    assert run(due - timedelta(days=3)) == NOTHING
    assert run(due - timedelta(days=2)) == did(study_reminders=1)
    assert run(due - timedelta(days=2)) == NOTHING
    assert run(due) == NOTHING

    assert sent("proposals/study_reminder") == ["rdmgr"]
    reminder = Message.objects.get(template="proposals/study_reminder")
    assert proposal.reference in reminder.subject + reminder.body
    assert proposal.study_requests.get().reminded_at is not None
    assert proposal.events.filter(kind=ProposalEvent.Kind.REMINDER).count() == 1


def test_p5_overdue_study_is_escalated_once_to_the_customer_service_managers(
    specialist, rd, cs_managers
):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    due = proposal.study_requests.get().due_date

    # study_escalation_days_after defaults to 1; the late reminder goes too.
    assert run(due) == did(study_reminders=1)
    assert run(due + timedelta(days=1)) == did(study_escalations=1)
    assert run(due + timedelta(days=5)) == NOTHING

    assert sent("proposals/study_escalated") == ["csmanager", "csmanager2"]
    assert "rdmgr" not in sent("proposals/study_escalated")
    assert proposal.events.filter(kind=ProposalEvent.Kind.ESCALATION).count() == 1


def test_p5_a_delegate_of_the_cs_manager_is_told_of_escalations(specialist, rd, cs_manager, worker):
    delegated(delegator=cs_manager, delegate=worker, role=Role.CS_MANAGER, days=30, reason="年假")
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])

    run(proposal.study_requests.get().due_date + timedelta(days=1))

    assert sent("proposals/study_escalated") == ["csmanager", "worker"]


def test_p5_an_answered_study_is_neither_reminded_nor_escalated(specialist, rd, cs_managers):
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    study = proposal.study_requests.get()
    services.study_opinion_submit(
        study=study, by=rd.manager, opinion="可行", seen_version=fresh(proposal).version
    )

    assert run(study.due_date + timedelta(days=10)) == NOTHING
    assert not Message.objects.filter(
        template__in=["proposals/study_reminder", "proposals/study_escalated"]
    ).exists()


def test_p5_study_reminder_and_escalation_days_come_from_the_policy(
    specialist, rd, cs_managers, general_manager
):
    policy_in_force_with(
        general_manager, study_reminder_days_before=5, study_escalation_days_after=3
    )
    proposal = under_study(make_proposal(), by=specialist, departments=[rd])
    due = proposal.study_requests.get().due_date

    assert run(due - timedelta(days=6)) == NOTHING
    assert run(due - timedelta(days=5)) == did(study_reminders=1)
    assert run(due + timedelta(days=2)) == NOTHING
    assert run(due + timedelta(days=3)) == did(study_escalations=1)


# --- P9: reserve ------------------------------------------------------------------


def test_p9_reserve_reminder_then_escalation_each_once(
    specialist, cs_manager, aftersales_manager, rd
):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    decide_by = fresh(proposal).decide_by

    # reserve_reminder_days_before 7, reserve_escalation_days_after 1 by default.
    assert run(decide_by - timedelta(days=8)) == NOTHING
    assert run(decide_by - timedelta(days=7)) == did(reserve_reminders=1)
    assert run(decide_by) == NOTHING
    assert run(decide_by + timedelta(days=1)) == did(reserve_escalations=1)
    assert run(decide_by + timedelta(days=2)) == NOTHING

    assert sent("proposals/reserve_reminder") == ["csmanager"]
    # Past the date it goes up to the after-sales department manager as well.
    assert sent("proposals/reserve_escalated") == ["asmanager", "csmanager"]


def test_p9_an_extended_reserve_is_reminded_again_before_its_new_date(specialist, cs_manager, rd):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    first = fresh(proposal).decide_by
    assert run(first - timedelta(days=7)) == did(reserve_reminders=1)
    new = first + timedelta(days=20)
    services.proposal_reserve_extend(
        proposal=proposal,
        by=cs_manager,
        decide_by=new,
        reason="等待报价",
        seen_version=fresh(proposal).version,
    )

    assert run(first + timedelta(days=1)) == NOTHING
    assert run(new - timedelta(days=7)) == did(reserve_reminders=1)
    assert len(sent("proposals/reserve_reminder")) == 2


def test_p9_reserve_reminder_days_come_from_the_policy(specialist, cs_manager, rd, general_manager):
    policy_in_force_with(general_manager, reserve_reminder_days_before=14)
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    decide_by = fresh(proposal).decide_by

    assert run(decide_by - timedelta(days=15)) == NOTHING
    assert run(decide_by - timedelta(days=14)) == did(reserve_reminders=1)


def test_p9_a_decided_reserve_is_not_reminded(specialist, cs_manager, rd):
    proposal = reserved(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    decide_by = fresh(proposal).decide_by
    services.proposal_not_adopt(
        proposal=proposal, by=cs_manager, note="不采用", seen_version=fresh(proposal).version
    )

    assert run(decide_by + timedelta(days=3)) == NOTHING


# --- P7: implementation ----------------------------------------------------------


def test_p7_implementation_reminder_goes_once_to_the_implementing_manager(
    specialist, cs_manager, rd
):
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    planned = fresh(proposal).planned_implementation_date

    # implementation_reminder_days_before defaults to 3.
    assert run(planned - timedelta(days=4)) == NOTHING
    assert run(planned - timedelta(days=3)) == did(implementation_reminders=1)
    assert run(planned + timedelta(days=3)) == NOTHING

    assert sent("proposals/implementation_reminder") == ["rdmgr"]


def test_p7_implementation_reminder_days_come_from_the_policy(
    specialist, cs_manager, rd, general_manager
):
    policy_in_force_with(general_manager, implementation_reminder_days_before=10)
    proposal = adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    planned = fresh(proposal).planned_implementation_date

    assert run(planned - timedelta(days=11)) == NOTHING
    assert run(planned - timedelta(days=10)) == did(implementation_reminders=1)


def test_p7_an_implemented_proposal_is_not_reminded(specialist, cs_manager, rd):
    proposal = implemented(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    assert run(fresh(proposal).planned_implementation_date) == NOTHING


def test_p5_p7_p9_the_periodic_task_runs_the_same_job(specialist, rd, cs_manager):
    from aftersales.core.tasks import workflow_deadlines

    under_study(make_proposal(), by=specialist, departments=[rd]).study_requests.update(
        due_date=timezone.localdate()
    )

    workflow_deadlines.call_local()
    workflow_deadlines.call_local()

    assert sent("proposals/study_reminder") == ["rdmgr"]
