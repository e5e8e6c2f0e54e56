"""The OpenAPI document and the interactive docs."""

from __future__ import annotations

import json

import pytest

from samvirke.api.tests.helpers import ApiClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/me"): "me_get",
    ("get", "/api/v1/tokens"): "token_list",
    ("delete", "/api/v1/tokens/{token_id}"): "token_delete",
    ("get", "/api/v1/organisation"): "organisation_get",
    ("get", "/api/v1/units"): "unit_list",
    ("post", "/api/v1/units"): "unit_create",
    ("get", "/api/v1/units/{unit_id}"): "unit_get",
    ("put", "/api/v1/units/{unit_id}"): "unit_replace",
    ("patch", "/api/v1/units/{unit_id}"): "unit_update",
    ("delete", "/api/v1/units/{unit_id}"): "unit_delete",
    ("get", "/api/v1/members"): "member_list",
    ("get", "/api/v1/networks"): "network_list",
    ("get", "/api/v1/networks/{network_id}"): "network_get",
    ("get", "/api/v1/networks/{network_id}/members"): "network_member_list",
}


def test_openapi_document_lists_every_operation() -> None:
    response = ApiClient().get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    found = {
        (method, path): operation["operationId"]
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert OPERATIONS.items() <= found.items()
    for path, methods in document["paths"].items():
        for operation in methods.values():
            assert operation["security"] == [{"ApiTokenAuth": []}], path
            assert len(operation["tags"]) == 1, path
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorOut"
            }
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_docs_page_is_served() -> None:
    response = ApiClient().get("/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
