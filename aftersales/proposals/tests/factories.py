"""Proposals for tests, made and moved through the services, so each is what
the real workflow makes."""

import itertools
from datetime import timedelta

from django.utils import timezone

from aftersales.accounts.models import Department
from aftersales.accounts.services import delegation_create
from aftersales.customers.tests.factories import make_customer
from aftersales.proposals import services
from aftersales.proposals.models import Category, Channel, CloseReason, Proposal

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


def reserved(
    proposal: Proposal,
    *,
    by,
    decider,
    departments,
    decide_by=None,
    reason="需要评估成本，暂予保留。",
) -> Proposal:
    """Studied, then reserved (P9) until ``decide_by`` (30 days on by default)."""
    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_reserve(
        proposal=proposal,
        by=decider,
        reason=reason,
        decide_by=decide_by or timezone.localdate() + timedelta(days=30),
        seen_version=proposal.version,
    )


def not_adopted(proposal: Proposal, *, by, decider, departments) -> Proposal:
    proposal = studied(proposal, by=by, departments=departments)
    return services.proposal_not_adopt(
        proposal=proposal, by=decider, note="与现行法规冲突。", seen_version=proposal.version
    )


def implemented(proposal: Proposal, *, by, decider, departments) -> Proposal:
    proposal = adopted(proposal, by=by, decider=decider, departments=departments)
    return services.proposal_implemented(
        proposal=proposal, by=decider, note="已上线。", seen_version=proposal.version
    )


def closed(proposal: Proposal, *, by, reason=CloseReason.SPAM) -> Proposal:
    return services.proposal_close(
        proposal=proposal, by=by, reason=reason, seen_version=fresh(proposal).version
    )


def delegated(*, delegator, delegate, role, days=7, starts_on=None, reason="出差"):
    """``delegator`` hands ``role`` to ``delegate`` from ``starts_on`` (today by
    default) until ``days`` after today."""
    today = timezone.localdate()
    return delegation_create(
        delegator=delegator,
        delegate=delegate,
        role=role,
        starts_on=starts_on or today,
        ends_on=today + timedelta(days=days),
        reason=reason,
        by=delegator,
    )


def post_json(client, url, data, **extra):
    return client.post(url, data, content_type="application/json", **extra)


def error_envelope(response) -> dict:
    """The ``error`` of an API refusal, checked to be the whole envelope."""
    data = response.json()
    assert set(data) == {"error"} and set(data["error"]) == {"code", "message", "fields"}, data
    return data["error"]


def policy_in_force_with(by, effective_from=None, **overrides):
    """A new policy version, drafted and approved through the services (Q3),
    in force from ``effective_from`` (today by default). ``by`` must be the
    general manager."""
    from aftersales.policy import services as policy
    from aftersales.policy.tests.factories import policy_values

    draft = policy.policy_draft_create(by=by)
    draft = policy.policy_draft_update(
        version=draft, by=by, values=policy_values(**overrides), note="test: " + repr(overrides)
    )
    return policy.policy_approve(
        version=draft, by=by, effective_from=effective_from or timezone.localdate()
    )
