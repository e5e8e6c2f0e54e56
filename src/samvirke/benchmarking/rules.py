"""The disclosure rules R1 to R7 and R4/R5 suppression as pure functions (../shared/disclosure.md).

Nothing here reads the database: `release.py` gathers the counted organisations' scores and
answers, these functions decide what may be published and how it is rounded, and `audit.py`
(R13) checks the result.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from samvirke.benchmarking.policy import DisclosurePolicy

TOTAL = "total"

#: Internal reason codes of hidden cells (stored in CellReason, never served).
R1, R2, R3, R4, R5, R13, NO_DATA = "R1", "R2", "R3", "R4", "R5", "R13", "no-data"


def area_statistic(area_id: int) -> str:
    """The statistic name of an area's score mean."""
    return f"area:{area_id}"


def question_statistic(question_id: int, option: str) -> str:
    """The statistic name of one answer option's share of a question."""
    return f"question:{question_id}:{option}"


def is_score(statistic: str) -> bool:
    """Whether a statistic is a score mean (total or area) rather than an answer share."""
    return statistic == TOTAL or statistic.startswith("area:")


@dataclass(frozen=True, order=True)
class GroupKey:
    """A group of a partition: ("everyone", "all"), ("region", "DK-084"), ("custom:x", "y")."""

    partition: str
    key: str


EVERYONE = GroupKey("everyone", "all")


@dataclass
class Cell:
    """One statistic of one group while a release is being built."""

    group: GroupKey
    statistic: str
    members: list[int]  # contributors counted in this cell (organisation ids)
    n: int = 0
    value: float | None = None
    grid: float | None = None
    quartiles: tuple[float, float, float] | None = None
    reasons: set[str] = field(default_factory=set)

    @property
    def hidden(self) -> bool:
        """Whether the cell shows the uniform marker instead of a number."""
        return bool(self.reasons)


# --- R6: rounding ----------------------------------------------------------------------------


def mean_grid(n: int, policy: DisclosurePolicy) -> float | None:
    """R6: the smallest grid q with n * q >= W, or None when even the coarsest is too fine."""
    for grid in sorted(policy.mean_grids):
        if n * grid >= policy.width:
            return grid
    return None


def round_to(value: float, grid: float) -> float:
    """Round half up to a multiple of the grid (never below 0 by rounding)."""
    return max(0.0, math.floor(value / grid + 0.5) * grid)


def share_grid(n: int, policy: DisclosurePolicy) -> float:
    """R6: percentages to 5 % from 20 answering organisations, else to 10 %."""
    return policy.share_fine if n >= policy.share_fine_from else policy.share_coarse


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """The p-quantile by linear interpolation between order statistics."""
    position = (len(sorted_values) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


# --- R1, R2: score means ---------------------------------------------------------------------


def dominance_ok(values: Sequence[float], policy: DisclosurePolicy) -> bool:
    """R2: without the c members that help an attacker most, both slacks stay at least W.

    Σ(x - min) is smallest without the c highest values, Σ(max - x) without the c lowest.
    """
    low, high = policy.scale
    ordered = sorted(values)
    c = policy.dominance_drop
    if len(ordered) <= c:
        return False
    without_highest = ordered[: len(ordered) - c]
    without_lowest = ordered[c:]
    return (
        sum(x - low for x in without_highest) >= policy.width
        and sum(high - x for x in without_lowest) >= policy.width
    )


def primary_score_reasons(values: Sequence[float], policy: DisclosurePolicy) -> set[str]:
    """R1 and R2 for one score mean."""
    if not values:
        return {NO_DATA}
    if len(values) < policy.min_contributors:
        return {R1}
    if not dominance_ok(values, policy):
        return {R2}
    if mean_grid(len(values), policy) is None:
        return {R1}
    return set()


def publish_score(cell: Cell, values: Sequence[float], policy: DisclosurePolicy) -> None:
    """Fill a score cell: R1/R2, the rounded mean (R6) and quartiles from n >= 20 (R7)."""
    cell.n = len(values)
    cell.reasons |= primary_score_reasons(values, policy)
    if cell.hidden:
        return
    grid = mean_grid(cell.n, policy)
    assert grid is not None
    cell.grid = grid
    cell.value = round_to(sum(values) / cell.n, grid)
    if cell.n >= policy.quartiles_from:
        ordered = sorted(values)
        cell.quartiles = (
            round_to(quantile(ordered, 0.25), 2 * grid),
            round_to(quantile(ordered, 0.50), 2 * grid),
            round_to(quantile(ordered, 0.75), 2 * grid),
        )


# --- R3: answer distributions ----------------------------------------------------------------


def distribution_reasons(counts: dict[str, int], policy: DisclosurePolicy) -> set[str]:
    """R3: n >= k_Q, and no category holding n - 1 or more of the answers."""
    n = sum(counts.values())
    if n == 0:
        return {NO_DATA}
    if n < policy.min_distribution:
        return {R3}
    if max(counts.values()) >= n - 1:
        return {R3}
    return set()


def publish_distribution(
    cells: dict[str, Cell], counts: dict[str, int], policy: DisclosurePolicy
) -> None:
    """Fill the option cells of one question in one group: all published or all hidden."""
    n = sum(counts.values())
    reasons = distribution_reasons(counts, policy)
    grid = share_grid(n, policy)
    for option, cell in cells.items():
        cell.n = n
        cell.reasons |= reasons
        if not cell.hidden:
            cell.grid = grid
            cell.value = round_to(100.0 * counts.get(option, 0) / n, grid)


# --- R4, R5: block and complementary suppression ---------------------------------------------


def hide(cells: Iterable[Cell], reason: str) -> int:
    """Add a reason to every cell; returns how many were published before."""
    newly = 0
    for cell in cells:
        newly += not cell.hidden
        cell.reasons.add(reason)
    return newly


def block_suppression(cells_by_group: dict[GroupKey, list[Cell]]) -> int:
    """R4: a group with any hidden score cell hides its whole block (scores and answer shares).

    Cells with no data at all (an area nobody in the group scored) do not trigger the block:
    there is nothing to protect in them, and they say nothing about the others.
    """
    newly = 0
    for cells in cells_by_group.values():
        if any(c.hidden and is_score(c.statistic) and c.reasons != {NO_DATA} for c in cells):
            newly += hide(cells, R4)
    return newly


def union_passes(
    statistic: str,
    hidden: list[Cell],
    values: dict[int, dict[str, float]],
    answers: dict[int, dict[str, str]],
    policy: DisclosurePolicy,
) -> bool:
    """R5: whether the union of a partition's hidden cells of one statistic passes R1 to R3."""
    members = sorted({m for cell in hidden for m in cell.members})
    if not members:
        return True
    if is_score(statistic):
        scored = [values[m][statistic] for m in members if statistic in values[m]]
        return not scored or not primary_score_reasons(scored, policy)
    question = statistic.split(":")[1]
    counts: dict[str, int] = {}
    for m in members:
        option = answers[m].get(question)
        if option is not None:
            counts[option] = counts.get(option, 0) + 1
    return not counts or not distribution_reasons(counts, policy)


def complementary_suppression(
    cells: list[Cell],
    values: dict[int, dict[str, float]],
    answers: dict[int, dict[str, str]],
    policy: DisclosurePolicy,
) -> int:
    """R5: in each partition whose "everyone" cell is published, the hidden cells' union must
    pass R1 to R3 itself; otherwise hide the next smallest published cell, and repeat.

    When "everyone" is hidden, every group of every partition is hidden with it: publishing all
    groups of a partition would publish the total.
    """
    newly = 0
    by_statistic: dict[str, dict[str, list[Cell]]] = {}
    everyone: dict[str, Cell] = {}
    for cell in cells:
        if cell.group == EVERYONE:
            everyone[cell.statistic] = cell
        else:
            by_statistic.setdefault(cell.statistic, {}).setdefault(cell.group.partition, [])
            by_statistic[cell.statistic][cell.group.partition].append(cell)
    for statistic, partitions in by_statistic.items():
        total = everyone.get(statistic)
        for partition_cells in partitions.values():
            if total is None or total.hidden:
                newly += hide(partition_cells, R5)
                continue
            while True:
                hidden = [c for c in partition_cells if c.hidden and c.reasons != {NO_DATA}]
                if not hidden or union_passes(statistic, hidden, values, answers, policy):
                    break
                shown = [c for c in partition_cells if not c.hidden]
                if not shown:
                    break
                smallest = min(shown, key=lambda c: (c.n, c.group.key))
                newly += hide([smallest], R5)
    return newly
