"""The organisation's benchmark page, its answer shares per area, its export, and the
coordinator's network page.

Two populations are built and released once for the module (in one transaction rolled back
afterwards): a DK-like network of 98 organisations over three years, and a small network of 15
over one year with fewer areas. Each page, and an area's shares, runs the same number of queries
for both.
"""

from __future__ import annotations

import csv
import datetime
import io
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from conftest import login
from samvirke.accounts.models import User
from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
)
from samvirke.baseline.progress import assessment_overview
from samvirke.baseline.tests.conftest import (
    build_questions,
    make_version,
    open_campaign,
    save_answers,
)
from samvirke.benchmarking import charts, service
from samvirke.benchmarking.models import (
    PartitionKind,
    Release,
    SharingAudience,
    SharingConsent,
)
from samvirke.benchmarking.pages import BANDS, MARKER, option_label, organisation_benchmark
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.scores import Structure
from samvirke.benchmarking.testing import (
    DK_LIKE,
    Population,
    Spec,
    population,
    small_version,
    submitted,
)
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member, make_user
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db

SMALL = Spec(regions=(8, 7), areas=2, questions_per_area=3, code_prefix="SM", seed=7)
#: Queries of either page, whatever the population (session, user and memberships included).
MAX_QUERIES = 20


@dataclass
class Released:
    """A population with its published releases, a viewer of one member and a coordinator."""

    pop: Population
    releases: list[Release]
    viewer: User
    coordinator: User
    sharing: int  # the organisation that shares its results with the coordinator


def add_year(pop: Population, year: int) -> Campaign:
    """A further closed campaign of the same network on its own framework version."""
    version, _areas, questions = small_version(
        f"{pop.version.framework.key}-{year}", len(pop.areas), len(pop.questions) // len(pop.areas)
    )
    campaign = Campaign.objects.create(
        network=pop.network,
        framework_version=version,
        title=f"Baseline {year}",
        year=year,
        opens_on=datetime.date(year, 1, 1),
        deadline=datetime.date(year, 3, 1),
        state=CampaignState.CLOSED,
    )
    CampaignParticipant.objects.bulk_create(
        [CampaignParticipant(campaign=campaign, organisation=o) for o in pop.organisations]
    )
    rng = random.Random(year)
    for organisation in pop.organisations:
        latent = rng.gauss(2.4, 0.9)
        submitted(
            organisation,
            campaign,
            [
                {"question": q, "value": max(0, min(5, round(latent + rng.gauss(0, 0.8))))}
                for q in questions
            ],
        )
    return campaign


def release_population(spec: Spec, earlier_years: tuple[int, ...], name: str) -> Released:
    pop = population(spec, year=2026)
    coordinator = make_user(f"coordinator.{name}")
    add_member(coordinator, pop.organisations[0], Role.NETWORK_COORDINATOR)
    viewer = make_user(f"viewer.{name}")
    add_member(viewer, pop.organisations[3], Role.SECURITY_COORDINATOR)
    sharing = pop.organisations[5]
    campaigns = [add_year(pop, year) for year in earlier_years] + [pop.campaign]
    with organisation_scope(sharing.pk):
        SharingConsent.objects.create(
            organisation=sharing, campaign=pop.campaign, audience=SharingAudience.COORDINATOR
        )
    releases = [
        release_publish(actor=coordinator, release=release_build(actor=None, campaign=c))
        for c in campaigns
    ]
    return Released(pop, releases, viewer, coordinator, sharing.pk)


@dataclass
class Both:
    large: Released
    small: Released


@pytest.fixture(scope="module")
def released(django_db_setup: None, django_db_blocker: Any) -> Iterator[Both]:
    with django_db_blocker.unblock(), transaction.atomic():
        with scopes_disabled():
            both = Both(
                release_population(DK_LIKE, (2024, 2025), "large"),
                release_population(SMALL, (), "small"),
            )
        yield both
        transaction.set_rollback(True)


@pytest.fixture
def large(released: Both) -> Released:
    return released.large


def page(client: Client, user: User, path: str, **query: Any) -> str:
    response = login(client, user).get(path, query)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the organisation's page -----------------------------------------------------------------


def test_own_results_match_the_service(large: Released) -> None:
    organisation = large.pop.organisations[3]
    with organisation_scope(organisation.pk):
        expected = service.own_scores(organisation, large.pop.network)
        found, _structures = service.own_results(organisation, large.pop.network)
    assert [(r.assessment.pk, r.total, r.areas) for r in found] == [
        (s.assessment.pk, s.total, s.areas) for s in expected
    ]
    assert len(found) == 3 and all(r.categories for r in found)


def test_the_page_shows_own_scores_against_the_groups_means(
    client: Client, large: Released
) -> None:
    organisation = large.pop.organisations[3]
    release = large.releases[-1]
    html = page(client, large.viewer, "/benchmarks/")
    cells = service.release_cells(release)
    groups = [g for g in service.release_groups(release) if organisation.code in g.members]
    assert {g.partition for g in groups} == {"everyone", "region", "size_class", "kind"}
    everyone = next(g for g in groups if g.partition == PartitionKind.EVERYONE)
    total = service.cell(cells, "total", everyone)
    assert isinstance(total, service.Published)
    assert f"<td>{total.value:.1f}</td>" in html  # the published mean on its 0.5 grid
    with organisation_scope(organisation.pk):
        own_total = service.own_scores(organisation, large.pop.network)[-1].total
    assert own_total is not None and f"<td>{round(own_total, 1):.1f}</td>" in html
    band = service.quartile_band(own_total, total)
    assert band is not None
    assert f"<td>{BANDS[band]}</td>" in html
    for hidden_word in ("R1", "R2", "R13", "reason"):
        assert f">{hidden_word}<" not in html
    assert 'data-vega-spec="chart-scores"' in html and 'data-vega-spec="chart-trend"' in html
    assert "vendor/vega/vega-embed.min.js" in html
    assert "Answers per question" in html and "<details" in html
    # The answer shares are read one area at a time: a link (and an HTMX request) per area.
    for area in large.pop.areas:
        url = shares_url(release, area.pk)
        assert f'hx-get="{url}"' in html and f'<a href="{url}">' in html
    assert 'hx-trigger="toggle once"' in html
    question = large.pop.questions[0]
    assert f"question:{question.pk}" not in html and question.key not in html
    # Three years of own totals and of everyone's means.
    for year in (2024, 2025, 2026):
        assert f'<th scope="row">{year}</th>' in html


def shares_url(release: Release, area_id: int | str) -> str:
    return f"/benchmarks/{release.pk}/areas/{area_id}/shares/"


HTMX = {"HX-Request": "true"}


def test_an_areas_shares_come_from_the_release(client: Client, large: Released) -> None:
    organisation = large.pop.organisations[3]
    release = large.releases[-1]
    area = large.pop.areas[1]
    login(client, large.viewer)
    fragment = client.get(shares_url(release, area.pk), headers=HTMX)
    assert fragment.status_code == 200
    assert fragment["Vary"].count("HX-Request") == 1
    html = fragment.content.decode()
    assert "<html" not in html and "<h1" not in html
    mine = [g for g in service.release_groups(release) if organisation.code in g.members]
    cells = service.release_cells(release)
    in_area = [q for q in large.pop.questions if q.parent_id == area.pk]
    others = [q for q in large.pop.questions if q.parent_id != area.pk]
    assert in_area and others
    assert html.count("<table") == len(in_area)
    shown = hidden = 0
    for question in in_area:
        assert f"<caption>{question.key} " in html
        for option in ("0", "5", "dont_know"):
            for group in mine:
                cell = service.cell(cells, f"question:{question.pk}:{option}", group)
                if isinstance(cell, service.Published):
                    shown += 1
                    assert f"<td>{cell.value:.0f} %</td>" in html or (
                        f"<td>{cell.value:.1f} %</td>" in html
                    )
                else:
                    hidden += 1
    assert shown, "some shares are published"
    assert not any(f"<caption>{q.key} " in html for q in others)
    # The organisation's own answer is marked; it is its own, exact.
    with organisation_scope(organisation.pk):
        answer = Answer.objects.get(
            organisation=organisation,
            assessment__campaign=release.campaign,
            question=in_area[0],
        )
    assert f"Your answer: {option_label(in_area[0], str(answer.value))}" in html
    # Without JavaScript the link opens a page of its own with the same tables.
    page_html = page(client, large.viewer, shares_url(release, area.pk))
    assert "<h1>" in page_html and f"?release_id={release.pk}" in page_html
    assert page_html.count("<table") == len(in_area)
    for hidden_word in ("R1", "R2", "R13", "reason"):
        assert f">{hidden_word}<" not in html


def test_an_older_release_has_its_own_areas(client: Client, large: Released) -> None:
    older = large.releases[0]
    areas = Structure.of_many([older.campaign.framework_version_id])[
        older.campaign.framework_version_id
    ].areas
    html = page(client, large.viewer, "/benchmarks/", release_id=older.pk)
    assert all(shares_url(older, a.pk) in html for a in areas)
    assert page(client, large.viewer, shares_url(older, areas[0].pk))


def test_unknown_or_foreign_areas_and_releases_are_not_found(
    client: Client, released: Both
) -> None:
    large, small = released.large, released.small
    latest, older = large.releases[-1], large.releases[0]
    area = large.pop.areas[0]
    login(client, large.viewer)
    wrong = [
        shares_url(latest, 999_999),  # no such node
        shares_url(latest, large.pop.questions[0].pk),  # a question, not an area
        shares_url(older, area.pk),  # an area of another framework version
        shares_url(latest, small.pop.areas[0].pk),  # an area of another network's version
        shares_url(small.releases[0], small.pop.areas[0].pk),  # another network's release
        shares_url(small.releases[0], area.pk),
        f"/benchmarks/999999/areas/{area.pk}/shares/",
        f"/benchmarks/abc/areas/{area.pk}/shares/",
        f"/benchmarks/{latest.pk}/areas/-1/shares/",
        f"/benchmarks/{latest.pk}/areas/1.5/shares/",
        f"/benchmarks/{latest.pk}/areas/{'9' * 30}/shares/",
    ]
    bodies = set()
    for path in wrong:
        for headers in ({}, HTMX):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, (path, response.status_code)
            bodies.add(_refusal(response.content.decode(), path))
    assert len(bodies) == 1, "every refusal looks the same"
    login(client, small.viewer)
    assert client.get(shares_url(latest, area.pk)).status_code == 404
    login(client, large.coordinator)  # a network coordinator without BENCHMARK_VIEW
    assert client.get(shares_url(latest, area.pk)).status_code == 403


def _refusal(html: str, path: str) -> str:
    """A refusal page without what differs per request: its CSRF token and its own path."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return html.replace(path, "PATH")


def test_hidden_cells_show_only_the_marker(client: Client, released: Both) -> None:
    small = released.small
    release = small.releases[-1]
    cells = service.release_cells(release)
    organisation = small.pop.organisations[3]
    mine = [g for g in service.release_groups(release) if organisation.code in g.members]
    hidden = [g for g in mine if not service.cell(cells, "total", g)]
    assert hidden, "the small population hides some of its groups"
    html = page(client, small.viewer, "/benchmarks/")
    assert str(MARKER) in html
    shares = page(client, small.viewer, shares_url(release, small.pop.areas[0].pk))
    assert f'<span class="benchmark-hidden">{MARKER}</span>' in shares
    with organisation_scope(organisation.pk):
        data = organisation_benchmark(organisation, release)
    for column in data.groups:
        if column.group in hidden:
            assert column.n.hidden and column.band == str(MARKER)
    for row in data.rows:
        for column, mean in zip(data.groups, row.means, strict=True):
            if column.group in hidden:
                assert mean.hidden and mean.value is None


def test_choosing_an_older_release_and_refusing_others(client: Client, released: Both) -> None:
    large, small = released.large, released.small
    older = large.releases[0]
    html = page(client, large.viewer, "/benchmarks/", release_id=older.pk)
    assert f'<option value="{older.pk}" selected>' in html
    login(client, large.viewer)
    for wrong in (small.releases[0].pk, 999_999, "abc", -1):
        assert client.get("/benchmarks/", {"release_id": wrong}).status_code == 404
        assert client.get(f"/benchmarks/{wrong}/export.csv").status_code == 404
    assert client.get(f"/benchmarks/{older.pk}/export.pdf").status_code == 404


def test_the_export_holds_the_page_numbers(client: Client, large: Released) -> None:
    organisation = large.pop.organisations[3]
    release = large.releases[-1]
    login(client, large.viewer)
    response = client.get(f"/benchmarks/{release.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Table", "Item", "Group", "Answer", "Value", "Organisations"]
    with organisation_scope(organisation.pk):
        data = organisation_benchmark(organisation, release)
    cells = service.release_cells(release)
    areas = Structure.of_many([release.campaign.framework_version_id])[
        release.campaign.framework_version_id
    ].areas
    statistics = ["total"] + [f"area:{a.pk}" for a in areas]
    expected = {
        (row.label, column.label): service.cell(cells, statistic, column.group)
        for row, statistic in zip(data.rows, statistics, strict=True)
        for column in data.groups
    }
    scores = {(r[1], r[2]): r[4] for r in rows if r[0] == "Scores"}
    for key, cell in expected.items():
        shown = str(cell.value) if isinstance(cell, service.Published) else str(MARKER)
        assert scores[key] == shown
    xlsx = client.get(f"/benchmarks/{release.pk}/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[_same(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert values == [[_same(v) for v in row] for row in rows]


def _same(value: Any) -> Any:
    """A CSV text or an XLSX value, comparable: numbers as floats, empty as ""."""
    if value is None:
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


# --- the coordinator's network page ----------------------------------------------------------


def test_the_network_page_shows_aggregates_and_only_shared_names(
    client: Client, large: Released
) -> None:
    network = large.pop.network
    html = page(client, large.coordinator, f"/benchmarks/networks/{network.pk}/")
    assert "Participation" in html and '<th scope="row">Submitted</th><td>98</td>' in html
    assert html.count('class="table table--compact"') >= 5  # partitions and shared results
    assert "Weakest areas" in html
    assert 'data-vega-spec="chart-trend"' in html and 'data-vega-spec="chart-weakest"' in html
    sharing = next(o for o in large.pop.organisations if o.pk == large.sharing)
    shared_table = html.split("Results shared by the organisations themselves")[1]
    assert sharing.name in shared_table
    others = [o.name for o in large.pop.organisations if o.pk != large.sharing]
    assert not any(f'<th scope="row">{name}</th>' in shared_table for name in others)


def test_the_weakest_area_comes_first(client: Client, large: Released) -> None:
    html = page(client, large.coordinator, f"/benchmarks/networks/{large.pop.network.pk}/")
    section = html.split("Mean area scores of all participants, lowest first")[1].split("</table>")[
        0
    ]
    values = [float(v) for v in _numbers_in_cells(section)]
    assert values == sorted(values) and values


def _numbers_in_cells(html: str) -> list[str]:
    return re.findall(r"<td>([0-9]+(?:\.[0-9]+)?)</td>", html)


def test_the_network_page_is_only_for_its_coordinators(client: Client, released: Both) -> None:
    large, small = released.large, released.small
    login(client, small.coordinator)
    assert client.get(f"/benchmarks/networks/{large.pop.network.pk}/").status_code == 404
    assert client.get(f"/benchmarks/networks/{small.pop.network.pk}/").status_code == 200
    assert (
        client.get(
            f"/benchmarks/networks/{small.pop.network.pk}/",
            {"release_id": large.releases[0].pk},
        ).status_code
        == 404
    )
    listing = client.get("/benchmarks/networks/").content.decode()
    assert small.pop.network.name in listing and large.pop.network.name not in listing
    login(client, large.viewer)  # a security coordinator, not a network coordinator
    assert client.get(f"/benchmarks/networks/{large.pop.network.pk}/").status_code == 403


# --- constant query counts -------------------------------------------------------------------


def _count(client: Client, user: User, path: str, headers: dict[str, str] | None = None) -> int:
    login(client, user)
    client.get(path, headers=headers)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as queries_run:
        assert client.get(path, headers=headers).status_code == 200
    return len(queries_run)


def test_constant_query_counts(
    client: Client, released: Both, django_assert_max_num_queries: Any, capsys: Any
) -> None:
    """The organisation's page, an area's shares (fragment and page) and the network page run
    the same queries for 3 releases of 98 organisations as for 1 release of 15."""
    counts = {}
    for name, group in (("large", released.large), ("small", released.small)):
        network = f"/benchmarks/networks/{group.pop.network.pk}/"
        shares = shares_url(group.releases[-1], group.pop.areas[0].pk)
        counts[name] = (
            _count(client, group.viewer, "/benchmarks/"),
            _count(client, group.viewer, shares, HTMX),
            _count(client, group.viewer, shares),
            _count(client, group.coordinator, network),
        )
        for user, path in (
            (group.viewer, "/benchmarks/"),
            (group.viewer, shares),
            (group.coordinator, network),
        ):
            login(client, user)
            with django_assert_max_num_queries(MAX_QUERIES):
                client.get(path)
    assert counts["large"] == counts["small"], counts
    # Older releases: the same again.
    large = released.large
    older = (
        _count(client, large.viewer, f"/benchmarks/?release_id={large.releases[0].pk}"),
        _count(
            client, large.viewer, shares_url(large.releases[0], _areas(large.releases[0])[0]), HTMX
        ),
    )
    assert older == counts["large"][:2], (older, counts)
    with capsys.disabled():
        print(f"\nbenchmark page / shares fragment / shares page / network page queries: {counts}")


def _areas(release: Release) -> list[int]:
    version = release.campaign.framework_version_id
    return [a.pk for a in Structure.of_many([version])[version].areas]


def test_the_network_page_counts_the_same_whoever_shares_or_submits(
    client: Client, released: Both
) -> None:
    """No query is left out for an empty list: no sharing organisation, no submission."""
    small = released.small
    network = f"/benchmarks/networks/{small.pop.network.pk}/"
    before = _count(client, small.coordinator, network)
    with scopes_disabled():
        SharingConsent.objects.filter(campaign=small.pop.campaign).update(
            withdrawn_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
        )
        Assessment.objects.filter(campaign=small.pop.campaign).update(
            state=AssessmentState.CLOSED_UNSUBMITTED
        )
    html = page(client, small.coordinator, network)
    assert "No organisation has chosen to share" in html
    assert '<th scope="row">Submitted</th><td>0</td>' in html
    assert _count(client, small.coordinator, network) == before


def test_the_organisation_page_counts_the_same_without_own_history(
    client: Client, released: Both
) -> None:
    """An organisation of the network that took part in no campaign: the same queries."""
    small = released.small
    before = _count(client, small.viewer, "/benchmarks/")
    organisation = small.pop.organisations[3]
    with scopes_disabled():
        Answer.objects.filter(organisation=organisation).delete()
        Assessment.objects.filter(organisation=organisation).delete()
    html = page(client, small.viewer, "/benchmarks/")
    assert "has no submitted assessment in this campaign" in html
    assert _count(client, small.viewer, "/benchmarks/") == before
    shares = shares_url(small.releases[-1], small.pop.areas[0].pk)
    assert "Your answer" not in page(client, small.viewer, shares)


# --- without releases: the standard world ----------------------------------------------------


def test_no_release_yet(client: Client, world: World) -> None:
    html = page(client, world.owner, "/benchmarks/")
    assert "No benchmark has been published" in html
    assert "vega" not in html


def test_an_open_campaign_shows_the_count_and_own_scores(client: Client, world: World) -> None:
    questions = build_questions(make_version())
    campaign = open_campaign(world, questions.version)
    html = page(client, world.owner, "/benchmarks/")
    assert f"In progress: {campaign.title}" in html
    assert "0 responses so far" in html
    assert "Your own scores so far" in html


def test_the_live_scores_are_the_assessment_pages(client: Client, world: World) -> None:
    """The benchmark page's scores so far are those of the assessment page (confirmed answers
    only, per-unit questions rolled up), read without the assessment's progress."""
    questions = build_questions(make_version())
    campaign = open_campaign(world, questions.version)
    with scopes_disabled():
        assessment = Assessment.objects.get(campaign=campaign, organisation=world.org_a)
    with organisation_scope(world.org_a.pk):
        save_answers(
            world.owner,
            assessment,
            [
                (questions.maturity, None, 4),
                (questions.yes_no, world.unit_a, "partly"),
            ],
        )
        # A copied-forward draft of a second unit: shown, not counted.
        school = OrgUnit.objects.create(organisation=world.org_a, name="Alfa Skole")
        Answer.objects.create(
            organisation=world.org_a,
            assessment=assessment,
            question=questions.yes_no,
            org_unit=school,
            value="yes",
            draft=True,
        )
        expected = assessment_overview(assessment).scores()
        areas = [(a.pk, f"{a.key} {a.title['en']}") for a in (questions.area_1, questions.area_2)]
    assert expected.total == 65.0  # (80 + 50) / 2 with equal weights; the draft left out
    html = page(client, world.owner, "/benchmarks/")
    for pk, label in areas:
        score = expected.areas.get(pk)
        shown = "–" if score is None else f"{score:.1f}"
        assert f'<th scope="row">{label}</th><td>{shown}</td>' in html, (label, shown)
    assert '<th scope="row">Total</th><td>65.0</td>' in html


def test_only_benchmark_viewers(client: Client, world: World) -> None:
    login(client, world.member)
    assert client.get("/benchmarks/").status_code == 403
    assert client.get("/benchmarks/networks/").status_code == 403
    client.logout()
    assert client.get("/benchmarks/").status_code == 302
    login(client, world.reader)
    assert client.get("/benchmarks/").status_code == 200
    login(client, world.owner)  # the steward's security coordinator does not coordinate
    assert client.get(f"/benchmarks/networks/{world.network.pk}/").status_code == 403


# --- the chart specifications ----------------------------------------------------------------


def test_chart_specs_are_self_contained() -> None:
    spec = charts.comparison_chart(
        [{"item": "Total", "series": "You", "value": 55.0}],
        title="T</script><b>",
        description="D",
        items=["Total"],
        series=["You", "All"],
        own="You",
        item_title="Area",
        value_title="Score",
        series_title="Series",
    )
    assert spec["data"] == {"values": [{"item": "Total", "series": "You", "value": 55.0}]}
    text = str(charts.spec_json(spec))
    assert "http" not in text and "url" not in spec["data"]
    assert "</script>" not in text and "<b>" not in text
    assert spec["encoding"]["color"]["scale"]["range"][0] == charts.OWN_COLOUR
