"""P10: who owns what an adopted proposal produces — the company, or the company
and the customer under an agreement."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from aftersales.core.errors import DomainError
from aftersales.proposals import services
from aftersales.proposals.models import DevelopmentMode, Proposal, ProposalEvent
from aftersales.proposals.tests.factories import (
    fresh,
    implemented,
    make_proposal,
    not_adopted,
    studied,
)

pytestmark = pytest.mark.django_db


def set_development(proposal, by, mode, agreement=""):
    return services.proposal_set_development(
        proposal=proposal,
        by=by,
        development_mode=mode,
        agreement_reference=agreement,
        seen_version=fresh(proposal).version,
    )


def state(proposal):
    p = fresh(proposal)
    return (p.version, p.development_mode, p.agreement_reference, p.events.count())


def test_p10_company_development_is_recorded(adopted_proposal, cs_manager):
    set_development(adopted_proposal, cs_manager, DevelopmentMode.COMPANY)

    record = fresh(adopted_proposal)
    assert record.development_mode == DevelopmentMode.COMPANY
    event = record.events.get(kind=ProposalEvent.Kind.DEVELOPMENT)
    assert (event.by, event.data["mode"]) == (cs_manager, "company")


def test_p10_joint_development_is_recorded_with_its_agreement(adopted_proposal, cs_manager):
    set_development(adopted_proposal, cs_manager, DevelopmentMode.JOINT, "  协议-2025-007 ")

    record = fresh(adopted_proposal)
    assert (record.development_mode, record.agreement_reference) == ("joint", "协议-2025-007")
    assert record.events.get(kind=ProposalEvent.Kind.DEVELOPMENT).note == "协议-2025-007"


@pytest.mark.parametrize("agreement", ["", "   "])
def test_p10_joint_development_needs_an_agreement_reference(
    agreement, adopted_proposal, cs_manager
):
    before = state(adopted_proposal)

    with pytest.raises(DomainError) as caught:
        set_development(adopted_proposal, cs_manager, DevelopmentMode.JOINT, agreement)

    assert caught.value.code == "p10_agreement_required"
    assert "agreement_reference" in caught.value.fields
    assert state(adopted_proposal) == before


def test_p10_the_database_refuses_joint_development_without_an_agreement(adopted_proposal):
    # The rule holds even for a write that bypasses the services.
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=adopted_proposal.pk).update(
            development_mode=DevelopmentMode.JOINT, agreement_reference=""
        )

    assert fresh(adopted_proposal).development_mode == ""


def test_p10_adoption_can_state_the_development_mode_and_needs_the_agreement_if_joint(
    specialist, cs_manager, rd
):
    proposal = studied(make_proposal(), by=specialist, departments=[rd])
    kwargs = {
        "proposal": proposal,
        "by": cs_manager,
        "implementing_department": rd,
        "planned_date": timezone.localdate() + timedelta(days=10),
        "measures": "联合开发新型配件。",
        "development_mode": DevelopmentMode.JOINT,
        "seen_version": proposal.version,
    }

    with pytest.raises(DomainError) as caught:
        services.proposal_adopt(**kwargs)
    assert caught.value.code == "p10_agreement_required"
    assert fresh(proposal).status == "under_study"

    services.proposal_adopt(**kwargs, agreement_reference="AG-1")
    assert (fresh(proposal).development_mode, fresh(proposal).agreement_reference) == (
        "joint",
        "AG-1",
    )


def test_p10_an_implemented_proposal_can_still_record_its_development(specialist, cs_manager, rd):
    proposal = implemented(make_proposal(), by=specialist, decider=cs_manager, departments=[rd])

    set_development(proposal, cs_manager, DevelopmentMode.JOINT, "AG-9")

    assert fresh(proposal).development_mode == "joint"


@pytest.mark.parametrize("stage", ["under_study", "not_adopted"])
def test_p10_only_an_adopted_proposal_has_a_development_mode(stage, specialist, cs_manager, rd):
    proposal = make_proposal()
    if stage == "under_study":
        proposal = studied(proposal, by=specialist, departments=[rd])
    else:
        proposal = not_adopted(proposal, by=specialist, decider=cs_manager, departments=[rd])
    before = state(proposal)

    with pytest.raises(DomainError) as caught:
        set_development(proposal, cs_manager, DevelopmentMode.COMPANY)

    assert caught.value.code == "not_adopted"
    assert state(proposal) == before


@pytest.mark.parametrize(("mode", "code"), [("", "fields_required"), ("both", "invalid_mode")])
def test_p10_the_mode_is_required_and_known(mode, code, adopted_proposal, cs_manager):
    before = state(adopted_proposal)

    with pytest.raises(DomainError) as caught:
        set_development(adopted_proposal, cs_manager, mode)

    assert caught.value.code == code
    assert state(adopted_proposal) == before
