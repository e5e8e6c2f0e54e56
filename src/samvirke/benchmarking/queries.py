"""Read-only helpers for the benchmark pages, in a fixed number of queries.

`service.py` stays the one way to read benchmark numbers; these helpers read the same stored,
published releases (R10) with narrower filters, so a page reads only the cells it shows and
reads many releases or years at once instead of one query per year. Hidden cells become the
service's one marker (`HIDDEN`, R11) exactly as `service.release_cells` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from samvirke.baseline.models import Answer, Assessment, AssessmentState
from samvirke.baseline.scoring import is_scored
from samvirke.benchmarking.models import PartitionKind, Release, ReleaseCell, ReleaseState
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.scores import Structure, score_assessments
from samvirke.benchmarking.service import HIDDEN, CellValue, Published
from samvirke.frameworks.models import Node, NodeKind
from samvirke.tenancy.models import Network, Organisation

CellKey = tuple[int, str]
_CELL_FIELDS = ("group_id", "statistic", "hidden", "value", "grid", "n", "p25", "p50", "p75")


def _cell_value(
    hidden: bool,
    value: float | None,
    grid: float | None,
    n: int | None,
    quartiles: tuple[float | None, float | None, float | None],
) -> CellValue:
    """A stored cell as the service shows it: a published number or the one marker."""
    if hidden or value is None or grid is None or n is None:
        return HIDDEN
    shown = quartiles if None not in quartiles else None
    return Published(value, grid, n, shown)  # type: ignore[arg-type]


def release_cells_for(
    release: Release, *, group_ids: Iterable[int] | None = None, scores_only: bool = False
) -> dict[CellKey, CellValue]:
    """A published release's cells of some groups, or only its score cells, in one query."""
    if release.state != ReleaseState.PUBLISHED:
        return {}
    rows = ReleaseCell.objects.filter(release=release)
    if group_ids is not None:
        rows = rows.filter(group__in=list(group_ids))
    if scores_only:
        rows = rows.filter(Q(statistic=TOTAL) | Q(statistic__startswith="area:"))
    return {
        (group, statistic): _cell_value(hidden, value, grid, n, (p25, p50, p75))
        for group, statistic, hidden, value, grid, n, p25, p50, p75 in rows.values_list(
            *_CELL_FIELDS
        )
    }


def published_releases(network: Network | int) -> list[Release]:
    """A network's published releases (a correction replaces its release), oldest year first."""
    return list(
        Release.objects.filter(network=network, state=ReleaseState.PUBLISHED)
        .select_related("campaign", "network")
        .order_by("campaign__year", "created_at")
    )


def everyone_means(releases: list[Release], statistic: str = TOTAL) -> dict[int, CellValue]:
    """Release id → the "everyone" group's published mean of one statistic, in one query."""
    found: dict[int, CellValue] = {r.pk: HIDDEN for r in releases}
    rows = ReleaseCell.objects.filter(
        release__in=[r.pk for r in releases if r.state == ReleaseState.PUBLISHED],
        group__partition=PartitionKind.EVERYONE,
        statistic=statistic,
    ).values_list("release_id", "hidden", "value", "grid", "n", "p25", "p50", "p75")
    for release, hidden, value, grid, n, p25, p50, p75 in rows:
        found[release] = _cell_value(hidden, value, grid, n, (p25, p50, p75))
    return found


# --- framework structures and the organisation's own results ---------------------------------


def structures(version_ids: Iterable[int]) -> dict[int, Structure]:
    """`Structure.of` for several framework versions in one query."""
    wanted = sorted(set(version_ids))
    nodes: dict[int, list[Node]] = defaultdict(list)
    for node in (
        Node.objects.filter(
            version__in=wanted, kind__in=[NodeKind.AREA, NodeKind.GROUP, NodeKind.QUESTION]
        )
        .select_related("version")
        .order_by("version", "position")
    ):
        nodes[node.version_id].append(node)
    return {version: _structure(nodes.get(version, [])) for version in wanted}


def _structure(nodes: list[Node]) -> Structure:
    """The same structure `Structure.of` builds, from one version's nodes already read."""
    parent = {n.pk: n.parent_id for n in nodes}
    kinds = {n.pk: n.kind for n in nodes}
    area_of: dict[int, int] = {}
    for node in nodes:
        if node.kind != NodeKind.QUESTION:
            continue
        current: int | None = node.pk
        while current is not None and kinds.get(current) != NodeKind.AREA:
            current = parent.get(current)
        if current is not None:
            area_of[node.pk] = current
    questions = {n.pk: n for n in nodes if n.kind == NodeKind.QUESTION and n.pk in area_of}
    structure = Structure(
        areas=[n for n in nodes if n.kind == NodeKind.AREA], area_of=area_of, questions=questions
    )
    structure.scored = {q for q, node in questions.items() if is_scored(node)}
    return structure


@dataclass
class OwnResult:
    """The organisation's own result of one assessment: exact scores and its answer categories."""

    assessment: Assessment
    total: float | None
    areas: dict[int, float]
    categories: dict[int, str] = field(default_factory=dict)


def own_results(
    organisation: Organisation, network: Network | int, extra_versions: Iterable[int] = ()
) -> tuple[list[OwnResult], dict[int, Structure]]:
    """Like `service.own_scores` for one network, with answer categories, in three queries
    whatever the number of years and framework versions; also the structures of the versions
    in use plus `extra_versions`. Read in the organisation's own scope (the caller's)."""
    chosen = list(
        Assessment.objects.filter(organisation=organisation, campaign__network=network)
        .exclude(state=AssessmentState.NOT_STARTED)
        .select_related("campaign")
        .order_by("campaign__year")
    )
    found = structures([a.campaign.framework_version_id for a in chosen] + list(extra_versions))
    rows: dict[int, list[Any]] = defaultdict(list)
    answers = Answer.objects.filter(
        organisation=organisation, assessment__in=[a.pk for a in chosen], draft=False
    ).values_list(
        "assessment_id", "question_id", "org_unit_id", "value", "not_applicable", "dont_know"
    )
    for row in answers:
        rows[row[0]].append(row)
    results = []
    for assessment in chosen:
        structure = found[assessment.campaign.framework_version_id]
        scored = score_assessments(structure, rows.get(assessment.pk, [])).get(assessment.pk)
        results.append(
            OwnResult(
                assessment,
                scored.total if scored else None,
                scored.areas if scored else {},
                scored.categories if scored else {},
            )
        )
    return results, found
