"""Every write about staff, roles, delegations and API tokens."""

import secrets
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.accounts.models import ApiToken, Delegation, Department, RoleChange, StaffProfile
from aftersales.core.errors import DomainError, required
from aftersales.core.roles import DELEGABLE_ROLES, Role

User = get_user_model()

PROFILE_FIELDS = (
    "display_name",
    "department",
    "position",
    "hire_date",
    "proficient_since",
    "language",
    "phone",
)


@transaction.atomic
def staff_create(
    *,
    by,
    username: str,
    password: str,
    employee_no: str,
    display_name: str,
    department: Department,
    hire_date: date,
    email: str = "",
    position: str = "",
    proficient_since: date | None = None,
    language: str = "zh-hans",
    phone: str = "",
    roles: list[str] = (),
) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(
            "username_taken",
            _("This user name is already taken."),
            fields={"username": _("Taken.")},
        )
    if StaffProfile.objects.filter(employee_no=employee_no).exists():
        raise DomainError(
            "employee_no_taken",
            _("This employee number is already used."),
            fields={"employee_no": _("Taken.")},
        )
    _check_proficiency(hire_date, proficient_since)
    user = User.objects.create_user(
        username=username, password=password, email=email.strip().lower()
    )
    StaffProfile.objects.create(
        user=user,
        employee_no=employee_no,
        display_name=display_name,
        department=department,
        position=position,
        hire_date=hire_date,
        proficient_since=proficient_since,
        language=language,
        phone=phone,
    )
    roles_set(user=user, roles=roles, by=by)
    return user


@transaction.atomic
def staff_update(
    *, user, by, seen_version: int | None = None, email: str | None = None, **changes
) -> StaffProfile:
    profile = StaffProfile.objects.select_for_update().get(user=user)
    if seen_version is not None and profile.version != seen_version:
        raise DomainError(
            "changed",
            _("Someone else changed this profile first; reload it and try again."),
            status=409,
        )
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {unknown}")
    for key, value in changes.items():
        setattr(profile, key, value)
    _check_proficiency(profile.hire_date, profile.proficient_since)
    profile.save()
    if email is not None and email.strip().lower() != user.email:
        user.email = email.strip().lower()
        user.save(update_fields=["email"])
    return profile


def _check_proficiency(hire_date, proficient_since):
    if proficient_since and hire_date and proficient_since < hire_date:
        raise DomainError(
            "proficient_before_hire",
            _("The proficiency date cannot be before the hire date."),
            fields={"proficient_since": _("Before the hire date.")},
        )


@transaction.atomic
def staff_set_active(*, user, active: bool, by) -> None:
    """Staff leave; their records stay. A deactivated account cannot sign in."""
    if user == by and not active:
        raise DomainError("self_deactivate", _("You cannot deactivate your own account."))
    user.is_active = active
    user.save(update_fields=["is_active"])


@transaction.atomic
def roles_set(*, user, roles, by, note: str = "") -> None:
    """Make the user's roles exactly ``roles``, logging each grant and revoke."""
    valid = set(Role.values)
    wanted = set(roles)
    bad = wanted - valid
    if bad:
        raise DomainError(
            "unknown_role", _("Unknown role: %(role)s") % {"role": ", ".join(sorted(bad))}
        )
    if (
        by == user
        and Role.ADMINISTRATOR in {g.name for g in user.groups.all()}
        and Role.ADMINISTRATOR not in wanted
    ):
        raise DomainError("self_lockout", _("You cannot remove your own administrator role."))
    current = set(user.groups.values_list("name", flat=True)) & valid
    for role in sorted(wanted - current):
        user.groups.add(Group.objects.get(name=role))
        RoleChange.objects.create(
            user=user, role=role, action=RoleChange.Action.GRANTED, by=by, note=note
        )
    for role in sorted(current - wanted):
        user.groups.remove(Group.objects.get(name=role))
        RoleChange.objects.create(
            user=user, role=role, action=RoleChange.Action.REVOKED, by=by, note=note
        )


@transaction.atomic
def delegation_create(
    *, delegator, delegate, role: str, starts_on: date, ends_on: date, reason: str, by
) -> Delegation:
    """A manager names a delegate for a period, recorded (who, when, why)."""
    if role not in {r.value for r in DELEGABLE_ROLES}:
        raise DomainError(
            "not_delegable",
            _("This role cannot be delegated."),
            fields={"role": _("Not delegable.")},
        )
    if delegator == delegate:
        raise DomainError(
            "self_delegation",
            _("A delegate must be someone else."),
            fields={"delegate": _("Yourself.")},
        )
    if not delegator.groups.filter(name=role).exists():
        raise DomainError(
            "role_not_held",
            _("Only someone who holds a role can delegate it."),
            fields={"role": _("Not held.")},
        )
    if by != delegator and not by.has_perm("accounts.manage_staff"):
        raise DomainError("not_yours", _("You can only delegate your own roles."), status=403)
    if ends_on < starts_on:
        raise DomainError(
            "period_invalid",
            _("The period ends before it starts."),
            fields={"ends_on": _("Before the start.")},
        )
    if ends_on < timezone.localdate():
        # It would grant nothing, yet read as if the delegate had held the role.
        raise DomainError(
            "period_past", _("The period is already over."), fields={"ends_on": _("In the past.")}
        )
    if ends_on - starts_on > timedelta(days=366):
        raise DomainError(
            "period_too_long",
            _("A delegation lasts at most one year."),
            fields={"ends_on": _("Too far.")},
        )
    required(reason, field="reason", code="reason_required", message=_("Give a reason."))
    return Delegation.objects.create(
        delegator=delegator,
        delegate=delegate,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        created_by=by,
    )


@transaction.atomic
def delegation_revoke(*, delegation: Delegation, by) -> Delegation:
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.revoked_at:
        raise DomainError("already_revoked", _("This delegation was already revoked."))
    if by != delegation.delegator and not by.has_perm("accounts.manage_staff"):
        raise DomainError(
            "not_yours", _("Only the delegator or an administrator can revoke this."), status=403
        )
    delegation.revoked_at = timezone.now()
    delegation.revoked_by = by
    delegation.save(update_fields=["revoked_at", "revoked_by"])
    return delegation


def user_set_language(*, user, language: str) -> None:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise DomainError("unknown_language", _("Unknown language."))
    StaffProfile.objects.filter(user=user).update(language=language)


def api_token_create(*, user, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored or shown again."""
    name = required(name, field="name", code="name_required", message=_("Name the token."))
    raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        lookup=raw[len(ApiToken.PREFIX) : len(ApiToken.PREFIX) + 8],
        digest=ApiToken.hash(raw),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return token, raw


def api_token_revoke(*, token: ApiToken, by) -> None:
    if token.user_id != by.pk and not by.has_perm("accounts.manage_staff"):
        raise DomainError("not_yours", _("This token is not yours."), status=403)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(*, raw: str):
    """The token's user, or None. Uses the hash; the raw token is never stored."""
    if not raw or not raw.startswith(ApiToken.PREFIX) or len(raw) > 200:
        return None
    try:
        token = ApiToken.objects.select_related("user").get(digest=ApiToken.hash(raw))
    except ApiToken.DoesNotExist:
        return None
    if not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Written at most once a minute, so a busy integration does not write on every call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def department_save(*, by, department: Department | None = None, **fields) -> Department:
    department = department or Department()
    for key, value in fields.items():
        setattr(department, key, value)
    try:
        with transaction.atomic():
            department.save()
    except IntegrityError:
        raise DomainError(
            "department_invalid",
            _("The code is taken, or another department is already the after-sales department."),
        ) from None
    return department
