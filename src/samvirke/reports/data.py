"""What each report says, as plain data: the same objects feed the HTML page, the PDF and the XLSX.

- The organisation report reads the organisation's own answers (its own scope) and, for every
  comparison with others, only the published release through `benchmarking.service`.
- A department report compares one org unit with the rest of its own organisation: one
  organisation's own data, so no disclosure rules apply (docs/scoring.md says so).
- The network report reads only the published release.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from samvirke.baseline.models import Answer, Assessment, AssessmentState, Campaign, Delegation
from samvirke.baseline.progress import (
    LONG_TEXTS,
    Overview,
    QuestionStatus,
    assessment_overview,
    chains,
)
from samvirke.baseline.scoring import QuestionScore, answer_score, question_score
from samvirke.benchmarking.models import Release, ReleaseGroup
from samvirke.benchmarking.queries import everyone_means, published_releases
from samvirke.benchmarking.rules import TOTAL, area_statistic
from samvirke.benchmarking.service import (
    HIDDEN,
    CellValue,
    Published,
    own_groups,
    own_scores,
    quartile_band,
    release_cells,
    release_groups,
    visible_releases,
)
from samvirke.frameworks.models import (
    AnswerLevel,
    FrameworkVersion,
    Mapping,
    Node,
    NodeKind,
    localized,
)
from samvirke.frameworks.queries import ITEM_KINDS, linked_versions
from samvirke.tenancy.models import Organisation, OrgUnit

#: How many prioritised recommendations a report lists.
TOP_RECOMMENDATIONS = 10
#: Coverage of a mapped requirement: covered from this question score, partly from the next.
COVERED_FROM, PARTLY_FROM = 60.0, 20.0


@dataclass
class Comparison:
    """One score of the organisation (or unit) beside the published means of its groups."""

    label: str
    own: float | None
    groups: list[tuple[ReleaseGroup, CellValue]] = field(default_factory=list)


@dataclass
class Recommendation:
    """What to do next for one question, why it ranks where it does, and who answers for it."""

    question: Node
    score: float
    gap: float  # 100 - score
    priority: float  # gap * weight
    text: str
    units: list[str]

    @property
    def title(self) -> str:
        """The question in the report's language."""
        return localized(self.question.title)


@dataclass
class CoverageRow:
    """How far the organisation's answers cover one mapped framework."""

    version: FrameworkVersion
    total: int
    covered: int
    partly: int

    @property
    def title(self) -> str:
        """The framework version's title in the report's language."""
        return localized(self.version.title) or str(self.version)

    @property
    def not_covered(self) -> int:
        """Requirements mapped to no question, or only to weak answers."""
        return self.total - self.covered - self.partly


@dataclass
class TrendPoint:
    """One year: the organisation's own total, and everyone's published mean that year."""

    year: int
    own: float | None
    everyone: CellValue


@dataclass
class OrganisationReport:
    """Everything the organisation report shows."""

    organisation: Organisation
    assessment: Assessment
    release: Release | None
    total: Comparison
    areas: list[Comparison]
    bands: list[tuple[ReleaseGroup, int | None]]
    trend: list[TrendPoint]
    strongest: list[Comparison]
    weakest: list[Comparison]
    recommendations: list[Recommendation]
    coverage: list[CoverageRow]
    overview: Overview


def _recommendation_text(question: Node, level: Any) -> str:
    texts = question.recommendations or {}
    chosen = texts.get(str(level)) if level is not None else None
    if chosen is None and texts:
        chosen = texts[sorted(texts)[0]]
    return localized(chosen) if chosen else ""


def _level_for(status: QuestionStatus) -> Any:
    """The answer level a recommendation is for: the organisation's, or the weakest unit's."""
    answers = [a for a in status.answers if a.is_answered and not a.not_applicable]
    if not answers:
        return None
    if status.per_unit:
        scored = [
            (score, a)
            for a in answers
            if (score := answer_score(status.question, a).score) is not None
        ]
        if not scored:
            return None
        weakest = min(scored, key=lambda pair: pair[0])[1]
        return "0" if weakest.dont_know else weakest.value
    own = next((a for a in answers if a.org_unit_id is None), None)
    if own is None:
        return None
    return "0" if own.dont_know else own.value


def recommendations(
    statuses: list[QuestionStatus], unit_names: dict[int, str], limit: int = TOP_RECOMMENDATIONS
) -> list[Recommendation]:
    """The framework's recommendations for the organisation's answers, ranked by gap times weight.

    Responsible units: those the question (or its area) was delegated to; for per-unit
    questions, the units whose own answer is below the organisation's score.
    """
    found = []
    for status in statuses:
        result: QuestionScore = question_score(status.question, status.answers)
        if result.score is None or result.not_applicable or result.score >= 100.0:
            continue
        text = _recommendation_text(status.question, _level_for(status))
        if not text:
            continue
        units = {d.org_unit_id for d in status.delegations if d.org_unit_id}
        if status.per_unit:
            below = {
                a.org_unit_id
                for a in status.answers
                if a.org_unit_id
                and (s := answer_score(status.question, a).score) is not None
                and s < result.score
            }
            units = below or units
        gap = 100.0 - result.score
        found.append(
            Recommendation(
                question=status.question,
                score=result.score,
                gap=gap,
                priority=gap * status.question.weight,
                text=text,
                units=sorted(unit_names[u] for u in units if u in unit_names),
            )
        )
    found.sort(key=lambda r: (-r.priority, r.question.position))
    return found[:limit]


def coverage(version: FrameworkVersion, scores: dict[int, float]) -> list[CoverageRow]:
    """Coverage of each mapped framework: a requirement counts as covered when the mean score
    of the questions mapped to it reaches 60 (level 3 of 5), partly from 20."""
    targets = linked_versions(version)
    if not targets:
        return []
    versions = list(targets.values())
    mappings = Mapping.objects.filter(
        Q(source_node__version=version, target_node__version__in=versions)
        | Q(target_node__version=version, source_node__version__in=versions)
    ).values_list("source_node_id", "target_node_id", "source_node__version_id")
    reached: dict[int, list[float]] = defaultdict(list)
    for source, target, source_version in mappings:
        own, other = (source, target) if source_version == version.pk else (target, source)
        if own in scores:
            reached[other].append(scores[own])
    items = Node.objects.filter(version__in=versions, kind__in=ITEM_KINDS).values_list(
        "id", "version_id"
    )
    rows = {v.pk: CoverageRow(v, 0, 0, 0) for v in versions}
    for node_id, version_id in items:
        row = rows[version_id]
        row.total += 1
        mapped = reached.get(node_id)
        if mapped:
            mean = sum(mapped) / len(mapped)
            row.covered += mean >= COVERED_FROM
            row.partly += PARTLY_FROM <= mean < COVERED_FROM
    return list(rows.values())


def _release_for(organisation: Organisation, campaign: Campaign) -> Release | None:
    return visible_releases(organisation).filter(campaign=campaign).first()


def organisation_report(assessment: Assessment) -> OrganisationReport:
    """The organisation report of one assessment (call inside the organisation's scope)."""
    organisation = assessment.organisation
    campaign = assessment.campaign
    release = _release_for(organisation, campaign)
    cells = release_cells(release) if release else {}
    groups = own_groups(organisation, release) if release else []
    overview = assessment_overview(assessment, texts=True)
    scores = overview.scores()
    total = Comparison(
        _("Total"), scores.total, [(g, cells.get((g.pk, TOTAL), HIDDEN)) for g in groups]
    )
    areas = [
        Comparison(
            f"{area.key} {localized(area.title)}",
            scores.areas.get(area.pk),
            [(g, cells.get((g.pk, area_statistic(area.pk)), HIDDEN)) for g in groups],
        )
        for area, _tally in overview.areas
    ]
    ranked = sorted((a for a in areas if a.own is not None), key=lambda a: a.own or 0.0)
    bands = [(g, quartile_band(scores.total, cells.get((g.pk, TOTAL), HIDDEN))) for g in groups]
    units = dict(OrgUnit.objects.filter(organisation=organisation).values_list("pk", "name"))
    question_scores = {q: s.score for q, s in scores.questions.items() if s.score is not None}
    return OrganisationReport(
        organisation=organisation,
        assessment=assessment,
        release=release,
        total=total,
        areas=areas,
        bands=bands,
        trend=trend(organisation, campaign),
        strongest=list(reversed(ranked[-3:])),
        weakest=ranked[:3],
        recommendations=recommendations(overview.questions, units),
        coverage=coverage(campaign.framework_version, question_scores),
        overview=overview,
    )


def trend(organisation: Organisation, campaign: Campaign) -> list[TrendPoint]:
    """The organisation's own totals over the network's years, with everyone's published mean."""
    own = {s.assessment.campaign.year: s.total for s in own_scores(organisation, campaign.network)}
    releases = {
        r.campaign.year: r
        for r in visible_releases(organisation).filter(network=campaign.network)
        if r.campaign.year <= campaign.year
    }
    means = everyone_means(list(releases.values()))
    everyone: dict[int, CellValue] = {year: means[r.pk] for year, r in releases.items()}
    years = sorted(y for y in set(own) | set(everyone) if y <= campaign.year)
    return [TrendPoint(y, own.get(y), everyone.get(y, HIDDEN)) for y in years]


# --- department reports ----------------------------------------------------------------------


@dataclass
class UnitQuestion:
    """A per-unit question: the unit's answer score against the rest of its organisation."""

    question: Node
    own: float | None
    others: float | None  # mean of the organisation's other units that answered
    others_count: int
    answer: Answer | None

    @property
    def title(self) -> str:
        """The question in the report's language."""
        return localized(self.question.title)


@dataclass
class DepartmentReport:
    """Everything a department's management report shows."""

    organisation: Organisation
    unit: OrgUnit
    assessment: Assessment
    questions: list[UnitQuestion]
    own_mean: float | None
    others_mean: float | None
    trend: list[tuple[int, float | None]]
    recommendations: list[Recommendation]
    areas: list[Node] = field(default_factory=list)  # the nodes above the questions, in order


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _unit_scores(overview: Overview, unit: OrgUnit) -> list[UnitQuestion]:
    rows = []
    for status in overview.questions:
        if not status.per_unit:
            continue
        own_answer = status.answer_for(unit.pk)
        own = answer_score(status.question, own_answer).score if own_answer else None
        others = [
            s
            for a in status.answers
            if a.org_unit_id not in (None, unit.pk)
            and (s := answer_score(status.question, a).score) is not None
        ]
        rows.append(UnitQuestion(status.question, own, _mean(others), len(others), own_answer))
    return rows


#: The answer fields a unit's trend reads (as the assessment overview reads them).
_TREND_FIELDS = (
    "id",
    "assessment_id",
    "question_id",
    "org_unit_id",
    "value",
    "not_applicable",
    "dont_know",
    "draft",
)


@dataclass
class UnitsData:
    """What every unit's report of one assessment shares, read once for all of them.

    The assessment's overview (questions, answers of every unit, delegations), the nodes the
    per-unit questions sit under, and each year's per-unit answer scores for the trends: a
    constant number of queries however many units and years there are.
    """

    assessment: Assessment
    overview: Overview
    areas: list[Node]
    years: list[tuple[int, dict[int, list[float]]]]  # (year, unit id → its answers' scores)

    @classmethod
    def of(cls, assessment: Assessment) -> UnitsData:
        """Read what the unit reports of the assessment share (inside its organisation's scope)."""
        overview = assessment_overview(assessment, texts=True)
        parents = {s.question.parent_id for s in overview.questions if s.per_unit}
        areas = list(Node.objects.filter(pk__in=parents).order_by("position"))
        return cls(assessment, overview, areas, _unit_years(assessment))

    def trend(self, unit: OrgUnit) -> list[tuple[int, float | None]]:
        """The unit's mean answer score per year, up to the assessment's."""
        return [(year, _mean(units.get(unit.pk, []))) for year, units in self.years]


def _unit_years(assessment: Assessment) -> list[tuple[int, dict[int, list[float]]]]:
    """Per year of the network's campaigns up to the assessment's (started assessments only):
    the scores of each unit's answers to per-unit questions under an area, in three queries."""
    history = list(
        Assessment.objects.filter(
            organisation=assessment.organisation,
            campaign__network=assessment.campaign.network_id,
            campaign__year__lte=assessment.campaign.year,
        )
        .exclude(state=AssessmentState.NOT_STARTED)
        .select_related("campaign")
        .order_by("campaign__year")
    )
    versions = {a.campaign.framework_version_id for a in history}
    nodes = list(
        Node.objects.filter(
            version__in=versions, kind__in=[NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION]
        ).defer(*LONG_TEXTS)
    )
    by_id = {n.pk: n for n in nodes}
    per_unit = {
        question: by_id[question]
        for question, chain in chains(nodes).items()
        if by_id[question].answer_level == AnswerLevel.UNIT
        and any(by_id[n].kind == NodeKind.AREA for n in chain)
    }
    answers = Answer.objects.filter(
        organisation=assessment.organisation_id,
        assessment__in=[a.pk for a in history],
        org_unit__isnull=False,
        question__in=list(per_unit),
    ).only(*_TREND_FIELDS)
    found: dict[int, dict[int, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for answer in answers:
        question = per_unit[answer.question_id]
        score = answer_score(question, answer).score
        if score is not None and answer.org_unit_id is not None:
            found[answer.assessment_id][answer.org_unit_id].append((question.position, score))
    # In the questions' order, as each year's overview lists them: the same sums to the last bit.
    return [
        (a.campaign.year, {u: [s for _p, s in sorted(pairs)] for u, pairs in found[a.pk].items()})
        for a in history
    ]


def department_report(
    assessment: Assessment, unit: OrgUnit, shared: UnitsData | None = None
) -> DepartmentReport:
    """One unit's management report (call inside the organisation's scope).

    `shared`: what all unit reports of the assessment share, when several are made at once.
    """
    shared = shared if shared is not None else UnitsData.of(assessment)
    overview = shared.overview
    questions = _unit_scores(overview, unit)
    unit_statuses = []
    for status in overview.questions:
        if status.per_unit and status.answer_for(unit.pk) is not None:
            mine = QuestionStatus(status.question, status.area, status.delegations)
            mine.answers = [a for a in status.answers if a.org_unit_id == unit.pk]
            unit_statuses.append(mine)
    return DepartmentReport(
        organisation=assessment.organisation,
        unit=unit,
        assessment=assessment,
        questions=questions,
        own_mean=_mean([q.own for q in questions if q.own is not None]),
        others_mean=_mean([q.others for q in questions if q.others is not None]),
        trend=shared.trend(unit),
        recommendations=recommendations(unit_statuses, {unit.pk: unit.name}),
        areas=shared.areas,
    )


def report_units(assessment: Assessment) -> list[OrgUnit]:
    """The units that answered per-unit questions or had questions delegated to them."""
    answered = Answer.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment, org_unit__isnull=False
    ).values("org_unit_id")
    delegated = Delegation.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment, org_unit__isnull=False
    ).values("org_unit_id")
    return list(
        OrgUnit.objects.filter(organisation=assessment.organisation_id)
        .filter(Q(pk__in=answered) | Q(pk__in=delegated))
        .order_by("name")
    )


# --- the network report ----------------------------------------------------------------------


@dataclass
class NetworkReport:
    """Everything the network report shows: the published release only."""

    release: Release
    groups: list[ReleaseGroup]
    statistics: list[tuple[str, str]]  # (statistic, label) for total and areas
    cells: dict[tuple[int, str], CellValue]
    trend: list[tuple[int, CellValue]]
    weakest: list[tuple[str, Published]]
    participants: int
    counted: int

    def value(self, group: ReleaseGroup, statistic: str) -> CellValue:
        """A cell, or HIDDEN."""
        return self.cells.get((group.pk, statistic), HIDDEN)


def network_report(release: Release) -> NetworkReport:
    """The network report of one published release."""
    groups = release_groups(release)
    cells = release_cells(release)
    areas = Node.objects.filter(
        version=release.campaign.framework_version_id, kind="area"
    ).order_by("position")
    statistics = [(TOTAL, _("Total"))] + [
        (area_statistic(a.pk), f"{a.key} {localized(a.title)}") for a in areas
    ]
    everyone = next((g for g in groups if g.partition == "everyone"), None)
    weakest = sorted(
        (
            (label, value)
            for statistic, label in statistics[1:]
            if everyone is not None
            and isinstance(value := cells.get((everyone.pk, statistic), HIDDEN), Published)
        ),
        key=lambda pair: pair[1].value,
    )[:3]
    earlier = [
        r
        for r in published_releases(release.network_id)
        if r.campaign.year <= release.campaign.year
    ]
    means = everyone_means(earlier)
    trend_points = [(other.campaign.year, means[other.pk]) for other in earlier]
    return NetworkReport(
        release=release,
        groups=groups,
        statistics=statistics,
        cells=cells,
        trend=trend_points,
        weakest=weakest,
        participants=release.campaign.participants.count(),
        counted=int(release.summary.get("counted_organisations", 0)),
    )
