"""Browser-test helpers: a Chromium page on the live server, logging in, choosing a language,
and one accessibility check per page. Plain functions, so other apps' browser tests import them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from conftest import axe_violations
from samvirke.core.testing import PASSWORD, World, add_member, build_world
from samvirke.tenancy.roles import Role

# Playwright's sync API runs an event loop in the test's thread; the test's own database
# access (fixtures, assertions) is still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

#: Each language with a browser locale that would ask for it.
BROWSER_LOCALES = {"da": "da-DK", "nb": "nb-NO", "en": "en-GB"}
LANGUAGE_NAMES = {"da": "Dansk", "nb": "Norsk bokmål", "en": "English"}


@pytest.fixture
def browser_world(transactional_db: None) -> World:
    """The standard world, committed for the live server; the owner also belongs to B."""
    world = build_world()
    add_member(world.owner, world.org_b, Role.RESPONDENT)
    return world


@dataclass
class BrowserSession:
    """One browser context, its page, and what its static files answered."""

    page: Any
    base_url: str
    broken_assets: list[str] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def open_session(browser: Any, base_url: str) -> Iterator[BrowserSession]:
    """A fresh context (reduced motion, so axe sees final colours) on the live server."""
    context = browser.new_context(locale="da-DK", reduced_motion="reduce")
    context.set_default_timeout(15_000)
    session = BrowserSession(page=context.new_page(), base_url=base_url)
    session.page.on("response", lambda response: _record_broken(session, response))
    session.page.on("requestfailed", lambda request: session.broken_assets.append(request.url))
    try:
        yield session
    finally:
        context.close()


@pytest.fixture
def browser_session(browser: Any, live_server: Any) -> Iterator[BrowserSession]:
    """One browser context on the live server for the test."""
    with open_session(browser, live_server.url) as session:
        yield session


def _record_broken(session: BrowserSession, response: Any) -> None:
    if "/static/" in response.url and response.status >= 400:
        session.broken_assets.append(f"{response.status} {response.url}")


def visit(session: BrowserSession, path: str) -> Any:
    """Open a page of the live server and wait until it and its assets have loaded."""
    response = session.page.goto(session.base_url + path, wait_until="load")
    assert response is not None
    return response


def login_through_form(session: BrowserSession, username: str) -> None:
    """Log in with the real login form (its own submit button, not the header's language menu)."""
    page = session.page
    visit(session, "/accounts/login/")
    page.fill("main input[name=login]", username)
    page.fill("main input[name=password]", PASSWORD)
    with page.expect_navigation(wait_until="load"):
        page.locator("main form button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"login failed: still on {page.url}"


def logout_through_header(session: BrowserSession) -> None:
    """Log out with the header's logout button (allauth logs out on POST only)."""
    page = session.page
    with page.expect_navigation(wait_until="load"):
        page.locator("header .portal-user form.logout-form button[type=submit]").click()


def choose_language(session: BrowserSession, language: str) -> None:
    """Open the header's language menu and pick a language, as a person would."""
    page = session.page
    toggle = page.locator("header .language-switcher-header button.select-language-button")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    with page.expect_navigation(wait_until="load"):
        page.locator(f"#header-language button[name=language][value={language}]").click()
    assert html_lang(session) == language


def html_lang(session: BrowserSession) -> str:
    return str(session.page.locator("html").get_attribute("lang"))


def stylesheet_problems(session: BrowserSession) -> list[str]:
    """Why the page is not styled, if it is not: every stylesheet loaded and has rules."""
    sheets = session.page.evaluate(
        """() => [...document.styleSheets].map(s => {
             try { return [s.href, s.cssRules.length]; } catch (e) { return [s.href, -1]; }
           })"""
    )
    problems = [f"empty or unreadable stylesheet {href}" for href, rules in sheets if rules <= 0]
    if not any(href and href.endswith("/dkfds.min.css") for href, _ in sheets):
        problems.append("the DKFDS stylesheet is not on the page")
    return problems + [f"asset not served: {asset}" for asset in session.broken_assets]


def check_page(session: BrowserSession, label: str, language: str) -> None:
    """Record the page's serious and critical axe violations and any unstyled-page problem."""
    session.page.evaluate("() => document.fonts.ready")
    problems = stylesheet_problems(session)
    if html_lang(session) != language:
        problems.append(f'html lang is "{html_lang(session)}", expected "{language}"')
    problems += axe_violations(session.page)
    session.broken_assets.clear()
    if problems:
        session.failures[f"{label} [{language}] {session.page.url}"] = problems


def report(failures: dict[str, list[str]]) -> str:
    """The failures, one page a paragraph, for the assertion message."""
    return "\n".join(f"{page}:\n  " + "\n  ".join(found) for page, found in failures.items())
