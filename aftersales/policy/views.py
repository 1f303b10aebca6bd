from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aftersales.core.errors import DomainError
from aftersales.core.forms import act_and_return, int_or_none
from aftersales.core.permissions import permission_required
from aftersales.policy import services
from aftersales.policy.forms import ApproveForm, PolicyDraftForm
from aftersales.policy.models import PolicyVersion
from aftersales.policy.registry import KEYS


@permission_required("policy.view_policyversion")
def policy_list(request):
    versions = PolicyVersion.objects.select_related("approved_by", "created_by").order_by(
        "-number"
    )[:100]
    try:
        in_force = services.policy_in_force()
    except DomainError:
        in_force = None  # only before installation finished; the page still lists versions
    return render(request, "policy/list.html", {"versions": versions, "in_force": in_force})


@permission_required("policy.view_policyversion")
def policy_detail(request, number: int):
    version = get_object_or_404(
        PolicyVersion.objects.select_related("approved_by", "created_by", "based_on"), number=number
    )
    rows = [
        {
            "key": key,
            "value": version.value(name),
            "previous": version.based_on.value(name) if version.based_on else None,
        }
        for name, key in KEYS.items()
    ]
    return render(
        request,
        "policy/detail.html",
        {
            "version": version,
            "rows": rows,
            "approve_form": ApproveForm(initial={"effective_from": timezone.localdate()}),
        },
    )


@permission_required("policy.change_policyversion")
@require_POST
def policy_draft_create(request):
    try:
        draft = services.policy_draft_create(by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("policy:list")
    return redirect("policy:edit", number=draft.number)


@permission_required("policy.change_policyversion")
def policy_edit(request, number: int):
    version = get_object_or_404(PolicyVersion, number=number)
    if version.status != PolicyVersion.Status.DRAFT:
        messages.error(
            request, _("Only a draft can be changed; approved versions stay as they were.")
        )
        return redirect(version)
    form = PolicyDraftForm(
        request.POST or None, values=version.values, initial={"note": version.note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_draft_update(
                version=version,
                by=request.user,
                values=form.values(),
                note=form.cleaned_data["note"],
                seen_version=int_or_none(request.POST.get("seen_version")),
            )
        except DomainError as exc:
            form.add_value_errors(exc.fields)
            if not exc.fields:
                form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Draft saved. The general manager can now approve it."))
            return redirect(version)
    return render(
        request,
        "policy/edit.html",
        {"version": version, "form": form, "seen_version": version.version},
    )


@permission_required("policy.approve_policyversion")
@require_POST
def policy_approve(request, number: int):
    version = get_object_or_404(PolicyVersion, number=number)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the policy takes effect."))
        return redirect(version)
    return act_and_return(
        request,
        lambda: services.policy_approve(
            version=version,
            by=request.user,
            effective_from=form.cleaned_data["effective_from"],
            seen_version=int_or_none(request.POST.get("seen_version")),
        ),
        success=_("Approved."),
        to=version,
    )


@permission_required("policy.change_policyversion")
@require_POST
def policy_withdraw(request, number: int):
    version = get_object_or_404(PolicyVersion, number=number)
    try:
        services.policy_withdraw(version=version, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("policy:list")
