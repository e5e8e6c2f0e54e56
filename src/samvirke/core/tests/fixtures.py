"""Test-only fixtures that step outside the organisation scope (allowed in tests only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_scopes import scopes_disabled


@pytest.fixture
def unscoped() -> Iterator[None]:
    """Let a test read any organisation's rows directly, to check what a request changed."""
    with scopes_disabled():
        yield
