"""The page shell in a real browser: log in, switch language and organisation, and every page of
the shell passes axe-core (no serious or critical violations) in Danish, Norwegian and English."""

from __future__ import annotations

import os

import pytest

from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.core.tests.conftest import (
    BrowserSession,
    check_page,
    choose_language,
    html_lang,
    login_through_form,
    logout_through_header,
    report,
    stylesheet_problems,
    visit,
)
from samvirke.tenancy.models import Membership

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

LANGUAGES = ["da", "nb", "en"]
SKIP_LINK = {"da": "Gå til hovedindhold", "nb": "Gå til hovedinnhold", "en": "Go to main content"}


def owner_pages(world: World) -> list[tuple[str, str]]:
    """(label, path) of every page the owner of A sees in the shell, in menu order."""
    unit = world.unit_a.pk
    with organisation_scope(world.org_a.pk):
        membership = Membership.objects.get(user=world.member, organisation=world.org_a).pk
    return [
        ("home", "/"),
        ("org units", "/units/"),
        ("new unit", "/units/new/"),
        ("unit detail", f"/units/{unit}/"),
        ("unit edit", f"/units/{unit}/edit/"),
        ("unit delete confirm", f"/units/{unit}/delete/"),
        ("members", "/members/"),
        ("member edit", f"/members/{membership}/edit/"),
        ("member end confirm", f"/members/{membership}/end/"),
        ("invitations", "/accounts/invitations/"),
        ("invitation form", "/accounts/invitations/new/"),
        ("API tokens", "/accounts/tokens/"),
        ("networks", "/networks/"),
        ("network detail", f"/networks/{world.network.pk}/"),
        ("audit trail", "/audit/"),
        ("MFA overview", "/accounts/2fa/"),
        ("change password", "/accounts/password/change/"),
        ("reauthenticate", "/accounts/reauthenticate/"),
        ("logout confirm", "/accounts/logout/"),
    ]


#: Pages for someone who is not logged in.
ENTRANCE_PAGES = [
    ("login", "/accounts/login/"),
    ("password reset", "/accounts/password/reset/"),
]
MISSING_PAGE = "/no-such-page/"


def check_pages(session: BrowserSession, pages: list[tuple[str, str]], language: str) -> None:
    for label, path in pages:
        response = visit(session, path)
        assert response.status == 200, f"{label}: {path} answered {response.status}"
        assert session.page.url == session.base_url + path, (
            f"{label} redirected to {session.page.url}"
        )
        check_page(session, label, language)


def check_missing_page(session: BrowserSession, label: str, language: str) -> None:
    assert visit(session, MISSING_PAGE).status == 404
    check_page(session, label, language)


def submit_main_form(
    session: BrowserSession, form: str = "main form", *, validate: bool = True
) -> int:
    """Submit a form; without validation, the browser lets an empty required field by."""
    page = session.page
    if not validate:
        page.locator(form).evaluate("(form) => { form.noValidate = true; }")
    with page.expect_navigation(wait_until="load") as navigation:
        page.locator(f"{form} button[type=submit]").first.click()
    return int(navigation.value.status)


def check_unit_form_states(session: BrowserSession, language: str) -> None:
    """The new-unit form with its error summary, then the new unit with its success message."""
    page = session.page
    visit(session, "/units/new/")
    page.fill("main input[name=name]", "   ")
    assert submit_main_form(session, validate=False) == 400
    assert page.locator("main .alert-error[data-module=error-summary]").is_visible()
    assert page.locator("main input[name=name]").get_attribute("aria-invalid") == "true"
    check_page(session, "new unit with errors", language)
    page.fill("main input[name=name]", "Alfa Drift")
    assert submit_main_form(session) == 200
    assert page.locator("main .alert-success").is_visible()
    check_page(session, "new unit created, with message", language)


def check_token_states(session: BrowserSession, language: str) -> None:
    """A new API token's one-time page, then the token list with the token in its table."""
    visit(session, "/accounts/tokens/")
    session.page.fill("main input[name=name]", "Rapportering")
    assert submit_main_form(session, "main form[action$='/tokens/new/']") == 200
    check_page(session, "API token created", language)
    visit(session, "/accounts/tokens/")
    assert session.page.locator("main table tbody tr").count() == 1
    check_page(session, "API tokens, one token", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shell_page_passes_axe(
    browser_session: BrowserSession, browser_world: World, language: str
) -> None:
    """One context per language: log in once, walk every page, log out, walk the entrance."""
    session = browser_session
    login_through_form(session, "owner.a")
    choose_language(session, language)
    check_pages(session, owner_pages(browser_world), language)
    check_unit_form_states(session, language)
    check_token_states(session, language)
    check_missing_page(session, "404 (logged in)", language)
    logout_through_header(session)
    check_pages(session, ENTRANCE_PAGES, language)
    check_missing_page(session, "404 (logged out)", language)
    assert not session.failures, "Accessibility problems:\n" + report(session.failures)


def skip_link(session: BrowserSession) -> str:
    return str(session.page.locator("a.skipnav").inner_text()).strip()


def active_organisation(session: BrowserSession) -> str:
    """The organisation the header's switcher shows as chosen."""
    return str(session.page.locator("#header-organisation option:checked").inner_text()).strip()


def test_login_then_switch_language_and_organisation(
    browser_session: BrowserSession, browser_world: World
) -> None:
    session, page = browser_session, browser_session.page
    login_through_form(session, "owner.a")
    assert not stylesheet_problems(session), stylesheet_problems(session)
    assert html_lang(session) == "da"
    assert page.locator("main h1").inner_text() == "Alfa Kommune"
    skip_links = {"da": skip_link(session)}
    for language in ("nb", "en"):
        choose_language(session, language)
        assert page.locator("main h1").inner_text() == "Alfa Kommune"
        skip_links[language] = skip_link(session)

    assert active_organisation(session) == "Alfa Kommune"
    page.select_option("#header-organisation", label="Beta Kommune")
    with page.expect_navigation(wait_until="load"):
        page.locator("form:has(#header-organisation) button[type=submit]").click()
    assert active_organisation(session) == "Beta Kommune"
    assert page.locator("main h1").inner_text() == "Beta Kommune"
    assert html_lang(session) == "en"
    # Last, because it depends on the translator's catalogue being complete and compiled.
    assert skip_links == SKIP_LINK


def test_the_check_sees_violations_and_missing_styles(
    browser_session: BrowserSession, browser_world: World
) -> None:
    """A green run means something: the check reports a broken page as broken."""
    session = browser_session
    visit(session, "/accounts/login/")
    session.page.evaluate(
        """() => {
             document.querySelector('main').insertAdjacentHTML('beforeend',
               '<img src="/static/samvirke/none.png"><p style="color:#eee">faint</p>');
             document.querySelectorAll('link[rel=stylesheet]').forEach((link) => link.remove());
           }"""
    )
    check_page(session, "broken on purpose", "da")
    found = " ".join(next(iter(session.failures.values())))
    assert "image-alt" in found and "color-contrast" in found
    assert "the DKFDS stylesheet is not on the page" in found
