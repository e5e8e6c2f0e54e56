"""The page shell: every page renders in every language, the switchers work, errors are friendly."""

from __future__ import annotations

import datetime

import pytest
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from conftest import login
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import PASSWORD, World, add_member, make_organisation, make_user
from samvirke.core.views import server_error
from samvirke.tenancy.middleware import SESSION_KEY
from samvirke.tenancy.models import Network, NetworkMembership, OrgUnit
from samvirke.tenancy.roles import Role

LANGUAGES = ["da", "nb", "en"]

#: Pages of the shell (name, needs the unit id) that the owner can open.
OWNER_PAGES = [
    ("home", False),
    ("tenancy:orgunit_list", False),
    ("tenancy:orgunit_create", False),
    ("tenancy:orgunit_detail", True),
    ("tenancy:orgunit_edit", True),
    ("tenancy:orgunit_delete", True),
    ("tenancy:network_list", False),
    ("mfa_index", False),
    ("account_reauthenticate", False),
    ("account_logout", False),
    ("account_change_password", False),
]
ANONYMOUS_PAGES = ["account_login", "account_reset_password"]


def in_language(client: Client, language: str) -> Client:
    """Ask for pages in one language, as the language switcher's cookie does."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_shell(html: str, language: str) -> None:
    """The language is declared and the skip link leads to the main content."""
    assert f'<html lang="{language}">' in html
    assert 'class="skipnav" href="#main-content"' in html
    assert '<main id="main-content"' in html
    assert html.count("<header") == 1 and "<footer>" in html


def page_url(world: World, name: str, with_unit: bool) -> str:
    return reverse(name, args=[world.unit_a.pk]) if with_unit else reverse(name)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "with_unit"), OWNER_PAGES)
def test_owner_pages_render_in_every_language(
    client: Client, world: World, language: str, name: str, with_unit: bool
) -> None:
    login(in_language(client, language), world.owner)
    response = client.get(page_url(world, name, with_unit))
    assert response.status_code == 200
    assert_shell(response.content.decode(), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_network_detail_lists_members_publicly(client: Client, world: World, language: str) -> None:
    login(in_language(client, language), world.owner)
    response = client.get(reverse("tenancy:network_detail", args=[world.network.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert_shell(html, language)
    assert "<caption>" in html and '<th scope="col">' in html
    assert "Alfa Kommune" in html and "Beta Kommune" in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_entrance_pages_render_for_anonymous_users(
    client: Client, world: World, language: str, name: str
) -> None:
    response = in_language(client, language).get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert_shell(html, language)
    assert 'class="form-input"' in html and 'class="form-label"' in html


def totp_code(secret: str, step: int) -> str:
    """The authenticator code of the current period shifted by `step` periods."""
    now = list(yield_hotp_counters_from_time())[1]
    return format_hotp_value(hotp_value(secret, now + step))


@override_settings(MFA_TOTP_TOLERANCE=1)
@pytest.mark.parametrize("language", LANGUAGES)
def test_mfa_pages_render_in_every_language(client: Client, world: World, language: str) -> None:
    """Activate TOTP, see the recovery codes, then log in again through the MFA step."""
    credentials = {"login": "owner.a", "password": PASSWORD}
    assert (
        in_language(client, language).post(reverse("account_login"), credentials).status_code == 302
    )
    reauthenticate = reverse("account_reauthenticate")
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reauthenticate)
    assert client.post(reauthenticate, {"password": PASSWORD}).status_code == 302
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 200
    assert_shell(activate.content.decode(), language)
    assert 'class="form-input"' in activate.content.decode()
    secret = client.session[SECRET_SESSION_KEY]
    assert (
        client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret, 0)}).status_code == 302
    )
    codes = client.get(reverse("mfa_view_recovery_codes"))
    assert codes.status_code == 200 and "<textarea" in codes.content.decode()
    assert_shell(codes.content.decode(), language)

    client.post(reverse("account_logout"))
    response = client.post(reverse("account_login"), credentials)
    assert response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    assert page.status_code == 200 and 'class="form-input"' in page.content.decode()
    assert_shell(page.content.decode(), language)
    assert (
        client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, 1)}).status_code == 302
    )
    assert client.get(reverse("home")).status_code == 200


def test_login_errors_are_summarised_and_change_nothing(client: Client, world: World) -> None:
    response = client.post(reverse("account_login"), {"login": "owner.a", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-module="error-summary"' in html
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", ["home", "tenancy:orgunit_list", "tenancy:network_list"])
def test_anonymous_users_are_sent_to_login(client: Client, world: World, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_switcher_lists_both_organisations_and_switches(client: Client, world: World) -> None:
    add_member(world.owner, world.org_b, Role.MANAGEMENT_READER)
    login(client, world.owner)
    html = client.get(reverse("home")).content.decode()
    assert f'<option value="{world.org_a.pk}" selected>Alfa Kommune</option>' in html
    assert f'<option value="{world.org_b.pk}">Beta Kommune</option>' in html

    switch = reverse("tenancy:organisation_switch")
    response = client.post(switch, {"organisation": world.org_b.pk, "next": "/units/"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert client.session[SESSION_KEY] == world.org_b.pk
    html = client.get(reverse("home")).content.decode()
    assert "<h1>Beta Kommune</h1>" in html
    assert f'<option value="{world.org_b.pk}" selected>Beta Kommune</option>' in html


def test_single_organisation_shows_its_name_without_a_switcher(
    client: Client, world: World
) -> None:
    html = login(client, world.owner).get(reverse("home")).content.decode()
    assert 'name="organisation"' not in html
    assert '<strong class="authority-name">Alfa Kommune</strong>' in html


@pytest.mark.parametrize("wanted", ["b", "0", "nonsense", ""])
def test_switching_to_a_foreign_organisation_is_not_found(
    client: Client, world: World, wanted: str
) -> None:
    login(client, world.owner)
    organisation = str(world.org_b.pk) if wanted == "b" else wanted
    response = client.post(reverse("tenancy:organisation_switch"), {"organisation": organisation})
    assert response.status_code == 404
    assert SESSION_KEY not in client.session


def test_language_switcher_posts_to_set_language(client: Client, world: World) -> None:
    login(client, world.owner)
    html = client.get(reverse("tenancy:orgunit_list")).content.decode()
    assert f'action="{reverse("set_language")}"' in html
    for code, name in [("da", "Dansk"), ("nb", "Norsk bokmål"), ("en", "English")]:
        assert f'value="{code}" lang="{code}"' in html and name in html
    response = client.post(reverse("set_language"), {"language": "nb", "next": "/units/"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert '<html lang="nb">' in client.get("/units/").content.decode()


def test_navigation_follows_permissions_and_marks_the_current_page(
    client: Client, world: World
) -> None:
    owner_html = login(client, world.owner).get(reverse("tenancy:orgunit_list")).content.decode()
    assert 'aria-label="' in owner_html and '<nav class="nav"' in owner_html
    assert f'<a href="{reverse("tenancy:member_list")}" class="nav-link">' in owner_html
    current = f'<a href="{reverse("tenancy:orgunit_list")}" class="nav-link" aria-current="page">'
    assert current in owner_html
    assert 'href="/units/new/"' in owner_html

    reader = Client()
    reader_html = login(reader, world.reader).get(reverse("home")).content.decode()
    assert reverse("tenancy:member_list") not in reader_html
    assert 'href="/units/new/"' not in reader_html
    assert f'<a href="{reverse("home")}" class="nav-link" aria-current="page">' in reader_html


def test_orgunit_form_errors_link_to_their_fields(client: Client, world: World) -> None:
    login(client, world.owner)
    response = client.post(reverse("tenancy:orgunit_create"), {"name": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-module="error-summary"' in html
    assert 'href="#id_name"' in html
    assert 'aria-invalid="true" aria-describedby="id_name-error"' in html


def test_home_without_organisation_says_so(client: Client, world: World) -> None:
    loner = make_user("loner")
    html = login(client, loner).get(reverse("home")).content.decode()
    assert "not a member of any organisation" in html
    assert '<nav class="nav"' in html


def _home_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_home_summary_uses_a_constant_number_of_queries(client: Client, world: World) -> None:
    login(client, world.owner)
    _home_queries(client)
    before = _home_queries(client)
    for number in range(5):
        with organisation_scope(world.org_a.pk):
            OrgUnit.objects.create(organisation=world.org_a, name=f"Unit {number}")
        add_member(make_user(f"person{number}"), world.org_a, Role.RESPONDENT)
        network = Network.objects.create(
            code=f"net-{number}", name=f"Net {number}", steward=world.org_b
        )
        NetworkMembership.objects.create(
            network=network, organisation=world.org_a, joined_on=datetime.date(2021, 1, 1)
        )
    assert _home_queries(client) == before
    html = client.get(reverse("home")).content.decode()
    assert "Net 4" in html and "Test network" in html


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", LANGUAGES)
def test_not_found_page(client: Client, world: World, language: str) -> None:
    for user in (None, world.owner):
        visitor = in_language(Client(), language)
        if user is not None:
            login(visitor, user)
        response = visitor.get("/no-such-page/")
        html = response.content.decode()
        assert response.status_code == 404
        assert_shell(html, language)
        assert f'href="{reverse("home")}"' in html and "<h1>" in html


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", LANGUAGES)
def test_forbidden_page(client: Client, world: World, language: str) -> None:
    login(in_language(client, language), world.reader)
    response = client.get(reverse("tenancy:orgunit_create"))
    assert response.status_code == 403
    assert_shell(response.content.decode(), language)


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", LANGUAGES)
def test_bad_request_page_without_user(client: Client, world: World, language: str) -> None:
    """A refused host stops the request before authentication: the page needs no user."""
    response = in_language(client, language).get("/", HTTP_HOST="not-ours.example")
    assert response.status_code == 400
    assert_shell(response.content.decode(), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_server_error_page_needs_no_database(world: World, language: str) -> None:
    request = RequestFactory().get("/")
    with translation.override(language), CaptureQueriesContext(connection) as queries:
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500 and not queries.captured_queries
    assert_shell(html, language)
    assert f'href="{reverse("home")}"' in html


def test_other_organisations_units_are_not_in_the_tree(client: Client, world: World) -> None:
    org_c = make_organisation("903", "Gamma Kommune")
    with organisation_scope(org_c.pk):
        OrgUnit.objects.create(organisation=org_c, name="Gamma IT")
    html = login(client, world.owner).get(reverse("tenancy:orgunit_list")).content.decode()
    assert "Alfa IT" in html and "Beta IT" not in html and "Gamma IT" not in html


def test_messages_are_shown_as_alerts(client: Client, world: World) -> None:
    login(client, world.owner)
    response = client.post(reverse("tenancy:orgunit_create"), {"name": "Ny enhed"}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="alert alert-success mb-5">' in html
    assert "<h1>Ny enhed</h1>" in html
