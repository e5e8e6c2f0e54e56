"""`samvirke frameworks_load [--check] [PATH…]`: load the framework library, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from samvirke.audit.context import audit_context
from samvirke.frameworks.parsing import LibraryError, collect_paths
from samvirke.frameworks.services import frameworks_load


class Command(BaseCommand):
    """Load (or with --check only validate) framework files."""

    help = "Load frameworks and mappings from YAML files (the shipped library by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="framework directories or files")
        parser.add_argument("--check", action="store_true", help="validate only; load nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"]
        dirs, files = collect_paths(paths)
        quiet = options["verbosity"] < 1
        with tqdm(total=len(dirs) + len(files), desc="Frameworks", disable=quiet) as bar:
            try:
                with audit_context(ip=None, via="cli"):
                    report = frameworks_load(
                        paths=paths, check=options["check"], progress=lambda _l: bar.update(1)
                    )
            except LibraryError as error:
                for problem in error.problems:
                    self.stderr.write(f"ERROR {problem}")
                raise CommandError(
                    f"{len(error.problems)} problem(s) found; nothing was loaded."
                ) from error
        verb = "Would load" if options["check"] else "Loaded"
        self.stdout.write(
            f"{verb} {len(report.created)} new version(s) ({', '.join(report.created) or '-'}); "
            f"{len(report.unchanged)} unchanged; {report.nodes} nodes, {report.mappings} mappings."
        )
