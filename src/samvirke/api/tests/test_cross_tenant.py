"""A's token asks for, changes and references B's objects: 404 or 422, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.tenancy.models import Network, OrgUnit

pytestmark = pytest.mark.django_db


def snapshot_units(world: World) -> list[tuple[Any, ...]]:
    """Every unit of both organisations, to compare before and after."""
    with scopes_disabled():
        return list(
            OrgUnit.objects.order_by("pk").values_list(
                "pk", "organisation_id", "name", "code", "parent_id", "description"
            )
        )


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("get", None),
        ("put", {"name": "Hacked"}),
        ("patch", {"name": "Hacked"}),
        ("delete", None),
    ],
)
def test_other_organisations_unit_is_not_found(
    owner_api: ApiClient, world: World, method: str, body: Any
) -> None:
    before = snapshot_units(world)
    response = owner_api.call(method, f"/units/{world.unit_b.pk}", body)
    assert_error(response, 404, "not_found")
    assert snapshot_units(world) == before


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_parent_of_another_organisation_is_refused(
    owner_api: ApiClient, world: World, method: str
) -> None:
    before = snapshot_units(world)
    body = {"name": "Ny", "parent": world.unit_b.pk}
    path = "/units" if method == "post" else f"/units/{world.unit_a.pk}"
    error = assert_error(owner_api.call(method, path, body), 422, "validation_error")
    assert set(error["fields"]) == {"parent"}
    assert snapshot_units(world) == before


def test_unit_list_shows_only_own_units(owner_api: ApiClient, world: World) -> None:
    names = [u["name"] for u in owner_api.get("/units").json()["items"]]
    assert names == ["Alfa IT"]


def test_member_list_shows_only_own_members(outsider_api: ApiClient) -> None:
    emails = [m["email"] for m in outsider_api.get("/members").json()["items"]]
    assert emails == ["outsider.b@example.test"]


def test_network_the_organisation_is_not_in_is_not_found(
    owner_api: ApiClient, world: World
) -> None:
    other = Network.objects.create(code="other", name="Other", steward=world.org_b)
    for path in (f"/networks/{other.pk}", f"/networks/{other.pk}/members"):
        assert_error(owner_api.get(path), 404, "not_found")
    assert [n["code"] for n in owner_api.get("/networks").json()["items"]] == ["test-net"]


def test_tokens_of_others_are_not_found(owner_api: ApiClient, world: World) -> None:
    theirs, _ = make_token(world.outsider, world.org_b)
    colleagues, _ = make_token(world.member, world.org_a)
    own_elsewhere, _ = make_token(world.owner, world.org_b)
    for token in (theirs, colleagues, own_elsewhere):
        assert_error(owner_api.delete(f"/tokens/{token.pk}"), 404, "not_found")
        with organisation_scope(token.organisation_id):
            token.refresh_from_db()
        assert token.revoked_at is None
