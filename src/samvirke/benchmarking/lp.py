"""A small linear-programme helper on HiGHS (highspy), for the audit's many tiny programmes.

scipy's `linprog` uses the same solver but validates and converts its input on every call; the
audit solves thousands of programmes of a few dozen variables, so it passes each model to HiGHS
once and re-solves it with changed costs or bounds.
"""

from __future__ import annotations

import os
import sys

import highspy
import numpy as np
import scipy.sparse as sparse

_STARTED = False


def _highs() -> highspy.Highs:
    """A HiGHS instance; the banner HiGHS prints on its first start in a process is dropped."""
    global _STARTED
    if _STARTED:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _STARTED = True
    return highs


class Programme:
    """min/max of cost·x subject to row_low <= A·x <= row_high and col_low <= x <= col_high."""

    def __init__(
        self,
        matrix: np.ndarray,
        row_low: np.ndarray,
        row_high: np.ndarray,
        col_low: np.ndarray,
        col_high: np.ndarray,
    ) -> None:
        self.highs = _highs()
        self.highs.silent()
        rows, cols = matrix.shape
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = cols, rows
        lp.col_cost_ = np.zeros(cols)
        lp.col_lower_ = np.asarray(col_low, dtype=float)
        lp.col_upper_ = np.asarray(col_high, dtype=float)
        lp.row_lower_ = np.asarray(row_low, dtype=float)
        lp.row_upper_ = np.asarray(row_high, dtype=float)
        compressed = sparse.csc_matrix(matrix)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = compressed.indptr
        lp.a_matrix_.index_ = compressed.indices
        lp.a_matrix_.value_ = compressed.data
        self.highs.passModel(lp)
        self.cols = cols

    @classmethod
    def from_columns(
        cls,
        columns: list[list[int]],
        rows: int,
        row_low: np.ndarray,
        row_high: np.ndarray,
        col_low: np.ndarray,
        col_high: np.ndarray,
    ) -> Programme:
        """A programme whose matrix has a 1 in each listed row of each column (no dense copy)."""
        programme = cls.__new__(cls)
        programme.highs = _highs()
        programme.highs.silent()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(columns), rows
        lp.col_cost_ = np.zeros(len(columns))
        lp.col_lower_ = np.asarray(col_low, dtype=float)
        lp.col_upper_ = np.asarray(col_high, dtype=float)
        lp.row_lower_ = np.asarray(row_low, dtype=float)
        lp.row_upper_ = np.asarray(row_high, dtype=float)
        starts = np.zeros(len(columns) + 1, dtype=np.int32)
        starts[1:] = np.cumsum([len(c) for c in columns])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = starts
        lp.a_matrix_.index_ = np.array([r for c in columns for r in sorted(c)], dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(int(starts[-1]))
        programme.highs.passModel(lp)
        programme.cols = len(columns)
        return programme

    def set_col_bounds(self, col: int, low: float, high: float) -> None:
        """Change one variable's bounds (the model stays loaded: the next solve starts warm)."""
        self.highs.changeColBounds(col, low, high)

    def set_row_bounds(self, row: int, low: float, high: float) -> None:
        """Change one row's bounds."""
        self.highs.changeRowBounds(row, low, high)

    def solve(self, cost: np.ndarray) -> np.ndarray | None:
        """Minimise cost·x; None when the programme has no optimum (treat as fail closed)."""
        self.highs.changeColsCost(self.cols, np.arange(self.cols), np.asarray(cost, dtype=float))
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.highs.getSolution().col_value)

    def fix(self, col: int, value: float) -> None:
        """Fix one variable to a value."""
        self.highs.changeColBounds(col, value, value)
