from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from aftersales.accounts.views import LoginView
from aftersales.config.api import api
from aftersales.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", api.urls),
    path("accounts/", include("aftersales.accounts.urls")),
    path("customers/", include("aftersales.customers.urls")),
    path("policy/", include("aftersales.policy.urls")),
    path("outbox/", include("aftersales.notifications.urls")),
    path("proposals/", include("aftersales.proposals.urls")),
    path("portal/", include("aftersales.portal.urls")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("bench/", include("aftersales.core.bench_urls")),
    path("", include("aftersales.core.urls")),
]

handler400 = "aftersales.core.views.error_400"
handler403 = "aftersales.core.views.error_403"
handler404 = "aftersales.core.views.error_404"
handler500 = "aftersales.core.views.error_500"
