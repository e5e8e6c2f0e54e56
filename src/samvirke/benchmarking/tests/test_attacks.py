"""The attack suite through the front door: pages, exports and the API (AT-01, 02, 08, 09, 12, 15).

Everything here walks whatever pages and API operations exist when it runs, as the network's
coordinator and as peer organisations, over the dk_like and no_like populations. The crawl also
asks for every report (reports app) in every format, through the pages (rendered in the request)
and through the API (a job built by the worker's task function), and reads the PDFs' text and
the workbooks' cells. AT-09 and AT-15 for the reports' numbers: reports/tests/test_disclosure.py.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django_scopes import ScopeError
from openpyxl import load_workbook

from samvirke.baseline.models import Assessment, Campaign, Delegation
from samvirke.baseline.services import answer_save, campaign_create, campaign_open
from samvirke.benchmarking.models import Release, ReleaseCell, ReleaseGroup
from samvirke.benchmarking.service import HIDDEN, cell, release_cells, response_count
from samvirke.benchmarking.tests.conftest import (
    Bench,
    Seen,
    Viewer,
    benchmark_responses,
    canaries_in,
    crawl,
    csv_rows,
    foreign_forms,
    normalised,
    number_forms,
    quiet_request_log,
    raw_body,
    report,
    viewer,
)
from samvirke.core.models import OrganisationOwnedModel
from samvirke.core.scoping import organisation_scope
from samvirke.reports.tasks import build_report
from samvirke.reports.tests.conftest import report_text
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def dk_crawl(
    dk_like: Bench, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Seen]]:
    """The crawl of dk_like with its reports, once per module; whatever its writes changed
    (units, report jobs and their files) is rolled back or left in a temporary directory."""
    media = tmp_path_factory.mktemp("dk-media")
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(MEDIA_ROOT=media):
        units = add_units(dk_like)
        found = crawl(dk_like) + crawl_reports(dk_like, units)
        transaction.set_rollback(True)
    yield found


@pytest.fixture(scope="module")
def no_crawl(
    no_like: Bench, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Seen]]:
    """The crawl of no_like (a one-member region: hidden groups) with its reports, once."""
    media = tmp_path_factory.mktemp("no-media")
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(MEDIA_ROOT=media):
        units = add_units(no_like)
        found = crawl(no_like) + crawl_reports(no_like, units)
        transaction.set_rollback(True)
    yield found


# --- the reports in the crawl -------------------------------------------------------------------

#: Every report format. Each report is rendered in the request in every format; through the API
#: (a background job) in every format too, but as PDF (the slowest to render and to read) only
#: for the network report and the zip of every department.
REPORT_FORMATS = ("pdf", "xlsx", "html")
PDF_JOBS = ("network", "departments")
#: The `where` of every report response starts with this.
REPORT = "REPORT"
REPORTS_API = "/api/v1/reports"


def add_units(bench: Bench) -> dict[int, OrgUnit]:
    """A unit named with a new canary, with the first area delegated to it, in every peer's
    organisation and in the two whose objects the crawl tries as another organisation's."""
    chosen = {bench.org(0).pk: bench.org(0), bench.org(1).pk: bench.org(1)}
    chosen.update({p.organisation.pk: p.organisation for p in bench.peers})
    units = {}
    for organisation in chosen.values():
        token = f"zqunit{uuid.uuid4().hex[:10]}"
        with organisation_scope(organisation.pk):
            unit = OrgUnit.objects.create(organisation=organisation, name=f"Unit {token}")
            assessment = Assessment.objects.get(
                organisation=organisation, campaign=bench.pop.campaign
            )
            Delegation.objects.create(
                organisation=organisation,
                assessment=assessment,
                node=bench.pop.areas[0],
                org_unit=unit,
            )
        if token not in bench.canaries[organisation.pk]:
            bench.canaries[organisation.pk].append(token)
        units[organisation.pk] = unit
    return units


#: The text of each report file read so far: a job's file is downloaded several times.
_TEXTS: dict[bytes, str] = {}


def report_seen(person: Viewer, where: str, response: Any) -> Seen:
    """A report response: a PDF as its text, a workbook or zip as the text of its files."""
    raw = raw_body(response)
    if raw not in _TEXTS:
        _TEXTS[raw] = report_text(raw)
    return Seen(
        person.label,
        f"{REPORT} {where}",
        response.status_code,
        response.get("Content-Type", ""),
        raw,
        _TEXTS[raw],
    )


@dataclass(frozen=True)
class Subject:
    """One report a viewer asks for: its kind, its page's URL arguments, its API references."""

    kind: str
    args: tuple[int, ...]
    references: dict[str, int]


def report_subjects(bench: Bench, person: Viewer, units: dict[int, OrgUnit]) -> list[Subject]:
    """Every report of the network's releases, the viewer's own organisation and unit, another
    organisation's, and the viewer's assessment with another organisation's unit."""
    campaign = bench.pop.campaign
    other = bench.org(0) if bench.org(0) != person.organisation else bench.org(1)
    subjects = [
        Subject("network", (r.pk,), {"release": r.pk})
        for r in Release.objects.filter(network=bench.pop.network).order_by("pk")
    ]
    assessments: list[int] = []
    for organisation in (person.organisation, other):
        with organisation_scope(organisation.pk):
            found = Assessment.objects.filter(organisation=organisation, campaign=campaign)
            assessments += [a.pk for a in found]
    for assessment in assessments:
        subjects.append(Subject("organisation", (assessment,), {"assessment": assessment}))
        subjects.append(Subject("departments", (), {"assessment": assessment}))
        for unit in (units.get(person.organisation.pk), units.get(other.pk)):
            if unit is not None:
                refs = {"assessment": assessment, "org_unit": unit.pk}
                subjects.append(Subject("department", (assessment, unit.pk), refs))
    return subjects


def report_pages(person: Viewer, subject: Subject) -> list[Seen]:
    """The report as a page and as a file in every format, rendered in the request."""
    if subject.kind == "departments":  # a zip of every department: only as a background job
        return []
    language = {"language": "en"}
    found = []
    page = reverse(f"reports:{subject.kind}", args=subject.args)
    found.append(report_seen(person, f"GET {page}", person.get(page, language)))
    for fmt in REPORT_FORMATS:
        path = reverse(f"reports:{subject.kind}_file", args=[*subject.args, fmt])
        found.append(report_seen(person, f"GET {path}", person.get(path, language)))
    return found


def report_jobs(person: Viewer, subject: Subject) -> tuple[list[Seen], list[int]]:
    """The report asked for through the API in every format; each accepted job built by the
    worker's task function, then polled and downloaded through the API and the job page."""
    found, jobs = [], []
    for fmt in REPORT_FORMATS:
        if fmt == "pdf" and subject.kind not in PDF_JOBS:
            continue
        body = {"kind": subject.kind, **subject.references, "format": fmt, "language": "en"}
        response = person.api("POST", REPORTS_API, body=body)
        found.append(report_seen(person, f"API POST {REPORTS_API} {body}", response))
        if response.status_code != 202:
            continue
        job = response.json()["id"]
        jobs.append(job)
        assert build_report.call(job, person.organisation.pk) == "done", body
        found += job_responses(person, job)
    return found, jobs


def job_responses(person: Viewer, job: int) -> list[Seen]:
    """A report job's state and file through the API and the pages."""
    found = []
    for path in (f"{REPORTS_API}/{job}", f"{REPORTS_API}/{job}/download"):
        found.append(report_seen(person, f"API GET {path}", person.api("GET", path)))
    for path in (reverse("reports:job", args=[job]), reverse("reports:job_download", args=[job])):
        found.append(report_seen(person, f"GET {path}", person.get(path)))
    return found


def crawl_reports(bench: Bench, units: dict[int, OrgUnit]) -> list[Seen]:
    """Every report in every format as the coordinator and as each peer, through the pages and
    the API; then every viewer asks for every job of the others (404, nothing else)."""
    found: list[Seen] = []
    jobs: dict[str, list[int]] = {}
    with quiet_request_log():
        for person in bench.viewers:
            jobs[person.label] = []
            for subject in report_subjects(bench, person, units):
                found += report_pages(person, subject)
                seen_jobs, made = report_jobs(person, subject)
                found += seen_jobs
                jobs[person.label] += made
        for person in bench.viewers:
            for owner, made in jobs.items():
                if owner != person.label:
                    for job in made:
                        found += job_responses(person, job)
    _TEXTS.clear()
    return found


# --- AT-01: canaries ----------------------------------------------------------------------------


def canary_findings(bench: Bench, responses: list[Seen]) -> tuple[list[str], list[str]]:
    """Responses with another organisation's canary, and server errors."""
    leaks, errors = [], []
    for person in bench.viewers:
        forms = foreign_forms(bench, person.organisation)
        for page in (r for r in responses if r.viewer == person.label):
            hits = canaries_in(page, bench, person.organisation, forms)
            if hits:
                leaks.append(f"{page.viewer} {page.where} [{page.status}]: {hits[:5]}")
            if page.status >= 500:
                errors.append(f"{page.viewer} {page.where}: {page.status}")
    return leaks, errors


def report_figures(responses: list[Seen]) -> str:
    """How many report responses the crawl checked, and how many files of each format."""
    reports = [r for r in responses if r.where.startswith(REPORT)]
    files = [r for r in reports if r.status == 200]
    kinds = {
        "PDF": sum(r.body.startswith(b"%PDF") for r in files),
        "XLSX": sum("spreadsheetml" in r.content_type for r in files),
        "HTML": sum("text/html" in r.content_type for r in files),
        "zip": sum("application/zip" in r.content_type for r in files),
    }
    listed = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    return f"{len(reports)} of them report requests ({listed} with status 200)"


def check_report_detector(bench: Bench, responses: list[Seen]) -> None:
    """The scan reads report files: a peer's own unit (a canary) is in its own PDF reports and
    workbooks, and the coordinator's network PDF holds everyone's published mean."""
    for peer in bench.peers:
        own_unit = bench.canaries[peer.organisation.pk][-1]
        for kind in ("/file/pdf/", "/file/xlsx/"):
            files = [
                r
                for r in responses
                if r.viewer == peer.label and r.status == 200 and kind in r.where
            ]
            assert files, f"{peer.label}: no {kind} report answered 200"
            assert any(own_unit in r.text for r in files), f"{peer.label}: {kind} unread"
    everyone = ReleaseCell.objects.get(
        release=bench.release, group__partition="everyone", statistic="total"
    )
    assert not everyone.hidden and everyone.value is not None
    mean = f"{everyone.value:.1f}" if (everyone.grid or 0) < 1 else f"{everyone.value:.0f}"
    network_pdfs = [
        r
        for r in responses
        if r.viewer == bench.coordinator.label and r.body.startswith(b"%PDF") and r.status == 200
    ]
    assert len(network_pdfs) >= 2, "the network PDF was not read (page and job)"
    assert all(f"all participants is {mean}" in r.text for r in network_pdfs)


def check_crawl(
    name: str, bench: Bench, responses: list[Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    leaks, errors = canary_findings(bench, responses)
    line = report(
        capsys,
        f"AT-01 {name}: {len(responses)} responses checked, {len(leaks)} canaries "
        f"({sum(1 for r in responses if r.status == 200)} with status 200); "
        f"{report_figures(responses)}",
    )
    assert not leaks, line + "\n" + "\n".join(leaks[:30])
    assert not errors, "server errors:\n" + "\n".join(errors[:30])
    # The detector works: a peer sees its own comments on its own answer pages.
    for peer in bench.peers:
        own = bench.canaries[peer.organisation.pk][0]
        assert any(own in r.text for r in responses if r.viewer == peer.label), peer.label
    benchmark_ok = [r for r in responses if "benchmark" in r.where and r.status == 200]
    assert benchmark_ok, "no benchmark page or API answered 200: nothing was attacked"
    check_report_detector(bench, responses)


def test_at01_canary_crawl_dk_like(
    dk_like: Bench, dk_crawl: list[Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    check_crawl("dk_like", dk_like, dk_crawl, capsys)


def test_at01_canary_crawl_no_like(
    no_like: Bench, no_crawl: list[Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    check_crawl("no_like", no_like, no_crawl, capsys)


# --- AT-02: isolation ---------------------------------------------------------------------------


def test_at01_number_forms_read_scores_not_clock_times_or_dates() -> None:
    """The scan reads a score in JSON, a table, a CSV row and Danish decimals, but not the
    seconds of a timestamp or a date: those once made a release created at second 51.111 a
    "canary"."""
    text = (
        '{"created": "2026-11-27T12:34:51.111234Z", "value": 63.25, "n": 12}'
        " <td>47,5</td> 27.11.2026 kl. 12:34 2026-11-27 12:34:08.125+00:00"
    )
    assert number_forms(text) == {"63.25", "47.5"}
    # After a comma: a CSV row and a compact JSON array.
    assert number_forms("Total,Everyone,71.25,12\r\n") == {"71.25"}
    assert number_forms('{"values":[12.5,63.333333]}') == {"12.5", "63.333"}


def test_at02_architecture_lint_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_architecture.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_at02_raw_managers_outside_a_scope_raise(dk_like: Bench) -> None:
    owned = [m for m in apps.get_models() if issubclass(m, OrganisationOwnedModel)]
    assert any(m.__name__ == "Answer" for m in owned)
    for model in owned:
        with pytest.raises(ScopeError):
            list(model.objects.all()[:1])
    one, other = dk_like.org(1), dk_like.org(2)
    with organisation_scope(one.pk):
        from samvirke.baseline.models import Answer

        assert not Answer.objects.filter(organisation=other).exists()
        assert Answer.objects.filter(organisation=one).exists()


# --- AT-08: self-probing while a campaign collects ----------------------------------------------


def open_next_campaign(bench: Bench) -> Campaign:
    """The network's next campaign, opened: every member gets an assessment."""
    campaign = campaign_create(
        actor=bench.coordinator.user,
        network=bench.pop.network,
        framework_version=bench.pop.version,
        title="Baseline 2027",
        year=2027,
        opens_on=datetime.date(2027, 1, 1),
        deadline=datetime.date(2099, 3, 1),
    )
    campaign_open(actor=bench.coordinator.user, campaign=campaign)
    return campaign


def test_at08_self_probing_changes_nothing_others_see(
    dk_like: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = open_next_campaign(dk_like)
    prober_org = dk_like.org(5)
    prober = viewer("prober", prober_org, Role.SECURITY_COORDINATOR)
    with organisation_scope(prober_org.pk):
        assessment = Assessment.objects.get(organisation=prober_org, campaign=campaign)
    watchers = dk_like.viewers
    questions = dk_like.pop.questions
    versions: dict[int, int] = {}

    def change(number: int) -> None:
        question = questions[number % len(questions)]
        with organisation_scope(prober_org.pk):
            saved = answer_save(
                actor=prober.user,
                assessment=assessment,
                question=question,
                org_unit=None,
                data={"value": (number * 7) % 6, "comment": f"probe {number}"},
                base_version=versions.get(question.pk, 0),
            )
        versions[question.pk] = saved.version

    # The first save moves the assessment from "not started" to "in progress", which the
    # coordinator's participation table shows; from then on nothing may move.
    change(0)
    before = {w.label: benchmark_responses(dk_like, w) for w in watchers}
    count = response_count(campaign)
    assert all(before.values()), "no benchmark page or API operation to watch"
    differing: list[str] = []
    with quiet_request_log():
        for number in range(1, 51):
            change(number)
            # Every change: the peer's API reads; twice: every page and read of everyone.
            full = number in {25, 50}
            for watcher in watchers if full else watchers[1:2]:
                after = benchmark_responses(dk_like, watcher, pages=full)
                differing += [
                    f"after change {number}: {watcher.label} {where}"
                    for where, body in after.items()
                    if body != before[watcher.label].get(where)
                ]
    assert response_count(campaign) == count
    line = report(
        capsys,
        f"AT-08: 50 answer changes, {sum(len(b) for b in before.values())} benchmark "
        f"responses watched, {len(differing)} differing",
    )
    assert not differing, line + "\n" + "\n".join(differing[:20])


# --- AT-09: repeats and formats ----------------------------------------------------------------

#: Repeats per format, 1,000 in all; the costly page fewer times than the cheap API and CSV.
REPEATS = {"page": 40, "xlsx": 80, "csv": 380, "api": 500}


def format_requests(bench: Bench) -> dict[str, tuple[str, dict[str, Any], bool]]:
    """One benchmark request per format for a peer: path, query, through the API or not."""
    release = bench.release.pk
    everyone = ReleaseGroup.objects.get(release=bench.release, partition="everyone").pk
    return {
        "page": (reverse("benchmarking:benchmark"), {"release_id": release}, False),
        "csv": (reverse("benchmarking:benchmark_export", args=[release, "csv"]), {}, False),
        "xlsx": (reverse("benchmarking:benchmark_export", args=[release, "xlsx"]), {}, False),
        "api": (f"/api/v1/benchmarks/releases/{release}/cells", {"group": everyone}, True),
    }


def test_at09_repeats_in_every_format_agree(
    dk_like: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    peer = dk_like.peers[0]
    differing: list[str] = []
    for fmt, (path, query, api) in format_requests(dk_like).items():
        first = None
        for repeat in range(REPEATS[fmt]):
            response = peer.api("GET", path, query) if api else peer.get(path, query)
            assert response.status_code == 200, f"{fmt}: {response.status_code}"
            body = normalised(peer, response)
            first = first if first is not None else body
            if body != first:
                differing.append(f"{fmt} repeat {repeat}")
    line = report(
        capsys,
        f"AT-09: {sum(REPEATS.values())} repeats (page, CSV, XLSX, API), "
        f"{len(differing)} differing",
    )
    assert not differing, line + "\n" + "\n".join(differing[:20])


# --- AT-12: side channels ----------------------------------------------------------------------

_REASON = re.compile(r"(?<![\w-])(R(?:1|2|3|4|5|13)|no-data)(?![\w-])")
FORBIDDEN_KEYS = {"min", "max", "minimum", "maximum", "rank", "reason", "reasons", "codes"}


def json_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from json_objects(value)
    elif isinstance(data, list):
        for value in data:
            yield from json_objects(value)


def side_channel_leaks(responses: list[Seen]) -> list[str]:
    """Reason codes in any response; forbidden keys or extra fields on hidden cells in JSON."""
    leaks = []
    for page in responses:
        text = page.body.decode("utf-8", "replace")
        if page.body.startswith((b"PK", b"%PDF")):  # a workbook's cells, a PDF's text
            text = page.text.upper()
        found = sorted(set(_REASON.findall(text)))
        if found and ("benchmark" in page.where or "release" in page.where):
            leaks.append(f"{page.viewer} {page.where}: reason codes {found}")
        data = page.json if "/benchmarks" in page.where and page.status == 200 else None
        for obj in json_objects(data):
            if FORBIDDEN_KEYS & set(obj):
                leaks.append(f"{page.viewer} {page.where}: keys {FORBIDDEN_KEYS & set(obj)}")
            if obj.get("hidden") is True and set(obj) - {"statistic", "group", "hidden"}:
                leaks.append(f"{page.viewer} {page.where}: a hidden cell with {sorted(obj)}")
    return leaks


def hidden_group(bench: Bench) -> ReleaseGroup:
    """A group of the release whose every cell is hidden."""
    for group in ReleaseGroup.objects.filter(release=bench.release):
        cells = ReleaseCell.objects.filter(group=group)
        if cells.exists() and not cells.filter(hidden=False).exists():
            return group
    raise AssertionError(f"{bench.name}: no hidden group to compare")


def test_at12_unknown_and_hidden_look_the_same(
    no_like: Bench, no_crawl: list[Seen], capsys: pytest.CaptureFixture[str]
) -> None:
    leaks = side_channel_leaks(no_crawl)
    group = hidden_group(no_like)
    unknown = 10**9
    cells = release_cells(no_like.release)
    assert cell(cells, "total", group) is HIDDEN
    assert cell(cells, "total", unknown) is HIDDEN
    assert cell(cells, "area:999999", group.pk) is HIDDEN
    published = ReleaseCell.objects.filter(release=no_like.release, hidden=False).first()
    assert published is not None
    compared = 0
    for person in no_like.viewers:
        path = f"/api/v1/benchmarks/releases/{no_like.release.pk}/cells"
        asks: dict[str, dict[str, Any]] = {
            "hidden group": {"group": group.pk},
            "unknown group": {"group": unknown},
            "hidden statistic": {"group": group.pk, "statistic": "total"},
            "unknown statistic": {"group": published.group_id, "statistic": "area:999999"},
        }
        answers = {}
        for label, query in asks.items():
            response = person.api("GET", path, query)
            body = response.content.decode()
            for value in (str(group.pk), str(unknown), str(published.group_id)):
                body = re.sub(rf'"group": {value}\b', '"group": 0', body)
            body = body.replace('"statistic": "area:999999"', '"statistic": "total"')
            answers[label] = (response.status_code, body)
            compared += 1
        statuses = {status for status, _ in answers.values()}
        assert statuses == {200}, f"{person.label}: {answers}"
        assert answers["hidden statistic"] == answers["unknown statistic"], person.label
        hidden_all = json.loads(answers["hidden group"][1])
        unknown_all = json.loads(answers["unknown group"][1])
        assert all(c == {**c, "hidden": True} for c in hidden_all + unknown_all)
        assert len(hidden_all) == len(unknown_all), person.label
    line = report(
        capsys,
        f"AT-12: {len(no_crawl)} responses scanned for reason codes, {compared} unknown/hidden "
        f"answers compared, {len(leaks)} leaks",
    )
    assert not leaks, line + "\n" + "\n".join(leaks[:20])


# --- AT-15: export parity ----------------------------------------------------------------------


def _number(text: Any) -> Any:
    try:
        return float(text)
    except (TypeError, ValueError):
        return "" if text is None else str(text)


def xlsx_rows(raw: bytes, header: list[str]) -> list[list[Any]]:
    """The rows of the first sheet from its header row on."""
    sheet = load_workbook(io.BytesIO(raw), read_only=True).worksheets[0]
    rows = [[_number(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, row in enumerate(rows) if row[: len(header)] == header)
    return [row[: len(header)] for row in rows[start:]]


def api_cells(bench: Bench, person: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The release's cells from the API, keyed by (group label, statistic)."""
    base = f"/api/v1/benchmarks/releases/{bench.release.pk}"
    groups = {g["id"]: g["label"] for g in person.api("GET", base + "/groups").json()}
    cells = person.api("GET", base + "/cells").json()
    return {(groups[c["group"]], c["statistic"]): c for c in cells}


def statistic_names(bench: Bench) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Labels to statistic names: score items, and (question title, option label) pairs."""
    from samvirke.benchmarking.pages import area_label, option_label
    from samvirke.benchmarking.scores import Structure

    structure = Structure.of(bench.pop.version.pk)
    items = {"Total": "total", **{area_label(a): f"area:{a.pk}" for a in structure.areas}}
    answers = {}
    for question in structure.questions.values():
        title = f"{question.key} {question.title['en']}"
        for option in structure.options(question):
            answers[(title, option_label(question, option))] = f"question:{question.pk}:{option}"
    return items, answers


def test_at15_page_exports_and_api_show_the_same_numbers(
    dk_like: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    peer = dk_like.peers[0]
    requests = format_requests(dk_like)
    raw_csv = peer.get(requests["csv"][0]).content
    rows = [[_number(v) for v in row] for row in csv_rows(raw_csv)]
    header = rows[0]
    xlsx = xlsx_rows(peer.get(requests["xlsx"][0]).content, header)
    differences = [
        f"CSV/XLSX row {i}: {a} != {b}"
        for i, (a, b) in enumerate(zip(rows, xlsx, strict=False))
        if a != b
    ]
    if len(rows) != len(xlsx):
        differences.append(f"CSV has {len(rows)} rows, XLSX {len(xlsx)}")
    cells = api_cells(dk_like, peer)
    items, answers = statistic_names(dk_like)
    page = peer.get(requests["page"][0], requests["page"][1]).content.decode()
    # The answer shares are on each area's page (the benchmark page loads them on demand).
    for area in dk_like.pop.areas:
        shares = reverse("benchmarking:benchmark_area_shares", args=[dk_like.release.pk, area.pk])
        response = peer.get(shares)
        assert response.status_code == 200, shares
        page += response.content.decode()
    page_numbers = number_forms(page.lower()) | set(re.findall(r"(?<![\d.])\d+(?![\d.])", page))
    compared = 0
    for table, item, group, answer, value, count in (row[:6] for row in rows[1:]):
        if group == "Your organisation" or table not in {"Scores", "Answers"}:
            continue
        statistic = items.get(str(item)) if table == "Scores" else answers.get((item, answer))
        api = cells.get((str(group), statistic or ""))
        compared += 1
        if api is None:
            differences.append(f"CSV {table} {item} {group} {answer}: not in the API")
        elif api.get("hidden"):
            if isinstance(value, float):
                differences.append(f"CSV {item} {group} {answer}: {value}, the API hides it")
        elif value != api["value"] or (table == "Scores" and count != api["n"]):
            differences.append(f"CSV {item} {group} {answer}: {value}/{count}, API {api}")
        # The page shows a value to the precision of its grid: one decimal or none.
        if isinstance(value, float) and not {f"{value:.1f}", f"{value:.0f}"} & page_numbers:
            differences.append(f"CSV {item} {group} {answer}: {value} not on the page")
    line = report(
        capsys,
        f"AT-15: {compared} cells compared across page, CSV, XLSX and API, "
        f"{len(differences)} differences",
    )
    assert compared > 0
    assert not differences, line + "\n" + "\n".join(differences[:20])
