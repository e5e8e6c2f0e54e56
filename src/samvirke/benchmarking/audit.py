"""R13, the release gate: how narrowly could anyone pin one organisation's score?

For each score statistic the published cells say: the n counted members of a group have a sum
between n·(v - q/2) and n·(v + q/2) (v rounded to the grid q), and every score lies in [0, 100].
For each organisation the audit finds the lowest and highest score consistent with everything
published, for an outsider and for every coalition of two insiders who pool their own exact
scores (all pairs within groups of at most 30, the extreme pairs of larger groups).
Organisations that opted in to share are known to everyone. An interval narrower than W pins the
organisation, and the release must hide more.

Two exact shortcuts keep this fast at national scale:

- Organisations in exactly the same published groups ("a class") are interchangeable to the
  attacker, so the linear programme has one variable per class (its sum), not per organisation.
- Before any programme is solved, an inner bound is computed: the target's score can move by
  swapping with classmates (the two most helpful treated as insiders) and within the rounding
  slack of its groups. Both moves keep every published number, so if together they span W, no
  outsider or pair of insiders can pin the target and no programme is needed.

A joint audit of a release and its correction uses two variables for an organisation whose score
changed and one for the others (`Variable` below).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from samvirke.benchmarking.lp import Programme
from samvirke.benchmarking.policy import DisclosurePolicy

#: Tolerance for floating point comparisons of sums and bounds.
EPS = 1e-7


@dataclass(frozen=True)
class Constraint:
    """A published mean: the sum of these variables lies in [low, high]."""

    members: tuple[int, ...]  # variable indices
    low: float
    high: float


@dataclass
class Problem:
    """One statistic's audit: the true values (the auditor knows them), constraints, known ones."""

    values: np.ndarray  # true score per variable
    owners: list[int]  # organisation id per variable
    constraints: list[Constraint]
    known: set[int] = field(default_factory=set)  # variable indices everyone knows


@dataclass(frozen=True)
class Finding:
    """The narrowest interval found for one organisation, and by whom."""

    organisation: int
    width: float
    attacker: tuple[int, ...]  # organisation ids of the insiders ((): an outsider)


@dataclass
class AuditResult:
    """What an audit found: the narrowest interval, and every organisation pinned below W."""

    narrowest: float = float("inf")
    pinned: list[Finding] = field(default_factory=list)
    programmes: int = 0
    screened: int = 0
    coalitions: int = 0

    def merge(self, other: AuditResult) -> None:
        """Add another statistic's findings."""
        self.narrowest = min(self.narrowest, other.narrowest)
        self.pinned += other.pinned
        self.programmes += other.programmes
        self.screened += other.screened
        self.coalitions += other.coalitions


def mean_constraint(
    members: Sequence[int], value: float, grid: float, scale: tuple[float, float]
) -> Constraint:
    """The sum interval a rounded mean allows."""
    n = len(members)
    low, high = scale
    return Constraint(
        tuple(members),
        max(low * n, n * (value - grid / 2)),
        min(high * n, n * (value + grid / 2)),
    )


class _Audit:
    """The audit of one problem (one statistic)."""

    def __init__(self, problem: Problem, policy: DisclosurePolicy) -> None:
        self.p = problem
        self.policy = policy
        self.low, self.high = policy.scale
        self.result = AuditResult()
        self.of: dict[int, list[int]] = defaultdict(list)  # variable → constraint indices
        for index, constraint in enumerate(problem.constraints):
            for member in constraint.members:
                self.of[member].append(index)
        self.sums = [float(problem.values[list(c.members)].sum()) for c in problem.constraints]
        self.extremes: list[dict[tuple[int, ...], float]] = []
        self.extremes_fixed: set[int] = set()
        self._model: _TargetModel | None = None
        self.classes: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for var in range(len(problem.values)):
            self.classes[tuple(self.of[var])].append(var)

    # The inner bound ---------------------------------------------------------------------

    def inner_width(self, target: int, insiders: Iterable[int] = ()) -> float:
        """A width the target's interval surely has, for these insiders or any two classmates."""
        x = self.p.values
        signature = tuple(self.of[target])
        if not signature:
            return self.high - self.low  # in no published group: nothing constrains it
        fixed = set(insiders) | self.p.known | {target}
        mates = [v for v in self.classes[signature] if v not in fixed]
        drop = 0 if insiders else self.policy.coalition_size
        ups = sorted((float(x[v]) - self.low for v in mates), reverse=True)[drop:]
        downs = sorted((self.high - float(x[v]) for v in mates), reverse=True)[drop:]
        slack_up = min(self.p.constraints[c].high - self.sums[c] for c in signature)
        slack_down = min(self.sums[c] - self.p.constraints[c].low for c in signature)
        up = min(self.high - float(x[target]), sum(ups) + max(0.0, slack_up))
        down = min(float(x[target]) - self.low, sum(downs) + max(0.0, slack_down))
        return up + down

    # The linear programme ----------------------------------------------------------------

    def exact_width(
        self, target: int, insiders: Sequence[int] = (), *, keep_extremes: bool = True
    ) -> float:
        """The exact interval width of the target for these insiders (classes aggregated).

        Column 0 is the target's score; every other column is the sum of one class's free
        (neither known nor insider) members, between `low` and `high` times their number.
        """
        x = self.p.values
        fixed = set(insiders) | self.p.known
        signatures: list[tuple[int, ...]] = [tuple(self.of[target])]
        bounds = [(self.low, self.high)]
        for signature, members in self.classes.items():
            free = sum(1 for m in members if m not in fixed and m != target)
            if free and signature:
                signatures.append(signature)
                bounds.append((self.low * free, self.high * free))
        rows = sorted({c for signature in signatures for c in signature})
        if not rows:
            return self.high - self.low
        row_index = {c: i for i, c in enumerate(rows)}
        matrix = np.zeros((len(rows), len(signatures)))
        for j, signature in enumerate(signatures):
            for c in signature:
                matrix[row_index[c], j] = 1.0
        lows = np.empty(len(rows))
        highs = np.empty(len(rows))
        for c, i in row_index.items():
            constraint = self.p.constraints[c]
            known = sum(float(x[m]) for m in constraint.members if m in fixed and m != target)
            lows[i], highs[i] = constraint.low - known, constraint.high - known
        programme = Programme(matrix, lows - EPS, highs + EPS, *np.array(bounds, dtype=float).T)
        truth = np.array([self._class_truth(sig, fixed | {target}) for sig in signatures[1:]])
        closest = _Closest(matrix, lows - EPS, highs + EPS, bounds, truth)
        ends = []
        self.extremes = []
        self.extremes_fixed = fixed | {target}
        for sign in (1.0, -1.0):
            cost = np.zeros(len(signatures))
            cost[0] = sign
            solution = programme.solve(cost)
            self.result.programmes += 1
            if solution is None:
                return 0.0  # infeasible only through rounding at an edge: fail closed
            end = float(solution[0])
            ends.append(end)
            if keep_extremes:
                self.result.programmes += 1
                self.extremes.append(dict(zip(signatures[1:], closest.at(end), strict=True)))
        return max(0.0, ends[1] - ends[0])

    def pair_width(self, target: int, pair: Sequence[int]) -> float:
        """The exact width for a pair of insiders, on the target's programme loaded once.

        The outsider's programme for this target stays loaded in HiGHS; a pair only shrinks
        its members' class columns and moves the bounds of their groups, and the solver
        starts from the previous basis, so each pair costs a fraction of a fresh programme.
        """
        model = self._target_model(target)
        x = self.p.values
        changed_cols: dict[int, int] = defaultdict(int)
        changed_rows: dict[int, float] = defaultdict(float)
        for member in pair:
            column = model.column_of.get(tuple(self.of[member]))
            if column is not None:
                changed_cols[column] += 1
            for c in self.of[member]:
                changed_rows[model.row_of[c]] += float(x[member])
        for column, removed in changed_cols.items():
            free = model.free[column] - removed
            model.programme.set_col_bounds(column, self.low * free, self.high * free)
        for row, shift in changed_rows.items():
            model.programme.set_row_bounds(row, model.lows[row] - shift, model.highs[row] - shift)
        ends: list[float] = []
        for sign in (1.0, -1.0):
            cost = np.zeros(model.programme.cols)
            cost[0] = sign
            solution = model.programme.solve(cost)
            self.result.programmes += 1
            if solution is None:
                ends = []
                break
            ends.append(float(solution[0]))
        for column in changed_cols:
            free = model.free[column]
            model.programme.set_col_bounds(column, self.low * free, self.high * free)
        for row in changed_rows:
            model.programme.set_row_bounds(row, model.lows[row], model.highs[row])
        return max(0.0, ends[1] - ends[0]) if ends else 0.0

    def _target_model(self, target: int) -> _TargetModel:
        """The outsider's programme for a target, built on first use and kept for its pairs."""
        if self._model is not None and self._model.target == target:
            return self._model
        x = self.p.values
        fixed = self.p.known
        signatures: list[tuple[int, ...]] = [tuple(self.of[target])]
        free_counts = [1]
        for signature, members in self.classes.items():
            free = sum(1 for m in members if m not in fixed and m != target)
            if free and signature:
                signatures.append(signature)
                free_counts.append(free)
        rows = sorted({c for signature in signatures for c in signature})
        row_of = {c: i for i, c in enumerate(rows)}
        lows = np.empty(len(rows))
        highs = np.empty(len(rows))
        for c, i in row_of.items():
            constraint = self.p.constraints[c]
            known = sum(float(x[m]) for m in constraint.members if m in fixed and m != target)
            lows[i], highs[i] = constraint.low - known - EPS, constraint.high - known + EPS
        col_low = np.array([self.low] + [self.low * f for f in free_counts[1:]])
        col_high = np.array([self.high] + [self.high * f for f in free_counts[1:]])
        programme = Programme.from_columns(
            [[row_of[c] for c in signature] for signature in signatures],
            len(rows),
            lows,
            highs,
            col_low,
            col_high,
        )
        self._model = _TargetModel(
            target=target,
            programme=programme,
            column_of={sig: j for j, sig in enumerate(signatures) if j > 0},
            row_of=row_of,
            free=free_counts,
            lows=lows,
            highs=highs,
        )
        return self._model

    def _class_truth(self, signature: tuple[int, ...], fixed: set[int]) -> float:
        x = self.p.values
        return float(sum(x[m] for m in self.classes[signature] if m not in fixed))

    def absorbs(self, extra: Iterable[int]) -> bool:
        """Whether the last programme's extreme solutions stay feasible with `extra` fixed too.

        Each extreme solution changes some classes' sums. If, in every class of the extra
        insiders, the other free members can carry that change within [low, high], the same
        extremes are reachable with the extra insiders at their true scores: they learn nothing
        more, and no programme is needed.
        """
        x = self.p.values
        fixed_now = set(extra)
        for extreme in self.extremes:
            for member in fixed_now:
                signature = tuple(self.of[member])
                if signature not in extreme:
                    continue
                free = [m for m in self.classes[signature] if m not in self.extremes_fixed]
                change = extreme[signature] - float(sum(x[m] for m in free))
                if math.isnan(change):
                    return False  # no closest solution was found: decide nothing here
                rest = [m for m in free if m not in fixed_now]
                if change > EPS and sum(self.high - float(x[m]) for m in rest) < change - EPS:
                    return False
                if change < -EPS and sum(float(x[m]) - self.low for m in rest) < -change - EPS:
                    return False
        return True

    # The attackers -----------------------------------------------------------------------

    def coalitions_of(self, target: int) -> set[tuple[int, int]]:
        """The pairs of insiders to try against the target."""
        pairs: set[tuple[int, int]] = set()
        x = self.p.values
        for c in self.of[target]:
            others = [m for m in self.p.constraints[c].members if m != target]
            others = [m for m in others if m not in self.p.known]
            if len(self.p.constraints[c].members) <= self.policy.coalition_all_pairs_up_to:
                pairs |= {tuple(sorted(pair)) for pair in itertools.combinations(others, 2)}  # type: ignore[misc]
            else:
                ordered = sorted(others, key=lambda m: float(x[m]))
                extremes = ordered[:2] + ordered[-2:]
                pairs |= {
                    tuple(sorted(pair))  # type: ignore[misc]
                    for pair in itertools.combinations(dict.fromkeys(extremes), 2)
                }
        return pairs

    def check(self, target: int) -> None:
        """Find the target's narrowest interval; record it if below W.

        Exact, with programmes only where needed: a pair whose classes can absorb the
        outsider's extreme solutions learns nothing more; otherwise each of its members alone is
        tried (once per target), and the pair only if the other member cannot be absorbed in
        that single insider's extremes.
        """
        needed = self.policy.width - EPS
        inner = self.inner_width(target)
        if inner >= needed:
            self.result.screened += 1
            self.result.narrowest = min(self.result.narrowest, inner)
            return
        narrowest = self.exact_width(target)
        outsider = (narrowest, self.extremes, self.extremes_fixed)
        attacker: tuple[int, ...] = ()
        singles: dict[int, tuple[float, list[dict[tuple[int, ...], float]], set[int]]] = {}

        def restore(state: tuple[float, list[dict[tuple[int, ...], float]], set[int]]) -> None:
            self.extremes, self.extremes_fixed = state[1], state[2]

        for pair in sorted(self.coalitions_of(target)) if narrowest >= needed else []:
            self.result.coalitions += 1
            restore(outsider)
            if self.absorbs(pair):
                continue  # the pair reaches the outsider's extremes: the same width
            inner = self.inner_width(target, pair)
            if inner >= needed:
                narrowest = min(narrowest, inner)  # a lower bound: report conservatively
                continue
            width = None
            for first, second in (pair, pair[::-1]):
                if first not in singles:
                    # Its own programme even when the outsider's extremes absorb it alone: the
                    # pair check below needs extremes computed with `first` fixed.
                    singles[first] = (
                        self.exact_width(target, [first]),
                        self.extremes,
                        self.extremes_fixed,
                    )
                restore(singles[first])
                if self.absorbs([second]):
                    width = singles[first][0]
                    break
            if width is None:
                width = self.pair_width(target, pair)
            if width < narrowest:
                narrowest, attacker = width, tuple(self.p.owners[m] for m in pair)
            if narrowest < needed:
                break
        self.result.narrowest = min(self.result.narrowest, narrowest)
        if narrowest < needed:
            self.result.pinned.append(Finding(self.p.owners[target], narrowest, attacker))

    def run(self) -> AuditResult:
        for target in range(len(self.p.values)):
            if target not in self.p.known:
                self.check(target)
        return self.result


@dataclass
class _TargetModel:
    """One target's outsider programme, loaded in HiGHS, with its base bounds."""

    target: int
    programme: Programme
    column_of: dict[tuple[int, ...], int]
    row_of: dict[int, int]
    free: list[int]
    lows: np.ndarray
    highs: np.ndarray


class _Closest:
    """Extreme solutions that move the class sums as little as possible (L1 distance).

    The plain programme's optimum is a vertex that pushes whole classes to their bounds; this
    second programme keeps the target at its extreme and every class as near its true sum as
    the constraints allow, so that fixing one more insider is far more often absorbed by its
    classmates and needs no programme of its own.
    """

    def __init__(
        self,
        matrix: np.ndarray,
        row_low: np.ndarray,
        row_high: np.ndarray,
        bounds: list[tuple[float, float]],
        truth: np.ndarray,
    ) -> None:
        rows, cols = matrix.shape
        m = cols - 1  # class columns; column 0 is the target
        eye = np.eye(m)
        distance_rows = np.vstack(
            [
                np.hstack([np.zeros((m, 1)), eye, -eye]),  # sum - d <= truth
                np.hstack([np.zeros((m, 1)), -eye, -eye]),  # -sum - d <= -truth
            ]
        )
        full = np.vstack([np.hstack([matrix, np.zeros((rows, m))]), distance_rows])
        low = np.concatenate([row_low, np.full(2 * m, -np.inf)])
        high = np.concatenate([row_high, truth, -truth])
        col_low = np.concatenate([[b[0] for b in bounds], np.zeros(m)])
        col_high = np.concatenate([[b[1] for b in bounds], np.full(m, np.inf)])
        self.programme = Programme(full, low, high, col_low, col_high)
        self.cost = np.concatenate([np.zeros(cols), np.ones(m)])
        self.m = m

    def at(self, end: float) -> list[float]:
        """Class sums of the closest solution with the target at `end` (NaN if none)."""
        self.programme.fix(0, end)
        solution = self.programme.solve(self.cost)
        if solution is None:
            return [float("nan")] * self.m
        return [float(v) for v in solution[1 : self.m + 1]]


def audit_problem(problem: Problem, policy: DisclosurePolicy) -> AuditResult:
    """Audit one statistic's published cells."""
    return _Audit(problem, policy).run()
