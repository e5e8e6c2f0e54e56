"""Reads of one organisation's audit trail."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from samvirke.audit.models import AuditEntry
from samvirke.tenancy.models import Organisation


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def entries_for(organisation: Organisation, filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    """The organisation's entries, newest first, narrowed by validated filters."""
    entries = AuditEntry.objects.filter(organisation=organisation)
    if filters.get("action"):
        entries = entries.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters.get("obj"):
        entries = entries.filter(object_repr__icontains=filters["obj"])
    if filters.get("since"):
        entries = entries.filter(created_at__gte=_start_of(filters["since"]))
    if filters.get("until"):
        next_day = filters["until"] + datetime.timedelta(days=1)
        entries = entries.filter(created_at__lt=_start_of(next_day))
    return entries.order_by("-seq")
