"""Frameworks: the shared reference library of frameworks, versions, nodes and mappings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrameworksConfig(AppConfig):
    """Framework library application (shared reference data, not tenant-owned)."""

    name = "samvirke.frameworks"
    label = "frameworks"
    verbose_name = _("Frameworks")
