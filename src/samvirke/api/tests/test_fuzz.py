"""Random JSON into every writing operation: always the error shape or success, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samvirke.api.api import api
from samvirke.api.tests.helpers import ApiClient, assert_error
from samvirke.core.testing import World

pytestmark = pytest.mark.django_db

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
unit_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "name": json_values,
            "code": json_values,
            "parent": json_values,
            "description": json_values,
        },
    )
    | json_values
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=unit_bodies, method=st.sampled_from(["post", "put", "patch"]))
def test_random_unit_bodies_never_fail_the_server(
    owner_api: ApiClient, world: World, body: Any, method: str
) -> None:
    path = "/units" if method == "post" else f"/units/{world.unit_a.pk}"
    response = owner_api.call(method, path, raw=json.dumps(body))
    if response.status_code >= 300:
        assert_error(response, 422, "validation_error")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.text(max_size=30), offset=st.text(max_size=30))
def test_random_query_parameters_never_fail_the_server(
    owner_api: ApiClient, limit: str, offset: str
) -> None:
    response = owner_api.get("/members", limit=limit, offset=offset)
    assert response.status_code in {200, 422}


def test_unexpected_errors_are_a_json_server_error() -> None:
    request = RequestFactory().get("/api/v1/me")
    response = api.on_exception(request, RuntimeError("boom"))
    assert response.status_code == 500
    error = json.loads(response.content)["error"]
    assert error["code"] == "server_error" and error["message"]
    assert b"boom" not in response.content
