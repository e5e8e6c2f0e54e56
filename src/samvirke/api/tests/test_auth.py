"""Bearer-token authentication: only a valid token of a current member gets in."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.tenancy.models import Membership

pytestmark = pytest.mark.django_db


def test_valid_token_is_accepted(world: World) -> None:
    _, secret = make_token(world.owner, world.org_a)
    response = ApiClient(secret).get("/me")
    assert response.status_code == 200
    assert response.json()["username"] == "owner.a"


def test_no_token_is_refused(world: World) -> None:
    response = ApiClient().get("/me")
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer smv_not-a-real-token", "Bearer ", "Basic b3duZXIuYTpwdw==", "smv_xyz", "Bearer\x00"],
)
def test_bad_token_is_refused(world: World, header: str) -> None:
    response = ApiClient(Authorization=header).get("/units")
    assert_error(response, 401, "unauthorized")


def test_revoked_token_is_refused(world: World) -> None:
    _, secret = make_token(world.owner, world.org_a, revoked=True)
    assert_error(ApiClient(secret).get("/me"), 401, "unauthorized")


def test_expired_token_is_refused(world: World) -> None:
    _, secret = make_token(world.owner, world.org_a, expires_in=datetime.timedelta(seconds=-1))
    assert_error(ApiClient(secret).get("/me"), 401, "unauthorized")


def test_token_of_ended_membership_is_refused(world: World) -> None:
    _, secret = make_token(world.member, world.org_a)
    with organisation_scope(world.org_a.pk):
        Membership.objects.filter(user=world.member).update(ends_on=datetime.date(2000, 1, 1))
    assert_error(ApiClient(secret).get("/me"), 401, "unauthorized")


def test_token_of_deactivated_membership_is_refused(world: World) -> None:
    _, secret = make_token(world.member, world.org_a)
    with organisation_scope(world.org_a.pk):
        Membership.objects.filter(user=world.member).update(is_active=False)
    assert_error(ApiClient(secret).get("/units"), 401, "unauthorized")


def test_token_of_inactive_user_is_refused(world: World) -> None:
    _, secret = make_token(world.member, world.org_a)
    world.member.is_active = False
    world.member.save()
    assert_error(ApiClient(secret).get("/me"), 401, "unauthorized")


def test_token_for_an_organisation_the_user_left_is_refused(world: World) -> None:
    """A token names its organisation; membership elsewhere does not keep it alive."""
    _, secret = make_token(world.outsider, world.org_a)
    assert_error(ApiClient(secret).get("/me"), 401, "unauthorized")


def test_session_login_is_not_accepted(client: Client, world: World) -> None:
    client.force_login(world.owner, backend="django.contrib.auth.backends.ModelBackend")
    for response in (
        client.get("/api/v1/units"),
        client.post("/api/v1/units", {"name": "X"}, content_type="application/json"),
    ):
        assert_error(response, 401, "unauthorized")


def test_missing_permission_is_forbidden_before_the_body_is_read(reader_api: ApiClient) -> None:
    assert_error(reader_api.post("/units", {"name": "Ny"}), 403, "forbidden")
    assert_error(reader_api.post("/units", raw="{not json"), 403, "forbidden")
    assert_error(reader_api.get("/members"), 403, "forbidden")


def test_permission_table_decides_per_operation(member_api: ApiClient, world: World) -> None:
    """A respondent may read units and networks but not change units or list members."""
    assert member_api.get("/units").status_code == 200
    assert member_api.get("/networks").status_code == 200
    assert_error(member_api.get("/members"), 403, "forbidden")
    unit = world.unit_a.pk
    assert_error(member_api.patch(f"/units/{unit}", {"name": "Z"}), 403, "forbidden")
    assert_error(member_api.delete(f"/units/{unit}"), 403, "forbidden")
