"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def cache_table(db: None) -> None:
    """allauth's rate limits and used TOTP codes live in the database cache: create its table."""
    call_command("createcachetable", verbosity=0)
