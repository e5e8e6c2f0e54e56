"""Every report in every format, from one published population: content, parity, hidden cells.

One module fixture writes a population whose smallest region has 3 organisations (so its means
are hidden), gives the questions recommendation texts, adds two per-unit questions answered by
three units of one organisation, maps the questions to a second framework, publishes the
release and renders each report as HTML, PDF and XLSX. The tests read the rendered bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_scopes import scopes_disabled
from openpyxl import load_workbook
from pypdf import PdfReader

from samvirke.baseline.models import Answer, Assessment, Delegation
from samvirke.benchmarking.models import Release, ReleaseCell, ReleaseScore
from samvirke.benchmarking.pages import MARKER
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.service import HIDDEN, Published
from samvirke.benchmarking.testing import Spec, population, small_version
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import Mapping as FrameworkMapping
from samvirke.frameworks.models import MappingSet, Node, NodeKind
from samvirke.reports import data
from samvirke.reports.documents import board_summary
from samvirke.reports.render import FORMATS, Rendered, render, render_body
from samvirke.reports.tasks import departments_zip
from samvirke.tenancy.models import Organisation, OrgUnit

pytestmark = pytest.mark.django_db

#: The last region has 3 organisations: below k = 5, so its means are hidden.
SPEC = Spec(regions=(29, 17, 22, 19, 3), code_prefix="RP")
FOCUS = 29 + 17 + 22 + 19  # the first organisation of the small region
UNITS = ("Borgerservice", "IT-afdelingen", "Børn og Unge")


@dataclass
class Made:
    """The population, its release and every rendered report (in English)."""

    organisation: Organisation
    assessment: Assessment
    release: Release
    units: list[OrgUnit]
    organisation_data: data.OrganisationReport
    network_data: data.NetworkReport
    department_data: dict[str, data.DepartmentReport]
    rendered: dict[tuple[str, str, str], Rendered]


def _add_unit_questions(pop: Any, organisation: Organisation) -> list[OrgUnit]:
    area = pop.areas[0]
    questions = [
        Node.objects.create(
            version=pop.version,
            key=f"A1.U{n}",
            kind=NodeKind.QUESTION,
            parent=area,
            depth=1,
            position=100 + n,
            title={"en": f"Unit question {n}"},
            question_type="maturity",
            answer_level="unit",
            weight=2,
        )
        for n in (1, 2)
    ]
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.get(organisation=organisation, campaign=pop.campaign)
        units = [OrgUnit.objects.create(organisation=organisation, name=name) for name in UNITS]
        for question in questions:
            for level, unit in enumerate(units):
                Delegation.objects.create(
                    organisation=organisation, assessment=assessment, node=question, org_unit=unit
                )
                Answer.objects.create(
                    organisation=organisation,
                    assessment=assessment,
                    question=question,
                    org_unit=unit,
                    value=1 + 2 * level,
                )
    return units


def _map_to_other_framework(pop: Any) -> None:
    other, _areas, requirements = small_version("mapped-test", 1, 3)
    mapping_set = MappingSet.objects.create(
        from_version=pop.version, to_version=other, source="test", licence="CC0", checksum="t"
    )
    for question, requirement in zip(pop.questions, requirements, strict=False):
        FrameworkMapping.objects.create(
            mapping_set=mapping_set,
            source_node=question,
            target_node=requirement,
            relation="intersects",
        )


@pytest.fixture(scope="module")
def made(django_db_setup: None, django_db_blocker: Any) -> Iterator[Made]:
    with django_db_blocker.unblock(), transaction.atomic(), scopes_disabled():
        pop = population(SPEC)
        organisation = pop.organisations[FOCUS]
        units = _add_unit_questions(pop, organisation)
        for question in Node.objects.filter(version=pop.version, kind=NodeKind.QUESTION):
            Node.objects.filter(pk=question.pk).update(
                recommendations={
                    str(level): {"en": f"Improve {question.key} from level {level}"}
                    for level in range(6)
                }
            )
        _map_to_other_framework(pop)
        built = release_build(actor=None, campaign=pop.campaign)
        release = release_publish(actor=None, release=built)
        rendered: dict[tuple[str, str, str], Rendered] = {}
        with organisation_scope(organisation.pk), translation.override("en"):
            assessment = Assessment.objects.get(organisation=organisation, campaign=pop.campaign)
            organisation_data = data.organisation_report(assessment)
            network_data = data.network_report(release)
            department_data = {u.name: data.department_report(assessment, u) for u in units}
            for fmt in FORMATS:
                rendered[("organisation", "", fmt)] = render("organisation", assessment, fmt, "en")
                rendered[("network", "", fmt)] = render("network", release, fmt, "en")
                for unit in units:
                    rendered[("department", unit.name, fmt)] = render(
                        "department", (assessment, unit), fmt, "en"
                    )
            rendered[("organisation", "da", "html")] = render(
                "organisation", assessment, "html", "da"
            )
        yield Made(
            organisation,
            assessment,
            release,
            units,
            organisation_data,
            network_data,
            department_data,
            rendered,
        )
        transaction.set_rollback(True)


# --- reading the formats ---------------------------------------------------------------------


def flat(value: str) -> str:
    """Whitespace collapsed, so text wrapped over lines compares with the original."""
    return " ".join(value.split())


def pdf_text(rendered: Rendered) -> str:
    return flat(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.content)).pages)
    )


class _Tables(HTMLParser):
    """The texts of every table cell of an HTML document, per table, per row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(flat("".join(self._cell)))
            self._cell = None

    def handle_data(self, text: str) -> None:
        if self._cell is not None:
            self._cell.append(text)


def html_tables(rendered: Rendered) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(rendered.content.decode())
    return parser.tables


def workbook(rendered: Rendered) -> Any:
    return load_workbook(io.BytesIO(rendered.content))


def sheet_rows(rendered: Rendered) -> list[list[list[Any]]]:
    """Every sheet's cells below the caption row (column titles first), in sheet order."""
    book = workbook(rendered)
    return [[list(row) for row in sheet.iter_rows(min_row=2, values_only=True)] for sheet in book]


def numbers_in(text: str) -> set[str]:
    return set(re.findall(r"\d+\.\d", text))


# --- content ---------------------------------------------------------------------------------


def test_the_organisation_pdf_holds_the_total_recommendations_and_units(made: Made) -> None:
    report = made.organisation_data
    text = pdf_text(made.rendered[("organisation", "", "pdf")])
    assert report.total.own is not None
    assert f"{report.total.own:.1f}" in text
    assert report.recommendations
    top = report.recommendations[0]
    assert top.text.startswith("Improve ")
    assert flat(top.text) in text
    for unit in UNITS:
        assert unit in text
    assert "How to read this report" in text
    assert str(MARKER) in text  # the small region's means are hidden


def test_every_pdf_is_tagged_and_numbers_its_pages(made: Made) -> None:
    for (kind, _which, fmt), rendered in made.rendered.items():
        if fmt != "pdf":
            continue
        assert rendered.content_type == "application/pdf"
        assert rendered.filename.endswith("-en.pdf")
        reader = PdfReader(io.BytesIO(rendered.content))
        pages = len(reader.pages)
        assert pages > 0
        root: Any = reader.trailer["/Root"]
        assert bool(root["/MarkInfo"]["/Marked"])
        assert "/StructTreeRoot" in root
        assert root["/Lang"] == "en"
        assert f"Page 1 of {pages}" in flat(reader.pages[0].extract_text()), kind


def test_the_department_reports_compare_the_unit_with_the_rest(made: Made) -> None:
    for unit in made.units:
        report = made.department_data[unit.name]
        text = pdf_text(made.rendered[("department", unit.name, "pdf")])
        assert unit.name in text
        assert report.own_mean is not None and f"{report.own_mean:.1f}" in text
        assert report.recommendations or unit.name == UNITS[-1]  # level 5: nothing to improve
        for recommendation in report.recommendations:
            assert flat(recommendation.text) in text
            assert recommendation.units == [unit.name]
        sheets = {s.title: s for s in workbook(made.rendered[("department", unit.name, "xlsx")])}
        questions = list(sheets["Questions"].iter_rows(min_row=3, values_only=True))
        assert [row[1] for row in questions] == [
            round(q.own, 1) if q.own is not None else "–" for q in report.questions
        ]


def test_the_network_pdf_holds_participation_and_weakest_areas(made: Made) -> None:
    report = made.network_data
    text = pdf_text(made.rendered[("network", "", "pdf")])
    assert f"{report.participants} organisations took part" in text
    assert f"{report.counted} are counted" in text
    for label, _value in report.weakest:
        assert flat(label) in text
    assert str(MARKER) in text


# --- the workbook equals the data and the page -----------------------------------------------


def _cell(value: Any) -> Any:
    return value.value if isinstance(value, Published) else str(MARKER)


def test_the_organisation_workbook_equals_the_report_data(made: Made) -> None:
    report = made.organisation_data
    sheets = {s.title: s for s in workbook(made.rendered[("organisation", "", "xlsx")])}
    assert {"Scores", "Groups", "Trend", "Recommendations", "Coverage", "Units"} <= set(sheets)
    scores = list(sheets["Scores"].iter_rows(min_row=3, values_only=True))
    for row, comparison in zip(scores, [report.total, *report.areas], strict=True):
        assert row[0] == comparison.label
        assert row[1] == (round(comparison.own, 1) if comparison.own is not None else "–")
        assert list(row[2:]) == [_cell(value) for _group, value in comparison.groups]
    recommendations = list(sheets["Recommendations"].iter_rows(min_row=3, values_only=True))
    assert [row[4] for row in recommendations] == [r.text for r in report.recommendations]
    assert [row[2] for row in recommendations] == [
        round(r.score, 1) for r in report.recommendations
    ]
    coverage = list(sheets["Coverage"].iter_rows(min_row=3, values_only=True))
    assert [tuple(row[1:]) for row in coverage] == [
        (c.total, c.covered, c.partly, c.not_covered) for c in report.coverage
    ]
    assert coverage and coverage[0][1] == 3
    units = list(sheets["Units"].iter_rows(min_row=3, values_only=True))
    assert sorted(row[0] for row in units) == sorted(UNITS)


def test_the_network_workbook_equals_the_release(made: Made) -> None:
    report = made.network_data
    book = workbook(made.rendered[("network", "", "xlsx")])
    group_rows = [
        row for sheet in book.worksheets[3:] for row in sheet.iter_rows(min_row=3, values_only=True)
    ]
    assert len(group_rows) == len(report.groups)
    for row, group in zip(group_rows, report.groups, strict=True):
        expected = [_cell(report.value(group, s)) for s, _label in report.statistics]
        assert list(row[2:]) == expected
        total = report.value(group, TOTAL)
        assert row[1] == (total.n if isinstance(total, Published) else str(MARKER))


@pytest.mark.parametrize("kind", ["organisation", "network", "department"])
def test_page_and_workbook_show_the_same_cells(made: Made, kind: str) -> None:
    which = UNITS[0] if kind == "department" else ""
    tables = html_tables(made.rendered[(kind, which, "html")])
    sheets = sheet_rows(made.rendered[(kind, which, "xlsx")])
    non_empty = [s for s in sheets if len(s) > 1]
    assert len(tables) == len(non_empty)
    for table, sheet in zip(tables, non_empty, strict=True):
        assert len(table) == len(sheet)
        for html_row, sheet_row in zip(table, sheet, strict=True):
            for shown, value in zip(html_row, sheet_row, strict=True):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    assert float(shown.replace(",", "")) == pytest.approx(value)
                else:
                    assert shown == str(value)


# --- hidden cells ----------------------------------------------------------------------------


def _hidden_means(release: Release) -> list[float]:
    """The exact means behind the release's hidden total and area cells (test-only knowledge)."""
    codes = dict(Organisation.objects.values_list("code", "pk"))
    means = []
    cells = ReleaseCell.objects.filter(release=release, hidden=True).select_related("group")
    for cell in cells:
        if cell.statistic != TOTAL and not cell.statistic.startswith("area:"):
            continue
        members = [codes[c] for c in cell.group.members if c in codes]
        scores = list(
            ReleaseScore.objects.filter(
                release=release, statistic=cell.statistic, organisation__in=members
            ).values_list("score", flat=True)
        )
        if scores:
            means.append(sum(scores) / len(scores))
    return means


def _shown_values(made: Made) -> set[str]:
    """Every number the reports may legitimately show: own scores and published cells."""
    shown = set()
    report = made.organisation_data
    for comparison in [report.total, *report.areas]:
        if comparison.own is not None:
            shown.add(f"{comparison.own:.1f}")
    for value in made.network_data.cells.values():
        if isinstance(value, Published):
            shown |= {f"{value.value:.1f}", f"{value.value:g}"}
    for recommendation in report.recommendations:
        shown |= {f"{recommendation.score:.1f}", f"{recommendation.priority:.1f}"}
    for department in made.department_data.values():
        for q in department.questions:
            shown |= {f"{v:.1f}" for v in (q.own, q.others) if v is not None}
        shown |= {f"{v:.1f}" for v in (department.own_mean, department.others_mean) if v}
        shown |= {f"{v:.1f}" for _year, v in department.trend if v is not None}
    return shown


def test_no_hidden_mean_appears_in_any_format(made: Made) -> None:
    with scopes_disabled():
        hidden = _hidden_means(made.release)
    assert hidden, "the small region's means must be hidden"
    allowed = _shown_values(made)
    candidates = set()
    for mean in hidden:
        for grid in (0.1, 0.5, 1.0, 2.0, 5.0):
            candidates.add(f"{round(mean / grid) * grid:.1f}")
    forbidden = candidates - allowed
    assert forbidden
    for (_kind, _which, fmt), rendered in made.rendered.items():
        if fmt == "pdf":
            found = numbers_in(pdf_text(rendered))
        elif fmt == "html":
            found = numbers_in(rendered.content.decode())
        else:
            found = {
                f"{value:.1f}"
                for sheet in sheet_rows(rendered)
                for row in sheet
                for value in row
                if isinstance(value, float)
            }
        assert not (found & forbidden), rendered.filename


def test_hidden_cells_show_the_marker_on_the_page(made: Made) -> None:
    report = made.organisation_data
    hidden_groups = [i for i, (_g, v) in enumerate(report.total.groups) if not v]
    assert hidden_groups, "the focus organisation's small region is hidden"
    scores = html_tables(made.rendered[("organisation", "", "html")])[0]
    total_row = scores[1]
    for index in hidden_groups:
        assert total_row[2 + index] == str(MARKER)


# --- languages and bad input -----------------------------------------------------------------


def test_the_language_is_the_reports_own(made: Made) -> None:
    danish = made.rendered[("organisation", "da", "html")]
    content = danish.content.decode()
    assert '<html lang="da">' in content
    with translation.override("da"):
        heading = translation.gettext("Your place in each group")
    assert heading != "Your place in each group"
    assert heading in content
    assert danish.filename.endswith("-da.html")
    english = made.rendered[("organisation", "", "html")].content.decode()
    assert "Your place in each group" in english


def test_the_body_for_a_page_draws_charts_in_the_browser(made: Made) -> None:
    with scopes_disabled(), organisation_scope(made.organisation.pk):
        body = render_body("network", made.release, "nb")
    assert 'lang="nb"' in body
    assert "data-vega-spec" in body and "vega-embed" in body
    assert "<html" not in body


@pytest.mark.parametrize(
    ("kind", "fmt", "language"),
    [("organisation", "docx", "en"), ("organisation", "pdf", "sv"), ("board", "pdf", "en")],
)
def test_unknown_kind_format_or_language_is_refused(kind: str, fmt: str, language: str) -> None:
    with pytest.raises(ValueError):
        render(kind, None, fmt, language)


def test_the_board_summary_says_the_change_since_last_year(made: Made) -> None:
    report = made.organisation_data
    assert report.total.own is not None
    earlier = data.TrendPoint(2025, report.total.own - 4.5, HIDDEN)
    with translation.override("en"):
        first = board_summary(replace(report, trend=[earlier, *report.trend]))[0]
        alone = board_summary(report)[0]
    assert "4.5 points higher than in 2025" in first
    assert "no total score from an earlier year" in alone


def test_the_zip_holds_each_units_pdf_as_made_alone(made: Made) -> None:
    """All departments at once (shared data, charts drawn in threads): one PDF per unit, with
    the unit's name and scores, and the same text as the unit's report made on its own."""
    with organisation_scope(made.organisation.pk):
        rendered = departments_zip(made.assessment, "pdf", "en")
    archive = zipfile.ZipFile(io.BytesIO(rendered.content))
    names = archive.namelist()
    assert len(names) == len(made.units) and all(name.endswith("-en.pdf") for name in names)
    for unit in made.units:
        alone = made.rendered[("department", unit.name, "pdf")]
        assert alone.filename in names
        text = pdf_text(Rendered(archive.read(alone.filename), alone.filename, "application/pdf"))
        assert text == pdf_text(alone)
        report = made.department_data[unit.name]
        assert unit.name in text and f"{report.own_mean:.1f}" in text
        for question in report.questions:
            assert question.own is not None and f"{question.own:.1f}" in text
        assert [year for year, _mean in report.trend] == [made.assessment.campaign.year]


def test_the_zip_reads_the_same_number_of_queries_for_more_units(made: Made) -> None:
    def queries(units: list[OrgUnit]) -> int:
        with organisation_scope(made.organisation.pk), CaptureQueriesContext(connection) as seen:
            departments_zip(made.assessment, "xlsx", "en", units=units)
        return len(seen)

    queries(made.units)  # the assessment's organisation and campaign are read once, then kept
    assert queries(made.units[:1]) == queries(made.units)
