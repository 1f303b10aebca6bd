"""The one NinjaAPI, under /api/v1. Each app contributes a router."""

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from aftersales.core.api import SessionAuthCSRF, TokenAuth, install_error_handlers

api = NinjaAPI(
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
