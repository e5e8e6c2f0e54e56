"""Accounts: people, login, MFA, invitations and API tokens."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """User accounts application."""

    name = "samvirke.accounts"
    label = "accounts"
    verbose_name = _("Accounts")
