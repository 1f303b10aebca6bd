"""Proposals test set-up: tasks run in process; the personas and departments
most tests share. Plain helpers are in factories.py."""

import pytest

from aftersales.core.roles import Role
from aftersales.proposals.tests.factories import adopted, make_department, make_proposal


@pytest.fixture(autouse=True)
def huey_runs_in_process(huey_immediate):
    """Tasks queued by on-commit callbacks run at once, in memory."""


@pytest.fixture
def specialist(make_staff):
    """Accepts, closes and routes proposals (P5)."""
    return make_staff("spec", Role.AFTERSALES_SPECIALIST)


@pytest.fixture
def rd_manager(make_staff):
    """Manages rd, the department that studies and implements the proposals."""
    return make_staff("rdmgr", Role.DEPARTMENT_MANAGER)


@pytest.fixture
def rd(rd_manager):
    return make_department(manager=rd_manager, code="rd", name="研发部")


@pytest.fixture
def qa(make_staff):
    """A second studying department, with its own manager."""
    return make_department(
        manager=make_staff("qamgr", Role.DEPARTMENT_MANAGER), code="qa", name="品质部"
    )


@pytest.fixture
def other_manager(make_staff):
    """Manages a department that has nothing to do with the proposals at hand."""
    manager = make_staff("othermgr", Role.DEPARTMENT_MANAGER)
    make_department(manager=manager, code="other")
    return manager


@pytest.fixture
def adopted_proposal(specialist, cs_manager, rd):
    return adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
