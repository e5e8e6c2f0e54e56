"""What each report shows, as a document: tables, charts and the summary in words.

A `Document` holds every number of a report as a `Shown` (a hidden cell is the one marker, R11),
built from the report data (reports.data) in the active language. reports.render makes the HTML
page, the PDF and the workbook from the same document, so the formats cannot differ (AT-15).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from typing import Any

from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from samvirke.baseline.models import Assessment
from samvirke.benchmarking import charts
from samvirke.benchmarking.models import PartitionKind, Release, ReleaseGroup
from samvirke.benchmarking.pages import (
    MARKER,
    Chart,
    Shown,
    band_text,
    count_of,
    group_label,
    own,
    published,
)
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.service import HIDDEN, CellValue, Published
from samvirke.frameworks.models import Node, localized
from samvirke.reports import data
from samvirke.tenancy.models import OrgUnit

KINDS = ("organisation", "department", "network")


@dataclass
class Table:
    """One table of a report: shown on the page and in the PDF, and one sheet of the workbook."""

    sheet: str
    caption: str
    header: list[str]
    rows: list[list[Shown]]
    empty: str = ""
    wide: bool = False


@dataclass
class ReportChart(Chart):
    """A chart of a report; `svg` is its data URI when drawn on the server (document, PDF)."""

    svg: str = ""


@dataclass
class Document:
    """Everything a report template needs, in the report's language."""

    kind: str
    language: str
    report: Any
    title: str
    subject: str
    meta: str
    filename: str
    summary: list[str] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    charts: dict[str, ReportChart] = field(default_factory=dict)
    group_tables: list[Table] = field(default_factory=list)
    covered_from: str = ""
    partly_from: str = ""

    @property
    def template(self) -> str:
        """The body template of this kind of report."""
        return f"reports/{self.kind}.html"

    @property
    def marker(self) -> str:
        """The one marker of a number not shown (R11), as on the benchmark pages."""
        return str(MARKER)

    def all_tables(self) -> list[Table]:
        """Every table in the order the report shows them (one workbook sheet each)."""
        return [*self.tables.values(), *self.group_tables]


def text(value: object) -> Shown:
    """A table cell holding text only."""
    return Shown(str(value))


def number(value: int) -> Shown:
    """A table cell holding a count."""
    return Shown(str(value), value)


# --- shared pieces ---------------------------------------------------------------------------


def _recommendations_table(recommendations: Sequence[data.Recommendation]) -> Table:
    return Table(
        sheet=_("Recommendations"),
        caption=_("Prioritised recommendations, most important first"),
        header=[
            _("Priority"),
            _("Question"),
            _("Score"),
            _("Gap × weight"),
            _("Recommendation"),
            _("Responsible units"),
        ],
        rows=[
            [
                number(rank),
                text(f"{r.question.key} {r.title}"),
                own(r.score),
                own(r.priority),
                text(r.text),
                text(", ".join(r.units) or "–"),
            ]
            for rank, r in enumerate(recommendations, start=1)
        ],
        empty=_("No recommendations: every scored answer is at full score or has none."),
    )


def _own_trend_chart(points: Sequence[tuple[int, Shown, Shown | None]], you: str) -> ReportChart:
    everyone = _("All participants")
    values: list[charts.Point] = []
    for year, mine, mean in points:
        if mine.value is not None:
            values.append({"item": str(year), "series": you, "value": mine.value})
        if mean is not None and mean.value is not None:
            values.append({"item": str(year), "series": everyone, "value": mean.value})
    with_means = any(mean is not None for _year, _mine, mean in points)
    spec = charts.trend_chart(
        values,
        title=_("Total score over the years"),
        description=_("The score from 0 to 100 per year, with the mean of all participants.")
        if with_means
        else _("The score from 0 to 100 per year."),
        series=[you, everyone] if with_means else [you],
        own=you,
        year_title=_("Year"),
        value_title=_("Score (0 to 100)"),
        series_title=_("Series"),
    )
    return ReportChart("report-chart-trend", spec, _("Years without a shown value are left out."))


def _comparison_chart(
    rows: Sequence[tuple[str, list[Shown]]], series: list[str], title: str, description: str
) -> ReportChart:
    """Dots per row: the first series is the own one, the others are means."""
    values: list[charts.Point] = [
        {"item": label, "series": name, "value": shown.value}
        for label, cells in rows
        for name, shown in zip(series, cells, strict=True)
        if shown.value is not None
    ]
    spec = charts.comparison_chart(
        values,
        title=title,
        description=description,
        items=[label for label, _cells in rows],
        series=series,
        own=series[0],
        item_title=_("Area"),
        value_title=_("Score (0 to 100)"),
        series_title=_("Series"),
    )
    return ReportChart(
        "report-chart-scores", spec, _("Values that are not shown are left out of the chart.")
    )


def _campaign_line(release: Release | None, title: str, network: str) -> str:
    published_on = (
        date_format(release.published_at, "SHORT_DATE_FORMAT")
        if release and release.published_at
        else None
    )
    if published_on:
        return _("%(campaign)s, %(network)s: release published %(date)s.") % {
            "campaign": title,
            "network": network,
            "date": published_on,
        }
    return _("%(campaign)s, %(network)s.") % {"campaign": title, "network": network}


def _made_on() -> str:
    return _("Report made on %(date)s.") % {"date": date_format(date.today(), "SHORT_DATE_FORMAT")}


# --- the organisation report -----------------------------------------------------------------


def _everyone(comparison: data.Comparison) -> CellValue:
    return next((v for g, v in comparison.groups if g.partition == PartitionKind.EVERYONE), HIDDEN)


def _change_sentence(report: data.OrganisationReport) -> str:
    year = report.assessment.campaign.year
    earlier = [p for p in report.trend if p.year < year and p.own is not None]
    if report.total.own is None or not earlier:
        return _("There is no total score from an earlier year to compare with.")
    before = earlier[-1]
    change = round(report.total.own, 1) - round(before.own or 0.0, 1)
    values = {"year": before.year, "before": own(before.own).text, "change": own(abs(change)).text}
    if change > 0:
        return _("That is %(change)s points higher than in %(year)s (%(before)s).") % values
    if change < 0:
        return _("That is %(change)s points lower than in %(year)s (%(before)s).") % values
    return _("That is the same as in %(year)s.") % values


def _position_sentence(report: data.OrganisationReport) -> str:
    mean = _everyone(report.total)
    if report.total.own is None:
        return ""
    if not isinstance(mean, Published):
        return _("Mean of all participants: %(marker)s.") % {"marker": MARKER}
    values = {"mean": published(mean).text}
    difference = report.total.own - mean.value
    if abs(difference) < mean.grid:
        return _("That is about the mean of all participants (%(mean)s).") % values
    if difference > 0:
        return _("That is above the mean of all participants (%(mean)s).") % values
    return _("That is below the mean of all participants (%(mean)s).") % values


def board_summary(report: data.OrganisationReport) -> list[str]:
    """The board's summary in words: total, change, position, weakest area, first action."""
    campaign = report.assessment.campaign
    if report.total.own is None:
        first = _("%(organisation)s has no total score in %(campaign)s.") % {
            "organisation": report.organisation.name,
            "campaign": campaign.title,
        }
    else:
        first = _("%(organisation)s's total score in %(campaign)s is %(score)s of 100.") % {
            "organisation": report.organisation.name,
            "campaign": campaign.title,
            "score": own(report.total.own).text,
        }
    everyone = next((g for g in report.bands if g[0].partition == PartitionKind.EVERYONE), None)
    band = ""
    if everyone is not None and everyone[1] is not None:
        band = _("Among all participants it lies in the %(band)s.") % {
            "band": band_text(everyone[1])
        }
    paragraphs = [" ".join(s for s in (first, _change_sentence(report)) if s)]
    paragraphs.append(" ".join(s for s in (_position_sentence(report), band) if s))
    if report.weakest:
        weakest = report.weakest[0]
        line = _("The weakest area is %(area)s (%(score)s).") % {
            "area": weakest.label,
            "score": own(weakest.own).text,
        }
        if report.strongest:
            line += " " + _("The strongest is %(area)s (%(score)s).") % {
                "area": report.strongest[0].label,
                "score": own(report.strongest[0].own).text,
            }
        paragraphs.append(line)
    if report.recommendations:
        paragraphs.append(
            _("The most important recommendation concerns “%(question)s”: %(text)s")
            % {"question": report.recommendations[0].title, "text": report.recommendations[0].text}
        )
    return [p for p in paragraphs if p]


def _score_rows(report: data.OrganisationReport) -> list[tuple[str, list[Shown]]]:
    return [
        (c.label, [own(c.own), *(published(v) for _g, v in c.groups)])
        for c in [report.total, *report.areas]
    ]


def _ranked_table(sheet: str, caption: str, areas: list[data.Comparison]) -> Table:
    return Table(
        sheet=sheet,
        caption=caption,
        header=[_("Area"), _("Your organisation"), _("All participants")],
        rows=[[text(a.label), own(a.own), published(_everyone(a))] for a in areas],
        empty=_("No area has a score yet."),
    )


def organisation_document(assessment: Assessment) -> Document:
    """The organisation report of one assessment, as tables, charts and words."""
    report = data.organisation_report(assessment)
    campaign, you = assessment.campaign, _("Your organisation")
    labels = [group_label(g) for g, _v in report.total.groups]
    rows = _score_rows(report)
    doc = Document(
        kind="organisation",
        language=translation.get_language() or "en",
        report=report,
        title=_("Information security report: %(organisation)s, %(year)s")
        % {"organisation": report.organisation.name, "year": campaign.year},
        subject=f"{report.organisation.name} · {campaign.title}",
        meta=f"{_campaign_line(report.release, campaign.title, campaign.network.name)} "
        f"{_made_on()}",
        filename=f"report-{slugify(report.organisation.code)}-{campaign.year}",
        summary=board_summary(report),
        covered_from=number_format(data.COVERED_FROM, 0),
        partly_from=number_format(data.PARTLY_FROM, 0),
    )
    trend = [(p.year, own(p.own), published(p.everyone)) for p in report.trend]
    doc.tables = {
        "scores": Table(
            _("Scores"),
            _("Total and area scores (0 to 100): yours and each group's mean"),
            [_("Area"), you, *labels],
            [[text(label), *cells] for label, cells in rows],
        ),
        "groups": Table(
            _("Groups"),
            _("Your quartile band of the total per group"),
            [_("Group"), _("Organisations"), _("Your quartile band")],
            [
                [text(group_label(g)), count_of(v), text(band_text(band))]
                for (g, v), (_g, band) in zip(report.total.groups, report.bands, strict=True)
            ],
            empty=_("No published release of this campaign includes your organisation."),
        ),
        "trend": Table(
            _("Trend"),
            _("Your total score and the mean of all participants per year (0 to 100)"),
            [_("Year"), you, _("All participants")],
            [[text(year), mine, mean] for year, mine, mean in trend],
        ),
        "strongest": _ranked_table(_("Strongest areas"), _("Strongest areas"), report.strongest),
        "weakest": _ranked_table(_("Weakest areas"), _("Weakest areas"), report.weakest),
        "recommendations": _recommendations_table(report.recommendations),
        "coverage": Table(
            _("Coverage"),
            _("Requirements of mapped frameworks covered by your answers"),
            [
                _("Framework"),
                _("Requirements"),
                _("Covered"),
                _("Partly covered"),
                _("Not covered"),
            ],
            [
                [
                    text(c.title),
                    number(c.total),
                    number(c.covered),
                    number(c.partly),
                    number(c.not_covered),
                ]
                for c in report.coverage
            ],
            empty=_("The framework of this campaign is mapped to no other framework."),
        ),
        "units": Table(
            _("Units"),
            _("Questions delegated to each unit and answered"),
            [_("Unit"), _("Questions"), _("Answered"), _("Answered (%)")],
            [
                [text(unit.name), number(t.total), number(t.answered), number(t.percent)]
                for unit, t in report.overview.units
            ],
            empty=_("No questions were delegated to units."),
        ),
    }
    doc.charts = {
        "scores": _comparison_chart(
            rows,
            [you, *labels],
            _("Your scores and your groups' means"),
            _("Total and area scores from 0 to 100: yours and each group's mean."),
        ),
        "trend": _own_trend_chart(trend, you),
    }
    return doc


# --- department reports ----------------------------------------------------------------------


def _area_rows(report: data.DepartmentReport) -> list[tuple[str, list[Shown]]]:
    """The unit's mean and the rest's mean per area, over the per-unit questions."""
    rows = []
    for area in report.areas:
        mine = [q for q in report.questions if q.question.parent_id == area.pk]
        own_scores = [q.own for q in mine if q.own is not None]
        others = [q.others for q in mine if q.others is not None]
        rows.append(
            (
                f"{area.key} {localized(area.title)}".strip(),
                [
                    own(fmean(own_scores) if own_scores else None),
                    own(fmean(others) if others else None),
                ],
            )
        )
    return rows


def department_summary(report: data.DepartmentReport) -> list[str]:
    """The unit's position in words: answers given, its mean and the rest's mean."""
    answered = sum(1 for q in report.questions if q.own is not None)
    values = {
        "unit": report.unit.name,
        "answered": answered,
        "count": len(report.questions),
        "organisation": report.organisation.name,
        "own": own(report.own_mean).text,
        "others": own(report.others_mean).text,
    }
    paragraphs = [
        _("%(unit)s has a score for %(answered)s of the %(count)s questions each unit answers.")
        % values
    ]
    if report.own_mean is not None:
        paragraphs.append(
            _(
                "Its mean score is %(own)s; the other units of %(organisation)s have a mean "
                "of %(others)s."
            )
            % values
        )
    if report.recommendations:
        first = report.recommendations[0]
        paragraphs.append(
            _("The most important recommendation concerns “%(question)s”: %(text)s")
            % {"question": first.title, "text": first.text}
        )
    return paragraphs


def department_document(
    assessment: Assessment, unit: OrgUnit, shared: data.UnitsData | None = None
) -> Document:
    """One unit's management report, as tables, charts and words.

    `shared`: what every unit's report of the assessment shares (data.UnitsData), read once when
    several units' reports are made together.
    """
    report = data.department_report(assessment, unit, shared)
    campaign, rest = assessment.campaign, _("Rest of the organisation")
    area_rows = _area_rows(report)
    trend = [(year, own(mean), None) for year, mean in report.trend]
    doc = Document(
        kind="department",
        language=translation.get_language() or "en",
        report=report,
        title=_("Management report: %(unit)s, %(year)s")
        % {"unit": unit.name, "year": campaign.year},
        subject=f"{unit.name} · {report.organisation.name} · {campaign.title}",
        meta=_made_on(),
        filename=f"report-{slugify(report.organisation.code)}-{campaign.year}-unit-{unit.pk}",
        summary=department_summary(report),
    )
    doc.tables = {
        "areas": Table(
            _("Areas"),
            _("Mean score per area of the questions each unit answers (0 to 100)"),
            [_("Area"), unit.name, rest],
            [[text(label), *cells] for label, cells in area_rows],
            empty=_("No questions are answered per unit."),
        ),
        "questions": Table(
            _("Questions"),
            _("The unit's score per question and the mean of the organisation's other units"),
            [_("Question"), unit.name, rest, _("Other units answering")],
            [
                [
                    text(f"{q.question.key} {q.title}"),
                    own(q.own),
                    own(q.others),
                    number(q.others_count),
                ]
                for q in report.questions
            ],
            empty=_("No questions are answered per unit."),
        ),
        "trend": Table(
            _("Trend"),
            _("The unit's mean score per year (0 to 100)"),
            [_("Year"), unit.name],
            [[text(year), mine] for year, mine, _none in trend],
        ),
        "recommendations": _recommendations_table(report.recommendations),
    }
    doc.charts = {
        "areas": _comparison_chart(
            area_rows,
            [unit.name, rest],
            _("The unit against the rest of the organisation"),
            _("Mean score per area from 0 to 100: the unit's and the other units'."),
        ),
        "trend": _own_trend_chart(trend, unit.name),
    }
    return doc


# --- the network report ----------------------------------------------------------------------


def _partition_titles(groups: list[ReleaseGroup]) -> dict[str, str]:
    titles = {str(kind): str(kind.label) for kind in PartitionKind}
    titles[PartitionKind.EVERYONE] = _("All participants")
    for group in groups:
        if group.partition not in titles:
            titles[group.partition] = group.partition.removeprefix("custom:")
    return titles


def _group_tables(report: data.NetworkReport) -> list[Table]:
    area_ids = [int(s.split(":")[1]) for s, _label in report.statistics if s != TOTAL]
    keys = dict(Node.objects.filter(pk__in=area_ids).values_list("pk", "key"))
    header = [_("Group"), _("Organisations"), _("Total")]
    header += [keys.get(pk, "") for pk in area_ids]
    titles = _partition_titles(report.groups)
    tables: dict[str, Table] = {}
    for group in report.groups:
        title = titles[group.partition]
        table = tables.setdefault(
            group.partition,
            Table(title, _("Means per group: %(partition)s") % {"partition": title}, header, []),
        )
        table.wide = len(header) > 8
        table.rows.append(
            [text(group_label(group)), count_of(report.value(group, TOTAL))]
            + [published(report.value(group, s)) for s, _label in report.statistics]
        )
    return list(tables.values())


def network_summary(report: data.NetworkReport) -> list[str]:
    """The network's campaign in words: participation, everyone's mean, the weakest areas."""
    everyone = next((g for g in report.groups if g.partition == PartitionKind.EVERYONE), None)
    mean = published(report.value(everyone, TOTAL) if everyone else HIDDEN)
    paragraphs = [
        _(
            "%(participants)s organisations took part in %(campaign)s; %(counted)s are counted "
            "in the published release."
        )
        % {
            "participants": report.participants,
            "campaign": report.release.campaign.title,
            "counted": report.counted,
        },
        _("The mean total score of all participants is %(mean)s.") % {"mean": mean.text}
        if not mean.hidden
        else _("Mean total score of all participants: %(marker)s.") % {"marker": MARKER},
    ]
    if report.weakest:
        paragraphs.append(
            _("The weakest areas across the network: %(areas)s.")
            % {
                "areas": "; ".join(
                    f"{label} ({published(value).text})" for label, value in report.weakest
                )
            }
        )
    return paragraphs


def network_document(release: Release) -> Document:
    """The network report of one published release, as tables, charts and words."""
    report = data.network_report(release)
    campaign, network = release.campaign, release.network
    everyone = next((g for g in report.groups if g.partition == PartitionKind.EVERYONE), None)
    areas = [
        (label, published(report.value(everyone, s) if everyone else HIDDEN))
        for s, label in report.statistics[1:]
    ]
    ordered = sorted(areas, key=lambda pair: (pair[1].value is None, pair[1].value or 0.0))
    trend = [(year, published(value)) for year, value in report.trend]
    doc = Document(
        kind="network",
        language=translation.get_language() or "en",
        report=report,
        title=_("Network report: %(network)s, %(year)s")
        % {"network": network.name, "year": campaign.year},
        subject=f"{network.name} · {campaign.title}",
        meta=f"{_campaign_line(release, campaign.title, network.name)} {_made_on()}",
        filename=f"network-report-{slugify(network.code)}-{campaign.year}-{release.pk}",
        summary=network_summary(report),
    )
    doc.tables = {
        "participation": Table(
            _("Participation"),
            _("Organisations taking part and counted"),
            [_("Organisations"), pgettext("count", "Number")],
            [
                [text(_("Taking part in the campaign")), number(report.participants)],
                [text(_("Counted in the published release")), number(report.counted)],
            ],
        ),
        "areas": Table(
            _("Areas"),
            _("Mean score of all participants per area, weakest first (0 to 100)"),
            [_("Area"), _("All participants")],
            [[text(label), shown] for label, shown in ordered],
        ),
        "trend": Table(
            _("Trend"),
            _("Mean total score of all participants per year (0 to 100)"),
            [_("Year"), _("All participants")],
            [[text(year), shown] for year, shown in trend],
        ),
    }
    doc.group_tables = _group_tables(report)
    bars: list[charts.Point] = [
        {"item": label, "series": "", "value": shown.value}
        for label, shown in ordered
        if shown.value is not None
    ]
    doc.charts = {
        "areas": ReportChart(
            "report-chart-areas",
            charts.bar_chart(
                bars,
                title=_("Mean score per area, weakest first"),
                description=_("The mean score of all participants per area, from 0 to 100."),
                items=[label for label, _shown in ordered],
                item_title=_("Area"),
                value_title=_("Score (0 to 100)"),
            ),
            _("Means that are not shown are left out of the chart."),
        ),
        "trend": _network_trend_chart(trend),
    }
    return doc


def _network_trend_chart(trend: list[tuple[int, Shown]]) -> ReportChart:
    everyone = _("All participants")
    spec = charts.trend_chart(
        [
            {"item": str(year), "series": everyone, "value": shown.value}
            for year, shown in trend
            if shown.value is not None
        ],
        title=_("Total score over the years"),
        description=_("The mean total score of all participants per year, from 0 to 100."),
        series=[everyone],
        own=None,
        year_title=_("Year"),
        value_title=_("Score (0 to 100)"),
        series_title=_("Series"),
    )
    return ReportChart("report-chart-trend", spec, _("Years whose mean is not shown are left out."))


# --- formats ---------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[..., Document]] = {
    "organisation": organisation_document,
    "department": department_document,
    "network": network_document,
}


def document(kind: str, subject: Any) -> Document:
    """The report's document in the active language; `subject` as `render` takes it."""
    args = subject if isinstance(subject, tuple) else (subject,)
    return BUILDERS[kind](*args)
