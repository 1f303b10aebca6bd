from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q

from aftersales.accounts.models import Delegation


def user_roles(user) -> list[str]:
    return sorted(g.name for g in user.groups.all())


def staff_list(*, q: str = "", department: int | None = None, role: str = ""):
    User = get_user_model()
    users = (
        User.objects.select_related("profile__department")
        .prefetch_related("groups")
        .order_by("profile__employee_no", "username")
    )
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(profile__display_name__icontains=q)
            | Q(profile__employee_no__icontains=q)
        )
    if department:
        users = users.filter(profile__department_id=department)
    if role:
        users = users.filter(groups__name=role)
    return users


def staff_detail(user_id: int):
    User = get_user_model()
    return (
        User.objects.select_related("profile__department")
        .prefetch_related(
            "groups",
            Prefetch(
                "delegations_received",
                queryset=Delegation.objects.select_related("delegator__profile"),
            ),
            Prefetch(
                "delegations_given",
                queryset=Delegation.objects.select_related("delegate__profile"),
            ),
        )
        .get(pk=user_id)
    )


def role_changes_for(user, limit: int = 50):
    return user.role_changes.select_related("by")[:limit]


def users_with_role(role: str):
    """Active holders of a role, by group or by an active delegation."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from aftersales.accounts.models import Delegation

    delegated = Delegation.objects.active().filter(role=role).values("delegate_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name=role) | Q(pk__in=delegated))
        .distinct()
        .order_by("pk")
    )
