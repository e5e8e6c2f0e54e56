"""Bad input of every kind gets the common error shape and a 4xx, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.tenancy.models import OrgUnit

pytestmark = pytest.mark.django_db


def unit_count(world: World) -> int:
    with organisation_scope(world.org_a.pk):
        return OrgUnit.objects.filter(organisation=world.org_a).count()


def test_malformed_json_is_a_bad_request(owner_api: ApiClient, world: World) -> None:
    for raw in ['{"name": ', "{name: 'x'}", b"\xff\xfe\x00", "[" * 100_000]:
        error = assert_error(owner_api.post("/units", raw=raw), 400, "bad_request")
        assert "JSON" in error["message"]
    assert unit_count(world) == 1


def test_wrong_content_type_is_refused(owner_api: ApiClient, world: World) -> None:
    for content_type in ["application/x-www-form-urlencoded", "text/plain", "application/xml"]:
        response = owner_api.post("/units", raw='{"name": "X"}', content_type=content_type)
        assert_error(response, 415, "bad_request")
    assert unit_count(world) == 1


def test_json_suffix_content_type_is_accepted(owner_api: ApiClient) -> None:
    body = json.dumps({"name": "X"})
    response = owner_api.post("/units", raw=body, content_type="application/merge-patch+json")
    assert response.status_code == 201


def test_oversized_body_is_refused(owner_api: ApiClient, world: World) -> None:
    huge = json.dumps({"name": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    assert_error(owner_api.post("/units", raw=huge), 413, "bad_request")
    assert unit_count(world) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "   "}, {"name"}),
        ({"name": None}, {"name"}),
        ({"name": 42}, {"name"}),
        ({"name": ["a"]}, {"name"}),
        ({"name": {"a": 1}}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": "x" * 100_000, "code": "c" * 51}, {"name", "code"}),
        ({"name": "A\x00B"}, {"name"}),
        ({"name": "A", "description": "d" * 5001}, {"description"}),
        ({"name": "A", "parent": "1"}, {"parent"}),
        ({"name": "A", "parent": -1}, {"parent"}),
        ({"name": "A", "parent": 0}, {"parent"}),
        ({"name": "A", "parent": 2**64}, {"parent"}),
        ({"name": "A", "parent": 10**100}, {"parent"}),
        ({"name": "A", "parent": 1.5}, {"parent"}),
        ({"name": "A", "parent": True}, {"parent"}),
        ({"name": "A", "parent": [1]}, {"parent"}),
        ({"name": "A", "parent": 9_999_999}, {"parent"}),
        ({"name": "A", "unknown": 1}, {"unknown"}),
    ],
)
def test_invalid_body_names_each_field(
    owner_api: ApiClient, world: World, body: dict[str, Any], fields: set[str]
) -> None:
    error = assert_error(owner_api.post("/units", body), 422, "validation_error")
    assert set(error["fields"]) == fields
    assert unit_count(world) == 1


@pytest.mark.parametrize("body", [[], [{"name": "A"}], "A", 1, None, True])
def test_body_that_is_not_an_object(owner_api: ApiClient, world: World, body: Any) -> None:
    raw = json.dumps(body)
    error = assert_error(owner_api.post("/units", raw=raw), 422, "validation_error")
    assert set(error["fields"]) == {"body"}
    assert unit_count(world) == 1


def test_missing_body(owner_api: ApiClient, world: World) -> None:
    error = assert_error(owner_api.post("/units"), 422, "validation_error")
    assert set(error["fields"]) == {"body"}


@pytest.mark.parametrize("path_id", ["abc", "-1", "0", "1.5", "99999999999999999999999", "%00"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_odd_ids_in_the_path_are_not_found(owner_api: ApiClient, path_id: str, method: str) -> None:
    body = {"name": "X"} if method in {"put", "patch"} else None
    response = owner_api.call(method, f"/units/{path_id}", body)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"limit": "abc"}, {"limit"}),
        ({"limit": 0}, {"limit"}),
        ({"limit": 10_000}, {"limit"}),
        ({"offset": -1}, {"offset"}),
        ({"offset": 10**30}, {"offset"}),
        ({"limit": "", "offset": "x"}, {"limit", "offset"}),
    ],
)
def test_bad_pagination_names_the_parameter(
    owner_api: ApiClient, params: dict[str, Any], fields: set[str]
) -> None:
    error = assert_error(owner_api.get("/units", **params), 422, "validation_error")
    assert set(error["fields"]) == fields


def test_unknown_path_and_method(owner_api: ApiClient) -> None:
    assert_error(owner_api.get("/nothing-here"), 404, "not_found")
    assert_error(owner_api.get("/"), 404, "not_found")
    assert_error(owner_api.post("/nothing/here", {"a": 1}), 404, "not_found")
    response = owner_api.post("/me", {})
    assert_error(response, 405, "bad_request")
    assert response["Allow"] == "GET"


def test_messages_follow_the_request_language(world: World) -> None:
    secret = make_token(world.owner, world.org_a)[1]
    for language in ("en", "da"):
        response = ApiClient(secret, **{"Accept-Language": language}).post("/units", {"name": ""})
        with translation.override(language):
            expected = translation.gettext("This field cannot be blank.")
        assert assert_error(response, 422, "validation_error")["fields"]["name"] == [expected]
    with translation.override("da"):
        assert translation.gettext("This field cannot be blank.") != "This field cannot be blank."
