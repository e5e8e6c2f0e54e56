"""Small helpers shared by the accounts tests."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from samvirke.audit.models import AuditEntry
from samvirke.core.testing import PASSWORD

KEY_IN_MAIL = re.compile(r"/accounts/invitations/([A-Za-z0-9_-]+)/")


def key_from_last_mail() -> str:
    """The invitation key in the most recent e-mail."""
    found = KEY_IN_MAIL.search(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def actions(**filters: object) -> list[str]:
    """Audit actions written so far (call inside the `unscoped` fixture)."""
    return list(
        AuditEntry.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )


def password_login(client: Client, login: str, password: str = PASSWORD) -> object:
    """Log in through allauth's login form, as a person would."""
    return client.post(reverse("account_login"), {"login": login, "password": password})
