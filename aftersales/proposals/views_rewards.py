"""HTML views for P11 (evaluation, scoring, approval, payment), P12
(certificates) and the P5 acceptance record PDF. Thin: parse, call the
service, render or redirect (STYLE rule 1)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.fields import LineField, TextField
from aftersales.core.files import protected_download
from aftersales.core.forms import act_and_return, apply_domain_error, int_or_none
from aftersales.core.permissions import permission_required
from aftersales.notifications.rendering import language_or_default
from aftersales.proposals import certificates
from aftersales.proposals.models import Certificate, Evaluation, Proposal
from aftersales.proposals.services import rewards


class ScoreForm(forms.Form):
    creativity = forms.DecimalField(label=gettext_lazy("creativity"), min_value=0, decimal_places=2)
    feasibility = forms.DecimalField(
        label=gettext_lazy("feasibility"), min_value=0, decimal_places=2
    )
    benefit = forms.DecimalField(
        label=gettext_lazy("overall benefit"), min_value=0, decimal_places=2
    )
    note = TextField(label=gettext_lazy("note"), required=False)


class CloseScoringForm(forms.Form):
    note = TextField(
        label=gettext_lazy("Why close scoring now"), widget=forms.Textarea(attrs={"rows": 3})
    )


class PayForm(forms.Form):
    payment_reference = LineField(label=gettext_lazy("payment reference"), max_length=100)


class IssueCertificatesForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("year"), min_value=2000, max_value=9999)


def _evaluation(pk: int) -> Evaluation:
    return get_object_or_404(
        Evaluation.objects.select_related("proposal__customer", "policy"), pk=pk
    )


def _seen_version(request) -> int:
    """The version the form was drawn from. A form that lost it is treated as
    stale, so the optimistic check cannot be skipped (as in views.py)."""
    return int_or_none(request.POST.get("seen_version")) or 0


def _evaluation_form(request, pk: int, form_class, act, *, success: str, page: str, extra=None):
    """A reward form on a page of its own: ``act(evaluation, cleaned_data,
    seen_version)`` runs for a valid POST and success goes back to the
    proposal. A refusal is put on the form. After a conflict the evaluation
    is shown as it is now and the form carries its current version, so a
    deliberate resend goes through; after any other refusal it keeps the
    version first seen."""
    evaluation = _evaluation(pk)
    form = form_class(request.POST or None)
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            act(evaluation, form.cleaned_data, _seen_version(request))
        except ConflictError as exc:
            apply_domain_error(form, exc)
            evaluation, conflict = _evaluation(pk), True
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, success)
            return _back(evaluation)
    if request.method == "POST" and not conflict:
        seen = request.POST.get("seen_version", "")
    else:
        seen = evaluation.version
    context = {
        "evaluation": evaluation,
        "proposal": evaluation.proposal,
        "form": form,
        "seen_version": seen,
        **(extra(evaluation) if extra else {}),
    }
    return render(request, page, context, status=409 if conflict else 200)


def _back(evaluation_or_proposal):
    proposal = getattr(evaluation_or_proposal, "proposal", evaluation_or_proposal)
    return redirect("proposals:detail", pk=proposal.pk)


# --- P5: the acceptance record ---------------------------------------------------


@permission_required("proposals.view_proposal")
def acceptance_pdf(request, pk: int):
    """P5: the printable acceptance record, in ``?lang=`` or the page's language."""
    from aftersales.proposals.documents import acceptance_record_pdf
    from aftersales.reports.pdf import pdf_failed_response

    proposal = get_object_or_404(
        Proposal.objects.select_related("customer", "accepted_by__profile").prefetch_related(
            "study_requests__department"
        ),
        pk=pk,
    )
    if proposal.accepted_at is None:
        raise Http404
    language = language_or_default(request.GET.get("lang") or get_language())
    try:
        pdf = acceptance_record_pdf(proposal, language=language)
    except DomainError as exc:  # issue 7: not rendered in time, or not at all
        return pdf_failed_response(request, exc)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{proposal.reference}-acceptance-record.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- P11 -------------------------------------------------------------------------


@permission_required("proposals.manage_evaluation")
@require_POST
def evaluation_open(request, pk: int):
    proposal = get_object_or_404(Proposal, pk=pk)
    return act_and_return(
        request,
        lambda: rewards.evaluation_open(
            proposal=proposal, by=request.user, seen_version=_seen_version(request)
        ),
        success=_("Evaluation opened; the committee has been asked to score."),
        to=proposal,
    )


@permission_required("proposals.score_proposal")
def score(request, pk: int):
    evaluation = _evaluation(pk)
    form = ScoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rewards.score_submit(evaluation=evaluation, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your scores were recorded."))
            return _back(evaluation)
    return render(
        request,
        "proposals/rewards/score.html",
        {
            "evaluation": evaluation,
            "proposal": evaluation.proposal,
            "form": form,
            "score_max": evaluation.policy.value("reward_score_max"),
            "weights": evaluation.policy.value("reward_weights"),
        },
    )


@permission_required("proposals.approve_reward")
def close_scoring(request, pk: int):
    return _evaluation_form(
        request,
        pk,
        CloseScoringForm,
        lambda evaluation, data, seen: rewards.evaluation_close_scoring(
            evaluation=evaluation, by=request.user, note=data["note"], seen_version=seen
        ),
        success=_("Scoring closed; graded with the scores given."),
        page="proposals/rewards/close_scoring.html",
        extra=lambda evaluation: {
            "scored": evaluation.scores.count(),
            "members": evaluation.members.count(),
        },
    )


@permission_required("proposals.approve_reward")
@require_POST
def reward_approve(request, pk: int):
    evaluation = _evaluation(pk)
    return act_and_return(
        request,
        lambda: rewards.reward_approve(
            evaluation=evaluation, by=request.user, seen_version=_seen_version(request)
        ),
        success=_("Reward approved."),
        to=evaluation.proposal,
    )


@permission_required("proposals.manage_evaluation")
def reward_pay(request, pk: int):
    return _evaluation_form(
        request,
        pk,
        PayForm,
        lambda evaluation, data, seen: rewards.reward_pay(
            evaluation=evaluation,
            by=request.user,
            payment_reference=data["payment_reference"],
            seen_version=seen,
        ),
        success=_("Payment recorded; the customer has been told."),
        page="proposals/rewards/pay.html",
    )


# --- P12 -------------------------------------------------------------------------


@permission_required("proposals.issue_certificate")
def certificate_list(request):
    """P12: certificates issued, newest year first, and an on-demand run for a year."""
    form = IssueCertificatesForm(
        request.POST or None, initial={"year": timezone.localdate().year - 1}
    )
    if request.method == "POST" and form.is_valid():
        try:
            issued = certificates.certificates_issue(
                year=form.cleaned_data["year"], by=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("%(n)s certificates issued for %(year)s.")
                % {"n": len(issued), "year": form.cleaned_data["year"]},
            )
            return redirect("proposals:certificates")
    page = Paginator(
        Certificate.objects.select_related("customer").order_by("-year", "-number"), 50
    ).get_page(request.GET.get("page"))
    return render(request, "proposals/rewards/certificates.html", {"form": form, "page": page})


@permission_required("proposals.issue_certificate")
def certificate_download(request, pk: int):
    certificate = get_object_or_404(Certificate, pk=pk)
    if not certificate.file:
        raise Http404
    return protected_download(
        certificate.file.name,
        download_name=certificates.certificate_download_name(certificate),
    )


def panel_context(proposal: Proposal, user) -> dict:
    """What templates/proposals/rewards/panel.html needs, for the proposal
    detail page: the evaluation (if any), its scores and members, and which
    actions ``user`` may take. A fixed number of queries (three at most)."""
    from aftersales.core.permissions import can
    from aftersales.proposals.models import ADOPTED_STATUSES

    evaluation = (
        Evaluation.objects.select_related("policy", "approved_by", "paid_by", "closed_early_by")
        .prefetch_related("members", "scores__member")
        .filter(proposal=proposal)
        .first()
    )
    scoring = evaluation is not None and evaluation.status == Evaluation.Status.SCORING
    members = list(evaluation.members.all()) if evaluation else []
    scores = list(evaluation.scores.all()) if evaluation else []
    scored_ids = {s.member_id for s in scores}
    shown = [s for s in scores if rewards.score_visible(user, evaluation, s)]
    return {
        "evaluation": evaluation,
        "reward_members": members,
        # Only the scores this user may read; the rest never reach the template.
        "reward_scores": shown,
        "reward_scored_ids": scored_ids,
        "reward_may_open": evaluation is None
        and proposal.status in ADOPTED_STATUSES
        and can(user, "proposals.manage_evaluation"),
        "reward_may_score": scoring
        and can(user, "proposals.score_proposal")
        and user.pk in {m.pk for m in members}
        and user.pk not in scored_ids,
        "reward_may_close": scoring and bool(scores) and can(user, "proposals.approve_reward"),
        "reward_may_approve": evaluation is not None
        and evaluation.status == Evaluation.Status.GRADED
        and bool(evaluation.amount)
        and can(user, "proposals.approve_reward"),
        "reward_may_pay": evaluation is not None
        and evaluation.status == Evaluation.Status.APPROVED
        and can(user, "proposals.manage_evaluation"),
    }
