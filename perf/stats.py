"""Summaries of latency samples: the figures the report shows."""

from __future__ import annotations

import statistics
from typing import TypedDict


class Latency(TypedDict):
    """p50, p95 and mean of n samples, in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float


def summarise(samples_ms: list[float]) -> Latency:
    """Percentiles by linear interpolation between the closest ranks (the 'inclusive' method)."""
    if len(samples_ms) < 2:
        raise ValueError("at least two samples are needed for percentiles")
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return Latency(
        n=len(samples_ms),
        p50_ms=round(cuts[49], 1),
        p95_ms=round(cuts[94], 1),
        mean_ms=round(statistics.fmean(samples_ms), 1),
    )
