"""Reports (issue 7): the three report PDFs timed in-process on the seeded demo with its history.

- The organisation report PDF of København (code 101) for the latest year of kl-kommuner with
  a published release (five years of history in the demo), made as `samvirke report
  organisation --organisation 101 --year YEAR --format pdf` makes it: the assessment read in
  København's scope, then `reports.render.render("organisation", ...)`.
- The network report PDF of kl-kommuner's latest published release, made as `samvirke report
  network --network kl-kommuner --year YEAR --format pdf` makes it (in the steward's scope).
- Every department's report of one organisation in one zip of PDFs, as the background job and
  `samvirke report department --all` make it (`reports.tasks.departments_zip` with the units
  the job takes, `report_units`). In the demo 2 to 4 departments of each municipality answer the
  per-unit questions, so this harness picks the first municipality of kl-kommuner by code with
  exactly DEPARTMENTS top-level departments (København and Aarhus excepted: other figures use
  them) and, before timing, gives each of its departments without per-unit answers a copy of an
  answering department's answers, in every year up to the release's (written in bulk inside the
  organisation's scope). Then the zip holds one report per department.

Each figure is the best of REPEATS runs (the first run also starts vl-convert's JavaScript
engine and loads WeasyPrint's fonts). Django must be set up and the demo seeded with history.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django_scopes import scopes_disabled

from prepare import say
from samvirke.baseline.models import Answer, Assessment, AssessmentState
from samvirke.benchmarking.models import Release, ReleaseState
from samvirke.core.scoping import organisation_scope
from samvirke.reports.render import Rendered, render
from samvirke.reports.tasks import departments_zip
from samvirke.tenancy.models import Network, Organisation, OrgUnit

ORGANISATION = "101"
NETWORK = "kl-kommuner"
LANGUAGE = "da"
DEPARTMENTS = 10
#: Organisations other figures measure: their answers are left as seeded.
KEEP_AS_SEEDED = ("101", "751")
REPEATS = 2
#: Issue 7, on 2 cores.
TARGETS = {"organisation": 2.0, "network": 5.0, "departments": 15.0}


@dataclass
class ReportFigure:
    """One timed report: the best of the runs, its target and what it was."""

    key: str
    what: str
    seconds: float
    runs: list[float]
    target: float
    bytes: int
    files: int = 1

    @property
    def verdict(self) -> str:
        """Within or over the target."""
        return "within" if self.seconds <= self.target else "OVER"


@dataclass
class ReportsResult:
    """The figures of the reports run, and what was set up for them."""

    figures: list[ReportFigure] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """The figures as lines of the report."""
        lines = [
            f"{f.what}: {f.seconds} s (target {f.target:g} s, {f.verdict}; runs "
            f"{', '.join(str(r) for r in f.runs)} s; {f.files} file(s), {f.bytes:,} bytes)."
            for f in self.figures
        ]
        return [
            *lines,
            *self.setup,
            f"Reports are timed in this process, best of {REPEATS} runs each, language "
            f"{LANGUAGE!r}.",
        ]


def _timed(make: Callable[[], Rendered]) -> tuple[list[float], Rendered]:
    runs, rendered = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        rendered = make()
        runs.append(round(time.perf_counter() - started, 2))
    assert rendered is not None
    return runs, rendered


def _latest_release(network: Network) -> Release:
    release = (
        Release.objects.filter(network=network, state=ReleaseState.PUBLISHED)
        .select_related("campaign", "network")
        .order_by("-campaign__year", "-pk")
        .first()
    )
    if release is None:
        raise RuntimeError(f"{network.code} has no published release: seed the demo with history")
    return release


def _history_years(organisation: Organisation, release: Release) -> int:
    """How many years of the network the organisation has an assessment for, up to the release."""
    with organisation_scope(organisation.pk):
        return (
            Assessment.objects.filter(
                organisation=organisation,
                campaign__network=release.network,
                campaign__year__lte=release.campaign.year,
            )
            .exclude(state=AssessmentState.NOT_STARTED)
            .count()
        )


def _organisation_report(release: Release) -> ReportFigure:
    organisation = Organisation.objects.get(code=ORGANISATION)
    year = release.campaign.year
    say(f"Timing the organisation report PDF of {organisation.name} {year} ({REPEATS}x)")
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.select_related("organisation", "campaign__network").get(
            organisation=organisation, campaign=release.campaign
        )
        runs, rendered = _timed(lambda: render("organisation", assessment, "pdf", LANGUAGE))
    years = _history_years(organisation, release)
    return ReportFigure(
        "organisation",
        f"Organisation report PDF, {organisation.name} ({ORGANISATION}) {year}, {years} years "
        f"of history (samvirke report organisation --format pdf)",
        min(runs),
        runs,
        TARGETS["organisation"],
        len(rendered.content),
    )


def _network_report(release: Release) -> ReportFigure:
    network = release.network
    say(f"Timing the network report PDF of {network.code} {release.campaign.year} ({REPEATS}x)")
    with organisation_scope(network.steward_id):
        runs, rendered = _timed(lambda: render("network", release, "pdf", LANGUAGE))
    return ReportFigure(
        "network",
        f"Network report PDF, {network.code} {release.campaign.year}, latest published release "
        f"(samvirke report network --format pdf)",
        min(runs),
        runs,
        TARGETS["network"],
        len(rendered.content),
    )


def _department_organisation(release: Release) -> tuple[Organisation, list[OrgUnit]]:
    """A participating municipality with DEPARTMENTS top-level departments, or the nearest."""
    with scopes_disabled():  # the harness looks across organisations to choose one
        tops = Counter(
            OrgUnit.objects.filter(parent__isnull=True).values_list("organisation_id", flat=True)
        )
        taking_part = set(
            Assessment.objects.filter(campaign=release.campaign)
            .exclude(state=AssessmentState.NOT_STARTED)
            .values_list("organisation_id", flat=True)
        )
    candidates = [
        o
        for o in Organisation.objects.filter(pk__in=taking_part).exclude(code__in=KEEP_AS_SEEDED)
        if tops[o.pk]
    ]
    if not candidates:
        raise RuntimeError(f"no organisation of {release.network.code} has departments")
    chosen = min(candidates, key=lambda o: (abs(tops[o.pk] - DEPARTMENTS), o.code.zfill(8)))
    with organisation_scope(chosen.pk):
        departments = list(
            OrgUnit.objects.filter(organisation=chosen, parent__isnull=True).order_by("name")
        )
    return chosen, departments


def _answer_every_department(
    organisation: Organisation, departments: list[OrgUnit], release: Release
) -> int:
    """Give each department without per-unit answers a copy of an answering department's, in
    every year up to the release's; return how many departments were given answers."""
    given: set[int] = set()
    with organisation_scope(organisation.pk):
        assessments = Assessment.objects.filter(
            organisation=organisation,
            campaign__network=release.network,
            campaign__year__lte=release.campaign.year,
        ).exclude(state=AssessmentState.NOT_STARTED)
        for assessment in assessments:
            by_unit: dict[int, list[Answer]] = defaultdict(list)
            for answer in Answer.objects.filter(
                organisation=organisation, assessment=assessment, org_unit__isnull=False
            ).order_by("pk"):
                by_unit[answer.org_unit_id or 0].append(answer)
            sources = [by_unit[unit] for unit in sorted(by_unit)]
            missing = [d for d in departments if d.pk not in by_unit]
            if not sources:
                continue
            copies = [
                Answer(
                    organisation=organisation,
                    assessment=assessment,
                    question_id=answer.question_id,
                    org_unit=unit,
                    value=answer.value,
                    not_applicable=answer.not_applicable,
                    dont_know=answer.dont_know,
                    unsure=answer.unsure,
                    draft=answer.draft,
                    via=answer.via,
                )
                for n, unit in enumerate(missing)
                for answer in sources[n % len(sources)]
            ]
            Answer.objects.bulk_create(copies, batch_size=500)
            given.update(d.pk for d in missing)
    return len(given)


def _departments_zip(release: Release) -> tuple[ReportFigure, list[str]]:
    organisation, departments = _department_organisation(release)
    given = _answer_every_department(organisation, departments, release)
    year = release.campaign.year
    say(
        f"Timing every department report of {organisation.name} {year} as one zip of PDFs "
        f"({len(departments)} departments, {REPEATS}x)"
    )
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.select_related("organisation", "campaign__network").get(
            organisation=organisation, campaign=release.campaign
        )
        runs, rendered = _timed(lambda: departments_zip(assessment, "pdf", LANGUAGE))
    with zipfile.ZipFile(io.BytesIO(rendered.content)) as archive:
        files = len([n for n in archive.namelist() if n.endswith(".pdf")])
    setup = [
        f"Department reports: {organisation.name} ({organisation.code}) has "
        f"{len(departments)} top-level departments; the demo had per-unit answers from "
        f"{len(departments) - given} of them, so before timing the other {given} were given "
        f"copies of answering departments' answers in every year up to {year} (perf data "
        f"only); the zip held {files} PDFs."
    ]
    if len(departments) != DEPARTMENTS:
        setup.append(
            f"No participating municipality has exactly {DEPARTMENTS} departments: the nearest "
            f"has {len(departments)}."
        )
    figure = ReportFigure(
        "departments",
        f"All department reports of {organisation.name} ({organisation.code}) {year} as one zip "
        f"of {files} PDFs (the background job's departments_zip)",
        min(runs),
        runs,
        TARGETS["departments"],
        len(rendered.content),
        files,
    )
    return figure, setup


def measure() -> dict[str, Any]:
    """Time the three reports; the figures, with targets and verdicts, for latest.json."""
    network = Network.objects.get(code=NETWORK)
    release = _latest_release(network)
    result = ReportsResult()
    result.figures.append(_organisation_report(release))
    result.figures.append(_network_report(release))
    figure, setup = _departments_zip(release)
    result.figures.append(figure)
    result.setup = setup
    for note in result.notes:
        print(f"    {note}", flush=True)
    return {
        "figures": [{**asdict(f), "verdict": f.verdict} for f in result.figures],
        "notes": result.notes,
    }
