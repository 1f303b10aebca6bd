"""'My work' for proposals: what waits on this person, one query per kind."""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.core.permissions import can
from aftersales.proposals.models import Evaluation, Proposal, Score, Status, StudyRequest

LIMIT = 10


def _item(proposal, note):
    return {
        "label": f"{proposal.reference} · {proposal.title}",
        "url": reverse("proposals:detail", args=[proposal.pk]),
        "note": note,
    }


def proposals_work(user):
    from aftersales.accounts.models import Delegation

    items = []
    today = timezone.localdate()
    # P5: study opinions this person writes: as the department's manager, or
    # as the delegate of that manager.
    delegators = Delegation.objects.filter(
        delegate=user, revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today
    ).values("delegator_id")
    for study in (
        StudyRequest.objects.filter(
            Q(department__manager=user) | Q(department__manager__in=delegators),
            opinion_at__isnull=True,
            proposal__status=Status.UNDER_STUDY,
        )
        .select_related("proposal", "department")
        .order_by("due_date", "pk")[:LIMIT]
    ):
        items.append(
            _item(
                study.proposal,
                _("Study opinion for %(dept)s, due %(date)s")
                % {"dept": study.department, "date": study.due_date.isoformat()},
            )
        )
    if can(user, "proposals.accept_proposal"):
        for proposal in Proposal.objects.filter(
            status__in=[Status.RECEIVED, Status.ACCEPTED]
        ).order_by("pk")[:LIMIT]:
            note = (
                _("To accept (acceptance record)")
                if proposal.status == Status.RECEIVED
                else _("To send for study")
            )
            items.append(_item(proposal, note))
    if can(user, "proposals.decide_proposal"):
        waiting = StudyRequest.objects.filter(proposal=OuterRef("pk"), opinion_at__isnull=True)
        for proposal in (
            Proposal.objects.filter(
                Q(status=Status.UNDER_STUDY, study_requests__isnull=False)
                | Q(status=Status.RESERVED)
            )
            .filter(~Exists(waiting))
            .distinct()
            .order_by("decide_by", "pk")[:LIMIT]
        ):
            note = (
                _("Reserved: decide by %(date)s") % {"date": proposal.decide_by.isoformat()}
                if proposal.status == Status.RESERVED
                else _("Study opinions are in: to decide")
            )
            items.append(_item(proposal, note))
    if can(user, "proposals.score_proposal"):
        scored = Score.objects.filter(evaluation=OuterRef("pk"), member=user)
        for evaluation in (
            Evaluation.objects.filter(status=Evaluation.Status.SCORING, members=user)
            .filter(~Exists(scored))
            .select_related("proposal")
            .order_by("pk")[:LIMIT]
        ):
            items.append(_item(evaluation.proposal, _("To score (evaluation committee)")))
    if can(user, "proposals.approve_reward"):
        for evaluation in (
            Evaluation.objects.filter(status=Evaluation.Status.GRADED)
            .select_related("proposal")
            .order_by("pk")[:LIMIT]
        ):
            items.append(_item(evaluation.proposal, _("Reward to approve")))
    if not items:
        return None
    return {
        "title": _("Proposals"),
        "items": items,
        "more_url": reverse("proposals:list") if can(user, "proposals.view_proposal") else "",
    }
