"""Reads of public organisation attributes (code, name, kind, country, region, size class)."""

from __future__ import annotations

import datetime
from typing import TypedDict

from django.db.models import Q, QuerySet
from django.utils import timezone

from samvirke.tenancy.models import Organisation, RegionPlacement


class PublicOrganisation(TypedDict):
    """What anyone in a network may know about a member."""

    id: int
    code: str
    name: str
    kind: str
    country: str
    region: str | None
    region_code: str | None
    size_class: str


def public_member_rows(
    organisations: QuerySet[Organisation], day: datetime.date | None = None
) -> list[PublicOrganisation]:
    """Public attributes of organisations with the region valid on a day, in two queries."""
    day = day or timezone.localdate()
    orgs = list(organisations.order_by("name"))
    placements = RegionPlacement.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        organisation__in=[o.pk for o in orgs],
        valid_from__lte=day,
    ).select_related("region")
    region_of = {p.organisation_id: p.region for p in placements}
    rows: list[PublicOrganisation] = []
    for org in orgs:
        region = region_of.get(org.pk)
        rows.append(
            PublicOrganisation(
                id=org.pk,
                code=org.code,
                name=org.name,
                kind=org.kind,
                country=org.country,
                region=region.name if region else None,
                region_code=region.code if region else None,
                size_class=org.size_class,
            )
        )
    return rows
