"""Core: no domain code, only what every app stands on."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Core application: tenancy base model, permissions, access helpers, renderers."""

    name = "samvirke.core"
    label = "core"
