"""Every permission check in the product goes through here.

Views use ``@permission_required``; API endpoints use ``require``; templates
use ``can``. Permissions come from roles (core.roles) and from active
delegations (accounts.backends.RoleBackend).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def can(user, perm: str, obj=None) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(perm, obj))


def require(user, perm: str, obj=None) -> None:
    if not can(user, perm, obj):
        raise PermissionDenied(perm)


def login_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.login_required = True
    return wrapper


def permission_required(*perms: str):
    """Log in first, then hold every one of ``perms``; otherwise 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            for perm in perms:
                require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.login_required = True
        wrapper.permissions = perms
        return wrapper

    return decorator
