"""API plumbing: authentication, base router, error format, OpenAPI."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """REST API application (plumbing only; operations live in each app's api.py)."""

    name = "samvirke.api"
    label = "api"
