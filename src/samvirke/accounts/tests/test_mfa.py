"""MFA enforcement: network coordinators and operators set up TOTP before anything else."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client, override_settings
from django.urls import reverse

from conftest import login
from samvirke.accounts.models import User
from samvirke.accounts.tests.helpers import password_login
from samvirke.core.testing import PASSWORD, World, add_member, make_user
from samvirke.tenancy.roles import Role

ACTIVATE = reverse("mfa_activate_totp")


def current_code(secret: str) -> str:
    """The TOTP code an authenticator app would show now."""
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def reauthenticate(client: Client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def coordinator(world: World) -> User:
    user = make_user("coordinator.net")
    add_member(user, world.org_a, Role.NETWORK_COORDINATOR)
    return user


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
def test_coordinator_is_sent_to_totp_until_activated(client: Client, coordinator: User) -> None:
    response = password_login(client, coordinator.email)
    assert response.status_code == 302
    for path in ("/", reverse("tenancy:member_list"), reverse("accounts:token_list")):
        response = client.get(path)
        assert response.status_code == 302 and response.url == ACTIVATE, path
    # allauth asks for the password again before an authenticator is added.
    response = client.get(ACTIVATE)
    assert response.url.startswith(reverse("account_reauthenticate"))
    reauthenticate(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(ACTIVATE, {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
def test_wrong_code_does_not_activate(client: Client, coordinator: User) -> None:
    password_login(client, coordinator.email)
    reauthenticate(client)
    client.get(ACTIVATE)
    response = client.post(ACTIVATE, {"code": "000000x"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/").url == ACTIVATE


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
def test_coordinator_with_totp_passes_and_logs_in_with_code(
    client: Client, coordinator: User
) -> None:
    secret = generate_totp_secret()
    TOTP.activate(coordinator, secret)
    response = password_login(client, coordinator.username)
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    # Half-way through login the person is not logged in: login, not MFA set-up, comes first.
    assert client.get("/").url.startswith(reverse("account_login"))
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
def test_operator_is_sent_to_totp(client: Client, world: World) -> None:
    operator = make_user("operator.x")
    add_member(operator, world.org_a, Role.OPERATOR)
    assert login(client, operator).get("/").url == ACTIVATE


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
@pytest.mark.parametrize("who", ["member", "owner", "reader"])
def test_other_roles_are_never_redirected(client: Client, world: World, who: str) -> None:
    login(client, getattr(world, who))
    assert client.get("/").status_code == 200


@override_settings(SAMVIRKE_REQUIRE_MFA=False)
def test_nothing_is_enforced_when_off(client: Client, coordinator: User) -> None:
    assert login(client, coordinator).get("/").status_code == 200


@override_settings(SAMVIRKE_REQUIRE_MFA=True)
def test_allauth_pages_stay_reachable(client: Client, coordinator: User) -> None:
    login(client, coordinator)
    assert client.get(reverse("account_email")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
