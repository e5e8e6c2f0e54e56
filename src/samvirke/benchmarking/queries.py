"""Read-only helpers for the benchmark pages, in a fixed number of queries.

`service.py` stays the one way to read benchmark numbers; these helpers read the same stored,
published releases (R10) with narrower filters, so a page reads only the cells it shows and
reads many releases or years at once instead of one query per year. Hidden cells become the
service's one marker (`HIDDEN`, R11) exactly as `service.release_cells` does.
"""

from __future__ import annotations

from collections.abc import Iterable

from samvirke.benchmarking.models import (
    PartitionKind,
    Release,
    ReleaseCell,
    ReleaseGroup,
    ReleaseState,
)
from samvirke.benchmarking.rules import TOTAL
from samvirke.benchmarking.service import HIDDEN, CellValue, cell_value, release_cells
from samvirke.tenancy.models import Network

CellKey = tuple[int, str]


def release_cells_for(
    release: Release, *, group_ids: Iterable[int] | None = None, scores_only: bool = False
) -> dict[CellKey, CellValue]:
    """A published release's cells (see `service.release_cells`); none of an unpublished one."""
    if release.state != ReleaseState.PUBLISHED:
        return {}
    return release_cells(release, group_ids=group_ids, scores_only=scores_only)


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
    published = [r.pk for r in releases if r.state == ReleaseState.PUBLISHED]
    everyone = ReleaseGroup.objects.filter(
        release__in=published, partition=PartitionKind.EVERYONE
    ).values("pk")
    # Release, group and statistic together: the database looks each cell up in the unique
    # index instead of reading every cell of every release.
    rows = ReleaseCell.objects.filter(
        release__in=published, group__in=everyone, statistic=statistic
    ).values_list("release_id", "hidden", "value", "grid", "n", "p25", "p50", "p75")
    for release, hidden, value, grid, n, p25, p50, p75 in rows:
        found[release] = cell_value(hidden, value, grid, n, (p25, p50, p75))
    return found
