"""Read-only helpers for the benchmark pages, in a fixed number of queries.

`service.py` stays the one way to read benchmark numbers; these helpers read the same stored,
published releases (R10) with narrower filters, so a page reads only the cells it shows and
reads many releases or years at once instead of one query per year. Hidden cells become the
service's one marker (`HIDDEN`, R11) exactly as `service.release_cells` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from samvirke.benchmarking.models import PartitionKind, Release, ReleaseCell, ReleaseState
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.scores import Structure
from samvirke.benchmarking.service import HIDDEN, CellValue, Published
from samvirke.tenancy.models import Network

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
    return Structure.of_many(version_ids)
