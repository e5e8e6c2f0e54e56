"""The audit trail as CSV or XLSX."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from samvirke.audit.models import AuditEntry
from samvirke.core.exporters import Cell, TableExport


class AuditTrailExport(TableExport):
    """Every entry that matches the filters, oldest last, with its hash for verification."""

    filename = "audit-trail"

    def __init__(self, entries: QuerySet[AuditEntry]) -> None:
        self.entries = entries
        self.title = _("Audit trail")

    def header(self) -> Sequence[str]:
        return [
            _("Number"),
            _("Time"),
            _("Actor"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Object"),
            _("Changes"),
            _("IP address"),
            _("Channel"),
            _("Hash"),
        ]

    def rows(self) -> Iterable[Sequence[Cell]]:
        for entry in self.entries.iterator(chunk_size=2000):
            yield [
                entry.seq,
                entry.created_at,
                entry.actor_label,
                entry.action,
                entry.object_type,
                entry.object_id,
                entry.object_repr,
                json.dumps(entry.changes, ensure_ascii=False, default=str),
                entry.ip,
                entry.via,
                entry.hash,
            ]
