"""Fixtures shared by every app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from samvirke.accounts.models import User
from samvirke.core.testing import World, build_world

# Fixtures that leave the organisation scope live in a tests module (the architecture lint).
pytest_plugins = ["samvirke.core.tests.fixtures"]


@pytest.fixture(autouse=True)
def english_by_default(settings: Any) -> Iterator[None]:
    """Tests read English unless they ask for a language: the product's default is Danish."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: None) -> World:
    """The standard two-organisation world (see samvirke.core.testing)."""
    return build_world()


def login(client: Client, user: User) -> Client:
    """Log a user in on a test client (MFA and rate limits are not what such tests test)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def owner_client(client: Client, world: World) -> Client:
    """A client logged in as organisation A's security coordinator."""
    return login(client, world.owner)


CHROMIUM = "/usr/bin/chromium"
AXE_JS = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
# Debian's Chromium on a closed network: no background services, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no downloaded browser)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run scripts/setup.sh test")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page per test."""
    context = browser.new_context(locale="da-DK")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations, described."""
    page.add_script_tag(path=str(AXE_JS))
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: tags})", tags)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]
