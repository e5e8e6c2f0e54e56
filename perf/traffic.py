"""Requests against the running server: page latencies and login throughput."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from http_session import Session
from stats import Latency, summarise

WARM_UP = 10
REQUESTS = 200
LOGINS = 100
LOGIN_THREADS = 4
#: Seconds between progress bar updates: often on a terminal, rarely in a log file.
PROGRESS_INTERVAL = 0.2 if sys.stderr.isatty() else 10.0
#: allauth allows 30 logins a minute from one address ("login": "30/m/ip"); every login here
#: comes from 127.0.0.1, so the counters are cleared after each batch of this many.
LOGIN_BATCH = 25


@dataclass(frozen=True)
class Credentials:
    """A username and its password."""

    username: str
    password: str


@dataclass(frozen=True)
class LoginThroughput:
    """Full logins per second under concurrency, and the latency of one login."""

    logins: int
    threads: int
    seconds: float
    per_second: float
    latency: Latency


def progress(total: int, label: str, unit: str) -> tqdm[Any]:
    """A progress bar with the label padded, so the bars of one run line up."""
    return tqdm(total=total, desc=f"{label:<24}", unit=unit, mininterval=PROGRESS_INTERVAL)


def page_latency(
    session: Session,
    path: str,
    label: str,
    headers: dict[str, str] | None = None,
    requests: int = REQUESTS,
) -> Latency:
    """Sequential GETs of one path: WARM_UP unmeasured, then `requests` measured."""
    for _ in range(WARM_UP):
        session.timed_get(path, headers)
    samples: list[float] = []
    with progress(requests, label, "req") as bar:
        for _ in range(requests):
            samples.append(session.timed_get(path, headers))
            bar.update(1)
    return summarise(samples)


def _one_login(host: str, port: int, credentials: Credentials) -> float:
    """A fresh browser's login (GET form + POST); returns its milliseconds."""
    started = time.perf_counter()
    Session(host, port).login(credentials.username, credentials.password)
    return (time.perf_counter() - started) * 1000


def login_throughput(
    host: str,
    port: int,
    people: Sequence[Credentials],
    clear_limits: Callable[[], None],
    logins: int = LOGINS,
) -> LoginThroughput:
    """`logins` logins by distinct people over LOGIN_THREADS threads, in batches of LOGIN_BATCH.

    Only the batches are timed, not the clearing of the rate-limit counters between them.
    """
    if len(people) < logins:
        raise ValueError(f"{logins} distinct logins are needed, the manifest has {len(people)}")
    samples: list[float] = []
    busy = 0.0
    with (
        ThreadPoolExecutor(max_workers=LOGIN_THREADS) as pool,
        progress(logins, "login throughput", "login") as bar,
    ):
        for start in range(0, logins, LOGIN_BATCH):
            clear_limits()
            batch = people[start : min(start + LOGIN_BATCH, logins)]
            started = time.perf_counter()
            for elapsed in pool.map(lambda c: _one_login(host, port, c), batch):
                samples.append(elapsed)
                bar.update(1)
            busy += time.perf_counter() - started
    return LoginThroughput(
        logins=len(samples),
        threads=LOGIN_THREADS,
        seconds=round(busy, 2),
        per_second=round(len(samples) / busy, 2),
        latency=summarise(samples),
    )
