"""Reports in the attack suite (../shared/disclosure.md): AT-09 repeats and AT-15 export parity.

Over the adversarial population of the benchmark attack suite (a one-member region, a region of
6 excellent organisations, a region of 11 answering "no", a region of 8 with one area at 0, a
late submitter and two opt-ins), every report is asked for through the real paths: the page,
the files rendered in the request (HTML, PDF, XLSX) and a job of the API built by the worker's
task function. Then:

- AT-15: every cell a report takes from the release (the network report's group, area and
  trend tables; an organisation report's group columns, counts and bands) equals the published
  cell of the stored release and of the benchmark API, in the page, the HTML file, the PDF's
  text and the workbook; a hidden cell shows the one marker there. Every decimal number in any
  format is a published value or the organisation's own. No hidden cell's true value (the mean
  of its members' internal scores) appears anywhere, unless it equals a number the report may
  show (counted and reported as a coincidence, never as a pass).
- AT-09: repeated requests in every format give the same values.

The canary crawl (AT-01) asks for every report too: benchmarking/tests/test_attacks.py.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from samvirke.baseline.models import Assessment
from samvirke.benchmarking.models import Release, ReleaseCell, ReleaseGroup, ReleaseScore
from samvirke.benchmarking.pages import MARKER
from samvirke.benchmarking.tests.conftest import (
    EXCELLENT,
    LATE_SUBMITTER,
    ONE_MEMBER,
    Bench,
    Viewer,
    adversarial_spec,
    analysed,
    build_bench,
    prepare_adversarial,
    quiet_request_log,
    raw_body,
    report,
    rolled_back,
    viewer,
)
from samvirke.core.scoping import organisation_scope
from samvirke.reports.tasks import build_report
from samvirke.reports.tests.conftest import flat
from samvirke.reports.tests.conftest import pdf_page_text as _pdf_page_text
from samvirke.tenancy.models import Organisation
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db

with translation.override("en"):
    HIDDEN_TEXT = str(MARKER)
#: The marker in flattened PDF text (it wraps inside narrow cells).
MARK = "¤"
YOU = "Your organisation"
EVERYONE = "All participants"
#: Columns that count things (organisations, questions, requirements) rather than score them.
COUNT_COLUMNS = {
    "Organisations",
    "Number",
    "Priority",
    "Requirements",
    "Covered",
    "Partly covered",
    "Not covered",
    "Questions",
    "Answered",
    "Answered (%)",
}
#: Columns of the organisation's own data (its scores and its recommendations' scores).
OWN_COLUMNS = {YOU, "Score", "Gap × weight"}
#: A PDF's page text, read once per file (reading is slower than rendering).
pdf_page_text = functools.lru_cache(maxsize=128)(_pdf_page_text)
_DECIMAL = re.compile(r"(?<![\d.])\d{1,3}\.\d+(?![\d.])")


# --- the fixture: the adversarial population and its reports, asked for like a user would ------


@dataclass
class Asked:
    """One report asked for through one path: its bytes and what was read from them."""

    path: str
    fmt: str
    body: bytes


@dataclass
class Made:
    bench: Bench
    #: Peers chosen for what makes them vulnerable, by a short name.
    peers: dict[str, Viewer]
    #: (report, label of the viewer) → every way it was asked for.
    asked: dict[tuple[str, str], list[Asked]] = field(default_factory=dict)


def _api_job(person: Viewer, body: dict[str, Any]) -> bytes:
    """A report asked for through the API, built by the worker's task, then downloaded."""
    response = person.api("POST", "/api/v1/reports", body=body)
    assert response.status_code == 202, response.content
    job = response.json()["id"]
    assert build_report.call(job, person.organisation.pk) == "done"
    download = person.api("GET", f"/api/v1/reports/{job}/download")
    assert download.status_code == 200
    return raw_body(download)


def ask(
    person: Viewer, kind: str, args: list[int], refs: dict[str, int], pdf_job: bool = True
) -> list[Asked]:
    """The report as a page, as each file rendered in the request, and as each API job (the
    PDF job only with `pdf_job`: the PDF is the slowest to render and to read)."""
    language = {"language": "en"}
    page = person.get(reverse(f"reports:{kind}", args=args), language)
    assert page.status_code == 200, page.content[:500]
    found = [Asked("page", "html", raw_body(page))]
    for fmt in ("html", "pdf", "xlsx"):
        response = person.get(reverse(f"reports:{kind}_file", args=[*args, fmt]), language)
        assert response.status_code == 200, (fmt, response.content[:500])
        found.append(Asked("file", fmt, raw_body(response)))
    for fmt in ("html", "pdf", "xlsx") if pdf_job else ("html", "xlsx"):
        body = {"kind": kind, **refs, "format": fmt, "language": "en"}
        found.append(Asked("API job", fmt, _api_job(person, body)))
    return found


def assessment_of(bench: Bench, organisation: Organisation) -> Assessment:
    with organisation_scope(organisation.pk):
        return Assessment.objects.get(organisation=organisation, campaign=bench.pop.campaign)


@pytest.fixture(scope="module")
def made(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Made]:
    media = tmp_path_factory.mktemp("disclosure-media")
    # English pages, as in every test (src/conftest.py), though a module fixture runs first.
    english = override_settings(MEDIA_ROOT=media, LANGUAGE_CODE="en")
    with rolled_back(django_db_blocker), english:
        bench = analysed(build_bench("rep", adversarial_spec(), prepare_adversarial))
        peers = {
            "one-member region": viewer("one", bench.org(ONE_MEMBER[0]), Role.SECURITY_COORDINATOR),
            "excellent region": viewer("top", bench.org(EXCELLENT[0]), Role.SECURITY_COORDINATOR),
            "late submitter": viewer("late", bench.org(LATE_SUBMITTER), Role.SECURITY_COORDINATOR),
            "large region": bench.peers[0],
        }
        result = Made(bench, peers)
        with quiet_request_log():
            release = bench.release.pk
            result.asked[("network", "coordinator")] = ask(
                bench.coordinator, "network", [release], {"release": release}
            )
            for name, person in peers.items():
                assessment = assessment_of(bench, person.organisation).pk
                result.asked[("organisation", name)] = ask(
                    person,
                    "organisation",
                    [assessment],
                    {"assessment": assessment},
                    pdf_job=name == "one-member region",
                )
        yield result


# --- what the release says: the expectation, from the stored tables ----------------------------


@dataclass(frozen=True)
class Expect:
    """What one report cell must show: a published number on its precision, or the marker."""

    value: float | None
    decimals: int = 1
    #: For a hidden mean: its true value (test-only knowledge), never to be shown.
    truth: float | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        return HIDDEN_TEXT if self.value is None else f"{self.value:.{self.decimals}f}"


@dataclass
class Truth:
    """The release as stored: its groups, its cells as expectations, the true hidden means."""

    release: Release
    groups: dict[str, ReleaseGroup]  # by English label
    cells: dict[tuple[int, str], Expect]
    counts: dict[int, Expect]  # group → the count its total shows
    statistics: dict[str, str]  # row or column label → statistic
    years: dict[int, Release]
    own: dict[str, float]  # the viewer's own exact scores, when it was counted
    code: str = ""  # the viewer organisation's code ("" for the network report)

    @property
    def published(self) -> set[str]:
        """Every published value, as one decimal."""
        return {f"{e.value:.1f}" for e in self.cells.values() if e.value is not None}

    @property
    def forbidden(self) -> set[str]:
        """How a hidden mean's true value would be written: exact and on each grid."""
        forms = set()
        for expect in self.cells.values():
            if expect.truth is not None:
                for grid in (0.1, 0.5, 1.0, 2.0, 5.0):
                    forms.add(f"{round(expect.truth / grid) * grid:.1f}")
        return forms

    def everyone(self, release: Release) -> ReleaseGroup:
        return ReleaseGroup.objects.get(release=release, partition="everyone")


def truth_of(bench: Bench, organisation: Organisation | None = None) -> Truth:
    """The expectations for a report of the bench's release, read from the stored release."""
    release = bench.release
    codes = dict(Organisation.objects.values_list("code", "pk"))
    scores: dict[tuple[int, str], float] = {
        (org, statistic): score
        for org, statistic, score in ReleaseScore.objects.filter(release=release).values_list(
            "organisation_id", "statistic", "score"
        )
    }
    groups = {
        str(g.label.get("en") or g.key): g for g in ReleaseGroup.objects.filter(release=release)
    }
    assert len(groups) == ReleaseGroup.objects.filter(release=release).count(), "labels repeat"
    cells: dict[tuple[int, str], Expect] = {}
    counts: dict[int, Expect] = {}
    for cell in ReleaseCell.objects.filter(release=release).select_related("group"):
        if cell.statistic != "total" and not cell.statistic.startswith("area:"):
            continue
        if cell.hidden:
            members = [codes[c] for c in cell.group.members if c in codes]
            values = [scores[(m, cell.statistic)] for m in members if (m, cell.statistic) in scores]
            truth = sum(values) / len(values) if values else None
            cells[(cell.group_id, cell.statistic)] = Expect(None, truth=truth)
        else:
            assert cell.value is not None and cell.grid is not None
            decimals = 1 if cell.grid < 1 else 0
            cells[(cell.group_id, cell.statistic)] = Expect(cell.value, decimals)
        if cell.statistic == "total":
            counts[cell.group_id] = Expect(None if cell.hidden else float(cell.n or 0), 0)
    statistics = {"Total": "total"}
    for area in bench.pop.areas:
        statistics[f"{area.key} {area.title['en']}"] = f"area:{area.pk}"
        statistics[area.key] = f"area:{area.pk}"
    years = {
        r.campaign.year: r
        for r in Release.objects.filter(network=release.network, state="published")
        if r.campaign.year <= release.campaign.year
    }
    own = {}
    if organisation is not None:
        own = {s: v for (org, s), v in scores.items() if org == organisation.pk}
    code = organisation.code if organisation is not None else ""
    return Truth(release, groups, cells, counts, statistics, years, own, code)


def api_agrees(bench: Bench, truth: Truth, person: Viewer) -> int:
    """The benchmark API serves the same cells as the stored release; how many compared."""
    base = f"/api/v1/benchmarks/releases/{truth.release.pk}"
    served = {
        (c["group"], c["statistic"]): c
        for c in person.api("GET", base + "/cells").json()
        if c["statistic"] == "total" or c["statistic"].startswith("area:")
    }
    assert set(served) == set(truth.cells)
    for key, expect in truth.cells.items():
        cell = served[key]
        if expect.hidden:
            assert cell == {"statistic": key[1], "group": key[0], "hidden": True}
        else:
            assert cell["value"] == expect.value, key
    return len(served)


# --- reading each format as tables ---------------------------------------------------------------


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[Any]]


class _Html(HTMLParser):
    """Tables (caption, header, rows of cell texts), visible text and chart specifications."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[Table] = []
        self.text: list[str] = []
        self.specs: list[Any] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._head = False
        self._skip: str | None = None
        self._spec: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "data-vega-spec" in names:
            self._spec = []
        elif tag in ("script", "style"):
            self._skip = tag
        elif tag == "table":
            self.tables.append(Table("", [], []))
        elif tag == "caption":
            self._caption = []
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and not self._head:
            self.tables[-1].rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._spec is not None:
            self.specs.append(json.loads("".join(self._spec)))
            self._spec = None
        elif tag == self._skip:
            self._skip = None
        elif tag == "caption" and self._caption is not None:
            self.tables[-1].caption = flat("".join(self._caption))
            self._caption = None
        elif tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = flat("".join(self._cell))
            table = self.tables[-1]
            (table.header if self._head else table.rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._spec is not None:
            self._spec.append(data)
            return
        if self._skip:
            return
        self.text.append(data)
        for part in (self._cell, self._caption):
            if part is not None:
                part.append(data)


def read_html(body: bytes) -> _Html:
    parser = _Html()
    parser.feed(body.decode())
    return parser


def read_xlsx(body: bytes) -> list[Table]:
    book = load_workbook(io.BytesIO(body), read_only=True)
    tables = []
    for sheet in book.worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        header = [str(v) for v in rows[1] if v is not None]
        tables.append(Table(str(rows[0][0]), header, [r[: len(header)] for r in rows[2:]]))
    return tables


def pdf_flat(body: bytes) -> str:
    return pdf_page_text(body).replace(HIDDEN_TEXT, MARK)


# --- AT-15: each cell where the release puts it ----------------------------------------------


def expected_cell(truth: Truth, table: Table, row_key: str, column: str) -> Expect | None:
    """What the release says a cell of a report table must show (None: not the release's)."""
    first = table.header[0]
    if first == "Area" and row_key in truth.statistics:
        statistic = truth.statistics[row_key]
        if column in truth.groups:
            group = truth.groups[column]
            return truth.cells[(group.pk, statistic)]
        if column == YOU and statistic in truth.own:
            return Expect(round(truth.own[statistic], 1))
    elif first == "Year" and row_key.isdigit():
        release = truth.years.get(int(row_key))
        if column == EVERYONE and release is not None:
            everyone = truth.everyone(release)
            if release == truth.release:
                return truth.cells[(everyone.pk, "total")]
            cell = ReleaseCell.objects.get(group=everyone, statistic="total")
            decimals = 1 if (cell.grid or 0) < 1 else 0
            return Expect(None if cell.hidden else cell.value, decimals)
        if column == YOU and release == truth.release and "total" in truth.own:
            return Expect(round(truth.own["total"], 1))
    elif first == "Group" and row_key in truth.groups:
        group = truth.groups[row_key]
        if column == "Organisations":
            return truth.counts[group.pk]
        if column in truth.statistics:
            return truth.cells[(group.pk, truth.statistics[column])]
        if column == "Your quartile band" and truth.counts[group.pk].hidden:
            return Expect(None)  # no band in a group whose mean is hidden
    return None


@dataclass
class Tally:
    """What the parity check compared."""

    cells: int = 0
    hidden: int = 0
    pdf_rows: int = 0
    differences: list[str] = field(default_factory=list)


def compare_tables(where: str, truth: Truth, tables: list[Table], tally: Tally) -> list[Table]:
    """Every release cell of the tables where it belongs; the tables that held any."""
    checked = []
    for table in tables:
        held = False
        for row in table.rows:
            key = str(row[0])
            for column, shown in zip(table.header[1:], row[1:], strict=False):
                expect = expected_cell(truth, table, key, column)
                if expect is None:
                    continue
                held = True
                tally.cells += 1
                tally.hidden += expect.hidden
                if isinstance(shown, int | float):
                    ok = expect.value is not None and abs(shown - expect.value) < 1e-9
                else:
                    ok = str(shown) == expect.text
                if not ok:
                    tally.differences.append(
                        f"{where} «{table.caption}» {key} / {column}: shows {shown!r}, the "
                        f"release says {expect.text!r}"
                        + (f" (true hidden value {expect.truth:.2f})" if expect.truth else "")
                    )
        if held:
            checked.append(table)
    return checked


def compare_pdf(where: str, text: str, tables: list[Table], tally: Tally) -> None:
    """Every row of the checked HTML tables is a row of the PDF, marker for marker."""
    for table in tables:
        for row in table.rows:
            line = flat(" ".join(str(c) for c in row)).replace(HIDDEN_TEXT, MARK)
            tally.pdf_rows += 1
            if line not in text:
                tally.differences.append(f"{where} «{table.caption}»: no row {line!r}")


def numbers_shown(asked: Asked) -> tuple[set[str], set[str]]:
    """(every decimal number shown anywhere, those in the organisation's own columns)."""
    if asked.fmt == "pdf":
        return set(_DECIMAL.findall(pdf_page_text(asked.body))), set()
    if asked.fmt == "html":
        html = read_html(asked.body)
        found = set(_DECIMAL.findall(" ".join(html.text)))
        values = [p["value"] for spec in html.specs for p in _points(spec)]
        found |= {f"{v:.1f}" for v in values if isinstance(v, int | float)}
        own = {
            str(row[i + 1])
            for table in html.tables
            for row in table.rows
            for i, column in enumerate(table.header[1:])
            if column in OWN_COLUMNS and i + 1 < len(row)
        }
        return found, own
    found, own = set(), set()
    for table in read_xlsx(asked.body):
        for row in table.rows:
            for column, value in zip(table.header, row, strict=False):
                if isinstance(value, int | float) and column not in COUNT_COLUMNS:
                    (own if column in OWN_COLUMNS else found).add(f"{value:.1f}")
    return found, own


def _points(spec: Any) -> Iterator[dict[str, Any]]:
    if isinstance(spec, dict):
        if "value" in spec and "series" in spec:
            yield spec
        for value in spec.values():
            yield from _points(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _points(value)


def check_report(name: str, truth: Truth, asked: list[Asked], tally: Tally) -> dict[str, int]:
    """AT-15 for one report asked for every way; counts of hidden values searched."""
    html_tables: list[Table] = []
    own_numbers: set[str] = set()
    for one in asked:
        where = f"{name} ({one.path}, {one.fmt})"
        if one.fmt == "html":
            tables = compare_tables(where, truth, read_html(one.body).tables, tally)
            html_tables = html_tables or tables
        elif one.fmt == "xlsx":
            compare_tables(where, truth, read_xlsx(one.body), tally)
        own_numbers |= numbers_shown(one)[1]
    assert html_tables, f"{name}: no table of the release found"
    for one in asked:
        if one.fmt == "pdf":
            compare_pdf(f"{name} ({one.path}, pdf)", pdf_flat(one.body), html_tables, tally)
    allowed = truth.published | own_numbers
    forbidden = truth.forbidden - allowed
    for one in asked:
        found, _own = numbers_shown(one)
        for number in sorted(found - allowed):
            tally.differences.append(f"{name} ({one.path}, {one.fmt}): {number} is not published")
        for number in sorted(found & forbidden):
            tally.differences.append(
                f"{name} ({one.path}, {one.fmt}): {number} is the true value of a hidden cell"
            )
    return {"searched": len(forbidden), "coincide": len(truth.forbidden & allowed)}


def test_at15_reports_show_only_published_cells(
    made: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = made.bench
    tally = Tally()
    network = truth_of(bench)
    assert any(e.truth is not None for e in network.cells.values()), "no hidden mean to attack"
    compared = api_agrees(bench, network, bench.peers[0])
    searched = check_report(
        "network report", network, made.asked[("network", "coordinator")], tally
    )
    for name, person in made.peers.items():
        own = truth_of(bench, person.organisation)
        counts = check_report(
            f"organisation report of the {name}", own, made.asked[("organisation", name)], tally
        )
        searched["searched"] += counts["searched"]
        searched["coincide"] += counts["coincide"]
    # The vulnerable groups are hidden, so the marker stands where their means would.
    for index in (ONE_MEMBER[0], EXCELLENT[0]):
        code = bench.org(index).code
        region = next(
            g for g in network.groups.values() if g.partition == "region" and code in g.members
        )
        assert network.cells[(region.pk, "total")].hidden, region.label
    formats = sum(len(a) for a in made.asked.values())
    line = report(
        capsys,
        f"AT-15 reports: {formats} report responses (page, HTML, PDF and XLSX, in the request and "
        f"as API jobs) of 1 network and {len(made.peers)} organisation reports; {tally.cells} "
        f"cells compared with the release and {compared} with the benchmark API "
        f"({tally.hidden} hidden, each the marker), {tally.pdf_rows} PDF rows; "
        f"{searched['searched']} hidden true values searched in every number "
        f"({searched['coincide']} coincide with a shown number); "
        f"{len(tally.differences)} differences",
    )
    assert not tally.differences, line + "\n" + "\n".join(tally.differences[:30])


def test_a_late_submitter_reads_everyones_published_mean(made: Made) -> None:
    """An organisation not counted in the release is in no group, yet its report shows the
    mean of all participants, as published (not the marker), in every format's table."""
    late = made.peers["late submitter"].organisation
    truth = truth_of(made.bench, late)
    everyone = truth.everyone(truth.release)
    assert late.code not in everyone.members
    expect = truth.cells[(everyone.pk, "total")]
    assert not expect.hidden
    asked = made.asked[("organisation", "late submitter")]
    pages = [one for one in asked if one.fmt == "html"]
    assert pages
    for one in pages:
        scores = next(t for t in read_html(one.body).tables if t.header[0] == "Area")
        assert scores.header[2:] == [EVERYONE], scores.header
        total = next(row for row in scores.rows if str(row[0]) == "Total")
        assert str(total[2]) == expect.text, (one.path, total)


def test_at15_the_check_finds_a_planted_hidden_value(made: Made) -> None:
    """The detector works: a hidden cell's true value put where the marker stands, in the
    workbook's table and in the PDF's text, is found."""
    truth = truth_of(made.bench)
    asked = made.asked[("network", "coordinator")]
    workbook = next(a for a in asked if a.fmt == "xlsx")
    pdf = next(a for a in asked if a.fmt == "pdf")
    tables = read_xlsx(workbook.body)
    html_tables = compare_tables("html", truth, read_html(asked[0].body).tables, Tally())
    planted = 0
    for table in tables:
        for row in table.rows:
            for index, column in enumerate(table.header[1:], start=1):
                expect = expected_cell(truth, table, str(row[0]), column)
                if expect is not None and expect.truth is not None:
                    row[index] = round(expect.truth, 1)
                    planted += 1
    tally = Tally()
    compare_tables("planted", truth, tables, tally)
    assert planted > 0 and len(tally.differences) == planted
    text = pdf_flat(pdf.body)
    row = next(r for t in html_tables for r in t.rows if HIDDEN_TEXT in r)
    line = flat(" ".join(row)).replace(HIDDEN_TEXT, MARK)
    assert line in text
    leaked = next(e.truth for e in truth.cells.values() if e.truth is not None)
    tally = Tally()
    planted_text = text.replace(line, line.replace(MARK, f"{leaked:.1f}", 1))
    compare_pdf("planted", planted_text, html_tables, tally)
    assert len(tally.differences) == 1


# --- AT-09: repeats ------------------------------------------------------------------------------

#: How often each way of asking for the network report is repeated (PDFs are slow to render).
REPEATS = {
    ("page", "html"): 10,
    ("file", "html"): 10,
    ("file", "xlsx"): 20,
    ("file", "pdf"): 3,
    ("API job", "xlsx"): 3,
    ("API job", "pdf"): 2,
}
_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")


def values_of(fmt: str, body: bytes) -> Any:
    """What a report shows, without what changes by design (CSRF tokens, today's date, a
    file's creation time): a page's text and tables and charts, a PDF's text, a workbook's."""
    if fmt == "pdf":
        return _DATE.sub("DATE", pdf_page_text(body))
    if fmt == "xlsx":
        return [(t.caption, t.header, t.rows) for t in read_xlsx(body)]
    html = read_html(body)
    text = _DATE.sub("DATE", flat(" ".join(html.text)))
    return text, [(t.caption, t.header, t.rows) for t in html.tables], html.specs


def test_at09_repeated_reports_show_the_same_values(
    made: Made, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = made.bench
    release = bench.release.pk
    coordinator = bench.coordinator
    first = {
        (a.path, a.fmt): values_of(a.fmt, a.body) for a in made.asked[("network", "coordinator")]
    }
    differing = []
    with quiet_request_log():
        for (path, fmt), times in REPEATS.items():
            for repeat in range(times):
                if path == "API job":
                    body = {"kind": "network", "release": release, "format": fmt, "language": "en"}
                    raw = _api_job(coordinator, body)
                else:
                    name = "reports:network" if path == "page" else "reports:network_file"
                    args: list[Any] = [release] if path == "page" else [release, fmt]
                    response = coordinator.get(reverse(name, args=args), {"language": "en"})
                    assert response.status_code == 200
                    raw = raw_body(response)
                if values_of(fmt, raw) != first[(path, fmt)]:
                    differing.append(f"network report {path} {fmt}: repeat {repeat}")
    # The same numbers whichever way: the page's and the files' tables are the same rows.
    page_tables = first[("page", "html")][1]
    if page_tables != first[("file", "html")][1] or page_tables != first[("API job", "html")][1]:
        differing.append("network report: the page's tables differ from the HTML file's")
    line = report(
        capsys,
        f"AT-09 reports: {sum(REPEATS.values())} repeats of the network report (page, HTML, XLSX "
        f"and PDF in the request, XLSX and PDF as API jobs), {len(differing)} differing",
    )
    assert not differing, line + "\n" + "\n".join(differing[:20])
