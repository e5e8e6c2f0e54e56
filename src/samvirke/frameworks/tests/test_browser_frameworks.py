"""The framework library in a real browser, in Norwegian bokmål: from the list to the Samvirke
Baseline tree, a search, a question and one of its mappings; every page passes axe-core."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from samvirke.core.testing import World, build_world
from samvirke.core.tests.conftest import (
    BrowserSession,
    check_page,
    choose_language,
    login_through_form,
    open_session,
    report,
    visit,
)
from samvirke.frameworks.services import frameworks_load

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

LANGUAGE = "nb"
BASELINE = "samvirke-baseline"
SEARCH_TERM = "sikkerhetskopi"
#: The mapped frameworks a baseline question leads to, by the address of their pages.
MAPPED = re.compile(
    r"/frameworks/(iso27001-2022-annex-a|nist-csf-2\.0)/[^/]+/nodes/[^/?]+/(\?.*)?$"
)
QUESTION = re.compile(r"/frameworks/samvirke-baseline/[^/]+/nodes/[A-Z]+\.\d+/(\?.*)?$")


@pytest.fixture
def library_world(transactional_db: None) -> World:
    """The standard world and the shipped library, committed for the live server."""
    world = build_world()
    frameworks_load(paths=[])
    return world


@pytest.fixture
def session(browser: Any, live_server: Any) -> Iterator[BrowserSession]:
    with open_session(browser, live_server.url) as opened:
        yield opened


def first_link(session: BrowserSession, selector: str, address: re.Pattern[str]) -> Any:
    """The first link among `selector` whose address matches."""
    links = session.page.locator(selector)
    hrefs = links.evaluate_all("(links) => links.map((link) => link.getAttribute('href'))")
    index = next((i for i, href in enumerate(hrefs) if address.search(href or "")), None)
    assert index is not None, f"no link to {address.pattern} among {hrefs}"
    return links.nth(index)


def follow(session: BrowserSession, link: Any) -> None:
    """Click a link and wait for the page it leads to."""
    with session.page.expect_navigation(wait_until="load"):
        link.click()


def open_baseline_tree(session: BrowserSession) -> None:
    """From the list of frameworks to the latest Samvirke Baseline version's tree."""
    visit(session, "/frameworks/")
    check_page(session, "framework list", LANGUAGE)
    follow(session, session.page.locator(f"main a[href^='/frameworks/{BASELINE}/']").first)
    assert re.search(rf"/frameworks/{BASELINE}/[^/]+/$", session.page.url), session.page.url
    assert session.page.locator("main .framework-tree").is_visible()
    check_page(session, "Samvirke Baseline tree", LANGUAGE)


def search(session: BrowserSession) -> None:
    """Search as one types (HTMX, in place), then open the same search as its own page."""
    page = session.page
    # One request: the field's own trigger, after a pause in typing.
    with page.expect_response(lambda response: f"q={SEARCH_TERM}" in response.url):
        page.fill("#search-term", SEARCH_TERM)
    page.locator("#search-results ul.search-results li").first.wait_for()
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling')")
    check_page(session, "search results (in place)", LANGUAGE)
    visit(session, f"{urlsplit(page.url).path}?q={SEARCH_TERM}")
    assert page.locator("#search-results ul.search-results li").count() > 0
    check_page(session, "search results (page)", LANGUAGE)


def open_question_and_mapping(session: BrowserSession) -> None:
    """Open the first question found, then follow its first mapping to ISO 27001 or NIST CSF."""
    page = session.page
    follow(session, first_link(session, "#search-results .search-results a", QUESTION))
    assert QUESTION.search(page.url), page.url
    check_page(session, "question", LANGUAGE)
    follow(session, first_link(session, "main li a", MAPPED))
    assert MAPPED.search(page.url), page.url
    check_page(session, "mapped node", LANGUAGE)


def test_browse_baseline_in_norwegian(session: BrowserSession, library_world: World) -> None:
    login_through_form(session, "member.a")
    choose_language(session, LANGUAGE)
    open_baseline_tree(session)
    search(session)
    open_question_and_mapping(session)
    visit(session, f"/frameworks/{BASELINE}/compare/")
    check_page(session, "compare versions", LANGUAGE)
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)
