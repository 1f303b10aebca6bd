"""Proposals for tests, made and moved through the services, so each is what
the real workflow makes."""

import itertools
from datetime import timedelta

from django.utils import timezone

from aftersales.accounts.models import Department
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import services
from aftersales.proposals.models import Category, Channel, Proposal

_serial = itertools.count(1)


def make_department(*, manager, code: str | None = None, name: str | None = None) -> Department:
    n = next(_serial)
    return Department.objects.create(
        code=code or f"dept-{n}",
        name=name or f"研发部{n}",
        name_en=f"R&D {n}",
        manager=manager,
    )


def make_proposal(
    *, customer=None, channel=Channel.WEB, title=None, content=None, by=None, **fields
) -> Proposal:
    n = next(_serial)
    return services.proposal_receive(
        customer=customer or make_customer(),
        channel=channel,
        title=title or f"关于退货流程的建议 {n}",
        content=content or "建议简化退货流程，缩短保修期内的退货时间。Please simplify returns.",
        by=by,
        **fields,
    )


def fresh(proposal: Proposal) -> Proposal:
    return Proposal.objects.get(pk=proposal.pk)


def accepted(proposal: Proposal, *, by) -> Proposal:
    return services.proposal_accept(
        proposal=proposal,
        by=by,
        category=Category.SERVICE,
        summary="简化退货流程",
        seen_version=fresh(proposal).version,
    )


def under_study(proposal: Proposal, *, by, departments) -> Proposal:
    proposal = accepted(proposal, by=by)
    services.proposal_route(
        proposal=proposal, by=by, departments=departments, seen_version=fresh(proposal).version
    )
    return fresh(proposal)


def studied(proposal: Proposal, *, by, departments) -> Proposal:
    """Accepted, routed and every department's opinion given by its manager."""
    proposal = under_study(proposal, by=by, departments=departments)
    for study in proposal.study_requests.select_related("department__manager", "proposal"):
        services.study_opinion_submit(
            study=study,
            by=study.department.manager,
            opinion="可行，建议采用。",
            seen_version=fresh(proposal).version,
        )
    return fresh(proposal)


def adopted(proposal: Proposal, *, by, decider, departments) -> Proposal:
    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_adopt(
        proposal=proposal,
        by=decider,
        implementing_department=departments[0],
        planned_date=timezone.localdate() + timedelta(days=30),
        measures="退货审批由三级改为一级。",
        seen_version=proposal.version,
    )
