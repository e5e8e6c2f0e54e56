"""Accounts: people, login, MFA, invitations and API tokens."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """User accounts application."""

    name = "samvirke.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """Connect the login audit and invitation sign-up receivers."""
        from samvirke.accounts import signals

        signals.connect()
