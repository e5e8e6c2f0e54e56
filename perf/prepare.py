"""A fresh installation to measure: environment, database, static files, demo data, frameworks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from errors import HarnessError

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMVIRKE = BIN / "samvirke"
GUNICORN = BIN / "gunicorn"


class PrepareError(HarnessError):
    """A set-up command failed; its output says why."""


@dataclass(frozen=True)
class Login:
    """A demo login from the manifest."""

    username: str
    password: str
    organisation_code: str
    role: str


@dataclass(frozen=True)
class FrameworksLoad:
    """How long loading every shipped framework into an empty database took, or why it failed."""

    seconds: float | None
    queries: int | None
    summary: str
    failed: bool = False

    @property
    def note(self) -> str:
        """The figure as one line of the report."""
        if self.failed:
            return f"frameworks_load FAILED, so framework figures are missing: {self.summary}"
        return (
            f"Load all shipped frameworks into an empty database (frameworks_load, "
            f"in-process): {self.seconds} s, {self.queries} queries. {self.summary}"
        )


def perf_environment(workdir: Path, database_url: str | None) -> dict[str, str]:
    """The environment of every command and of the server: a development install, DEBUG off."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="samvirke.settings",
        SAMVIRKE_ENV="development",
        SAMVIRKE_DEBUG="false",
        SAMVIRKE_REQUIRE_MFA="false",
        SAMVIRKE_ALLOWED_HOSTS="127.0.0.1",
        SAMVIRKE_STATIC_ROOT=str(workdir / "static"),
        SAMVIRKE_MEDIA_ROOT=str(workdir / "media"),
        DATABASE_URL=database_url or f"sqlite:///{workdir / 'perf.sqlite3'}",
    )
    return env


def say(message: str) -> None:
    """One progress line, flushed at once."""
    print(f"==> {message}", flush=True)


def samvirke(*args: str, show_output: bool = False) -> str:
    """Run a `samvirke` management command in the current environment; return its stdout."""
    started = time.perf_counter()
    say(f"samvirke {' '.join(args)}")
    result = subprocess.run(
        [str(SAMVIRKE), *args],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=None if show_output else subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PrepareError(
            f"samvirke {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr or ''}"
        )
    print(f"    done in {time.perf_counter() - started:.1f} s", flush=True)
    return result.stdout


def prepare_database() -> None:
    """Migrate, create the cache table, collect static files."""
    samvirke("migrate", "--noinput", "-v0")
    samvirke("createcachetable")
    samvirke("collectstatic", "--noinput", "-v0")


def seed_demo(workdir: Path, history: bool = True) -> list[Login]:
    """Seed the demo, with its baseline history unless told not to; return its logins.

    The history needs the frameworks loaded first.
    """
    manifest = workdir / "manifest.json"
    options = () if history else ("--no-history",)
    # The seeder's own progress bar (stderr) is worth seeing: it is the long step.
    samvirke("seed_demo", "--manifest", str(manifest), *options, show_output=True)
    entries = json.loads(manifest.read_text("utf-8"))
    return [Login(**entry) for entry in entries]


def load_frameworks() -> FrameworksLoad:
    """Time `frameworks_load` in this process (Django is set up), without interpreter start-up."""
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    say("samvirke frameworks_load (timed, in-process)")
    output = io.StringIO()
    try:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call_command("frameworks_load", verbosity=0, stdout=output)
            seconds = time.perf_counter() - started
    except Exception as error:
        summary = f"{type(error).__name__}: {error}".strip()
        print(f"    FAILED: {summary}", flush=True)
        return FrameworksLoad(None, None, summary, failed=True)
    summary = output.getvalue().strip()
    print(f"    {summary}\n    done in {seconds:.2f} s", flush=True)
    return FrameworksLoad(round(seconds, 2), len(captured), summary)


def create_token(username: str, organisation_code: str) -> str:
    """An API token for a member, made by `samvirke token_create`; returns its secret."""
    out = samvirke("token_create", "--user", username, "--organisation", organisation_code)
    return out.strip().splitlines()[-1]
