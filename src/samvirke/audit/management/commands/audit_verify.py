"""`samvirke audit_verify`: exit non-zero and name the first broken entry of every broken chain."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from samvirke.audit.models import AuditChain
from samvirke.audit.verify import verify_all


class Command(BaseCommand):
    """Verify the hash chains of the audit trail."""

    help = "Verify that no audit entry was changed or deleted."

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditChain.objects.count()
        with tqdm(
            total=total, desc="Audit chains", unit="chain", disable=options["verbosity"] < 1
        ) as bar:
            breaks = verify_all(progress=bar.update)
        if breaks:
            for found in breaks:
                self.stderr.write(f"BROKEN: {found}")
            raise CommandError(
                f"{len(breaks)} of {total} audit chains are broken; first: {breaks[0]}"
            )
        self.stdout.write(self.style.SUCCESS(f"All {total} audit chains verified."))
