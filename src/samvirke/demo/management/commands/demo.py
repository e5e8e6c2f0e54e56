"""`samvirke demo`: migrate, load the demo data, collect static files, say how to log in, serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from samvirke.demo.catalogue import DEMO_PASSWORD, showcase_logins


class Command(BaseCommand):
    """Start a demo installation with one command."""

    help = (
        "Migrate the database, load the demo data, collect static files, print where to log in "
        "and as whom, and serve Samvirke with gunicorn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--port", type=int, default=8000, help="port to serve on")
        parser.add_argument(
            "--no-serve", action="store_true", help="stop after printing the logins"
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="load the demo without the baseline campaigns 2022-2027 (faster)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 1 <= port <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        self._prepare(options["verbosity"], history=not options["no_history"])
        self.stdout.write(self._login_block(host, port))
        if not options["no_serve"]:
            self._serve(host, port)

    def _prepare(self, verbosity: int, *, history: bool) -> None:
        database = settings.DATABASES["default"]
        if database["ENGINE"] == "django.db.backends.sqlite3":
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        quiet = max(verbosity - 1, 0)
        self.stdout.write("Migrating the database …")
        call_command("migrate", interactive=False, verbosity=quiet)
        call_command("createcachetable", verbosity=quiet)
        self.stdout.write("Loading the framework library …")
        call_command("frameworks_load", verbosity=verbosity)
        self.stdout.write("Loading the demo data …")
        call_command("seed_demo", verbosity=verbosity, no_history=not history)
        self.stdout.write("Collecting static files …")
        call_command("collectstatic", interactive=False, verbosity=quiet)

    def _login_block(self, host: str, port: int) -> str:
        url = f"http://{_address(host, port)}/"
        rows = showcase_logins()
        width = max(len(username) for _, username in rows)
        lines = [
            "",
            "=" * 72,
            f"  Samvirke demo: {url}",
            "",
            f"  Every demo login has the password: {DEMO_PASSWORD}",
            "",
            *(f"  {username.ljust(width)}  {who}" for who, username in rows),
            "",
            "  All demo logins: samvirke seed_demo --manifest logins.json",
        ]
        if host not in settings.ALLOWED_HOSTS:
            lines.append(f"  Serving on {host}: list the host name in SAMVIRKE_ALLOWED_HOSTS.")
        lines += ["=" * 72, ""]
        return "\n".join(lines)

    def _serve(self, host: str, port: int) -> None:
        gunicorn = Path(sys.executable).parent / "gunicorn"
        if not gunicorn.exists():
            raise CommandError(f"gunicorn is not installed next to {sys.executable}")
        self.stdout.flush()
        connections.close_all()
        argv = [str(gunicorn), "samvirke.wsgi", "--bind", _address(host, port), "--workers", "2"]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "samvirke.settings")
        os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the server


def _address(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
