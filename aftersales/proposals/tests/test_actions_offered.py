"""What the page offers is exactly what the services accept (issue 8): for
every status and every role, the action buttons on the proposal's page are
read, then every action is posted; an action is accepted if and only if it
was offered. One rule table (proposals.actions) answers both."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.proposals.actions import RULES
from aftersales.proposals.models import Proposal
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    closed,
    implemented,
    make_proposal,
    not_adopted,
    reserved,
    studied,
    under_study,
)

pytestmark = pytest.mark.django_db

OFFERED = re.compile(r'id="action-([a-z_]+)"')


def _states(specialist, cs_manager, rd):
    """A builder per status the page can show (under study twice: waiting
    for an opinion, and every opinion in)."""
    by, dept = {"by": specialist}, {"departments": [rd]}
    return {
        "received": lambda: make_proposal(),
        "accepted": lambda: accepted(make_proposal(), **by),
        "under_study": lambda: under_study(make_proposal(), **by, **dept),
        "studied": lambda: studied(make_proposal(), **by, **dept),
        "reserved": lambda: reserved(make_proposal(), **by, decider=cs_manager, **dept),
        "adopted": lambda: adopted(make_proposal(), **by, decider=cs_manager, **dept),
        "not_adopted": lambda: not_adopted(make_proposal(), **by, decider=cs_manager, **dept),
        "implemented": lambda: implemented(make_proposal(), **by, decider=cs_manager, **dept),
        "closed": lambda: closed(make_proposal(), **by),
    }


def _payload(action: str, proposal: Proposal, *, rd, qa) -> dict:
    """Valid input for ``action`` wherever it applies, so only the rules can
    refuse it."""
    today = timezone.localdate()
    data = {
        "accept": {"category": "service", "summary": "简化退货流程"},
        "route": {"departments": [qa.pk], "due_date": (today + timedelta(days=10)).isoformat()},
        "close": {"reason": "spam", "note": ""},
        "adopt": {
            "implementing_department": rd.pk,
            "planned_date": (today + timedelta(days=30)).isoformat(),
            "measures": "退货审批由三级改为一级。",
            "note": "",
            "development_mode": "company",
            "agreement_reference": "",
        },
        "not_adopt": {"note": "与现行法规冲突，谢谢。"},
        "reserve": {
            "reason": "需要评估成本。",
            "decide_by": (today + timedelta(days=20)).isoformat(),
        },
        "extend": {
            "decide_by": ((proposal.decide_by or today) + timedelta(days=1)).isoformat(),
            "reason": "供应商报价未到。",
        },
        "implemented": {"note": "已上线。"},
        "development": {"development_mode": "company", "agreement_reference": ""},
    }[action]
    return {**data, "seen_version": proposal.version}


def test_every_action_has_a_rule_a_view_and_a_payload(rd, qa):
    from aftersales.proposals.views import ACTIONS

    assert set(ACTIONS) == set(RULES)
    proposal = Proposal(version=1)
    for action in RULES:
        reverse(f"proposals:{action}", args=[1])
        assert _payload(action, proposal, rd=rd, qa=qa)


@pytest.mark.parametrize(
    "state",
    [
        "received",
        "accepted",
        "under_study",
        "studied",
        "reserved",
        "adopted",
        "not_adopted",
        "implemented",
        "closed",
    ],
)
def test_the_page_offers_exactly_the_actions_the_service_accepts(
    state,
    client_for,
    make_staff,
    specialist,
    cs_manager,
    aftersales_manager,
    general_manager,
    rd_manager,
    rd,
    qa,
    worker,
    outsider,
):
    proposal = _states(specialist, cs_manager, rd)[state]()
    people = {
        "worker": worker,
        "quality": make_staff("quality2", Role.QUALITY_SPECIALIST),
        "specialist": specialist,
        "cs_manager": cs_manager,
        "aftersales_manager": aftersales_manager,
        "general_manager": general_manager,
        "implementing_manager": rd_manager,
        "administrator": make_staff("admin2", Role.ADMINISTRATOR),
        "outsider": outsider,
    }
    seen_any = set()
    for name, person in people.items():
        client = client_for(person)
        page = client.get(reverse("proposals:detail", args=[proposal.pk]))
        offered = (
            set(OFFERED.findall(page.content.decode())) & set(RULES)
            if page.status_code == 200
            else set()
        )
        accepted_here = set()
        for action in RULES:
            current = Proposal.objects.get(pk=proposal.pk)
            with transaction.atomic():
                client.post(
                    reverse(f"proposals:{action}", args=[proposal.pk]),
                    _payload(action, current, rd=rd, qa=qa),
                )
                if Proposal.objects.get(pk=proposal.pk).version != current.version:
                    accepted_here.add(action)
                transaction.set_rollback(True)
        assert offered == accepted_here, (state, name, offered, accepted_here)
        seen_any |= offered
    # The walk means something: in every state but the final ones someone may act.
    if state not in {"not_adopted", "closed"}:
        assert seen_any, state


@pytest.mark.parametrize("state", ["received", "accepted", "studied", "reserved", "adopted"])
def test_my_work_lists_only_what_the_rules_let_that_person_do(
    state,
    make_staff,
    specialist,
    cs_manager,
    aftersales_manager,
    general_manager,
    rd_manager,
    rd,
    worker,
):
    """My work is one query per kind; each thing it lists names the rule it
    waits for, and that rule allows the person to act on it now."""
    from datetime import timedelta

    from aftersales.proposals.actions import allowed_actions
    from aftersales.proposals.work import proposals_work

    proposal = _states(specialist, cs_manager, rd)[state]()
    if state == "reserved":
        # P9: past its decide-by date, so the extension is listed too.
        Proposal.objects.filter(pk=proposal.pk).update(
            decide_by=timezone.localdate() - timedelta(days=1)
        )
    listed_any = False
    for person in (specialist, cs_manager, aftersales_manager, general_manager, rd_manager, worker):
        section = proposals_work(person) or {"items": []}
        for item in section["items"]:
            if item.get("proposal_id") != proposal.pk or not item.get("action"):
                continue
            listed_any = True
            assert item["action"] in allowed_actions(
                person, Proposal.objects.get(pk=proposal.pk)
            ), (state, person.username, item)
    assert listed_any, state
