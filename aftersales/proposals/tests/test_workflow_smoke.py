from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.proposals.models import Status
from aftersales.proposals.tests.factories import adopted, make_department, make_proposal

pytestmark = pytest.mark.django_db(transaction=False)


def test_p7_adopted_proposal_tells_customer_time_and_measures(make_staff, cs_manager, smtp_server):
    specialist = make_staff("spec", Role.AFTERSALES_SPECIALIST)
    rd = make_department(manager=make_staff("rdmgr", Role.DEPARTMENT_MANAGER))
    proposal = make_proposal()
    proposal = adopted(proposal, by=specialist, decider=cs_manager, departments=[rd])
    assert proposal.status == Status.ADOPTED
    assert proposal.reference.startswith(f"P-{timezone.localdate().year}-")
    bodies = [m.body for m in proposal.customer.messages.all()]
    assert any("退货审批由三级改为一级" in b for b in bodies)
    assert proposal.planned_implementation_date == timezone.localdate() + timedelta(days=30)
