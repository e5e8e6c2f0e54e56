"""Writing the demo installation: idempotent, in one transaction, one audit entry per organisation.

Natural keys decide what exists: region (country, code), organisation code, username, org unit
code within its organisation, (user, role) within an organisation, network code, and
(network, organisation) for network members. A second run finds everything and writes nothing.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TypedDict, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import transaction

from samvirke.accounts.models import User
from samvirke.audit.services import audit_log
from samvirke.core.scoping import organisation_scope
from samvirke.demo.catalogue import (
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    AccountSpec,
    DemoPlan,
    NetworkSpec,
    OrganisationSpec,
    UnitSpec,
    build_plan,
)
from samvirke.tenancy.models import (
    Membership,
    Network,
    NetworkMembership,
    Organisation,
    OrgUnit,
    Region,
    RegionPlacement,
)

BATCH = 500
T = TypeVar("T")
Progress = Callable[[int], object]


class DemoConflict(Exception):
    """A natural key of the demo is already taken by real (non-demo) data."""


@dataclass
class SeedReport:
    """How many rows of each sort one run created."""

    regions: int = 0
    organisations: int = 0
    placements: int = 0
    units: int = 0
    users: int = 0
    memberships: int = 0
    networks: int = 0
    network_memberships: int = 0

    @property
    def total(self) -> int:
        """All rows created."""
        return sum(asdict(self).values())


class ManifestEntry(TypedDict):
    """One demo login: a user's membership in one organisation."""

    username: str
    password: str
    organisation_code: str
    role: str


def _chunks(values: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def demo_manifest(plan: DemoPlan | None = None) -> list[ManifestEntry]:
    """Every demo login, one entry per membership."""
    plan = plan or build_plan()
    return [
        ManifestEntry(
            username=a.username,
            password=DEMO_PASSWORD,
            organisation_code=a.organisation_code,
            role=str(a.role),
        )
        for a in plan.accounts
    ]


@transaction.atomic
def demo_seed(*, plan: DemoPlan | None = None, progress: Progress | None = None) -> SeedReport:
    """Create whatever part of the demo installation is missing; return what was created."""
    plan = plan or build_plan()
    report = SeedReport()
    regions = _seed_regions(plan, report)
    organisations, new_codes = _seed_organisations(plan.organisations, report)
    new_placements = _seed_placements(plan.organisations, organisations, regions, report)
    user_ids = _seed_users(plan.accounts, report)
    accounts_of: dict[str, list[AccountSpec]] = defaultdict(list)
    for account in plan.accounts:
        accounts_of[account.organisation_code].append(account)
    for spec in plan.organisations:
        organisation = organisations[spec.code]
        units, memberships = _seed_content(
            organisation, plan.units.get(spec.code, []), accounts_of[spec.code], user_ids
        )
        report.units += units
        report.memberships += memberships
        counts = {
            "units": units,
            "memberships": memberships,
            "placements": new_placements[spec.code],
        }
        _audit_organisation(organisation, spec.code in new_codes, counts)
        if progress is not None:
            progress(1)
    _seed_networks(plan.networks, organisations, report)
    if report.total:
        audit_log(actor=None, organisation=None, action="demo.seeded", changes=asdict(report))
    return report


def _seed_regions(plan: DemoPlan, report: SeedReport) -> dict[tuple[str, str], Region]:
    """Regions and counties, keyed by (country, code)."""
    existing = {(r.country, r.code): r for r in Region.objects.all()}
    missing = [
        Region(
            country=r.country,
            code=r.code,
            name=r.name,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
            note=r.note,
        )
        for r in plan.regions
        if (r.country, r.code) not in existing
    ]
    Region.objects.bulk_create(missing, batch_size=BATCH)
    report.regions += len(missing)
    return {(r.country, r.code): r for r in Region.objects.all()}


def _organisations_by_code(codes: Sequence[str]) -> dict[str, Organisation]:
    found: dict[str, Organisation] = {}
    for chunk in _chunks(codes):
        found.update((o.code, o) for o in Organisation.objects.filter(code__in=chunk))
    return found


def _seed_organisations(
    specs: list[OrganisationSpec], report: SeedReport
) -> tuple[dict[str, Organisation], set[str]]:
    """Demo organisations by code, and the codes created in this run."""
    codes = [s.code for s in specs]
    existing = _organisations_by_code(codes)
    taken = sorted(code for code, org in existing.items() if not org.is_demo)
    if taken:
        raise DemoConflict(
            f"Organisations {', '.join(taken[:5])} already exist and are not demo data; "
            "load the demo into its own installation."
        )
    missing = [_new_organisation(s) for s in specs if s.code not in existing]
    Organisation.objects.bulk_create(missing, batch_size=BATCH)
    report.organisations += len(missing)
    return _organisations_by_code(codes), {o.code for o in missing}


def _new_organisation(spec: OrganisationSpec) -> Organisation:
    # Demo organisations never count as verified members; their population is a demo value.
    return Organisation(
        code=spec.code,
        name=spec.name,
        kind=spec.kind,
        country=spec.country,
        population=spec.population,
        size_class=spec.size_class,
        is_demo=True,
        is_verified=False,
    )


def _seed_placements(
    specs: list[OrganisationSpec],
    organisations: dict[str, Organisation],
    regions: dict[tuple[str, str], Region],
    report: SeedReport,
) -> Counter[str]:
    """Region placements; returns how many were created per organisation code."""
    ids = [organisations[s.code].pk for s in specs]
    existing: set[tuple[int, datetime.date]] = set()
    for chunk in _chunks(ids):
        rows = RegionPlacement.objects.filter(organisation_id__in=chunk)
        existing.update(rows.values_list("organisation_id", "valid_from"))
    created: Counter[str] = Counter()
    missing: list[RegionPlacement] = []
    for spec in specs:
        org = organisations[spec.code]
        for p in spec.placements:
            if (org.pk, p.valid_from) not in existing:
                region = regions[(p.country, p.region_code)]
                missing.append(
                    RegionPlacement(
                        organisation=org,
                        region=region,
                        valid_from=p.valid_from,
                        valid_to=p.valid_to,
                    )
                )
                created[spec.code] += 1
    RegionPlacement.objects.bulk_create(missing, batch_size=BATCH)
    report.placements += len(missing)
    return created


def _user_ids(usernames: Sequence[str]) -> dict[str, int]:
    """Ids of the demo users that exist; a demo username held by someone else is a conflict."""
    found: dict[str, int] = {}
    for chunk in _chunks(usernames):
        for username, pk, email in User.objects.filter(username__in=chunk).values_list(
            "username", "pk", "email"
        ):
            if not email.endswith(f"@{EMAIL_DOMAIN}"):
                raise DemoConflict(f"User {username} already exists and is not a demo login.")
            found[username] = pk
    return found


def _seed_users(accounts: list[AccountSpec], report: SeedReport) -> dict[str, int]:
    """Demo users by username; all share one password hash, computed once."""
    first_spec = {a.username: a for a in reversed(accounts)}
    usernames = sorted(first_spec)
    existing = _user_ids(usernames)
    missing = [first_spec[u] for u in usernames if u not in existing]
    if missing:
        password = make_password(DEMO_PASSWORD)
        users = [
            User(
                username=a.username,
                email=a.email,
                first_name=a.first_name,
                last_name=a.last_name,
                password=password,
            )
            for a in missing
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
    report.users += len(missing)
    return _user_ids(usernames)


def _unit_ids(organisation: Organisation) -> dict[str, int]:
    units = OrgUnit.objects.filter(organisation=organisation).exclude(code="")
    return dict(units.values_list("code", "pk"))


def _seed_content(
    organisation: Organisation,
    units: list[UnitSpec],
    accounts: list[AccountSpec],
    user_ids: dict[str, int],
) -> tuple[int, int]:
    """An organisation's units, then its memberships; returns how many of each were created."""
    created_units = 0
    with organisation_scope(organisation.pk):
        unit_ids = _unit_ids(organisation)
        # Departments first, so sub-units can point at them.
        for level in ([u for u in units if not u.parent_code], [u for u in units if u.parent_code]):
            new = [
                OrgUnit(
                    organisation=organisation,
                    code=u.code,
                    name=u.name,
                    parent_id=unit_ids[u.parent_code] if u.parent_code else None,
                )
                for u in level
                if u.code not in unit_ids
            ]
            OrgUnit.objects.bulk_create(new, batch_size=BATCH)
            created_units += len(new)
            unit_ids = _unit_ids(organisation) if new else unit_ids
        have = set(
            Membership.objects.filter(organisation=organisation).values_list("user_id", "role")
        )
        memberships = [
            Membership(
                organisation=organisation,
                user_id=user_ids[a.username],
                role=a.role,
                org_unit_id=unit_ids[a.unit_code] if a.unit_code else None,
            )
            for a in accounts
            if (user_ids[a.username], a.role) not in have
        ]
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
    return created_units, len(memberships)


def _audit_organisation(organisation: Organisation, created: bool, counts: dict[str, int]) -> None:
    """One entry per organisation that got anything new."""
    if not created and not any(counts.values()):
        return
    audit_log(
        actor=None,
        organisation=organisation,
        action="demo.organisation.seeded",
        obj=organisation,
        changes={"organisation_created": created, **counts},
    )


def _seed_networks(
    specs: list[NetworkSpec], organisations: dict[str, Organisation], report: SeedReport
) -> None:
    """Demo networks with their steward and members."""
    existing = {n.code: n for n in Network.objects.filter(code__in=[s.code for s in specs])}
    taken = sorted(code for code, network in existing.items() if not network.is_demo)
    if taken:
        raise DemoConflict(f"Networks {', '.join(taken)} already exist and are not demo data.")
    for spec in specs:
        if spec.code not in existing:
            existing[spec.code] = Network.objects.create(
                code=spec.code,
                name=spec.name,
                description=spec.description,
                steward=organisations[spec.steward_code],
                is_demo=True,
            )
            report.networks += 1
    have = set(
        NetworkMembership.objects.filter(network__in=existing.values()).values_list(
            "network_id", "organisation_id"
        )
    )
    missing = [
        NetworkMembership(
            network=existing[spec.code],
            organisation=organisations[m.organisation_code],
            joined_on=m.joined_on,
            left_on=m.left_on,
        )
        for spec in specs
        for m in spec.members
        if (existing[spec.code].pk, organisations[m.organisation_code].pk) not in have
    ]
    NetworkMembership.objects.bulk_create(missing, batch_size=BATCH)
    report.network_memberships += len(missing)
