from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.utils import timezone


class RoleBackend(ModelBackend):
    """Django's permissions by group (role), plus the roles a user holds today
    by an active delegation (accounts.Delegation)."""

    def get_user_permissions(self, user_obj, obj=None):
        # Permissions come from roles only, never granted to a person directly,
        # so there is nothing to read (one query less on every page).
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_aftersales_group_perm_cache"):
            from aftersales.accounts.selectors import delegated_roles

            roles = delegated_roles(user_obj, timezone.localdate())
            own = super().get_group_permissions(user_obj)
            if roles:
                rows = Permission.objects.filter(group__name__in=roles).values_list(
                    "content_type__app_label", "codename"
                )
                own = own | {f"{app}.{code}" for app, code in rows}
            user_obj._aftersales_group_perm_cache = own
        return user_obj._aftersales_group_perm_cache
