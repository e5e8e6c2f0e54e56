"""The figures of one run: collected in a dict, written as JSON and as a markdown table."""

from __future__ import annotations

import datetime
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _database_engine() -> str:
    from django.db import connection

    query = "SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version"
    with connection.cursor() as cursor:
        cursor.execute(query)
        version = cursor.fetchone()[0]
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(connection.vendor)
    return f"{name or connection.vendor} {version}"


def machine_info(workers: int, load_at_start: float) -> dict[str, Any]:
    """Where and with what the figures were measured, and how busy the machine was."""
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "gunicorn": f"{metadata.version('gunicorn')}, {workers} sync workers",
        "database": _database_engine(),
        "load average (1 min) at start / end": f"{load_at_start:.2f} / {os.getloadavg()[0]:.2f}",
    }


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def markdown(results: dict[str, Any]) -> str:
    """The run as a markdown page: one table, the single figures, the machine."""
    lines = [
        f"# Samvirke performance, {results['machine']['date']}",
        "",
        "| what | n | p50 ms | p95 ms | mean ms | queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["rows"]:
        cells = [row["what"], *(row.get(k) for k in ("n", "p50_ms", "p95_ms", "mean_ms"))]
        lines.append("| " + " | ".join(_cell(c) for c in [*cells, row.get("queries")]) + " |")
    lines += ["", *(f"- {note}" for note in results["notes"])]
    if results.get("national"):
        lines += ["", "## National scale", "", *(f"- {n}" for n in results["national"]["notes"])]
    lines += _deadline_day(results.get("deadline_day"))
    lines += ["", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in results["machine"].items()]
    return "\n".join(lines) + "\n"


def _deadline_day(load: dict[str, Any] | None) -> list[str]:
    """The deadline-day section: one row per request name, then the check of the saves."""
    if not load:
        return []
    lines = [
        "",
        f"## Deadline day: {load['users']} respondents autosaving for {load['load_seconds']} s",
        "",
        f"Think time {load['think_seconds']} s between requests; locust exit code "
        f"{load['locust_exit_code']}.",
        "",
        "| request | n | failures | per s | p50 ms | p95 ms | mean ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in load["requests"]:
        cells = [row["name"], row["requests"], row["failures"], row["per_second"]]
        cells += [row.get(k) for k in ("p50_ms", "p95_ms", "mean_ms")]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", f"- {load['verdict']}."]
    lines += [
        f"- Failure: {f['name']}: {f['error']} ({f['occurrences']}×)" for f in load["failures"]
    ]
    lines += [f"- Not in the database: {m}" for m in load["missing"][:20]]
    return lines


def write(results: dict[str, Any]) -> str:
    """Write latest.json and latest.md through temporary files: a failed run keeps the old."""
    RESULTS.mkdir(exist_ok=True)
    page = markdown(results)
    for name, text in (
        ("latest.json", json.dumps(results, indent=2, ensure_ascii=False) + "\n"),
        ("latest.md", page),
    ):
        temporary = RESULTS / f"{name}.tmp"
        temporary.write_text(text, "utf-8")
        temporary.replace(RESULTS / name)
    return page
