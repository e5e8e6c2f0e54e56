"""API tokens: the page lists, creates (secret shown once) and revokes the user's own tokens."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from samvirke.accounts.models import ApiToken, digest
from samvirke.accounts.services import token_create
from samvirke.accounts.tests.helpers import actions
from samvirke.audit.models import AuditEntry
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World


def make_token(world: World, user: object = None, days: int = 30) -> tuple[ApiToken, str]:
    with organisation_scope(world.org_a.pk):
        return token_create(
            actor=None, organisation=world.org_a, user=user or world.member, name="ci", days=days
        )


def revoke_url(token: ApiToken) -> str:
    return reverse("accounts:token_revoke", kwargs={"token_id": token.pk})


def test_create_shows_secret_once(
    client: Client, world: World, unscoped: None, settings: object
) -> None:
    login(client, world.member)
    page = client.get(reverse("accounts:token_list"))
    assert page.status_code == 200
    assert page.context["form"]["days"].value() == settings.SAMVIRKE_API_TOKEN_DAYS  # type: ignore[attr-defined]
    response = client.post(reverse("accounts:token_create"), {"name": "Reporting", "days": "30"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode() and secret.startswith("smv_")
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    assert (token.user, token.organisation, token.name) == (world.member, world.org_a, "Reporting")
    assert token.key_digest == digest(secret) and secret.startswith(token.prefix)
    expected = timezone.now() + datetime.timedelta(days=30)
    assert abs(token.expires_at - expected) < datetime.timedelta(minutes=5)
    assert actions(organisation=world.org_a) == ["accounts.token.created"]
    listing = client.get(reverse("accounts:token_list")).content.decode()
    assert "Reporting" in listing and token.prefix in listing and secret not in listing


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x", "days": "0"},
        {"name": "x", "days": "366"},
        {"name": "x", "days": "ten"},
        {"name": "", "days": "30"},
        {"name": "x" * 101, "days": "30"},
    ],
)
def test_bad_token_input_is_refused(
    client: Client, world: World, unscoped: None, data: dict[str, str]
) -> None:
    login(client, world.member)
    response = client.post(reverse("accounts:token_create"), data)
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_list_shows_only_own_tokens_in_active_organisation(
    client: Client, world: World, unscoped: None
) -> None:
    mine, _ = make_token(world)
    theirs, _ = make_token(world, user=world.owner)
    login(client, world.member)
    tokens = list(client.get(reverse("accounts:token_list")).context["tokens"])
    assert tokens == [mine] and theirs not in tokens


def test_revoke_own_token(client: Client, world: World, unscoped: None) -> None:
    token, _secret = make_token(world)
    login(client, world.member)
    assert client.get(revoke_url(token)).status_code == 405
    assert client.post(revoke_url(token)).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_usable
    assert actions(organisation=world.org_a)[-1] == "accounts.token.revoked"
    # Revoking again changes nothing and writes nothing.
    assert client.post(revoke_url(token)).status_code == 302
    assert actions(organisation=world.org_a).count("accounts.token.revoked") == 1


def test_revoking_someone_elses_token_is_404(client: Client, world: World, unscoped: None) -> None:
    token, _secret = make_token(world, user=world.owner)
    login(client, world.member)
    assert client.post(revoke_url(token)).status_code == 404
    login(client, world.outsider)
    assert client.post(revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_readers_may_not_manage_tokens(client: Client, world: World) -> None:
    login(client, world.reader)
    assert client.get(reverse("accounts:token_list")).status_code == 403
    assert (
        client.post(reverse("accounts:token_create"), {"name": "x", "days": 5}).status_code == 403
    )


# --- the management command ------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("token_create", *args, stdout=out)
    return out.getvalue()


def test_command_prints_only_the_secret(world: World, unscoped: None) -> None:
    output = run("--user", "member.a", "--organisation", "901", "--name", "sync", "--days", "7")
    secret = output.strip()
    assert output == secret + "\n" and secret.startswith("smv_")
    token = ApiToken.objects.get()
    assert (token.user, token.organisation, token.name) == (world.member, world.org_a, "sync")
    assert token.key_digest == digest(secret)
    entry = AuditEntry.objects.get(action="accounts.token.created")
    assert (entry.via, entry.ip, entry.actor, entry.organisation) == (
        "cli",
        None,
        None,
        world.org_a,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody", "--organisation", "901"], "No user"),
        (["--user", "member.a", "--organisation", "000"], "No organisation"),
        (["--user", "outsider.b", "--organisation", "901"], "not a member"),
        (["--user", "member.a", "--organisation", "901", "--days", "0"], "1 to 365"),
    ],
)
def test_command_errors(world: World, unscoped: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not ApiToken.objects.exists()
