"""Tenancy: organisations, networks, org units, memberships and roles."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    """Organisations are the tenants; everything else hangs off them."""

    name = "samvirke.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations")
