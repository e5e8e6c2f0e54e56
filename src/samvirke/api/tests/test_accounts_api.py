"""The caller (`/me`) and their API tokens through the API."""

from __future__ import annotations

import datetime

import pytest

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.audit.models import AuditEntry
from samvirke.core.testing import World, add_member
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_me_lists_current_memberships_everywhere(world: World) -> None:
    add_member(world.member, world.org_b, Role.AUDITOR, world.unit_b)
    world.member.preferred_language = "nb"
    world.member.save()
    _, secret = make_token(world.member, world.org_a)
    me = ApiClient(secret).get("/me").json()
    assert {k: me[k] for k in ("id", "username", "name", "email", "language")} == {
        "id": world.member.pk,
        "username": "member.a",
        "name": "Member",
        "email": "member.a@example.test",
        "language": "nb",
    }
    assert sorted(me["memberships"], key=lambda m: m["organisation_code"]) == [
        {
            "organisation_code": "901",
            "organisation_name": "Alfa Kommune",
            "role": "respondent",
            "org_unit_id": world.unit_a.pk,
            "ends_on": None,
        },
        {
            "organisation_code": "902",
            "organisation_name": "Beta Kommune",
            "role": "auditor",
            "org_unit_id": world.unit_b.pk,
            "ends_on": "2099-01-01",
        },
    ]


def test_token_list_shows_own_tokens_of_this_organisation_without_secrets(world: World) -> None:
    token, secret = make_token(world.owner, world.org_a, name="mine")
    make_token(world.owner, world.org_a, name="old", revoked=True)
    make_token(world.member, world.org_a, name="colleague's")
    add_member(world.owner, world.org_b, Role.RESPONDENT)
    make_token(world.owner, world.org_b, name="elsewhere")
    response = ApiClient(secret).get("/tokens")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [t["name"] for t in items] == ["old", "mine"]
    assert items[1]["is_usable"] and not items[0]["is_usable"]
    assert secret not in response.content.decode()
    assert token.key_digest not in response.content.decode()
    assert set(items[0]) == {
        "id",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "is_usable",
    }


def test_revoke_token(world: World, unscoped: None) -> None:
    _, secret = make_token(world.owner, world.org_a)
    other, other_secret = make_token(world.owner, world.org_a, name="other")
    api = ApiClient(secret)
    response = api.delete(f"/tokens/{other.pk}")
    assert response.status_code == 204
    other.refresh_from_db()
    assert other.revoked_at is not None
    assert_error(ApiClient(other_secret).get("/me"), 401, "unauthorized")
    revoked_at = other.revoked_at
    assert_error(api.delete(f"/tokens/{other.pk}"), 409, "conflict")
    other.refresh_from_db()
    assert other.revoked_at == revoked_at
    entries = AuditEntry.objects.filter(action="accounts.token.revoked", object_id=str(other.pk))
    assert [(e.via, e.actor_id) for e in entries] == [("api", world.owner.pk)]


def test_revoke_the_token_in_use(world: World) -> None:
    token, secret = make_token(world.owner, world.org_a)
    api = ApiClient(secret)
    assert api.delete(f"/tokens/{token.pk}").status_code == 204
    assert_error(api.get("/me"), 401, "unauthorized")


def test_expired_tokens_are_listed_as_unusable(world: World) -> None:
    _, secret = make_token(world.owner, world.org_a)
    make_token(world.owner, world.org_a, name="gone", expires_in=datetime.timedelta(days=-1))
    items = ApiClient(secret).get("/tokens").json()["items"]
    assert {t["name"]: t["is_usable"] for t in items} == {"test": True, "gone": False}


def test_tokens_need_the_token_permission(reader_api: ApiClient, world: World) -> None:
    assert_error(reader_api.get("/tokens"), 403, "forbidden")
    token, _ = make_token(world.reader, world.org_a, name="other")
    assert_error(reader_api.delete(f"/tokens/{token.pk}"), 403, "forbidden")
