"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from samvirke.accounts.models import User
from samvirke.core.testing import World, build_world


@pytest.fixture
def world(db: None) -> World:
    """The standard two-organisation world (see samvirke.core.testing)."""
    return build_world()


@pytest.fixture
def unscoped() -> Iterator[None]:
    """Let a test read any organisation's rows directly, to check what a request changed."""
    with scopes_disabled():
        yield


def login(client: Client, user: User) -> Client:
    """Log a user in on a test client (MFA and rate limits are not what such tests test)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def owner_client(client: Client, world: World) -> Client:
    """A client logged in as organisation A's security coordinator."""
    return login(client, world.owner)
