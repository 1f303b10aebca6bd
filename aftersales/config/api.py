"""The one NinjaAPI, under /api/v1. Each app contributes a router."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from aftersales.core.api import (
    SessionAuthCSRF,
    TokenAuth,
    complete_error_responses,
    fallback_urlpatterns,
    install_error_handlers,
)


class AftersalesAPI(NinjaAPI):
    def _get_urls(self):
        # Ninja's root page is an HTML 404 when the site is not in DEBUG: the
        # root and any path no operation takes answer the JSON 404 instead.
        urls = [url for url in super()._get_urls() if getattr(url, "name", "") != "api-root"]
        return [*urls, *fallback_urlpatterns(self)]

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        complete_error_responses(schema)
        return schema


api = AftersalesAPI(
    title="Aftersales API",
    version="1",
    description=str(
        _("Aftersales REST API. Authenticate with the browser session or a personal API token.")
    ),
    auth=[SessionAuthCSRF(), TokenAuth()],
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)

from aftersales.accounts.api import router as accounts_router  # noqa: E402
from aftersales.customers.api import router as customers_router  # noqa: E402
from aftersales.notifications.api import router as notifications_router  # noqa: E402
from aftersales.policy.api import router as policy_router  # noqa: E402
from aftersales.proposals.api import router as proposals_router  # noqa: E402

api.add_router("/accounts", accounts_router)
api.add_router("/customers", customers_router)
api.add_router("/policy", policy_router)
api.add_router("/notifications", notifications_router)
api.add_router("/proposals", proposals_router)
