"""'My work' lists the proposals waiting on the user, and only those."""

import pytest
from django.urls import reverse

from aftersales.core.roles import Role
from aftersales.proposals.tests.factories import (
    make_department,
    make_proposal,
    studied,
    under_study,
)
from aftersales.proposals.work import proposals_work

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
