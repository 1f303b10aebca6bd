from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import F, Q


class RoleBackend(ModelBackend):
    """Django's permissions by group (role), plus the roles a user holds today
    by an active delegation (accounts.Delegation)."""

    def get_user_permissions(self, user_obj, obj=None):
        # Permissions come from roles only, never granted to a person directly,
        # so there is nothing to read (one query less on every page).
        return set()

    def get_user(self, user_id):
        # Every page shows the user's name and follows their language: read
        # the profile with the user, in the query Django makes anyway.
        User = get_user_model()
        try:
            user = User._default_manager.select_related("profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_aftersales_group_perm_cache"):
            from aftersales.accounts.models import Delegation

            # One query: the permissions of the user's own roles and of the
            # roles delegated to them today by someone who holds them.
            delegated = (
                Delegation.objects.active()
                .filter(
                    delegate=user_obj,
                    delegator__groups__name=F("role"),
                    delegator__is_active=True,
                )
                .values("role")
            )
            rows = (
                Permission.objects.filter(Q(group__user=user_obj) | Q(group__name__in=delegated))
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            user_obj._aftersales_group_perm_cache = {f"{app}.{code}" for app, code in rows}
        return user_obj._aftersales_group_perm_cache
