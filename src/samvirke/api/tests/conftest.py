"""Clients of the API with a token for each user of the standard world."""

from __future__ import annotations

import pytest

from samvirke.api.tests.helpers import ApiClient, make_token
from samvirke.core.testing import World


@pytest.fixture
def owner_api(world: World) -> ApiClient:
    """Organisation A's security coordinator, by token."""
    return ApiClient(make_token(world.owner, world.org_a)[1])


@pytest.fixture
def member_api(world: World) -> ApiClient:
    """A respondent of organisation A, by token."""
    return ApiClient(make_token(world.member, world.org_a)[1])


@pytest.fixture
def reader_api(world: World) -> ApiClient:
    """A management reader of organisation A, by token."""
    return ApiClient(make_token(world.reader, world.org_a)[1])


@pytest.fixture
def outsider_api(world: World) -> ApiClient:
    """Organisation B's security coordinator, by token."""
    return ApiClient(make_token(world.outsider, world.org_b)[1])
