"""Deadline day: locust against gunicorn, its stats parsed, every acknowledged save checked."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errors import HarnessError
from prepare import BIN, PROJECT, say
from stats import summarise

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
USERS = 300
SPAWN_RATE = 50
LOAD_SECONDS = 300
#: Seconds a respondent thinks between two requests, drawn uniformly (see README).
THINK = "5-15"
#: How long the logins of every respondent may take before the saving phase must begin.
LOGIN_ALLOWANCE = 300
SAVE = "save answer (HTMX POST)"


class LoadError(HarnessError):
    """locust did not run to the end."""


@dataclass
class LoadResult:
    """What locust measured and what the database holds afterwards."""

    users: int
    load_seconds: int
    think_seconds: str
    locust_exit_code: int
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    acknowledged: int = 0
    answers: int = 0
    missing: list[str] = field(default_factory=list)

    @property
    def save(self) -> dict[str, Any] | None:
        """The row of the autosave requests."""
        return next((r for r in self.requests if r["name"] == SAVE), None)


def run_locust(
    port: int,
    env: dict[str, str],
    workdir: Path,
    respondents: Path,
    users: int,
    load_seconds: int,
    think: str = THINK,
) -> LoadResult:
    """Run the locustfile headless; return its parsed stats (acks are checked afterwards)."""
    prefix = workdir / "locust"
    acks = workdir / "acks.jsonl"
    acks.unlink(missing_ok=True)
    argv = [
        str(BIN / "locust"),
        "-f", str(LOCUSTFILE),
        "--headless",
        "-u", str(users),
        "-r", str(SPAWN_RATE),
        "-t", f"{load_seconds + LOGIN_ALLOWANCE}s",
        "--host", f"http://127.0.0.1:{port}",
        "--csv", str(prefix),
        "--json-file", str(workdir / "locust"),  # locust adds ".json"
        "--only-summary",
        "--stop-timeout", "30",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    environment = {
        **env,
        "PERF_RESPONDENTS": str(respondents),
        "PERF_ACKS": str(acks),
        "PERF_LOAD_SECONDS": str(load_seconds),
        "PERF_USERS": str(users),
        "PERF_THINK": think,
    }
    say(
        f"locust: {users} respondents (spawn {SPAWN_RATE}/s), saving for {load_seconds} s "
        f"after the last login, think time {think} s"
    )
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=PROJECT, env=environment, check=False)
    print(f"    locust exited with {result.returncode} after "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    load = LoadResult(users, load_seconds, think, result.returncode)
    if not (workdir / "locust.json").exists():
        raise LoadError(f"locust exited with {result.returncode} without writing its stats")
    load.requests, load.errors = _parse_stats(workdir / "locust.json", load_seconds)
    load.failures = _parse_failures(Path(f"{prefix}_failures.csv"))
    return load


def _parse_stats(json_path: Path, load_seconds: int) -> tuple[list[dict[str, Any]], int]:
    """Rows per request name from locust's JSON: counts, and percentiles of its histogram.

    The rate is over the saving phase (locust's own counts the login phase too); logins have
    none, they all happen before it.
    """
    rows, errors = [], 0
    for entry in json.loads(json_path.read_text("utf-8")):
        samples = [
            float(ms) for ms, count in entry["response_times"].items() for _ in range(int(count))
        ]
        errors += int(entry["num_failures"])
        latency = summarise(samples) if len(samples) >= 2 else None
        rows.append(
            {
                "name": entry["name"],
                "method": entry["method"],
                "requests": int(entry["num_requests"]),
                "failures": int(entry["num_failures"]),
                "per_second": (
                    None
                    if entry["name"].startswith("login")
                    else round(int(entry["num_requests"]) / load_seconds, 2)
                ),
                **(latency or {}),
            }
        )
    return rows, errors


def _parse_failures(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [
            {"name": r["Name"], "error": r["Error"][:300], "occurrences": int(r["Occurrences"])}
            for r in csv.DictReader(handle)
        ]


def verify_acks(load: LoadResult, acks_path: Path) -> None:
    """Every acknowledged save is a stored revision, and the last one is the stored answer."""
    from samvirke.baseline.models import Answer, AnswerRevision
    from samvirke.core.scoping import organisation_scope

    acks = [json.loads(line) for line in acks_path.read_text("utf-8").splitlines() if line]
    load.acknowledged = len(acks)
    by_organisation: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for ack in acks:
        by_organisation[ack["organisation"]].append(ack)
    answers = 0
    for organisation_id, mine in by_organisation.items():
        with organisation_scope(organisation_id):
            stored = {
                (a.assessment_id, a.question_id, a.org_unit_id): a
                for a in Answer.objects.filter(
                    organisation=organisation_id, assessment__in={x["assessment"] for x in mine}
                )
            }
            revisions = {
                (r.answer_id, r.version): r.data
                for r in AnswerRevision.objects.filter(
                    organisation=organisation_id, answer__in=[a.pk for a in stored.values()]
                )
            }
        last: dict[tuple[int, int, int | None], dict[str, Any]] = {}
        for ack in mine:
            key = (ack["assessment"], ack["question"], ack["unit"])
            answer = stored.get(key)
            what = f"answer {key} v{ack['version']}"
            if answer is None:
                load.missing.append(f"{what}: no answer stored")
                continue
            data = revisions.get((answer.pk, ack["version"]))
            if data is None or data.get("value") != ack["value"]:
                load.missing.append(f"{what}: no revision with the acknowledged value")
            if key not in last or ack["version"] > last[key]["version"]:
                last[key] = ack
        answers += len(last)
        for key, ack in last.items():
            answer = stored.get(key)
            if answer is None:
                continue
            if answer.version < ack["version"]:
                load.missing.append(f"answer {key}: stored v{answer.version} < acknowledged")
            elif answer.value != ack["value"] or answer.comment != ack["comment"]:
                load.missing.append(f"answer {key}: stored value differs from the last save")
    load.answers = answers
    say(
        f"Checked {load.acknowledged} acknowledged saves of {answers} answers: "
        f"{len(load.missing)} missing or different"
    )
