"""Who sees which action on a proposal's page, and who is refused (403) when
posting one anyway: each action for each role that may not take it (P5-P10)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from aftersales.core.roles import Role
from aftersales.proposals import services
from aftersales.proposals.models import Proposal, ReserveExtension, StudyRequest
from aftersales.proposals.tests.factories import (
    accepted,
    adopted,
    delegated,
    fresh,
    implemented,
    make_proposal,
    reserved,
    studied,
    under_study,
)

pytestmark = pytest.mark.django_db

PERSONAS = [
    "worker",
    "quality_specialist",
    "specialist",
    "cs_manager",
    "aftersales_manager",
    "general_manager",
    "rd_manager",
    "other_manager",
    "outsider",
]


@pytest.fixture
def in_state(specialist, cs_manager, rd):
    def make(state: str) -> Proposal:
        proposal = make_proposal()
        if state == "received":
            return proposal
        if state == "accepted":
            return accepted(proposal, by=specialist)
        if state == "under_study":
            return under_study(proposal, by=specialist, departments=[rd])
        if state == "studied":
            return studied(proposal, by=specialist, departments=[rd])
        kw = {"by": specialist, "decider": cs_manager, "departments": [rd]}
        if state == "reserved":
            decide_by = timezone.localdate() + timedelta(days=10)
            return reserved(proposal, decide_by=decide_by, reason="需要评估", **kw)
        if state == "adopted":
            return adopted(proposal, **kw)
        if state == "implemented":
            return implemented(proposal, **kw)
        raise AssertionError(state)

    return make


INTAKE = ("specialist", "cs_manager", "aftersales_manager")

# state -> persona -> the actions shown; a persona not named sees none.
EXPECTED = {
    "received": {p: {"accept", "close"} for p in INTAKE},
    "accepted": {p: {"route", "close"} for p in INTAKE},
    "under_study": {p: {"route"} for p in INTAKE} | {"rd_manager": {"opinion"}},
    "studied": {p: {"route"} for p in INTAKE}
    | {"cs_manager": {"route", "adopt", "not_adopt", "reserve"}},
    # P9: a reserved proposal is later decided as adopted or not adopted.
    "reserved": {
        "cs_manager": {"extend", "adopt", "not_adopt"},
        "aftersales_manager": {"extend"},
    },
    "adopted": {
        "cs_manager": {"implemented", "development"},
        "aftersales_manager": {"implemented"},
        "rd_manager": {"implemented"},
    },
    "implemented": {"cs_manager": {"development"}},
}


@pytest.mark.parametrize("state", list(EXPECTED))
def test_each_persona_sees_only_the_actions_it_may_take(request, client_for, in_state, state):
    proposal = in_state(state)
    for persona in PERSONAS:
        user = request.getfixturevalue(persona)
        response = client_for(user).get(reverse("proposals:detail", args=[proposal.pk]))
        if persona == "outsider":
            assert response.status_code == 403
            continue
        assert response.status_code == 200, persona
        shown = {panel.action.key for panel in response.context["panels"]}
        assert shown == EXPECTED[state].get(persona, set()), (state, persona)
        page = response.content.decode()
        for key in shown - {"opinion"}:
            assert reverse(f"proposals:{key}", args=[proposal.pk]) in page


# action -> (state it is posted in, data, personas refused)
NOT_INTAKE = ["worker", "quality_specialist", "general_manager", "rd_manager", "outsider"]
NOT_DECIDER = [
    "worker",
    "quality_specialist",
    "specialist",
    "aftersales_manager",
    "general_manager",
    "rd_manager",
    "outsider",
]
REFUSED = {
    "accept": ("received", {"category": "service", "summary": "摘要"}, NOT_INTAKE),
    "close": ("received", {"reason": "spam", "note": ""}, NOT_INTAKE),
    "route": ("accepted", {"departments": "RD"}, NOT_INTAKE),
    "adopt": (
        "studied",
        {
            "implementing_department": "RD",
            "planned_date": (timezone.localdate() + timedelta(days=9)).isoformat(),
            "measures": "措施",
        },
        NOT_DECIDER,
    ),
    "not_adopt": ("studied", {"note": "感谢"}, NOT_DECIDER),
    "reserve": (
        "studied",
        {"reason": "原因", "decide_by": (timezone.localdate() + timedelta(days=5)).isoformat()},
        NOT_DECIDER,
    ),
    "extend": (
        "reserved",
        {"reason": "原因", "decide_by": (timezone.localdate() + timedelta(days=20)).isoformat()},
        ["worker", "quality_specialist", "specialist", "general_manager", "rd_manager", "outsider"],
    ),
    "implemented": (
        "adopted",
        {"note": "完成"},
        [
            "worker",
            "quality_specialist",
            "specialist",
            "general_manager",
            "other_manager",
            "outsider",
        ],
    ),
    "development": ("adopted", {"development_mode": "company"}, NOT_DECIDER),
}

ALLOWED = {
    "accept": "specialist",
    "close": "specialist",
    "route": "specialist",
    "adopt": "cs_manager",
    "not_adopt": "cs_manager",
    "reserve": "cs_manager",
    "extend": "cs_manager",
    "implemented": "rd_manager",
    "development": "cs_manager",
}


@pytest.mark.parametrize("action", list(REFUSED))
def test_each_action_is_refused_for_each_role_that_may_not_take_it(
    request, client_for, in_state, rd, action
):
    state, data, refused = REFUSED[action]
    proposal = in_state(state)
    before = fresh(proposal)
    data = {k: (rd.pk if v == "RD" else v) for k, v in data.items()}
    url = reverse(f"proposals:{action}", args=[proposal.pk])

    for persona in refused:
        response = client_for(request.getfixturevalue(persona)).post(
            url, {"seen_version": before.version, **data}
        )

        assert response.status_code == 403, (action, persona)
        after = fresh(proposal)
        assert (after.status, after.version) == (before.status, before.version), persona

    # The same form from someone who may take the action goes through: the
    # refusals above were about the role, not the data.
    response = client_for(request.getfixturevalue(ALLOWED[action])).post(
        url, {"seen_version": before.version, **data}
    )
    assert response.status_code == 302, response.context and [
        p.form.errors for p in response.context["panels"]
    ]
    assert fresh(proposal).version > before.version


@pytest.mark.parametrize(
    "persona",
    [
        "worker",
        "quality_specialist",
        "specialist",
        "cs_manager",
        "aftersales_manager",
        "general_manager",
        "other_manager",
        "outsider",
    ],
)
def test_p5_only_the_departments_manager_writes_its_study_opinion(
    request, client_for, in_state, persona
):
    proposal = in_state("under_study")
    study = StudyRequest.objects.get(proposal=proposal)
    user = request.getfixturevalue(persona)

    response = client_for(user).post(
        reverse("proposals:opinion", args=[study.pk]),
        {f"study{study.pk}-seen_version": proposal.version, f"study{study.pk}-opinion": "意见"},
    )

    assert response.status_code == 403
    study.refresh_from_db()
    assert study.opinion == ""


def test_p5_the_managers_delegate_writes_the_opinion(client_for, in_state, rd_manager, make_staff):
    deputy = make_staff("deputy", Role.SERVICE_WORKER)
    delegated(delegator=rd_manager, delegate=deputy, role=Role.DEPARTMENT_MANAGER)
    proposal = in_state("under_study")
    study = StudyRequest.objects.get(proposal=proposal)
    c = client_for(deputy)

    shown = c.get(reverse("proposals:detail", args=[proposal.pk])).context["panels"]
    assert [p.action.key for p in shown] == ["opinion"]
    response = c.post(
        reverse("proposals:opinion", args=[study.pk]),
        {f"study{study.pk}-seen_version": proposal.version, f"study{study.pk}-opinion": "代为意见"},
    )

    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.opinion, study.opinion_by) == ("代为意见", deputy)


def test_p9_the_cs_manager_is_refused_an_extension_past_the_limit(client_for, in_state, cs_manager):
    proposal = in_state("reserved")
    limit, _version = services.reserve_limit(proposal.reserved_on, proposal.reserve_policy)

    response = client_for(cs_manager).post(
        reverse("proposals:extend", args=[proposal.pk]),
        {
            "seen_version": proposal.version,
            "decide_by": (limit + timedelta(days=1)).isoformat(),
            "reason": "还要等",
        },
    )

    assert response.status_code == 403
    assert fresh(proposal).decide_by == proposal.decide_by
    assert not ReserveExtension.objects.exists()


@pytest.mark.parametrize("persona", ["quality_specialist", "general_manager", "outsider"])
def test_p4_recording_a_letter_or_call_is_refused_without_the_right(request, client_for, persona):
    user = request.getfixturevalue(persona)
    c = client_for(user)

    assert c.get(reverse("proposals:record")).status_code == 403
    assert c.post(reverse("proposals:record"), {"channel": "phone"}).status_code == 403
    assert not Proposal.objects.exists()


def test_signing_in_comes_before_any_proposal_page(client, in_state):
    proposal = in_state("received")
    for url in (
        reverse("proposals:detail", args=[proposal.pk]),
        reverse("proposals:record"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post(reverse("proposals:accept", args=[proposal.pk]), {})
    assert response.status_code == 302
    assert fresh(proposal).version == proposal.version
