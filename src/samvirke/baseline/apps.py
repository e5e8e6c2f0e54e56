"""Baseline: campaigns, assessments, delegations and answers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BaselineConfig(AppConfig):
    """Yearly maturity measurements of a network's members."""

    name = "samvirke.baseline"
    label = "baseline"
    verbose_name = _("Baseline")
