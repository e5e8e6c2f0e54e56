"""The framework library API: frameworks, versions, nodes (flat and tree), mappings, coverage."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.core.testing import World
from samvirke.frameworks.models import Mapping, Node
from samvirke.frameworks.services import frameworks_load

pytestmark = pytest.mark.django_db

BASELINE = "/frameworks/samvirke-baseline/versions/2026.1"
ISO = "/frameworks/iso27001-2022-annex-a/versions/2022"
NIST = "/frameworks/nist-csf-2.0/versions/2.0"


@pytest.fixture
def api(world: World) -> ApiClient:
    """A respondent of organisation A with a token, and the shipped library loaded."""
    frameworks_load(paths=[])
    return ApiClient(make_token(world.member, world.org_a)[1])


def baseline_nodes() -> int:
    return Node.objects.filter(version__framework__key="samvirke-baseline").count()


def ok(response: Any) -> Any:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()


def test_frameworks_are_listed_with_their_versions(api: ApiClient) -> None:
    payload = ok(api.get("/frameworks"))
    assert payload["count"] == 6
    by_key = {f["key"]: f for f in payload["items"]}
    iso = by_key["iso27001-2022-annex-a"]
    assert [v["version"] for v in iso["versions"]] == ["2022"]
    assert iso["versions"][0]["languages"] == ["en"]
    assert "copyrighted" in iso["versions"][0]["licence"]


def test_versions_and_header(api: ApiClient) -> None:
    versions = ok(api.get("/frameworks/samvirke-baseline/versions"))
    assert [v["version"] for v in versions["items"]] == ["2026.1"]
    header = ok(api.get(BASELINE))
    assert header["framework"] == "samvirke-baseline"
    assert header["nodes"] == baseline_nodes()
    assert header["scale"]["max"] == 5
    assert set(header["mapped_to"]) == {
        "iso27001-2022-annex-a",
        "nist-csf-2.0",
        "nsm-grunnprinsipper-2.1",
    }


def test_flat_nodes_are_paginated_with_parent_and_titles(api: ApiClient) -> None:
    total = baseline_nodes()
    first = ok(api.get(f"{BASELINE}/nodes"))
    assert first["count"] == total and len(first["items"]) == 100
    gov, question = first["items"][0], first["items"][1]
    assert gov == {
        "key": "GOV",
        "parent": None,
        "kind": "area",
        "type": None,
        "level": None,
        "weight": 1.0,
        "depth": 0,
        "title": gov["title"],
    }
    assert set(gov["title"]) == {"da", "nb", "en"}
    assert question["key"] == "GOV.01" and question["parent"] == "GOV"
    assert (question["type"], question["level"], question["weight"]) == (
        "maturity",
        "organisation",
        2.0,
    )
    rest = ok(api.get(f"{BASELINE}/nodes", limit=500, offset=100))
    assert len(rest["items"]) == total - 100


@pytest.mark.parametrize(
    "params", [{"limit": 501}, {"limit": 0}, {"offset": -1}, {"format": "list"}]
)
def test_bad_node_list_parameters_are_refused(api: ApiClient, params: dict[str, Any]) -> None:
    assert_error(api.get(f"{BASELINE}/nodes", **params), 422, "validation_error")


def test_tree_nests_every_node(api: ApiClient) -> None:
    tree = ok(api.get(f"{NIST}/nodes", format="tree"))
    assert tree["count"] == 134
    govern = tree["items"][0]
    assert govern["key"] == "GV" and govern["children"][0]["key"] == "GV.OC"
    assert govern["children"][0]["children"][0]["parent"] == "GV.OC"

    def count(items: list[dict[str, Any]]) -> int:
        return sum(1 + count(item["children"]) for item in items)

    assert count(tree["items"]) == 134


def test_node_detail_has_content_and_mappings_both_ways(api: ApiClient) -> None:
    question = ok(api.get(f"{BASELINE}/nodes/GOV.01"))
    assert question["recommendations"]["0"]["en"].startswith("Write a short draft")
    targets = {(m["node"]["framework"], m["node"]["key"]) for m in question["mappings"]}
    assert ("iso27001-2022-annex-a", "A.5.1") in targets
    assert all(m["direction"] == "out" for m in question["mappings"])
    control = ok(api.get(f"{ISO}/nodes/A.5.1"))
    incoming = {
        (m["node"]["framework"], m["node"]["key"], m["direction"]) for m in control["mappings"]
    }
    assert ("nist-csf-2.0", "GV.RM-01", "in") in incoming
    assert ("samvirke-baseline", "GOV.01", "in") in incoming
    area = ok(api.get(f"{ISO}/nodes/A.5"))
    assert area["children"][:2] == ["A.5.1", "A.5.2"]


def test_mappings_of_a_version_are_paginated(api: ApiClient) -> None:
    page = ok(api.get(f"{ISO}/mappings", limit=10))
    key = "iso27001-2022-annex-a"
    iso = Q(source_node__version__framework__key=key) | Q(target_node__version__framework__key=key)
    assert page["count"] == Mapping.objects.filter(iso).count() and len(page["items"]) == 10
    first = page["items"][0]
    assert set(first) == {"source", "target", "relation"}
    assert "iso27001-2022-annex-a" in {first["source"]["framework"], first["target"]["framework"]}


def test_coverage_reaches_through_descendants(api: ApiClient) -> None:
    area = ok(api.get(f"{BASELINE}/nodes/GOV/coverage/iso27001-2022-annex-a"))
    assert area["version"] == "2022" and area["total"] == 93
    keys = {n["key"] for n in area["covered"]}
    assert {"A.5.1", "A.5.2", "A.5.3", "A.5.4"} <= keys
    assert not any(n["direct"] for n in area["covered"])  # the area itself maps to nothing
    question = ok(api.get(f"{BASELINE}/nodes/GOV.01/coverage/iso27001-2022-annex-a"))
    assert {(n["key"], n["direct"]) for n in question["covered"]} == {
        ("A.5.1", True),
        ("A.5.4", True),
    }
    reverse = ok(api.get(f"{ISO}/nodes/A.5.1/coverage/samvirke-baseline"))
    assert "GOV.01" in {n["key"] for n in reverse["covered"]}


@pytest.mark.parametrize(
    "path",
    [
        "/frameworks/no-such/versions",
        "/frameworks/no-such/versions/1",
        f"{ISO[:-4]}1999",
        f"{ISO}/nodes",
        f"{ISO[:-4]}1999/nodes",
        f"{ISO}/nodes/A.99",
        f"{ISO[:-4]}1999/mappings",
        f"{ISO}/nodes/A.99/coverage/nist-csf-2.0",
        f"{ISO}/nodes/A.5.1/coverage/no-such",
        f"{ISO}/nodes/A.5.1/coverage/iso27001-2022-annex-a",
    ],
)
def test_unknown_keys_are_not_found(api: ApiClient, path: str) -> None:
    if path == f"{ISO}/nodes":
        ok(api.get(path))
        return
    assert_error(api.get(path), 404, "not_found")


def test_a_token_is_required(api: ApiClient) -> None:
    assert_error(ApiClient().get("/frameworks"), 401, "unauthorized")
    assert_error(ApiClient().get(f"{ISO}/nodes"), 401, "unauthorized")


# --- query counts ----------------------------------------------------------------------------


def queries(api: ApiClient, path: str, **params: Any) -> int:
    with CaptureQueriesContext(connection) as context:
        ok(api.get(path, **params))
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "path",
    ["/frameworks", f"{BASELINE}/nodes", f"{ISO}/mappings", "/frameworks/nist-csf-2.0/versions"],
)
def test_lists_need_the_same_queries_for_any_page_size(api: ApiClient, path: str) -> None:
    api.get(path)  # warm up
    assert queries(api, path, limit=10) == queries(api, path, limit=100)


def test_tree_and_detail_need_the_same_queries_for_any_size(api: ApiClient) -> None:
    api.get(f"{ISO}/nodes")
    small = queries(api, "/frameworks/cfcs-top4/versions/2017/nodes", format="tree")
    large = queries(api, f"{NIST}/nodes", format="tree")
    assert small == large
    leaf = queries(api, f"{BASELINE}/nodes/GOV.01")
    busy = queries(api, f"{ISO}/nodes/A.5.1")
    assert leaf == busy
    assert queries(api, f"{BASELINE}/nodes/GOV/coverage/nist-csf-2.0") == queries(
        api, f"{BASELINE}/nodes/GOV.01/coverage/nist-csf-2.0"
    )
