"""What the benchmark pages and their exports show, built once for both.

Cross-organisation numbers come only from stored, published releases (R10), read through
`service` and `queries`; a hidden cell shows the one marker (R11); the organisation's own
scores are exact, because they are its own. Each builder runs a fixed number of queries
whatever the number of groups, areas and years.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samvirke.baseline.models import (
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
)
from samvirke.benchmarking import charts, queries, service
from samvirke.benchmarking.models import (
    CustomPartition,
    PartitionKind,
    Release,
    ReleaseGroup,
    ReleaseState,
)
from samvirke.benchmarking.rules import TOTAL, area_statistic, question_statistic
from samvirke.benchmarking.scores import DONT_KNOW, NOT_APPLICABLE, Structure
from samvirke.benchmarking.service import CellValue, Published
from samvirke.core.exporters import Cell, TableExport
from samvirke.frameworks.models import Node, NodeKind, QuestionType, localized
from samvirke.tenancy.models import Network, Organisation

#: The one marker for every number not shown (R11): hidden, unknown or not applicable.
MARKER = gettext_lazy("Not shown, to protect individual organisations")

BANDS = {
    1: gettext_lazy("lowest quartile"),
    2: gettext_lazy("second quartile from the bottom"),
    3: gettext_lazy("second quartile from the top"),
    4: gettext_lazy("highest quartile"),
}


@dataclass(frozen=True)
class Shown:
    """One table cell: its text, and the number behind it (None for the marker or no value)."""

    text: str
    value: float | None = None
    hidden: bool = False


def published(cell: CellValue) -> Shown:
    """A published mean or share on its grid's precision, or the marker."""
    if not isinstance(cell, Published):
        return Shown(str(MARKER), hidden=True)
    return Shown(number_format(cell.value, 1 if cell.grid < 1 else 0), cell.value)


def count_of(cell: CellValue) -> Shown:
    """How many organisations a published cell counts, or the marker."""
    if not isinstance(cell, Published):
        return Shown(str(MARKER), hidden=True)
    return Shown(str(cell.n), cell.n)


def own(value: float | None) -> Shown:
    """The organisation's own exact score, to one decimal (a dash when it has none)."""
    if value is None:
        return Shown("–")
    rounded = round(value, 1)
    return Shown(number_format(rounded, 1), rounded)


def band_text(band: int | None) -> str:
    """R7: the quartile band in words, never a rank; the marker when there are no quartiles."""
    return str(BANDS[band]) if band in BANDS else str(MARKER)


@dataclass
class Chart:
    """A Vega-Lite chart on a page: element id, specification, caption and accessible label."""

    id: str
    spec: charts.Spec
    caption: str

    @property
    def label(self) -> str:
        """The chart's accessible name: its title and description."""
        return f"{self.spec['title']}. {self.spec['description']}"

    @cached_property
    def json(self) -> SafeString:
        """The specification for the page's `<script data-vega-spec>` element."""
        return charts.spec_json(self.spec)


def group_label(group: ReleaseGroup) -> str:
    """A release group's label in the current language."""
    return localized(group.label) or group.key


def area_label(area: Node) -> str:
    """An area as "A1 Title"."""
    return f"{area.key} {localized(area.title)}".strip()


# --- the organisation's page -----------------------------------------------------------------


@dataclass
class GroupColumn:
    """One of the organisation's groups: label, its size and the organisation's quartile band."""

    group: ReleaseGroup
    label: str
    n: Shown
    band: str


@dataclass
class ScoreRow:
    """The total or one area: the own score and each group's published mean."""

    label: str
    own: Shown
    means: list[Shown]


@dataclass
class Distribution:
    """A question's published answer shares per group; `shares` is None when all are hidden."""

    title: str
    options: list[str]
    own_option: str | None
    rows: list[tuple[str, list[Shown] | None]]


@dataclass
class AreaDistributions:
    """The distributions of one area's questions."""

    label: str
    questions: list[Distribution]


@dataclass
class ShareArea:
    """An area with answer distributions: the page links to them, read on demand."""

    id: int
    label: str


@dataclass
class TrendRow:
    """One year: the own total and the published mean of everyone."""

    year: int
    own: Shown
    everyone: Shown


@dataclass
class OrganisationBenchmark:
    """Everything the organisation's page shows of one release."""

    release: Release
    groups: list[GroupColumn]
    rows: list[ScoreRow]
    trend: list[TrendRow]
    share_areas: list[ShareArea]
    has_own: bool
    #: Every area's distributions: filled for the export only (the page reads one area at a time).
    areas: list[AreaDistributions] = field(default_factory=list)
    charts: dict[str, Chart] = field(default_factory=dict)


def option_label(question: Node, option: str) -> str:
    """An answer category in words."""
    if option == NOT_APPLICABLE:
        return _("Not applicable")
    if option == DONT_KNOW:
        return _("Don't know")
    if question.question_type == QuestionType.YES_PARTLY_NO:
        return {"yes": _("Yes"), "partly": _("Partly"), "no": _("No")}.get(option, option)
    if question.question_type == QuestionType.MATURITY:
        return _("Level %(level)s") % {"level": option}
    for choice in question.options or []:
        if str(choice.get("id")) == option:
            return localized(choice.get("title")) or option
    return option


def _shared_questions(structure: Structure, area_id: int | None = None) -> list[Node]:
    """The questions with answer distributions, in document order (of one area, if given)."""
    return [
        question
        for question in structure.questions.values()
        if structure.options(question)
        and (area_id is None or structure.area_of[question.pk] == area_id)
    ]


def _share_statistics(structure: Structure, questions: Iterable[Node]) -> list[str]:
    return [question_statistic(q.pk, o) for q in questions for o in structure.options(q)]


def _distributions(
    structure: Structure,
    groups: list[ReleaseGroup],
    cells: dict[queries.CellKey, CellValue],
    categories: dict[int, str],
    area_id: int | None = None,
) -> list[AreaDistributions]:
    by_area: dict[int, list[Distribution]] = {area.pk: [] for area in structure.areas}
    for question in _shared_questions(structure, area_id):
        options = structure.options(question)
        rows: list[tuple[str, list[Shown] | None]] = []
        for group in groups:
            shares = [
                service.cell(cells, question_statistic(question.pk, o), group) for o in options
            ]
            shown = [published(s) for s in shares]
            rows.append((group_label(group), None if all(s.hidden for s in shown) else shown))
        mine = categories.get(question.pk)
        by_area[structure.area_of[question.pk]].append(
            Distribution(
                title=f"{question.key} {localized(question.title)}",
                options=[option_label(question, o) for o in options],
                own_option=option_label(question, mine) if mine in options else None,
                rows=rows,
            )
        )
    return [
        AreaDistributions(area_label(area), by_area[area.pk])
        for area in structure.areas
        if by_area[area.pk]
    ]


def organisation_benchmark(
    organisation: Organisation, release: Release, *, distributions: bool = False
) -> OrganisationBenchmark:
    """The organisation's benchmark of one published release, in seven queries whatever the
    number of years, groups and questions. The answer shares of every question are read only
    with `distributions` (the export); the page reads them one area at a time (`area_shares`)."""
    groups = service.own_groups(organisation, release)
    cells = queries.release_cells_for(
        release, group_ids=[g.pk for g in groups], scores_only=not distributions
    )
    version = release.campaign.framework_version_id
    results, structures = service.own_results(organisation, release.network_id, [version])
    structure = structures[version]
    mine = next((r for r in results if r.assessment.campaign_id == release.campaign_id), None)
    own_total = mine.total if mine else None
    columns = [
        GroupColumn(
            g,
            group_label(g),
            count_of(service.cell(cells, TOTAL, g)),
            band_text(service.quartile_band(own_total, service.cell(cells, TOTAL, g))),
        )
        for g in groups
    ]
    statistics = [(TOTAL, _("Total"), own_total)] + [
        (area_statistic(a.pk), area_label(a), mine.areas.get(a.pk) if mine else None)
        for a in structure.areas
    ]
    rows = [
        ScoreRow(label, own(value), [published(service.cell(cells, s, c.group)) for c in columns])
        for s, label, value in statistics
    ]
    shared_areas = {structure.area_of[q.pk] for q in _shared_questions(structure)}
    data = OrganisationBenchmark(
        release=release,
        groups=columns,
        rows=rows,
        trend=_trend(results, release.network_id),
        share_areas=[
            ShareArea(area.pk, area_label(area))
            for area in structure.areas
            if area.pk in shared_areas
        ],
        has_own=mine is not None,
    )
    if distributions:
        data.areas = _distributions(structure, groups, cells, mine.categories if mine else {})
    data.charts = {"scores": _scores_chart(data), "trend": _trend_chart(data.trend)}
    return data


@dataclass
class AreaShares:
    """The answer shares of one area's questions in one release, for the organisation's groups."""

    release: Release
    area: ShareArea
    questions: list[Distribution]


def area_shares(organisation: Organisation, release: Release, area_id: int) -> AreaShares | None:
    """One area's answer distributions; None when the release's framework version has no such
    area, or the area has no distributions. Four queries whatever the number of releases,
    groups, areas and questions."""
    if release.state != ReleaseState.PUBLISHED:
        return None
    version = release.campaign.framework_version_id
    structure = Structure.of(version)
    area = next((a for a in structure.areas if a.pk == area_id), None)
    questions = _shared_questions(structure, area_id)
    if area is None or not questions:
        return None
    groups = service.own_groups(organisation, release)
    cells = service.release_cells(
        release,
        group_ids=[g.pk for g in groups],
        statistics=_share_statistics(structure, questions),
    )
    categories = service.own_categories(
        organisation, release.campaign_id, structure, [q.pk for q in questions]
    )
    found = _distributions(structure, groups, cells, categories, area_id)
    return AreaShares(
        release, ShareArea(area.pk, area_label(area)), found[0].questions if found else []
    )


def _trend(results: list[service.OwnResult], network: int) -> list[TrendRow]:
    releases = queries.published_releases(network)
    means = queries.everyone_means(releases)
    by_campaign = {r.campaign_id: r for r in releases}
    finished = {AssessmentState.SUBMITTED, AssessmentState.CLOSED_UNSUBMITTED}
    own_by_campaign = {
        r.assessment.campaign_id: r for r in results if r.assessment.state in finished
    }
    campaigns = {r.campaign_id: r.campaign for r in releases}
    campaigns |= {r.assessment.campaign_id: r.assessment.campaign for r in own_by_campaign.values()}
    rows = []
    for campaign in sorted(campaigns.values(), key=lambda c: (c.year, c.pk)):
        result = own_by_campaign.get(campaign.pk)
        release = by_campaign.get(campaign.pk)
        rows.append(
            TrendRow(
                campaign.year,
                own(result.total if result else None),
                published(means[release.pk] if release else service.HIDDEN),
            )
        )
    return rows


def _scores_chart(data: OrganisationBenchmark) -> Chart:
    you = _("Your organisation")
    points: list[charts.Point] = []
    for row in data.rows:
        if row.own.value is not None:
            points.append({"item": row.label, "series": you, "value": row.own.value})
        for column, mean in zip(data.groups, row.means, strict=True):
            if mean.value is not None:
                points.append({"item": row.label, "series": column.label, "value": mean.value})
    spec = charts.comparison_chart(
        points,
        title=_("Your scores and your groups' means"),
        description=_("Total and area scores from 0 to 100: yours and each group's mean."),
        items=[row.label for row in data.rows],
        series=[you, *(c.label for c in data.groups)],
        own=you,
        item_title=_("Area"),
        value_title=_("Score (0 to 100)"),
        series_title=_("Series"),
    )
    return Chart("chart-scores", spec, _("Means that are not shown are left out of the chart."))


def _trend_chart(trend: Sequence[TrendRow], *, own_series: bool = True) -> Chart:
    you, everyone = _("Your organisation"), _("All participants")
    points: list[charts.Point] = []
    for row in trend:
        if own_series and row.own.value is not None:
            points.append({"item": str(row.year), "series": you, "value": row.own.value})
        if row.everyone.value is not None:
            points.append({"item": str(row.year), "series": everyone, "value": row.everyone.value})
    series = [you, everyone] if own_series else [everyone]
    spec = charts.trend_chart(
        points,
        title=_("Total score over the years"),
        description=_("The total score from 0 to 100 per year.")
        if not own_series
        else _("Your total score and the mean of all participants per year, from 0 to 100."),
        series=series,
        own=you if own_series else None,
        year_title=_("Year"),
        value_title=_("Total score (0 to 100)"),
        series_title=_("Series"),
    )
    return Chart("chart-trend", spec, _("Years whose mean is not shown are left out."))


# --- a campaign that is still collecting answers (R9) ----------------------------------------


@dataclass
class Collecting:
    """An open campaign: the rounded response count and the organisation's own live scores."""

    campaign: Campaign
    responses: int
    total: Shown
    areas: list[tuple[str, Shown]]


def collecting(organisation: Organisation) -> Collecting | None:
    """The organisation's latest open campaign, if any, as R9 allows it to be shown."""
    assessment = (
        Assessment.objects.filter(organisation=organisation, campaign__state=CampaignState.OPEN)
        .select_related("campaign")
        .order_by("-campaign__year", "-pk")
        .first()
    )
    if assessment is None:
        return None
    result, structure = service.live_result(organisation, assessment)
    return Collecting(
        assessment.campaign,
        service.response_count(assessment.campaign),
        own(result.total),
        [(area_label(area), own(result.areas.get(area.pk))) for area in structure.areas],
    )


# --- export of the organisation's page -------------------------------------------------------


class OrganisationBenchmarkExport(TableExport):
    """The organisation page's tables as one long table: the same numbers, the same marker."""

    def __init__(self, data: OrganisationBenchmark) -> None:
        self.data = data
        self.filename = f"benchmark-{data.release.campaign.year}-{data.release.pk}"
        self.title = _("Benchmark")

    def header(self) -> Sequence[str]:
        """Column titles."""
        return [_("Table"), _("Item"), _("Group"), _("Answer"), _("Value"), _("Organisations")]

    def rows(self) -> Iterable[Sequence[Cell]]:
        """Scores, quartile bands, the trend and the answer distributions."""
        data, you = self.data, _("Your organisation")
        for row in data.rows:
            yield [_("Scores"), row.label, you, "", _value(row.own), ""]
            for column, mean in zip(data.groups, row.means, strict=True):
                yield [_("Scores"), row.label, column.label, "", _value(mean), _value(column.n)]
        for column in data.groups:
            yield [_("Quartile band"), _("Total"), column.label, "", column.band, ""]
        for trend in data.trend:
            yield [_("Trend"), trend.year, you, "", _value(trend.own), ""]
            yield [_("Trend"), trend.year, _("All participants"), "", _value(trend.everyone), ""]
        for area in data.areas:
            for question in area.questions:
                if question.own_option:
                    yield [_("Answers"), question.title, you, question.own_option, "", ""]
                for label, shares in question.rows:
                    for index, option in enumerate(question.options):
                        share = shares[index] if shares else Shown(str(MARKER), hidden=True)
                        yield [_("Answers"), question.title, label, option, _value(share), ""]


def _value(shown: Shown) -> Cell:
    return shown.value if shown.value is not None else shown.text


# --- the coordinator's network page ----------------------------------------------------------


@dataclass
class GroupRow:
    """One group of a partition: size, total mean and area means."""

    label: str
    n: Shown
    total: Shown
    areas: list[Shown]


@dataclass
class PartitionTable:
    """The published aggregates of one partition's groups."""

    title: str
    rows: list[GroupRow]


@dataclass
class SharedResult:
    """An organisation that opted in to share its named results with the coordinator."""

    name: str
    total: Shown
    areas: list[Shown]


@dataclass
class NetworkBenchmark:
    """Everything the coordinator's network page shows."""

    network: Network
    campaign: Campaign | None
    participation: list[tuple[str, int]]
    submitted: list[str]
    releases: list[Release]
    release: Release | None
    areas: list[str] = field(default_factory=list)
    partitions: list[PartitionTable] = field(default_factory=list)
    trend: list[TrendRow] = field(default_factory=list)
    weakest: list[tuple[str, Shown]] = field(default_factory=list)
    shared: list[SharedResult] = field(default_factory=list)
    charts: dict[str, Chart] = field(default_factory=dict)


def participation(campaign: Campaign) -> tuple[list[tuple[str, int]], list[str]]:
    """Counts by state of the campaign's participants (no answers) and who submitted, in two
    queries whatever the number of participants and submissions."""
    participants = dict(
        CampaignParticipant.objects.filter(campaign=campaign).values_list(
            "organisation_id", "organisation__name"
        )
    )
    states = Assessment.participation.states_of(campaign)
    counts = dict.fromkeys(AssessmentState.values, 0)
    for organisation in participants:
        counts[states.get(organisation, {}).get("state", AssessmentState.NOT_STARTED)] += 1
    submitted = sorted(
        participants[o]
        for o, s in states.items()
        if s["state"] == AssessmentState.SUBMITTED and o in participants
    )
    rows = [(_("Taking part"), len(participants))]
    rows += [(str(label), counts[value]) for value, label in AssessmentState.choices]
    return rows, submitted


def _partition_titles(network: Network) -> dict[str, str]:
    titles = {str(kind): str(kind.label) for kind in PartitionKind}
    titles[PartitionKind.EVERYONE] = _("All participants")
    for key, title in CustomPartition.objects.filter(network=network).values_list("key", "title"):
        titles[f"custom:{key}"] = title
    return titles


def network_benchmark(network: Network, release_id: int | None) -> NetworkBenchmark | None:
    """The network page; None when `release_id` names no published release of the network."""
    campaign = (
        Campaign.objects.filter(network=network)
        .exclude(state=CampaignState.DRAFT)
        .order_by("-year", "-pk")
        .first()
    )
    counts, submitted = participation(campaign) if campaign else ([], [])
    releases = queries.published_releases(network)
    release = releases[-1] if releases else None
    if release_id is not None:
        release = next((r for r in releases if r.pk == release_id), None)
        if release is None:
            return None
    data = NetworkBenchmark(network, campaign, counts, submitted, releases, release)
    means = queries.everyone_means(releases)
    data.trend = [TrendRow(r.campaign.year, own(None), published(means[r.pk])) for r in releases]
    data.charts["trend"] = _trend_chart(data.trend, own_series=False)
    if release is not None:
        _fill_release(data, release)
    return data


def _fill_release(data: NetworkBenchmark, release: Release) -> None:
    areas = list(
        Node.objects.filter(
            version=release.campaign.framework_version_id, kind=NodeKind.AREA
        ).order_by("position")
    )
    data.areas = [area_label(a) for a in areas]
    groups = service.release_groups(release)
    cells = queries.release_cells_for(release, scores_only=True)
    titles = _partition_titles(release.network)
    partitions: dict[str, PartitionTable] = {}
    for group in groups:
        table = partitions.setdefault(
            group.partition, PartitionTable(titles.get(group.partition, group.partition), [])
        )
        table.rows.append(
            GroupRow(
                group_label(group),
                count_of(service.cell(cells, TOTAL, group)),
                published(service.cell(cells, TOTAL, group)),
                [published(service.cell(cells, area_statistic(a.pk), group)) for a in areas],
            )
        )
    data.partitions = list(partitions.values())
    everyone = next((g for g in groups if g.partition == PartitionKind.EVERYONE), None)
    weakest = [
        (area_label(a), published(service.cell(cells, area_statistic(a.pk), everyone)))
        for a in areas
    ]
    # Lowest published mean first; areas whose mean is not shown go last.
    data.weakest = sorted(weakest, key=lambda row: (row[1].value is None, row[1].value or 0.0))
    data.charts["weakest"] = _weakest_chart(data.weakest)
    data.shared = [
        SharedResult(
            result.name,
            own(result.scores.get(TOTAL)),
            [own(result.scores.get(area_statistic(a.pk))) for a in areas],
        )
        for result in service.shared_named_results(release, coordinator=True).values()
    ]


def _weakest_chart(weakest: list[tuple[str, Shown]]) -> Chart:
    points: list[charts.Point] = [
        {"item": label, "series": "", "value": shown.value}
        for label, shown in weakest
        if shown.value is not None
    ]
    spec = charts.bar_chart(
        points,
        title=_("Area means of all participants, weakest first"),
        description=_("The mean score from 0 to 100 of every area, lowest first."),
        items=[label for label, _shown in weakest],
        item_title=_("Area"),
        value_title=_("Mean score (0 to 100)"),
    )
    return Chart("chart-weakest", spec, _("Areas whose mean is not shown are left out."))
