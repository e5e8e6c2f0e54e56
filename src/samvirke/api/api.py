"""The NinjaAPI instance at /api/v1/: bearer tokens, one error shape, each app's router."""

from samvirke.accounts.api import router as accounts_router
from samvirke.api.auth import ApiTokenAuth
from samvirke.api.base import SamvirkeAPI
from samvirke.api.errors import install_error_handlers
from samvirke.baseline.api import router as baseline_router
from samvirke.benchmarking.api import router as benchmarking_router
from samvirke.frameworks.api import router as frameworks_router
from samvirke.reports.api import router as reports_router
from samvirke.tenancy.api import router as tenancy_router

api = SamvirkeAPI(
    title="Samvirke API",
    version="1",
    description="Every request carries `Authorization: Bearer <token>`; a token acts for one "
    "person in one organisation. Errors share one shape: "
    '`{"error": {"code", "message", "fields"}}`.',
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", tenancy_router)
api.add_router("/frameworks", frameworks_router)
api.add_router("/", baseline_router)
api.add_router("/benchmarks", benchmarking_router)
api.add_router("/reports", reports_router)
