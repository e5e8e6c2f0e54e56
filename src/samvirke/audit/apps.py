"""Audit: the append-only, hash-chained record of every write."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Audit trail application."""

    name = "samvirke.audit"
    label = "audit"
    verbose_name = _("Audit trail")
