"""'My work' for proposals: what waits on this person, one query per kind.

Each kind is one query limited to LIMIT rows, so the page costs the same
whether one or a thousand things wait. Orderings end on the primary key, and
never sort a column that may be NULL without saying where NULLs go (SQLite and
PostgreSQL disagree), so both databases list the same rows in the same order.
"""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.permissions import can
from aftersales.proposals.models import (
    ADOPTED_STATUSES,
    Evaluation,
    InboundMail,
    Proposal,
    Score,
    Status,
    StudyRequest,
    opinion_delegators,
)

LIMIT = 10


def _item(proposal, note, action=None):
    """One thing waiting; ``action`` names the rule in proposals.actions it
    waits for (a test holds My work to what those rules allow)."""
    return {
        "label": f"{proposal.reference} · {proposal.title}",
        "url": reverse("proposals:detail", args=[proposal.pk]),
        "note": note,
        "proposal_id": proposal.pk,
        "action": action,
    }


def _studies(user, today):
    # P5: study opinions this person writes: as the department's manager, or
    # as the delegate of that manager in a managing role.
    delegators = opinion_delegators(user, on=today).values("delegator_id")
    for study in (
        StudyRequest.objects.filter(
            Q(department__manager=user) | Q(department__manager__in=delegators),
            opinion_at__isnull=True,
            proposal__status=Status.UNDER_STUDY,
        )
        .select_related("proposal", "department")
        .order_by("due_date", "pk")[:LIMIT]
    ):
        yield _item(
            study.proposal,
            _("Study opinion for %(dept)s, due %(date)s")
            % {"dept": study.department, "date": study.due_date.isoformat()},
        )


def _to_accept():
    for proposal in Proposal.objects.filter(status__in=[Status.RECEIVED, Status.ACCEPTED]).order_by(
        "pk"
    )[:LIMIT]:
        if proposal.status == Status.RECEIVED:
            yield _item(proposal, _("To accept (acceptance record)"), "accept")
        else:
            yield _item(proposal, _("To send for study"), "route")


def _to_decide():
    # P9 first: reserves, soonest decide-by date first.
    for proposal in Proposal.objects.filter(status=Status.RESERVED).order_by("decide_by", "pk")[
        :LIMIT
    ]:
        yield _item(
            proposal,
            _("Reserved: decide by %(date)s") % {"date": proposal.decide_by.isoformat()},
            "adopt",
        )
    # P6: proposals whose every study opinion is in.
    studies = StudyRequest.objects.filter(proposal=OuterRef("pk"))
    for proposal in (
        Proposal.objects.filter(status=Status.UNDER_STUDY)
        .filter(Exists(studies), ~Exists(studies.filter(opinion_at__isnull=True)))
        .order_by("pk")[:LIMIT]
    ):
        yield _item(proposal, _("Study opinions are in: to decide"), "adopt")


def _to_implement(user, today, *, every: bool):
    # P7: adopted proposals wait on the implementing department's manager; the
    # deciders follow every one of them.
    proposals = Proposal.objects.filter(status=Status.ADOPTED)
    if not every:
        proposals = proposals.filter(implementing_department__manager=user)
    # The planned date is required on adoption (P7), never empty here.
    for proposal in proposals.order_by("planned_implementation_date", "pk")[:LIMIT]:
        planned = proposal.planned_implementation_date
        if planned is None:
            note = _("Adopted: to implement (P7)")
        elif planned < today:
            note = _("Overdue: implementation was planned for %(date)s (P7)") % {
                "date": planned.isoformat()
            }
        else:
            note = _("To implement by %(date)s (P7)") % {"date": planned.isoformat()}
        yield _item(proposal, note, "implemented")


def _reserves_past_decide_by(today):
    # P9: a reserve whose decide-by date has passed needs a decision or an extension.
    for proposal in Proposal.objects.filter(status=Status.RESERVED, decide_by__lt=today).order_by(
        "decide_by", "pk"
    )[:LIMIT]:
        yield _item(
            proposal,
            _("Reserve past its decide-by date (P9): %(date)s")
            % {"date": proposal.decide_by.isoformat()},
            "extend",
        )


def _to_open_evaluation():
    for proposal in Proposal.objects.filter(
        status__in=ADOPTED_STATUSES, evaluation__isnull=True
    ).order_by("pk")[:LIMIT]:
        yield _item(proposal, _("To open committee scoring (P11)"))


def _to_score(user):
    scored = Score.objects.filter(evaluation=OuterRef("pk"), member=user)
    for evaluation in (
        Evaluation.objects.filter(status=Evaluation.Status.SCORING, members=user)
        .filter(~Exists(scored))
        .select_related("proposal")
        .order_by("pk")[:LIMIT]
    ):
        yield _item(evaluation.proposal, _("To score (evaluation committee)"))


def _rewards_to_approve():
    # P11: below every grade there is nothing to approve (reward_approve refuses it).
    for evaluation in (
        Evaluation.objects.filter(status=Evaluation.Status.GRADED)
        .exclude(grade="")
        .filter(amount__gt=0)
        .select_related("proposal")
        .order_by("pk")[:LIMIT]
    ):
        yield _item(evaluation.proposal, _("Reward to approve"))


def _rewards_to_pay():
    for evaluation in (
        Evaluation.objects.filter(status=Evaluation.Status.APPROVED)
        .select_related("proposal")
        .order_by("pk")[:LIMIT]
    ):
        yield _item(
            evaluation.proposal,
            _("Approved reward to pay: %(amount)s CNY (P11)") % {"amount": evaluation.amount},
        )


def _quarantined_mail():
    # P4: mail the intake could not take waits in quarantine until someone retries it.
    for mail in (
        InboundMail.objects.filter(outcome=InboundMail.Outcome.QUARANTINED)
        .only("pk", "subject", "mail_from")
        .order_by("pk")[:LIMIT]
    ):
        yield {
            "label": mail.subject or mail.mail_from or _("(no subject)"),
            "url": reverse("proposals:mail_detail", args=[mail.pk]),
            "note": _("Quarantined mail (P4)"),
        }


def proposals_work(user):
    items = []
    today = timezone.localdate()
    items.extend(_studies(user, today))
    if can(user, "proposals.accept_proposal"):
        items.extend(_to_accept())
    deciders = can(user, "proposals.decide_proposal")
    if deciders:
        items.extend(_to_decide())
    items.extend(_to_implement(user, today, every=deciders))
    if can(user, "proposals.extend_reserve"):
        items.extend(_reserves_past_decide_by(today))
    if can(user, "proposals.manage_evaluation"):
        items.extend(_to_open_evaluation())
    if can(user, "proposals.score_proposal"):
        items.extend(_to_score(user))
    if can(user, "proposals.approve_reward"):
        items.extend(_rewards_to_approve())
    if can(user, "proposals.manage_evaluation"):
        items.extend(_rewards_to_pay())
    if can(user, "proposals.handle_inbound_mail"):
        items.extend(_quarantined_mail())
    if not items:
        return None
    return {
        "title": _("Proposals"),
        "items": items,
        "more_url": reverse("proposals:list") if can(user, "proposals.view_proposal") else "",
    }
