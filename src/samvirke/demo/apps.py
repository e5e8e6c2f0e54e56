"""Demo data: organisations, networks and people for trying Samvirke out."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data application."""

    name = "samvirke.demo"
    label = "demo"
