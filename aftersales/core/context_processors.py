from django.conf import settings

from aftersales.core.navigation import nav_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "company_name": settings.COMPANY_NAME}
    return {"nav_items": nav_for(user, request.path), "company_name": settings.COMPANY_NAME}
