"""P7 / P8 / P9: the customer is told promptly. A decision notice still not
delivered after the policy's notice_due_days is escalated, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.testing import arrange_status
from aftersales.customers.tests.factories import make_customer
from aftersales.notifications.models import Message
from aftersales.proposals import services
from aftersales.proposals.tests.factories import adopted, make_proposal

pytestmark = pytest.mark.django_db


def test_p7_an_undelivered_adoption_letter_is_escalated_once_after_notice_due_days(
    specialist, rd, cs_manager
):
    # Reachable by post only: the adoption notice waits as a letter to print.
    customer = make_customer(name="李建军", email="", phone="", postal_address="杭州市文三路 90 号")
    proposal = adopted(
        make_proposal(customer=customer), by=specialist, decider=cs_manager, departments=[rd]
    )
    letter = Message.objects.get(customer=customer, template="proposals/proposal_adopted")
    assert letter.status == "to_print"

    # Not yet late (policy default: 3 days).
    assert services.remind_and_escalate()["notice_escalations"] == 0
    Message.objects.filter(pk=letter.pk).update(created_at=timezone.now() - timedelta(days=4))

    assert services.remind_and_escalate()["notice_escalations"] == 1
    assert services.remind_and_escalate()["notice_escalations"] == 0
    told = Message.objects.get(user=cs_manager, template="proposals/notice_late")
    assert proposal.reference in told.subject and letter.subject in told.body
    assert proposal.events.filter(kind="escalation", data__message=letter.pk).count() == 1


def test_p7_a_delivered_notice_is_not_escalated(specialist, rd, cs_manager, smtp_server):
    adopted(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])
    Message.objects.update(created_at=timezone.now() - timedelta(days=10))
    arrange_status(Message.objects.filter(template="proposals/proposal_adopted"), status="sent")

    assert services.remind_and_escalate()["notice_escalations"] == 0
