"""Root URL configuration."""

from django.urls import include, path

from samvirke.api.api import api
from samvirke.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("samvirke.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("samvirke.audit.urls")),
    path("frameworks/", include("samvirke.frameworks.urls")),
    path("baseline/", include("samvirke.baseline.urls")),
    path("benchmarks/", include("samvirke.benchmarking.urls")),
    path("reports/", include("samvirke.reports.urls")),
    path("api/v1/", api.urls),
    path("", include("samvirke.tenancy.urls")),
]

handler400 = "samvirke.core.views.bad_request"
handler403 = "samvirke.core.views.permission_denied"
handler404 = "samvirke.core.views.page_not_found"
handler500 = "samvirke.core.views.server_error"
