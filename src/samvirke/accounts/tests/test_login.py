"""Login by e-mail or username, rate limiting, password reset and the login audit."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from conftest import login
from samvirke.accounts.tests.helpers import actions, password_login
from samvirke.audit.models import AuditEntry
from samvirke.core.testing import PASSWORD, World

NEW_PASSWORD = "another-long-passphrase-42"


def logged_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_login_by_email(client: Client, world: World, unscoped: None) -> None:
    response = password_login(client, world.member.email.upper())
    assert response.status_code == 302
    assert logged_in_as(client) == str(world.member.pk)
    entry = AuditEntry.objects.get(action="accounts.login.succeeded")
    assert (entry.organisation, entry.chain_key, entry.actor) == (
        None,
        "installation",
        world.member,
    )
    assert entry.via == "page" and entry.ip == "127.0.0.1"


def test_login_by_username(client: Client, world: World) -> None:
    assert password_login(client, "member.a").status_code == 302
    assert logged_in_as(client) == str(world.member.pk)


def test_failed_login_is_audited_without_the_typed_text(
    client: Client, world: World, unscoped: None
) -> None:
    response = password_login(client, world.member.email, "wrong-password")
    assert response.status_code == 200 and logged_in_as(client) is None
    entry = AuditEntry.objects.get(action="accounts.login.failed")
    assert entry.organisation is None and entry.object_id == str(world.member.pk)
    password_login(client, "my-secret-typed-in-the-wrong-field", "x")
    unknown = AuditEntry.objects.filter(action="accounts.login.failed").order_by("id").last()
    assert unknown is not None and unknown.object_id == ""
    assert "my-secret" not in str(unknown.payload())


def test_repeated_failures_are_rate_limited(client: Client, world: World) -> None:
    for _attempt in range(5):
        password_login(client, world.member.email, "wrong-password")
    response = client.post(
        reverse("account_login"),
        {"login": world.member.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert logged_in_as(client) is None  # even the right password is refused now
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Too many failed login attempts" in errors


def test_logout_is_audited(client: Client, world: World, unscoped: None) -> None:
    password_login(client, "member.a")
    assert client.post(reverse("account_logout")).status_code == 302
    assert logged_in_as(client) is None
    assert actions(organisation=None)[-1] == "accounts.logout"


def test_password_reset_by_mail(client: Client, world: World) -> None:
    response = client.post(reverse("account_reset_password"), {"email": world.member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.member.email]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1)
    response = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    client.logout()
    assert password_login(client, world.member.email, NEW_PASSWORD).status_code == 302
    assert logged_in_as(client) == str(world.member.pk)


def test_password_reset_for_unknown_address_sends_nothing_revealing(
    client: Client, world: World
) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    assert response.status_code == 302  # the same answer as for a known address
    assert all("password/reset/key" not in m.body for m in mail.outbox)


def test_forced_login_writes_no_login_entry(client: Client, world: World, unscoped: None) -> None:
    login(client, world.member)
    assert client.get("/").status_code == 200
    assert "accounts.login.succeeded" not in actions()
