"""The organisation, org units, members and networks through the API."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samvirke.api.tests.helpers import ApiClient, assert_error
from samvirke.audit.models import AuditEntry
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, make_organisation
from samvirke.tenancy.models import NetworkMembership, OrgUnit, Region, RegionPlacement

pytestmark = pytest.mark.django_db


def units_of(world: World, organisation_id: int) -> list[OrgUnit]:
    with organisation_scope(organisation_id):
        return list(OrgUnit.objects.filter(organisation_id=organisation_id).order_by("pk"))


def test_organisation(owner_api: ApiClient, world: World) -> None:
    region = Region.objects.create(
        country="DK", code="1084", name="Region Hovedstaden", valid_from=datetime.date(2007, 1, 1)
    )
    RegionPlacement.objects.create(
        organisation=world.org_a, region=region, valid_from=datetime.date(2007, 1, 1)
    )
    response = owner_api.get("/organisation")
    assert response.status_code == 200
    assert response.json() == {
        "id": world.org_a.pk,
        "code": "901",
        "name": "Alfa Kommune",
        "kind": "municipality",
        "country": "DK",
        "region": {"code": "1084", "name": "Region Hovedstaden"},
        "size_class": "none",
        "units": 1,
    }


def test_unit_list_and_get(reader_api: ApiClient, world: World) -> None:
    listed = reader_api.get("/units").json()
    assert listed["count"] == 1
    assert [u["name"] for u in listed["items"]] == ["Alfa IT"]
    one = reader_api.get(f"/units/{world.unit_a.pk}").json()
    assert one["name"] == "Alfa IT" and one["parent"] is None


def test_unit_list_paginates(owner_api: ApiClient, world: World) -> None:
    for name in ["B", "C", "D"]:
        assert owner_api.post("/units", {"name": name}).status_code == 201
    page = owner_api.get("/units", limit=2, offset=1).json()
    assert page["count"] == 4
    assert [u["name"] for u in page["items"]] == ["B", "C"]


def test_unit_create(owner_api: ApiClient, world: World, unscoped: None) -> None:
    body = {"name": "  Skole  ", "code": "S1", "parent": world.unit_a.pk, "description": "D"}
    response = owner_api.post("/units", body)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "Skole" and created["parent"] == world.unit_a.pk
    unit = units_of(world, world.org_a.pk)[-1]
    assert (unit.name, unit.code, unit.parent_id, unit.description) == (
        "Skole",
        "S1",
        world.unit_a.pk,
        "D",
    )
    entry = AuditEntry.objects.get(action="tenancy.orgunit.created", object_id=str(unit.pk))
    assert (entry.via, entry.actor_id, entry.organisation_id) == (
        "api",
        world.owner.pk,
        world.org_a.pk,
    )


def test_unit_replace(owner_api: ApiClient, world: World, unscoped: None) -> None:
    child = owner_api.post("/units", {"name": "Barn", "code": "B", "description": "x"}).json()
    response = owner_api.put(f"/units/{child['id']}", {"name": "Barn 2", "parent": world.unit_a.pk})
    assert response.status_code == 200
    assert response.json()["code"] == "" and response.json()["description"] == ""
    unit = units_of(world, world.org_a.pk)[-1]
    assert (unit.name, unit.parent_id, unit.code) == ("Barn 2", world.unit_a.pk, "")
    assert AuditEntry.objects.filter(action="tenancy.orgunit.updated", via="api").count() == 1


def test_unit_patch_changes_only_given_fields(owner_api: ApiClient, world: World) -> None:
    child = owner_api.post(
        "/units", {"name": "Barn", "code": "B", "parent": world.unit_a.pk}
    ).json()
    response = owner_api.patch(f"/units/{child['id']}", {"description": "Ny"})
    assert response.status_code == 200
    assert response.json()["name"] == "Barn" and response.json()["parent"] == world.unit_a.pk
    cleared = owner_api.patch(f"/units/{child['id']}", {"parent": None}).json()
    assert cleared["parent"] is None and cleared["description"] == "Ny"


def test_unit_patch_refuses_null_and_cycles(owner_api: ApiClient, world: World) -> None:
    child = owner_api.post("/units", {"name": "Barn", "parent": world.unit_a.pk}).json()
    error = assert_error(
        owner_api.patch(f"/units/{world.unit_a.pk}", {"name": None}), 422, "validation_error"
    )
    assert set(error["fields"]) == {"name"}
    for parent in (child["id"], world.unit_a.pk):
        response = owner_api.patch(f"/units/{world.unit_a.pk}", {"parent": parent})
        assert set(assert_error(response, 422, "validation_error")["fields"]) == {"parent"}
    assert units_of(world, world.org_a.pk)[0].parent_id is None


def test_unit_delete(owner_api: ApiClient, world: World, unscoped: None) -> None:
    child = owner_api.post("/units", {"name": "Barn", "parent": world.unit_a.pk}).json()
    error = assert_error(owner_api.delete(f"/units/{world.unit_a.pk}"), 409, "conflict")
    assert error["message"]
    response = owner_api.delete(f"/units/{child['id']}")
    assert response.status_code == 204 and response.content == b""
    assert [u.pk for u in units_of(world, world.org_a.pk)] == [world.unit_a.pk]
    assert AuditEntry.objects.filter(action="tenancy.orgunit.deleted", via="api").count() == 1
    assert_error(owner_api.get(f"/units/{child['id']}"), 404, "not_found")


def test_member_list(owner_api: ApiClient, world: World) -> None:
    response = owner_api.get("/members")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {m["email"] for m in items} == {
        "owner.a@example.test",
        "member.a@example.test",
        "reader.a@example.test",
    }
    member = next(m for m in items if m["email"] == "member.a@example.test")
    assert member == {
        "id": member["id"],
        "user_id": world.member.pk,
        "name": "Member",
        "email": "member.a@example.test",
        "role": "respondent",
        "unit": {"id": world.unit_a.pk, "name": "Alfa IT"},
        "ends_on": None,
    }


def test_networks(member_api: ApiClient, world: World) -> None:
    listed = member_api.get("/networks").json()
    assert listed["count"] == 1
    assert listed["items"][0]["steward"] == {"code": "901", "name": "Alfa Kommune"}
    detail = member_api.get(f"/networks/{world.network.pk}").json()
    assert detail["code"] == "test-net" and detail["members"] == 2


def test_network_members_show_public_attributes_only(member_api: ApiClient, world: World) -> None:
    response = member_api.get(f"/networks/{world.network.pk}/members")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [m["code"] for m in items] == ["901", "902"]
    for item in items:
        assert set(item) == {"code", "name", "kind", "country", "region", "size_class"}


def test_network_members_leaving_members_are_not_listed(
    member_api: ApiClient, world: World
) -> None:
    NetworkMembership.objects.filter(organisation=world.org_b).update(
        left_on=datetime.date(2021, 1, 1)
    )
    items = member_api.get(f"/networks/{world.network.pk}/members").json()["items"]
    assert [m["code"] for m in items] == ["901"]


def _add_network_members(world: World, count: int, prefix: str) -> None:
    """Organisations placed in a region, members of the test network."""
    region = Region.objects.get_or_create(
        country="DK", code="1085", defaults={"name": "Region Sjælland", "valid_from": "2007-01-01"}
    )[0]
    for n in range(count):
        org = make_organisation(f"{prefix}{n:03d}", f"Kommune {prefix}{n:03d}")
        RegionPlacement.objects.create(
            organisation=org, region=region, valid_from=datetime.date(2007, 1, 1)
        )
        NetworkMembership.objects.create(
            network=world.network, organisation=org, joined_on=datetime.date(2020, 1, 1)
        )


def _queries_for_members(api: ApiClient, world: World) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"/networks/{world.network.pk}/members")
    assert response.status_code == 200
    return len(captured), response.json()


def test_network_members_take_a_constant_number_of_queries(
    member_api: ApiClient, world: World
) -> None:
    _add_network_members(world, 2, "8")
    few, page_few = _queries_for_members(member_api, world)
    _add_network_members(world, 18, "7")
    many, page_many = _queries_for_members(member_api, world)
    assert (page_few["count"], page_many["count"]) == (4, 22)
    assert many == few
    placed = [m for m in page_many["items"] if m["code"].startswith("7")]
    assert placed[0]["region"] == {"code": "1085", "name": "Region Sjælland"}
