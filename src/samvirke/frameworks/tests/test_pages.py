"""The framework library pages: list, version tree and search, node pages, version comparison."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import login
from samvirke.core.testing import World
from samvirke.frameworks.models import Framework
from samvirke.frameworks.parsing import LIBRARY_DIR
from samvirke.frameworks.services import frameworks_load

pytestmark = pytest.mark.django_db

BASELINE = "samvirke-baseline"
ISO = "iso27001-2022-annex-a"
NIST = "nist-csf-2.0"


@pytest.fixture
def library(db: None) -> None:
    """The shipped library: every framework and mapping."""
    frameworks_load(paths=[])


@pytest.fixture
def user_client(client: Client, world: World, library: None) -> Client:
    """A respondent of organisation A: frameworks are for every logged-in user to read."""
    return login(client, world.member)


def get(client: Client, path: str, language: str = "da", **params: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(path, params)


def html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def versions_of(key: str) -> list[str]:
    return list(Framework.objects.get(key=key).versions.values_list("version", flat=True))


# --- every page renders ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "nb", "en"])
def test_every_shipped_framework_renders_in_every_language(
    user_client: Client, language: str
) -> None:
    listing = html(get(user_client, "/frameworks/", language))
    for framework in Framework.objects.prefetch_related("versions"):
        assert f"/frameworks/{framework.key}/" in listing
        for version in framework.versions.all():
            page = html(
                get(user_client, f"/frameworks/{framework.key}/{version.version}/", language)
            )
            assert f'<html lang="{language}">' in page
            first = version.nodes.order_by("position").first()
            assert first is not None and first.key in page
            node_page = get(
                user_client,
                f"/frameworks/{framework.key}/{version.version}/nodes/{first.key}/",
                language,
            )
            assert first.key in html(node_page)


def test_framework_address_leads_to_its_latest_version(user_client: Client) -> None:
    response = get(user_client, f"/frameworks/{ISO}/", lang="en")
    assert response.status_code == 302
    assert response["Location"] == f"/frameworks/{ISO}/2022/?lang=en"


def test_list_shows_licence_and_source(user_client: Client) -> None:
    page = html(get(user_client, "/frameworks/", "en"))
    assert "Public domain" in page or "CC-BY-4.0" in page
    assert "Written for Samvirke by its contributors" in page


def test_pages_need_a_login(client: Client, library: None) -> None:
    for path in (
        "/frameworks/",
        f"/frameworks/{ISO}/2022/",
        f"/frameworks/{ISO}/2022/nodes/A.5.1/",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# --- tree, content language ------------------------------------------------------------------


def test_tree_nests_areas_groups_and_requirements_with_badges(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{NIST}/2.0/", "en"))
    area, group, leaf = page.find(">GV<"), page.find(">GV.OC<"), page.find(">GV.OC-01<")
    assert 0 < area < group < leaf
    assert "framework-tree-children" in page
    baseline = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "en"))
    assert "Maturity level" in baseline and "Once for the organisation" in baseline


def test_content_language_is_chosen_apart_from_the_interface(user_client: Client) -> None:
    danish = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "da"))
    assert "Organisering og ledelse af sikkerhedsarbejdet" in danish
    norwegian = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "da", lang="nb"))
    assert '<html lang="da">' in norwegian
    assert '<span lang="nb">Organisering og styring av sikkerhetsarbeidet</span>' in norwegian
    assert "?lang=nb" in norwegian  # links keep the content language
    english = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "en", lang="da"))
    assert '<span lang="da">Organisering og ledelse af sikkerhedsarbejdet</span>' in english


def test_only_the_frameworks_languages_are_offered(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{ISO}/2022/", "da"))
    assert 'href="?lang=en"' in page or 'aria-current="true" lang="en"' in page
    assert 'href="?lang=nb"' not in page
    # ISO has English titles only: shown in English, marked as such on a Danish page
    assert '<span lang="en">Policies for information security</span>' in page


@pytest.mark.parametrize("lang", ["xx", "", "de", "<script>", "da" * 100])
def test_unknown_content_language_falls_back_to_the_interface(
    user_client: Client, lang: str
) -> None:
    page = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "en", lang=lang))
    assert "Organisation and management of security work" in page
    assert "<script>" not in page.split("</header>", 1)[1].split("<script src", 1)[0]


# --- search ----------------------------------------------------------------------------------


def test_search_finds_an_iso_control(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{ISO}/2022/", "en", q="policies for INFORMATION"))
    results = page.split('id="search-results"', 1)[1].split("</div>", 1)[0]
    assert "A.5.1" in results
    assert "A.5.2" not in results


def test_search_finds_danish_words_with_special_letters(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "da", q="ØVERSTE LEDELSE"))
    results = page.split('id="search-results"', 1)[1].split("</div>", 1)[0]
    assert "GOV.01" in results and "GOV.02" in results


def test_search_with_htmx_returns_only_the_results(user_client: Client) -> None:
    user_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = user_client.get(
        f"/frameworks/{ISO}/2022/", {"q": "Segregation of duties"}, headers={"HX-Request": "true"}
    )
    page = html(response)
    assert "<html" not in page
    assert "A.5.3" in page and "1 node contains" in page


def test_history_restore_gets_the_whole_page(user_client: Client) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = user_client.get(f"/frameworks/{ISO}/2022/", {"q": "Segregation"}, headers=headers)
    assert "<html" in html(response)


def test_search_without_matches_says_so(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{ISO}/2022/", "en", q='zzz "\\ %_'))
    assert "0 nodes contain" in page


# --- node pages ------------------------------------------------------------------------------


def test_nist_node_links_to_its_iso_controls(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{NIST}/2.0/nodes/GV.RM-01/", "en"))
    assert f'href="/frameworks/{ISO}/2022/nodes/A.5.1/"' in page


def test_iso_node_lists_mappings_from_nist_and_the_baseline(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{ISO}/2022/nodes/A.5.1/", "en"))
    assert f'href="/frameworks/{NIST}/2.0/nodes/GV.RM-01/"' in page
    assert f'href="/frameworks/{BASELINE}/2026.1/nodes/GOV.01/"' in page


def test_baseline_question_shows_help_levels_recommendations_and_mappings(
    user_client: Client,
) -> None:
    page = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/nodes/GOV.01/", "en"))
    assert "The policy should briefly set out objectives" in page
    assert "Continuously improved." in page  # the framework's scale
    assert "Write a short draft information security policy" in page
    assert f'href="/frameworks/{ISO}/2022/nodes/A.5.1/"' in page
    assert f'href="/frameworks/{ISO}/2022/nodes/A.5.4/"' in page


def test_area_page_shows_coverage_through_its_questions(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/nodes/GOV/", "en"))
    coverage = page.split("Coverage through what it contains", 1)[1]
    assert f'href="/frameworks/{ISO}/2022/nodes/A.5.1/"' in coverage
    assert f'href="/frameworks/{ISO}/2022/nodes/A.5.3/"' in coverage


def test_version_page_shows_coverage_in_other_frameworks(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{BASELINE}/2026.1/", "en"))
    coverage = page.split("Coverage in other frameworks", 1)[1].split("</table>", 1)[0]
    assert "ISO/IEC 27001:2022 Annex A" in coverage and " of 93" in coverage


# --- comparing versions ----------------------------------------------------------------------


def _walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for node in nodes for n in (node, *_walk(node.get("children", [])))]


def load_changed_baseline(tmp_path: Path) -> None:
    """A copy of the baseline as version 2027.1: GOV.01 retitled, GOV.04 gone, GOV.99 new."""
    copy = tmp_path / BASELINE
    shutil.copytree(LIBRARY_DIR / BASELINE, copy)
    header_file = copy / "framework.yaml"
    header = yaml.safe_load(header_file.read_text())
    header["framework"]["version"] = "2027.1"
    header_file.write_text(yaml.safe_dump(header, allow_unicode=True))
    nodes_file = copy / "nodes-01-governance.yaml"
    document = yaml.safe_load(nodes_file.read_text())
    area = document["nodes"][0]
    for node in _walk(document["nodes"]):
        if node["id"] == "GOV.01":
            node["title"]["en"] = "Is there an approved information security policy?"
    new = {**area["children"][0], "id": "GOV.99", "mappings": {}}
    new["title"] = {"da": "Nyt spørgsmål", "nb": "Nytt spørsmål", "en": "A new question"}
    area["children"] = [c for c in area["children"] if c["id"] != "GOV.04"] + [new]
    nodes_file.write_text(yaml.safe_dump(document, allow_unicode=True))
    frameworks_load(paths=[copy])


def test_compare_shows_added_removed_and_changed_nodes(user_client: Client, tmp_path: Path) -> None:
    load_changed_baseline(tmp_path)
    page = html(
        get(
            user_client,
            f"/frameworks/{BASELINE}/compare/",
            "en",
            **{"from": "2026.1", "to": "2027.1"},
        )
    )
    added = page.split("<h3>Added</h3>", 1)[1].split("</ul>", 1)[0]
    removed = page.split("<h3>Removed</h3>", 1)[1].split("</ul>", 1)[0]
    changed = page.split("<h3>Changed</h3>", 1)[1].split("</table>", 1)[0]
    assert "GOV.99" in added and "A new question" in added
    assert f"/frameworks/{BASELINE}/2026.1/nodes/GOV.04/" in removed
    assert "GOV.01" in changed and "title" in changed
    assert "Does the organisation have an information security policy" in changed  # before
    assert "GOV.02" not in changed


def test_compare_defaults_to_the_two_newest_versions(user_client: Client, tmp_path: Path) -> None:
    load_changed_baseline(tmp_path)
    page = html(get(user_client, f"/frameworks/{BASELINE}/compare/", "en"))
    assert "From 2026.1 to 2027.1" in page


def test_compare_with_one_version_explains_itself(user_client: Client) -> None:
    page = html(get(user_client, f"/frameworks/{ISO}/compare/", "en"))
    assert "only one version" in page


# --- not found -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/frameworks/no-such-framework/",
        "/frameworks/no-such-framework/2022/",
        f"/frameworks/{ISO}/1999/",
        f"/frameworks/{ISO}/2022/nodes/A.99.99/",
        f"/frameworks/{ISO}/2022/nodes/GOV.01/",
        "/frameworks/no-such-framework/compare/",
        f"/frameworks/{ISO}/compare/?from=1999",
        f"/frameworks/{ISO}/compare/?to=1999",
    ],
)
def test_unknown_framework_version_or_node_is_not_found(user_client: Client, path: str) -> None:
    assert user_client.get(path).status_code == 404


# --- query counts ----------------------------------------------------------------------------


def count_queries(client: Client, path: str) -> int:
    client.get(path)  # warm the session and caches
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


def test_tree_page_needs_the_same_queries_for_any_size(user_client: Client, tmp_path: Path) -> None:
    small = count_queries(user_client, f"/frameworks/{ISO}/2022/")  # 97 nodes
    large = count_queries(user_client, f"/frameworks/{NIST}/2.0/")  # 134 nodes
    assert small == large
    load_changed_baseline(tmp_path)
    before = count_queries(user_client, f"/frameworks/{BASELINE}/2026.1/?q=ledelse")
    after = count_queries(user_client, f"/frameworks/{BASELINE}/2027.1/?q=ledelse")
    assert before == after


def test_node_page_needs_the_same_queries_for_a_leaf_and_an_area(user_client: Client) -> None:
    leaf = count_queries(user_client, f"/frameworks/{BASELINE}/2026.1/nodes/GOV.01/")
    area = count_queries(user_client, f"/frameworks/{BASELINE}/2026.1/nodes/GOV/")
    other_area = count_queries(user_client, f"/frameworks/{BASELINE}/2026.1/nodes/SUP/")
    assert area == other_area
    assert area <= leaf + 5  # the coverage section: mapped versions, mappings, nodes, totals
