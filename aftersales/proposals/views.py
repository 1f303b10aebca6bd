"""Staff pages for one proposal: recording a letter or call (P4), the detail
page with its timeline, and the actions P5-P10 (STYLE rule 1: each action
calls its service; nothing here decides what the regulation allows).

Every action is a POST form carrying the proposal's ``seen_version``. With
htmx the action's own fragment comes back with its errors (STYLE rule 7);
without JavaScript the whole page does. A conflict always answers with the
whole page, since the point is to show what changed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, reselect, reswap, retarget

from aftersales.core.bidi import typed_file_name
from aftersales.core.errors import ConflictError, DomainError
from aftersales.core.files import protected_download
from aftersales.core.forms import apply_domain_error, int_or_none
from aftersales.core.permissions import can, permission_required
from aftersales.proposals import actions, forms, selectors, services
from aftersales.proposals.models import (
    Attachment,
    Proposal,
    Status,
    StudyRequest,
)

# --- P4: letters and telephone calls ---------------------------------------


def _received_at(day):
    """Today means now; an earlier day, the start of it (the postmark date)."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day, time.min))


@permission_required("proposals.add_proposal")
def proposal_record(request):
    form = forms.RecordForm(
        request.POST or None,
        request.FILES or None,
        initial={"received_at": timezone.localdate(), "preferred_language": "zh-hans"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal, customer, created = services.proposal_receive_for(
                contact={
                    "name": data["name"],
                    "email": data["email"],
                    "phone": data["phone"],
                    "postal_address": data["postal_address"],
                    "preferred_language": data["preferred_language"],
                },
                channel=data["channel"],
                title=data["title"],
                content=data["content"],
                language=data["preferred_language"],
                received_at=_received_at(data["received_at"]),
                by=request.user,
                files=[(checked, form.attachment_kind()) for checked in data["files"]],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if created:
                messages.success(
                    request, _("Proposal %(ref)s recorded.") % {"ref": proposal.reference}
                )
            else:
                messages.success(
                    request,
                    _(
                        "Proposal %(ref)s recorded for the customer already known "
                        "by this email or phone: %(name)s."
                    )
                    % {"ref": proposal.reference, "name": customer.name},
                )
            return redirect(proposal)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "proposals/record.html",
        {"form": form, "files_dropped": form.is_bound and bool(request.FILES)},
        status=status,
    )


# --- the actions, as one table ---------------------------------------------


@dataclass(frozen=True)
class Action:
    key: str
    title: str
    button: str
    article: str
    form_class: type
    run: Callable
    success: str
    danger: bool = False
    # The extend form can end in a refusal of the whole request (403) that
    # an htmx swap would hide, so it posts as a plain form.
    htmx: bool = True


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in [
        Action(
            "accept",
            gettext_lazy("Accept (acceptance record)"),
            gettext_lazy("Accept"),
            "P5",
            forms.AcceptForm,
            lambda by, p, c, v: services.proposal_accept(
                proposal=p, by=by, category=c["category"], summary=c["summary"], seen_version=v
            ),
            gettext_lazy("Proposal accepted."),
        ),
        Action(
            "route",
            gettext_lazy("Send for study"),
            gettext_lazy("Send for study"),
            "P5",
            forms.RouteForm,
            lambda by, p, c, v: services.proposal_route(
                proposal=p,
                by=by,
                departments=c["departments"],
                due_date=c["due_date"],
                seen_version=v,
            ),
            gettext_lazy("Sent for study."),
        ),
        Action(
            "close",
            gettext_lazy("Close: not a proposal"),
            gettext_lazy("Close"),
            "P5",
            forms.CloseForm,
            lambda by, p, c, v: services.proposal_close(
                proposal=p,
                by=by,
                reason=c["reason"],
                note=c["note"],
                duplicate_of=c["duplicate_of"],
                seen_version=v,
            ),
            gettext_lazy("Closed as not a proposal."),
            danger=True,
        ),
        Action(
            "adopt",
            gettext_lazy("Adopt"),
            gettext_lazy("Adopt"),
            "P7",
            forms.AdoptForm,
            lambda by, p, c, v: services.proposal_adopt(
                proposal=p,
                by=by,
                implementing_department=c["implementing_department"],
                planned_date=c["planned_date"],
                measures=c["measures"],
                note=c["note"],
                development_mode=c["development_mode"],
                agreement_reference=c["agreement_reference"],
                seen_version=v,
            ),
            gettext_lazy("Adopted; the customer is told the measures and the planned date."),
        ),
        Action(
            "not_adopt",
            gettext_lazy("Not adopt"),
            gettext_lazy("Not adopt"),
            "P8",
            forms.NotAdoptForm,
            lambda by, p, c, v: services.proposal_not_adopt(
                proposal=p, by=by, note=c["note"], seen_version=v
            ),
            gettext_lazy("Not adopted; the customer is told and thanked."),
        ),
        Action(
            "reserve",
            gettext_lazy("Reserve"),
            gettext_lazy("Reserve"),
            "P9",
            forms.ReserveForm,
            lambda by, p, c, v: services.proposal_reserve(
                proposal=p, by=by, reason=c["reason"], decide_by=c["decide_by"], seen_version=v
            ),
            gettext_lazy("Reserved; the customer is told why and until when."),
        ),
        Action(
            "extend",
            gettext_lazy("Extend the reserve"),
            gettext_lazy("Extend"),
            "P9",
            forms.ExtendForm,
            lambda by, p, c, v: services.proposal_reserve_extend(
                proposal=p, by=by, decide_by=c["decide_by"], reason=c["reason"], seen_version=v
            ),
            gettext_lazy("Reserve extended; the customer is told the new date."),
            htmx=False,
        ),
        Action(
            "implemented",
            gettext_lazy("Record implementation"),
            gettext_lazy("Implemented"),
            "P7",
            forms.ImplementedForm,
            lambda by, p, c, v: services.proposal_implemented(
                proposal=p, by=by, note=c["note"], seen_version=v
            ),
            gettext_lazy("Implementation recorded; the customer is told."),
        ),
        Action(
            "development",
            gettext_lazy("Development mode"),
            gettext_lazy("Save development mode"),
            "P10",
            forms.DevelopmentForm,
            lambda by, p, c, v: services.proposal_set_development(
                proposal=p,
                by=by,
                development_mode=c["development_mode"],
                agreement_reference=c["agreement_reference"],
                seen_version=v,
            ),
            gettext_lazy("Development mode saved."),
        ),
    ]
}

OPINION = Action(
    "opinion",
    gettext_lazy("Study opinion"),
    gettext_lazy("Submit opinion"),
    "P5",
    forms.OpinionForm,
    lambda by, study, c, v: services.study_opinion_submit(
        study=study, by=by, opinion=c["opinion"], seen_version=v
    ),
    gettext_lazy("Study opinion saved."),
)


@dataclass
class Panel:
    """One action's form as the page shows it."""

    action: Action
    url: str
    form: object
    anchor: str
    intro: list = field(default_factory=list)
    heading: str = ""
    open: bool = False


def _intro(action: Action, proposal: Proposal) -> list[str]:
    """What the user needs to know before acting, beyond the field help."""
    if action.key == "reserve":
        limit, version = services.reserve_limit(services.local_today())
        return [services.reserve_limit_text(limit, version)]
    if action.key == "extend" and proposal.reserved_on is not None:
        # (A refused extension of a proposal that is not reserved shows no dates.)
        limit, _version = services.reserve_limit(proposal.reserved_on, proposal.reserve_policy)
        return [
            _("Currently to be decided by %(date)s.") % {"date": proposal.decide_by.isoformat()},
            _(
                "Up to %(limit)s (the limit fixed on the reserve date) the customer service "
                "manager may extend. Past it only the after-sales department manager may, "
                "and their approval and reason are recorded."
            )
            % {"limit": limit.isoformat()},
        ]
    if action.key == "close":
        return [_("No thank-you is sent. A duplicate's customer is told where the original is.")]
    if action.key == "route":
        return [_("Each department's manager, or their delegate, writes a study opinion.")]
    return []


def _panel(action: Action, proposal: Proposal, *, form=None, study=None, user=None) -> Panel:
    target = study if study is not None else proposal
    name = "proposals:opinion" if study is not None else f"proposals:{action.key}"
    prefix = f"study{study.pk}" if study is not None else None
    if form is None:
        form = action.form_class(
            proposal=proposal, prefix=prefix, initial={"seen_version": proposal.version}
        )
    panel = Panel(
        action=action,
        url=reverse(name, args=[target.pk]),
        form=form,
        anchor=f"action-{action.key}" + (f"-{study.pk}" if study is not None else ""),
        intro=_intro(action, proposal),
    )
    if study is not None:
        panel.heading = _("Study opinion of %(department)s") % {"department": study.department}
    return panel


def _panels(user, proposal: Proposal, *, bound: Panel | None = None) -> list[Panel]:
    """The actions this user may take on the proposal as it is now: permission
    and status both (Proposal.can_move_to, services.can_*)."""
    panels = []
    open_studies = [
        s for s in proposal.study_requests.all() if actions.opinion_open(_with(s, proposal))
    ]
    answerable = selectors.studies_answerable_by(user, open_studies)
    for study in open_studies:
        if study.pk in answerable:
            panels.append(_panel(OPINION, proposal, study=study))
    # Exactly what the services accept (proposals.actions).
    for key in actions.allowed_actions(user, proposal):
        panels.append(_panel(ACTIONS[key], proposal))
    if bound is not None:
        # The user's own form, with what they typed, replaces the empty one and
        # stays on the page even where the action no longer applies.
        panels = [p for p in panels if p.anchor != bound.anchor]
        panels.insert(0, bound)
    return panels


def _with(study: StudyRequest, proposal: Proposal) -> StudyRequest:
    study.proposal = proposal
    return study


def _acceptance_pdf_url(proposal: Proposal) -> str:
    # The printable acceptance record (P5) is built elsewhere; link it once it exists.
    if proposal.accepted_at is None:
        return ""
    try:
        return reverse("proposals:acceptance_pdf", args=[proposal.pk])
    except NoReverseMatch:
        return ""


# A badge class per status: what waits on someone stands out.
STATUS_TONE = {
    Status.RECEIVED: "warn",
    Status.RESERVED: "warn",
    Status.ADOPTED: "ok",
    Status.IMPLEMENTED: "ok",
    Status.CLOSED: "danger",
}


def _detail_context(request, proposal: Proposal, *, bound: Panel | None = None) -> dict:
    from aftersales.proposals.views_rewards import panel_context

    user = request.user
    waiting = actions.waiting_studies(proposal)
    # P11: the evaluation committee's panel, on adopted proposals only.
    rewards = panel_context(proposal, user) if proposal.is_adopted else {}
    return rewards | {
        "show_rewards": proposal.is_adopted,
        "proposal": proposal,
        "status_tone": STATUS_TONE.get(proposal.status, ""),
        "customer": proposal.customer,
        "studies": list(proposal.study_requests.all()),
        "extensions": list(proposal.reserve_extensions.all()),
        "attachments": list(proposal.attachments.all()),
        "timeline": selectors.proposal_timeline(proposal),
        "panels": _panels(user, proposal, bound=bound),
        "waiting_studies": waiting if can(user, "proposals.decide_proposal") else [],
        "acceptance_pdf_url": _acceptance_pdf_url(proposal),
        "may_see_outbox": can(user, "notifications.view_message"),
    }


@permission_required("proposals.view_proposal")
def proposal_detail(request, pk: int):
    proposal = get_object_or_404(selectors.proposal_detail_queryset(), pk=pk)
    return render(request, "proposals/detail.html", _detail_context(request, proposal))


def _act(request, action: Action, proposal: Proposal, *, study=None):
    """Run one action for the request: refuse who may not take it (403), show
    a refusal on the form, a conflict on the whole page, success as a redirect."""
    target = study if study is not None else proposal
    if study is not None:
        if not actions.can_write_opinion(request.user, study):
            raise PermissionDenied
    else:
        actions.require_may(request.user, proposal, action.key)
    prefix = f"study{study.pk}" if study is not None else None
    form = action.form_class(request.POST, proposal=proposal, prefix=prefix)
    status = 400
    if form.is_valid():
        # A form that lost its version is treated as stale: the check cannot be skipped.
        seen = int_or_none(form.cleaned_data.get("seen_version")) or 0
        try:
            action.run(request.user, target, form.cleaned_data, seen)
        except ConflictError as exc:
            return _conflict(request, action, form, exc, pk=proposal.pk, study=study)
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, action.success)
            url = proposal.get_absolute_url()
            if request.htmx and action.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
    if request.htmx and action.htmx:
        panel = _panel(action, proposal, form=form, study=study)
        panel.open = True
        # 200, so htmx swaps the fragment in: the errors are inside it.
        return render(request, "proposals/partials/action_form.html", {"panel": panel})
    return _page_with(request, action, form, pk=proposal.pk, study=study, status=status)


def _page_with(request, action, form, *, pk, study, status):
    proposal = get_object_or_404(selectors.proposal_detail_queryset(), pk=pk)
    if study is not None:
        study = next((s for s in proposal.study_requests.all() if s.pk == study.pk), study)
    panel = _panel(action, proposal, form=form, study=study)
    panel.open = True
    return render(
        request,
        "proposals/detail.html",
        _detail_context(request, proposal, bound=panel),
        status=status,
    )


def _conflict(request, action, form, exc: ConflictError, *, pk, study):
    """Someone else changed the proposal first: nothing was saved. The page
    shows it as it is now, with the user's text still in their form, which
    now carries the current version so a deliberate resend goes through."""
    current = Proposal.objects.only("version").get(pk=pk)
    data = request.POST.copy()
    data[form.add_prefix("seen_version")] = str(current.version)
    form = action.form_class(data, proposal=form.proposal, prefix=form.prefix)
    form.is_valid()
    form.add_error(
        None,
        _("This proposal changed while you were working on it.")
        + " "
        + str(exc.message)
        + " "
        + _("Its current state is shown on this page; what you typed is kept below."),
    )
    response = _page_with(request, action, form, pk=pk, study=study, status=409)
    if request.htmx:
        # Replace the whole main area: the point is to show what changed.
        response.status_code = 200
        retarget(response, "#main")
        reselect(response, "#main")
        reswap(response, "outerHTML")
    return response


def _action_view(key: str):
    action = ACTIONS[key]

    @permission_required("proposals.view_proposal")
    @require_POST
    def view(request, pk: int):
        return _act(request, action, get_object_or_404(Proposal, pk=pk))

    view.__name__ = f"proposal_{key}"
    return view


proposal_accept = _action_view("accept")
proposal_close = _action_view("close")
proposal_route = _action_view("route")
proposal_adopt = _action_view("adopt")
proposal_not_adopt = _action_view("not_adopt")
proposal_reserve = _action_view("reserve")
proposal_extend = _action_view("extend")
proposal_implemented = _action_view("implemented")
proposal_development = _action_view("development")


@permission_required("proposals.view_proposal")
@require_POST
def study_opinion(request, pk: int):
    study = get_object_or_404(StudyRequest.objects.select_related("department", "proposal"), pk=pk)
    return _act(request, OPINION, study.proposal, study=study)


@permission_required("proposals.view_proposal")
def attachment_download(request, pk: int):
    """An original the proposal arrived with; only for who may see the proposal."""
    attachment = get_object_or_404(Attachment, pk=pk)
    return protected_download(
        attachment.file.name, download_name=typed_file_name(attachment.original_name)
    )
