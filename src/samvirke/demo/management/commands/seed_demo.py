"""`samvirke seed_demo [--manifest FILE] [--no-history]`: load the demo installation; safe to run
again. Needs the framework library loaded (`samvirke frameworks_load`) for the baseline history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from samvirke.audit.context import audit_context
from samvirke.demo.catalogue import DemoPlan, build_plan
from samvirke.demo.history_seed import (
    HistoryUnavailable,
    ReleaseFailed,
    baseline,
    demo_history_seed,
    demo_releases_seed,
    history_steps,
    release_campaigns,
)
from samvirke.demo.seed import DemoConflict, demo_manifest, demo_seed


class Command(BaseCommand):
    """Create the demo organisations, networks and people that are missing."""

    help = (
        "Load demo data: every Danish and Norwegian municipality, the Danish regions, "
        "associations, agencies, networks and demo logins, and five years of baseline history "
        "with their published benchmark releases and an open campaign. Running it again "
        "changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--manifest",
            type=Path,
            metavar="FILE",
            help="write every demo login (username, password, organisation code, role) as JSON",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="skip the baseline campaigns 2022-2027 and their benchmark releases (they need "
            "the framework library loaded)",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="load demo logins with a published password even with SAMVIRKE_ENV=production",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                "Refusing to load demo logins with a published password into a production "
                "installation. Use --allow-production for a public demo site."
            )
        history = not options["no_history"]
        if history:
            try:
                baseline()  # fail before writing anything
            except HistoryUnavailable as exc:
                raise CommandError(str(exc)) from exc
        plan = build_plan()
        quiet = options["verbosity"] < 1
        with audit_context(ip=None, via="cli"):
            self._seed(plan, quiet)
            if history:
                self._seed_history(plan, quiet)
                self._seed_releases(quiet)
        if options["manifest"] is not None:
            self._write_manifest(options["manifest"], plan)

    def _seed(self, plan: DemoPlan, quiet: bool) -> None:
        with tqdm(
            total=len(plan.organisations), desc="Demo organisations", unit="org", disable=quiet
        ) as bar:
            try:
                report = demo_seed(plan=plan, progress=bar.update)
            except DemoConflict as exc:
                raise CommandError(str(exc)) from exc
        if report.total:
            created = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in vars(report).items())
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {created}."))
        else:
            self.stdout.write("Demo data already present; nothing to do.")

    def _seed_history(self, plan: DemoPlan, quiet: bool) -> None:
        with tqdm(
            total=history_steps(plan), desc="Baseline history", unit="assessment", disable=quiet
        ) as bar:
            report = demo_history_seed(plan=plan, progress=bar.update)
        if report.total:
            created = ", ".join(f"{n} {what}" for what, n in vars(report).items())
            self.stdout.write(self.style.SUCCESS(f"Baseline history created: {created}."))
        else:
            self.stdout.write("Baseline history already present; nothing to do.")

    def _seed_releases(self, quiet: bool) -> None:
        pending = release_campaigns()
        with tqdm(
            total=len(pending), desc="Benchmark releases", unit="release", disable=quiet
        ) as bar:
            try:
                reports = demo_releases_seed(campaigns=pending, progress=bar.update)
            except ReleaseFailed as exc:
                raise CommandError(str(exc)) from exc
        for report in reports:
            self.stdout.write(self.style.SUCCESS(f"Benchmark releases, {report.line()}."))
        if not reports:
            self.stdout.write("Benchmark releases already published; nothing to do.")

    def _write_manifest(self, path: Path, plan: DemoPlan) -> None:
        entries = demo_manifest(plan)
        try:
            path.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", "utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write the manifest to {path}: {exc.strerror}") from exc
        self.stdout.write(f"Wrote {len(entries)} demo logins to {path}.")
