from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from aftersales.accounts import selectors, services, throttling
from aftersales.accounts.forms import (
    ApiTokenForm,
    DelegationForm,
    DepartmentForm,
    LoginForm,
    RolesForm,
    StaffForm,
)
from aftersales.accounts.models import ApiToken, Delegation, Department
from aftersales.core.errors import DomainError
from aftersales.core.forms import act_and_return, apply_domain_error, int_or_none
from aftersales.core.permissions import login_required, permission_required
from aftersales.core.roles import Role

User = get_user_model()


class LoginView(auth_views.LoginView):
    """Django's sign-in. django-axes locks a user name after too many failures;
    before that, an address with many recent failures across user names waits
    (accounts.throttling): its attempt is refused with 429 without checking the
    password, so waiting is the only way on, and the wait is capped."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = throttling.address_wait(request)
        if not wait:
            return super().post(request, *args, **kwargs)
        form = self.form_class(request, initial={"username": request.POST.get("username", "")})
        message = ngettext(
            "Too many failed sign-in attempts from your network. Try again in %(seconds)d second.",
            "Too many failed sign-in attempts from your network. Try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        response = self.render_to_response(
            self.get_context_data(form=form, throttled=message), status=429
        )
        response["Retry-After"] = str(wait)
        return response


@require_POST
def set_language(request):
    """Switch language: stored on the profile for a signed-in user, in a cookie otherwise."""
    from django.conf import settings
    from django.utils import translation

    language = request.POST.get("language", "")
    nxt = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        nxt = "/"
    response = redirect(nxt)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    return response


@login_required
def profile(request):
    """The user's own page: details, roles, delegations, API tokens."""
    user = selectors.staff_detail(request.user.pk)
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    return render(
        request,
        "accounts/profile.html",
        {
            "person": user,
            "tokens": tokens,
            "token_form": ApiTokenForm(),
            "new_token": request.session.pop("new_token", None),
        },
    )


@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            _token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            # Shown once, on the next page, then gone from the session.
            request.session["new_token"] = raw
    else:
        messages.error(request, _("Name the token and give how many days it is valid."))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("accounts:profile")


@permission_required("accounts.manage_staff")
def staff_list(request):
    q = request.GET.get("q", "")
    role = request.GET.get("role", "")
    users = selectors.staff_list(q=q, role=role if role in Role.values else "")[:200]
    return render(
        request,
        "accounts/staff_list.html",
        {"people": users, "q": q, "role": role, "roles": Role.choices},
    )


@permission_required("accounts.manage_staff")
def staff_create(request):
    form = StaffForm(request.POST or None, initial={"language": "zh-hans"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.staff_create(by=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Staff member created."))
            return redirect("accounts:staff_detail", pk=user.pk)
    return render(request, "accounts/staff_form.html", {"form": form, "creating": True})


@permission_required("accounts.manage_staff")
def staff_detail(request, pk: int):
    person = get_object_or_404(User.objects.all(), pk=pk)
    person = selectors.staff_detail(person.pk)
    roles_form = RolesForm(initial={"roles": [g.name for g in person.groups.all()]})
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "person": person,
            "roles_form": roles_form,
            "role_changes": selectors.role_changes_for(person),
        },
    )


@permission_required("accounts.manage_staff")
def staff_edit(request, pk: int):
    person = get_object_or_404(User.objects.select_related("profile"), pk=pk)
    profile = person.profile
    initial = {f: getattr(profile, f) for f in services.PROFILE_FIELDS} | {"email": person.email}
    form = StaffForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.staff_update(
                user=person,
                by=request.user,
                seen_version=int_or_none(request.POST.get("seen_version")),
                **data,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(
        request,
        "accounts/staff_form.html",
        {"form": form, "person": person, "seen_version": profile.version},
    )


@permission_required("accounts.manage_staff")
@require_POST
def staff_roles(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.roles_set(
                user=person,
                roles=form.cleaned_data["roles"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Roles saved."))
    else:
        messages.error(request, _("Choose roles from the list."))
    return redirect("accounts:staff_detail", pk=person.pk)


@permission_required("accounts.manage_staff")
@require_POST
def staff_active(request, pk: int):
    person = get_object_or_404(User, pk=pk)
    try:
        services.staff_set_active(
            user=person, active=request.POST.get("active") == "1", by=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:staff_detail", pk=person.pk)


@permission_required("accounts.add_delegation")
def delegation_create(request):
    form = DelegationForm(request.POST or None, delegator=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.delegation_create(delegator=request.user, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Delegation recorded."))
            return redirect("accounts:profile")
    return render(request, "accounts/delegation_form.html", {"form": form})


@login_required
@require_POST
def delegation_revoke(request, pk: int):
    delegation = get_object_or_404(Delegation, pk=pk)
    return act_and_return(
        request,
        lambda: services.delegation_revoke(delegation=delegation, by=request.user),
        success=_("Delegation revoked."),
        to="accounts:profile",
    )


@permission_required("accounts.manage_staff")
def department_list(request):
    departments = Department.objects.select_related("manager__profile").order_by("code")
    return render(request, "accounts/department_list.html", {"departments": departments})


@permission_required("accounts.manage_staff")
def department_edit(request, pk: int | None = None):
    department = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {k: v for k, v in form.cleaned_data.items()}
            services.department_save(by=request.user, department=department, **fields)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:department_list")
    return render(
        request, "accounts/department_form.html", {"form": form, "department": department}
    )
