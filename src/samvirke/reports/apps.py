"""Reports: the organisation report, a management report per department, the network report."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reports as HTML pages, PDF and XLSX, from the baseline and the published releases."""

    name = "samvirke.reports"
    label = "reports"
    verbose_name = _("Reports")
