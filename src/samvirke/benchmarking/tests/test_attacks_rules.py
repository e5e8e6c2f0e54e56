"""The rules and the LP gate without a database (AT-03, and AT-04's brute-force cross-check).

AT-03 builds populations of 1 to 400 organisations in memory, as release.py gathers them, runs
the primary rules and R4/R5 suppression, and checks every published cell against R1 to R3, R6
and R7 written out again here. AT-04 compares the production audit's pinned decisions with a
plain per-organisation `scipy.optimize.linprog` over the outsider and every pair of insiders.
"""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samvirke.benchmarking.audit import Constraint, Problem, audit_problem
from samvirke.benchmarking.policy import CURRENT_POLICY
from samvirke.benchmarking.release import Contributor, _suppress, build_cells
from samvirke.benchmarking.rules import EVERYONE, NO_DATA, Cell, GroupKey
from samvirke.benchmarking.scores import Structure
from samvirke.benchmarking.tests.conftest import TIE, W, reference_width, report
from samvirke.frameworks.models import Node
from samvirke.tenancy.models import Organisation

POLICY = CURRENT_POLICY
AREAS = (1, 2)
QUESTIONS = (10, 11)
OPTIONS = ["0", "1", "2", "3", "4", "5", "not_applicable", "dont_know"]
SIZES = ("xs", "s", "m", "l")


class MemoryStructure(Structure):
    """Two areas and two maturity questions, without a framework version in the database."""

    def options(self, question: Node) -> list[str]:
        return OPTIONS


STRUCTURE = MemoryStructure(
    areas=[Node(pk=a) for a in AREAS],
    area_of={10: 1, 11: 2},
    questions={q: Node(pk=q) for q in QUESTIONS},
    scored=set(QUESTIONS),
)

#: What AT-03 checked, reported by the test after it.
CHECKED: dict[str, int] = defaultdict(int)

SHAPES = ("spread", "excellent region", "all the same", "extremes", "sparse")


def memory_population(size: int, regions: int, shape: str, seed: int) -> dict[int, Contributor]:
    """Contributors as release.gather makes them: groups, scores and answer categories."""
    rng = random.Random(seed)
    contributors = {}
    for index in range(size):
        region = rng.randrange(regions) if shape != "sparse" else min(index, regions - 1)
        if shape == "excellent region" and region == 0:
            level = 5.0
        elif shape == "all the same":
            level = 3.0
        elif shape == "extremes":
            level = rng.choice([0.0, 5.0])
        else:
            level = min(5.0, max(0.0, rng.gauss(2.6, 1.0)))
        scores: dict[str, float] = {}
        categories: dict[str, str] = {}
        for area, question in zip(AREAS, QUESTIONS, strict=True):
            if rng.random() < 0.05:
                categories[str(question)] = "not_applicable"  # no score in this area
                continue
            answer = min(5, max(0, round(level + (0 if shape != "spread" else rng.gauss(0, 1)))))
            scores[f"area:{area}"] = answer * 20.0
            categories[str(question)] = str(answer)
        if scores:
            scores["total"] = sum(scores.values()) / len(scores)
        contributors[index + 1] = Contributor(
            organisation=Organisation(pk=index + 1, code=f"O{index + 1:03d}"),
            groups=[
                EVERYONE,
                GroupKey("region", f"r{region}"),
                GroupKey("size_class", SIZES[index % len(SIZES)]),
            ],
            scores=scores,
            categories=categories,
        )
    return contributors


# --- the rules written out again, to check the published cells against -------------------------


def expected_grid(n: int) -> float | None:
    return next((q for q in sorted(POLICY.mean_grids) if n * q >= POLICY.width), None)


def on_grid(value: float, grid: float) -> bool:
    return abs(value / grid - round(value / grid)) < 1e-9


def score_breaks(cell: Cell, values: list[float]) -> list[str]:
    """R1, R2, R6 and R7 for a published score mean."""
    n = len(values)
    ordered = sorted(values)
    broken = []
    if n < POLICY.min_contributors or cell.n != n:
        broken.append(f"R1: n={n}")
        return broken
    if sum(ordered[:-2]) < W or sum(100 - x for x in ordered[2:]) < W:
        broken.append(f"R2: {ordered}")
    grid = expected_grid(n)
    assert cell.value is not None
    if grid is None or cell.grid != grid or not on_grid(cell.value, grid):
        broken.append(f"R6: value {cell.value} grid {cell.grid}, expected {grid}")
    elif abs(cell.value - sum(values) / n) > grid / 2 + 1e-9:
        broken.append(f"R6: {cell.value} is not the mean {sum(values) / n} rounded")
    if (cell.quartiles is not None) != (n >= POLICY.quartiles_from):
        broken.append(f"R7: quartiles {cell.quartiles} with n={n}")
    elif (
        cell.quartiles is not None
        and grid is not None
        and not all(on_grid(q, 2 * grid) for q in cell.quartiles)
    ):
        broken.append(f"R7: quartiles {cell.quartiles} off the grid {2 * grid}")
    return broken


def distribution_breaks(cell: Cell, answers: list[str]) -> list[str]:
    """R3 and R6 for a published answer share."""
    n = len(answers)
    counts: dict[str, int] = defaultdict(int)
    for answer in answers:
        counts[answer] += 1
    if n < POLICY.min_distribution or cell.n != n:
        return [f"R3: n={n}"]
    if max(counts.values()) >= n - 1:
        return [f"R3: one category holds {max(counts.values())} of {n}"]
    grid = POLICY.share_fine if n >= POLICY.share_fine_from else POLICY.share_coarse
    assert cell.value is not None
    if cell.grid != grid or not on_grid(cell.value, grid):
        return [f"R6: share {cell.value} grid {cell.grid}, expected {grid}"]
    return []


def published_breaks(cells: list[Cell], contributors: dict[int, Contributor]) -> list[str]:
    """Every published cell that breaks R1 to R3 (with R6/R7), and every group that breaks R4."""
    broken = []
    for cell in cells:
        if cell.hidden:
            continue
        where = f"{cell.group.partition}:{cell.group.key} {cell.statistic}"
        if cell.statistic.startswith("question:"):
            question = cell.statistic.split(":")[1]
            answers = [contributors[m].categories[question] for m in cell.members]
            broken += [f"{where}: {b}" for b in distribution_breaks(cell, answers)]
        else:
            values = [contributors[m].scores[cell.statistic] for m in cell.members]
            broken += [f"{where}: {b}" for b in score_breaks(cell, values)]
    by_group: dict[GroupKey, list[Cell]] = defaultdict(list)
    for cell in cells:
        by_group[cell.group].append(cell)
    for group, group_cells in by_group.items():
        blocked = any(
            c.hidden and not c.statistic.startswith("question:") and c.reasons != {NO_DATA}
            for c in group_cells
        )
        if blocked and any(not c.hidden for c in group_cells):
            broken.append(f"{group}: R4, a hidden score but published cells")
    return broken


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.one_of(st.integers(1, 30), st.integers(30, 120), st.integers(120, 400)),
    regions=st.integers(1, 12),
    shape=st.sampled_from(SHAPES),
    seed=st.integers(0, 2**32),
)
def test_at03_no_published_cell_breaks_the_primary_rules(
    size: int, regions: int, shape: str, seed: int
) -> None:
    contributors = memory_population(size, regions, shape, seed)
    cells = build_cells(STRUCTURE, contributors, POLICY)
    _suppress(cells, contributors, POLICY)
    broken = published_breaks(cells, contributors)
    CHECKED["populations"] += 1
    CHECKED["largest"] = max(CHECKED["largest"], size)
    CHECKED["published"] += sum(1 for c in cells if not c.hidden)
    assert not broken, f"{size} organisations, {shape}: " + "; ".join(broken[:10])


def test_at03_report(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures of the property-based run (run after it, in file order)."""
    line = report(
        capsys,
        f"AT-03: {CHECKED['populations']} populations of up to {CHECKED['largest']} "
        f"organisations, {CHECKED['published']} published cells, 0 breaking R1-R3",
    )
    assert CHECKED["populations"] >= 200, line


# --- AT-04: the LP gate against a brute-force reference -----------------------------------------


def random_problem(size: int, regions: int, seed: int) -> Problem:
    """Everyone and a partition into regions, each group's mean published (rounded by R6, on
    purpose without R1 and R2: the gate must hold whatever the primary rules let through)."""
    rng = random.Random(seed)
    kind = rng.choice(["spread", "extremes", "cluster"])
    values = []
    for _ in range(size):
        if kind == "extremes":
            values.append(rng.choice([0.0, 100.0, rng.uniform(0, 100)]))
        elif kind == "cluster":
            values.append(rng.choice([90.0, 95.0, 100.0]))
        else:
            values.append(round(rng.uniform(0, 100), 2))
    region_of = [rng.randrange(regions) for _ in range(size)]
    groups = [list(range(size))] + [
        [i for i in range(size) if region_of[i] == r] for r in range(regions)
    ]
    constraints = []
    for members in groups:
        n = len(members)
        grid = expected_grid(n)  # R6 holds for every published mean: n * grid >= W
        if grid is None or rng.random() < 0.25:
            continue  # this group's mean is hidden
        mean = sum(values[m] for m in members) / n
        value = np.floor(mean / grid + 0.5) * grid
        constraints.append(
            Constraint(
                tuple(members),
                max(0.0, n * (value - grid / 2)),
                min(100.0 * n, n * (value + grid / 2)),
            )
        )
    known = {i for i in range(size) if rng.random() < 0.1}
    return Problem(np.array(values), list(range(size)), constraints, known)


def reference_pinned(problem: Problem) -> tuple[set[int], set[int]]:
    """Variables pinned below W by an outsider or any pair, and those within a tie of W."""
    pinned, ties = set(), set()
    others = [i for i in range(len(problem.values)) if i not in problem.known]
    for target in others:
        widths = [reference_width(problem, target)]
        if widths[0] >= W - TIE:
            mates = [i for i in others if i != target]
            for a_index, a in enumerate(mates):
                for b in mates[a_index + 1 :]:
                    widths.append(reference_width(problem, target, (a, b)))
                    if widths[-1] < W - TIE:
                        break
                if min(widths) < W - TIE:
                    break
        narrowest = min(widths)
        if narrowest < W - TIE:
            pinned.add(target)
        elif narrowest < W + TIE:
            ties.add(target)
    return pinned, ties


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.one_of(st.integers(2, 8), st.integers(2, 12)),
    regions=st.integers(1, 3),
    seed=st.integers(0, 2**32),
)
def test_at04_audit_agrees_with_brute_force(size: int, regions: int, seed: int) -> None:
    problem = random_problem(size, regions, seed)
    found = audit_problem(problem, POLICY)
    audited = {finding.organisation for finding in found.pinned}
    expected, ties = reference_pinned(problem)
    CHECKED["problems"] += 1
    CHECKED["targets"] += len(problem.values) - len(problem.known)
    CHECKED["pinned"] += len(expected)
    assert audited - ties == expected - ties, (
        f"audit pinned {sorted(audited)}, brute force {sorted(expected)} "
        f"(ties {sorted(ties)}) for values {problem.values.tolist()}"
    )


def test_at04_brute_force_report(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures of the brute-force cross-check (run after it, in file order)."""
    line = report(
        capsys,
        f"AT-04 brute force: {CHECKED['problems']} problems, {CHECKED['targets']} organisations, "
        f"{CHECKED['pinned']} pinned by the reference, all agreeing with the audit",
    )
    assert CHECKED["problems"] >= 40 and CHECKED["pinned"] > 0, line
