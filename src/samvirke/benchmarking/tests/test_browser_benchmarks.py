"""The benchmark pages in a real browser: the charts are drawn, an area's answer shares open in
place (HTMX) and on a page of their own (without JavaScript), and the organisation's page and the
coordinator's network page pass axe-core (no serious or critical violations) in Danish,
Norwegian and English."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django_scopes import scopes_disabled

from samvirke.benchmarking.testing import Spec
from samvirke.benchmarking.tests.test_pages import Released, release_population
from samvirke.core.tests.conftest import (
    BrowserSession,
    check_page,
    choose_language,
    login_through_form,
    logout_through_header,
    report,
    visit,
)
from samvirke.core.tests.conftest import (
    browser_session as browser_session,
)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

LANGUAGES = ["da", "nb", "en"]
#: Large enough for quartiles and answer distributions, small enough to hide some groups.
SPEC = Spec(regions=(14, 12, 4), areas=3, questions_per_area=3, code_prefix="BR", seed=11)


@pytest.fixture
def released(transactional_db: None) -> Released:
    with scopes_disabled():
        return release_population(SPEC, (2025,), "browser")


def charts_drawn(session: BrowserSession, count: int) -> None:
    """Every chart of the page was drawn as SVG by vega-embed."""
    page = session.page
    page.locator("[data-rendered=true]").nth(count - 1).wait_for()
    assert page.locator(".benchmark-chart svg").count() == count


def open_area_shares(session: BrowserSession) -> None:
    """Open the first area of "Answers per question": its tables are fetched into it."""
    page = session.page
    area = page.locator("details[hx-get]").first
    with page.expect_response(lambda r: "/shares/" in r.url and r.status == 200):
        area.locator("summary").click()
    area.locator(".details-text table").first.wait_for()
    assert area.locator(".details-text table caption").count() > 0
    assert area.evaluate("element => element.open")


def test_benchmark_pages_in_three_languages(
    browser_session: BrowserSession, released: Released
) -> None:
    session = browser_session
    errors: list[str] = []
    session.page.on("pageerror", lambda error: errors.append(str(error)))
    pages: list[tuple[str, Any, str, int]] = [
        ("benchmark", released.viewer, "/benchmarks/", 2),
        ("benchmark, older release", released.viewer, "", 2),
        ("networks", released.coordinator, "/benchmarks/networks/", 0),
        ("network", released.coordinator, f"/benchmarks/networks/{released.pop.network.pk}/", 2),
    ]
    older = released.releases[0].pk
    for user in (released.viewer, released.coordinator):
        login_through_form(session, user.username)
        for language in LANGUAGES:
            if language != "da":
                choose_language(session, language)
            for label, owner, path, count in pages:
                if owner != user:
                    continue
                visit(session, path or f"/benchmarks/?release_id={older}")
                if count:
                    charts_drawn(session, count)
                if label.startswith("benchmark"):
                    open_area_shares(session)
                check_page(session, label, language)
                if label == "benchmark":
                    # The same shares as the page of their own that the area's link opens
                    # without JavaScript.
                    shares = session.page.locator("details[hx-get]").first.get_attribute("hx-get")
                    assert shares is not None
                    visit(session, shares)
                    session.page.locator("main table").first.wait_for()
                    check_page(session, "area shares", language)
        choose_language(session, "da")
        logout_through_header(session)
    assert not errors, errors
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)
