"""P11: the evaluation committee scores an adopted proposal, the scores give a
grade and the grade a reward; the general manager approves it, payment is
recorded and the customer told.

Every number comes from the policy version stored on the evaluation when it
opened (score scale, weights, grade table), so a later policy change never
moves a grade already under way. Each action writes a ProposalEvent of kind
REWARD on the proposal; actions on an evaluation carry the version its author
saw and are refused with a ConflictError when someone acted first.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.selectors import users_with_role
from aftersales.core.errors import DomainError, required
from aftersales.core.permissions import can, require
from aftersales.core.roles import Role
from aftersales.policy.services import policy_in_force
from aftersales.proposals.models import (
    ADOPTED_STATUSES,
    EVALUATION_FLOW,
    PROPOSAL_FLOW,
    Evaluation,
    Proposal,
    ProposalEvent,
    Score,
)
from aftersales.proposals.services.common import (
    _clean_text,
    _event,
    _notice,
    _staff_notice,
)

CRITERIA = ("creativity", "feasibility", "benefit")
NOTE_MAX = 5000
CENTS = Decimal("0.01")

# P11: the committee is the general manager and the department managers; the
# after-sales department manager is one of them, and others may be named
# committee members.
COMMITTEE_ROLES = (
    Role.GENERAL_MANAGER,
    Role.DEPARTMENT_MANAGER,
    Role.AFTERSALES_MANAGER,
    Role.COMMITTEE_MEMBER,
)


def committee() -> list:
    """Active users holding any committee role today, by group or delegation."""
    ids: set[int] = set()
    for role in COMMITTEE_ROLES:
        ids.update(users_with_role(role).values_list("pk", flat=True))
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _reward_event(evaluation: Evaluation, action: str, *, by, note: str = "", **data):
    return _event(
        evaluation.proposal,
        ProposalEvent.Kind.REWARD,
        by=by,
        note=note,
        action=action,
        evaluation=evaluation.pk,
        **data,
    )


# --- opening ----------------------------------------------------------------


@transaction.atomic
def evaluation_open(*, proposal: Proposal, by, seen_version: int | None) -> Evaluation:
    """P11: start the committee's evaluation of an adopted (or implemented)
    proposal. The committee as it stands now, and the policy in force today,
    are stored with it; each member is asked to score."""
    require(by, "proposals.manage_evaluation")
    proposal = PROPOSAL_FLOW.lock(proposal, seen_version)
    if proposal.status not in ADOPTED_STATUSES:
        raise DomainError(
            "p11_not_adopted",
            _("Only an adopted or implemented proposal is evaluated for a reward (P11)."),
            status=409,
        )
    if Evaluation.objects.filter(proposal=proposal).exists():
        raise DomainError(
            "p11_evaluation_exists",
            _("This proposal is already being evaluated; a proposal is evaluated once."),
            status=409,
        )
    members = committee()
    if not members:
        raise DomainError(
            "p11_no_committee",
            _(
                "Nobody holds a committee role (general manager, department manager, "
                "committee member): the evaluation committee is empty."
            ),
        )
    try:
        with transaction.atomic():
            evaluation = Evaluation.objects.create(
                proposal=proposal, opened_by=by, policy=policy_in_force()
            )
    except IntegrityError:
        # Opened by someone else between the check and the insert.
        raise DomainError(
            "p11_evaluation_exists",
            _("This proposal is already being evaluated; a proposal is evaluated once."),
            status=409,
        ) from None
    evaluation.members.set(members)
    _reward_event(
        evaluation,
        "opened",
        by=by,
        note=_("Evaluation opened; committee of %(n)s.") % {"n": len(members)},
        members=[m.pk for m in members],
        policy=evaluation.policy.number,
    )
    _staff_notice(
        "proposals/score_requested",
        proposal,
        members,
        {"score_max": evaluation.policy.value("reward_score_max")},
    )
    return evaluation


# --- scoring ----------------------------------------------------------------


def _score_value(value, *, field: str, top: Decimal) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite() or number != number.quantize(CENTS):
        raise DomainError(
            "p11_invalid_score",
            _("Enter a number with at most two decimals."),
            fields={field: _("Enter a number from 0 to %(max)s.") % {"max": top}},
        )
    if not Decimal(0) <= number <= top:
        raise DomainError(
            "p11_score_out_of_range",
            _("Each score is from 0 to %(max)s (P11).") % {"max": top},
            fields={field: _("From 0 to %(max)s.") % {"max": top}},
        )
    return number


def score_visible(user, evaluation: Evaluation, score: Score) -> bool:
    """P11: each member judges alone. While scoring runs nobody, not even the
    chair or the after-sales manager (both members too), sees another
    member's scores, only who has scored; afterwards those who approve or pay
    the reward see them all. The page and the API both ask this."""
    if score.member_id == user.pk:
        return True
    if evaluation.status == Evaluation.Status.SCORING:
        return False
    return can(user, "proposals.approve_reward") or can(user, "proposals.manage_evaluation")


def is_member(evaluation: Evaluation, user) -> bool:
    return bool(user and user.pk) and evaluation.members.filter(pk=user.pk).exists()


@transaction.atomic
def score_submit(
    *, evaluation: Evaluation, by, creativity, feasibility, benefit, note: str = ""
) -> Score:
    """P11: one committee member's scores on creativity, feasibility and overall
    benefit, each from 0 to the policy's ``reward_score_max``. A member scores
    once; when the last member has scored, the grade is computed."""
    require(by, "proposals.score_proposal")
    evaluation = EVALUATION_FLOW.lock(evaluation, None)
    if not is_member(evaluation, by):
        raise DomainError(
            "p11_not_a_member",
            _("Only the members of this evaluation's committee can score it."),
            status=403,
        )
    if Score.objects.filter(evaluation=evaluation, member=by).exists():
        raise DomainError(
            "p11_already_scored",
            _("You have already scored this proposal; a member scores once."),
            status=409,
        )
    EVALUATION_FLOW.require_state(evaluation, {Evaluation.Status.SCORING}, doing=_("scored"))
    top = Decimal(str(evaluation.policy.value("reward_score_max")))
    values = {
        name: _score_value(value, field=name, top=top)
        for name, value in zip(CRITERIA, (creativity, feasibility, benefit), strict=True)
    }
    note = _clean_text(note, field="note", max_length=NOTE_MAX)
    try:
        with transaction.atomic():
            score = Score.objects.create(
                evaluation=evaluation, member=by, note=note, at=timezone.now(), **values
            )
    except IntegrityError:
        raise DomainError(
            "p11_already_scored",
            _("You have already scored this proposal; a member scores once."),
            status=409,
        ) from None
    # A new score changes what the others see (who is still to score).
    evaluation.save(update_fields=["updated_at"])
    _reward_event(evaluation, "scored", by=by, **{k: str(v) for k, v in values.items()})
    if evaluation.scores.count() >= evaluation.members.count():
        _grade(evaluation, by=by)
    return score


def grade_for(
    scores: list[dict], weights: dict, grades: list[dict]
) -> tuple[Decimal, str, Decimal]:
    """P11: (weighted score, grade, reward) from the members' scores.

    The weighted score is the sum over the criteria of the mean score times
    the policy weight, rounded to two decimals (as shown and stored); the grade
    is the best one whose minimum it reaches. Below every minimum there is no
    grade and no reward.
    """
    weighted = Decimal(0)
    for name in CRITERIA:
        mean = sum((Decimal(s[name]) for s in scores), Decimal(0)) / len(scores)
        weighted += mean * Decimal(str(weights[name]))
    weighted = weighted.quantize(CENTS, rounding=ROUND_HALF_UP)
    for row in sorted(grades, key=lambda r: Decimal(str(r["min_score"])), reverse=True):
        if Decimal(str(row["min_score"])) <= weighted:
            return weighted, row["grade"], Decimal(str(row["amount"])).quantize(CENTS)
    return weighted, "", Decimal("0.00")


def _grade(evaluation: Evaluation, *, by) -> None:
    """Grade a locked evaluation from the scores it has."""
    scores = list(evaluation.scores.values(*CRITERIA))
    policy = evaluation.policy
    weighted, grade, amount = grade_for(
        scores, policy.value("reward_weights"), policy.value("reward_grades")
    )
    evaluation.weighted_score, evaluation.grade, evaluation.amount = weighted, grade, amount
    evaluation.graded_at = timezone.now()
    note = (
        _("Graded %(grade)s: weighted score %(score)s, reward %(amount)s CNY.")
        % {"grade": grade, "score": weighted, "amount": amount}
        if grade
        else _("Weighted score %(score)s is below every grade: no reward.") % {"score": weighted}
    )
    EVALUATION_FLOW.move(
        evaluation,
        Evaluation.Status.GRADED,
        by=by,
        note=note,
        fields={"weighted_score", "grade", "amount", "graded_at"},
        data={
            "grade": grade,
            "weighted_score": str(weighted),
            "amount": str(amount),
            "scores": len(scores),
        },
    )


@transaction.atomic
def evaluation_close_scoring(
    *, evaluation: Evaluation, by, note: str, seen_version: int | None = None
) -> Evaluation:
    """P11: the chair (the general manager) closes scoring before every member
    has scored; the grade comes from the scores given so far. Who closed it
    and why are recorded. With ``seen_version`` (the HTML form sends it) a
    change since the chair looked, such as a new score, is refused as a
    conflict."""
    require(by, "proposals.approve_reward")
    note = required(
        _clean_text(note, field="note", max_length=NOTE_MAX),
        field="note",
        code="note_required",
        message=_("Say why scoring is closed before every member has scored."),
    )
    evaluation = EVALUATION_FLOW.lock(evaluation, seen_version)
    EVALUATION_FLOW.check(by, evaluation, Evaluation.Status.GRADED)
    given = evaluation.scores.count()
    if not given:
        raise DomainError(
            "p11_no_scores",
            _("No member has scored yet: a grade needs at least one score."),
            status=409,
        )
    evaluation.closed_early_by = by
    evaluation.closed_early_note = note
    evaluation.save(update_fields=["closed_early_by", "closed_early_note"])
    _reward_event(
        evaluation,
        "closed_early",
        by=by,
        note=note,
        scores=given,
        members=evaluation.members.count(),
    )
    _grade(evaluation, by=by)
    return evaluation


# --- approval and payment ---------------------------------------------------


@transaction.atomic
def reward_approve(*, evaluation: Evaluation, by, seen_version: int | None) -> Evaluation:
    """P11: the general manager approves the reward the grade gives."""
    require(by, "proposals.approve_reward")
    evaluation = EVALUATION_FLOW.lock(evaluation, seen_version)
    EVALUATION_FLOW.check(by, evaluation, Evaluation.Status.APPROVED)
    if not evaluation.grade or not evaluation.amount:
        raise DomainError(
            "p11_no_reward",
            _("The weighted score is below every grade: there is no reward to approve."),
            status=409,
        )
    evaluation.approved_by, evaluation.approved_at = by, timezone.now()
    return EVALUATION_FLOW.move(
        evaluation,
        Evaluation.Status.APPROVED,
        by=by,
        note=_("Reward approved: grade %(grade)s, %(amount)s CNY.")
        % {"grade": evaluation.grade, "amount": evaluation.amount},
        fields={"approved_by", "approved_at"},
        data={"grade": evaluation.grade, "amount": str(evaluation.amount)},
    )


@transaction.atomic
def reward_pay(
    *, evaluation: Evaluation, by, payment_reference: str, seen_version: int | None
) -> Evaluation:
    """P11: the approved reward was paid; the customer is told the grade and
    the amount."""
    require(by, "proposals.manage_evaluation")
    payment_reference = required(
        _clean_text(payment_reference, field="payment_reference", max_length=100),
        field="payment_reference",
        code="fields_required",
        message=_("Fill in every required field."),
    )
    evaluation = EVALUATION_FLOW.lock(evaluation, seen_version)
    evaluation.paid_by, evaluation.paid_at = by, timezone.now()
    evaluation.payment_reference = payment_reference
    EVALUATION_FLOW.move(
        evaluation,
        Evaluation.Status.PAID,
        by=by,
        note=payment_reference,
        fields={"paid_by", "paid_at", "payment_reference"},
        data={"amount": str(evaluation.amount), "payment_reference": payment_reference},
    )
    _notice(
        "proposals/reward_granted",
        evaluation.proposal,
        {"grade": evaluation.grade, "amount": evaluation.amount},
        by=by,
    )
    return evaluation
