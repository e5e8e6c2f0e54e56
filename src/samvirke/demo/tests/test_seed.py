"""The demo installation: seeded once for the module from the real reference CSVs."""

from __future__ import annotations

import csv
import datetime
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F

from samvirke.accounts.models import User
from samvirke.audit.models import AuditEntry
from samvirke.demo.catalogue import (
    DEMO_PASSWORD,
    OPERATOR_USERNAME,
    TWO_ORGANISATION_USERNAME,
    DemoPlan,
    build_plan,
)
from samvirke.demo.reference import DATA_DIR, PROVISIONAL_OST_CODE
from samvirke.demo.seed import DemoConflict, SeedReport, demo_manifest, demo_seed
from samvirke.tenancy.models import (
    Membership,
    Network,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    OrgUnit,
    Region,
    RegionPlacement,
    SizeClass,
)
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db

LAST_OLD_DAY = datetime.date(2026, 12, 31)
FIRST_NEW_DAY = datetime.date(2027, 1, 1)


@dataclass
class Seeded:
    """The plan and the reports of two runs over the same database."""

    plan: DemoPlan
    first: SeedReport
    second: SeedReport


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[Seeded]:
    """Seed twice inside one transaction that is rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        plan = build_plan()
        first = demo_seed(plan=plan)
        second = demo_seed(plan=plan)
        yield Seeded(plan, first, second)
        transaction.set_rollback(True)


def read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def members(code: str) -> set[str]:
    rows = NetworkMembership.objects.filter(network__code=code)
    return set(rows.values_list("organisation__code", flat=True))


def test_every_danish_municipality_as_in_the_csv(seeded: Seeded) -> None:
    rows = read_csv("dk-municipalities.csv")
    orgs = {o.code: o for o in Organisation.objects.filter(country="DK", kind="municipality")}
    assert len(rows) == len(orgs) == 98
    for row in rows:
        org = orgs[row["code"]]
        assert org.name == row["name"]
        region = org.region_on(LAST_OLD_DAY)
        assert region is not None
        assert (region.code, region.name) == (row["region_code"], row["region_name"])
        assert org.population == int(row["population_approx"])
        assert org.size_class == SizeClass.for_population(int(row["population_approx"]))
        assert org.is_demo and not org.is_verified
    assert orgs["101"].size_class == SizeClass.L


def test_danish_regions_and_the_2027_merger(seeded: Seeded) -> None:
    region_orgs = Organisation.objects.filter(kind=OrganisationKind.REGION)
    assert sorted(region_orgs.values_list("code", flat=True)) == [
        "1081",
        "1082",
        "1083",
        "1084",
        "1085",
    ]
    dk = {r.code: r for r in Region.objects.filter(country="DK")}
    assert len(dk) == 6
    assert dk["1084"].valid_to == dk["1085"].valid_to == LAST_OLD_DAY
    assert dk["1081"].valid_to is None
    ost = dk[PROVISIONAL_OST_CODE]
    assert (ost.name, ost.valid_from, ost.valid_to) == ("Region Østdanmark", FIRST_NEW_DAY, None)
    assert "Provisional" in ost.note


def test_hovedstaden_municipality_moves_to_ostdanmark_on_2027_01_01(seeded: Seeded) -> None:
    copenhagen = Organisation.objects.get(code="101")
    before, after = copenhagen.region_on(LAST_OLD_DAY), copenhagen.region_on(FIRST_NEW_DAY)
    assert before is not None and before.code == "1084"
    assert after is not None and after.code == PROVISIONAL_OST_CODE
    aarhus = Organisation.objects.get(code="751").region_on(FIRST_NEW_DAY)
    assert aarhus is not None and aarhus.code == "1082"
    in_ost = RegionPlacement.objects.filter(
        region__code=PROVISIONAL_OST_CODE, valid_from=FIRST_NEW_DAY
    )
    assert in_ost.count() == 46


def test_norwegian_municipalities_in_their_counties(seeded: Seeded) -> None:
    rows = read_csv("no-municipalities.csv")
    orgs = {o.code: o for o in Organisation.objects.filter(country="NO", kind="municipality")}
    assert set(orgs) == {row["code"] for row in rows} and len(orgs) == 357
    counties = Region.objects.filter(country="NO")
    assert counties.count() == 15
    assert set(counties.values_list("valid_from", flat=True)) == {datetime.date(2024, 1, 1)}
    for row in rows:
        county = orgs[row["code"]].region_on(datetime.date(2024, 1, 1))
        assert county is not None and county.code == row["county_code"]
    assert orgs["1818"].name == "Herøy (Nordland)"
    assert orgs["0301"].name == "Oslo"


def test_other_organisations(seeded: Seeded) -> None:
    kinds = dict(
        Organisation.objects.filter(code__in=["DK-KL", "DK-DR", "NO-DIGDIR", "NO-KS"]).values_list(
            "code", "kind"
        )
    )
    assert kinds == {
        "DK-KL": "association",
        "DK-DR": "association",
        "NO-DIGDIR": "state_agency",
        "NO-KS": "association",
    }
    assert Organisation.objects.filter(kind="state_agency", country="DK").count() == 5
    assert not Organisation.objects.filter(is_verified=True).exists()
    assert not Organisation.objects.filter(is_demo=False).exists()


def test_network_sizes_and_stewards(seeded: Seeded) -> None:
    networks = {n.code: n for n in Network.objects.select_related("steward")}
    sizes = {code: len(members(code)) for code in networks}
    assert sizes == {
        "kl-kommuner": 98,
        "danske-regioner": 5,
        "nationalt-forum": 20,
        "partnerskab-2020-22": 43,
        "databehandler-sekretariat": 60,
        "no-kommuner": 357,
    }
    stewards = {code: n.steward.code for code, n in networks.items()}
    assert stewards["kl-kommuner"] == stewards["partnerskab-2020-22"] == "DK-KL"
    assert stewards["nationalt-forum"] == "DK-DIGST"
    assert stewards["no-kommuner"] == "NO-DIGDIR"
    assert all(n.is_demo for n in networks.values())
    partnership = {
        r["code"] for r in read_csv("dk-municipalities.csv") if r["partnership_2020_22"] == "true"
    }
    assert members("partnerskab-2020-22") == partnership
    forum = members("nationalt-forum")
    assert {"DK-KL", "DK-DR", "DK-DIGST", "1081", "1085", "101"} <= forum
    secretariat = networks["databehandler-sekretariat"]
    left = secretariat.memberships.filter(left_on__isnull=False)
    assert set(left.values_list("left_on", flat=True)) == {datetime.date(2024, 12, 31)}
    assert left.count() == 2


def test_units_and_staff_of_every_organisation(seeded: Seeded, unscoped: None) -> None:
    departments = Counter(
        OrgUnit.objects.filter(parent__isnull=True).values_list("organisation__code", flat=True)
    )
    staffed = [o.code for o in seeded.plan.organisations if o.staffed]
    assert set(departments) == set(staffed)
    assert all(5 <= departments[code] <= 10 for code in staffed)
    subs = OrgUnit.objects.filter(parent__isnull=False).select_related("parent")
    assert subs.count() >= 2 * len(staffed)
    assert all(u.parent.organisation_id == u.organisation_id for u in subs)
    respondents = Membership.objects.filter(role=Role.RESPONDENT)
    assert respondents.count() == sum(departments.values())
    assert not respondents.filter(org_unit__isnull=True).exists()
    assert not respondents.exclude(org_unit__organisation=F("organisation")).exists()
    for role in (Role.SECURITY_COORDINATOR, Role.MANAGEMENT_READER):
        codes = Membership.objects.filter(role=role).values_list("organisation__code", flat=True)
        assert set(staffed) <= set(codes)
    koord = Membership.objects.get(user__username="koord.101")
    assert (koord.organisation.code, koord.role) == ("101", Role.SECURITY_COORDINATOR)
    assert User.objects.get(username="resp.101.3").email == "resp.101.3@demo.samvirke.test"


def test_coordinators_operator_and_two_organisation_user(seeded: Seeded, unscoped: None) -> None:
    for network in Network.objects.all():
        coordinator = Membership.objects.get(user__username=f"netkoord.{network.code}")
        assert coordinator.role == Role.NETWORK_COORDINATOR
        assert coordinator.organisation_id == network.steward_id
    operator = Membership.objects.get(user__username=OPERATOR_USERNAME)
    assert (operator.role, operator.organisation.name) == (Role.OPERATOR, "Samvirke drift")
    shared = Membership.objects.filter(user__username=TWO_ORGANISATION_USERNAME)
    assert set(shared.values_list("organisation__code", "role")) == {
        ("147", Role.SECURITY_COORDINATOR),
        ("DK-DIGST", Role.NETWORK_COORDINATOR),
    }
    user = authenticate(username=TWO_ORGANISATION_USERNAME, password=DEMO_PASSWORD)
    assert user is not None and user.get_username() == TWO_ORGANISATION_USERNAME


def test_second_run_creates_nothing(seeded: Seeded, unscoped: None) -> None:
    first, second = seeded.first, seeded.second
    assert second.total == 0
    assert first.organisations == Organisation.objects.count() == 471
    assert first.users == User.objects.count()
    assert first.memberships == Membership.objects.count()
    assert first.units == OrgUnit.objects.count()
    assert first.network_memberships == NetworkMembership.objects.count()
    per_org = AuditEntry.objects.filter(action="demo.organisation.seeded")
    assert per_org.count() == 471
    assert not per_org.values("organisation").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert AuditEntry.objects.filter(action="demo.seeded", organisation=None).count() == 1
    entry = per_org.get(organisation__code="101")
    assert entry.changes["organisation_created"] is True
    assert entry.changes["placements"] == 2


def test_manifest_lists_every_membership(seeded: Seeded, unscoped: None, tmp_path: Path) -> None:
    path = tmp_path / "logins.json"
    out = StringIO()
    call_command("seed_demo", manifest=path, no_history=True, verbosity=0, stdout=out)
    assert "nothing to do" in out.getvalue()
    entries = json.loads(path.read_text("utf-8"))
    assert entries == demo_manifest(seeded.plan)
    memberships = set(
        Membership.objects.values_list("user__username", "organisation__code", "role")
    )
    listed = {(e["username"], e["organisation_code"], e["role"]) for e in entries}
    assert listed == memberships and len(entries) == len(memberships)
    assert {e["role"] for e in entries} <= set(Role.values)
    assert {e["password"] for e in entries} == {DEMO_PASSWORD}
    assert [e["username"] for e in entries].count(TWO_ORGANISATION_USERNAME) == 2


def test_history_needs_the_framework_library(seeded: Seeded) -> None:
    # No framework is loaded in this module until the demo command test (the last one) runs.
    with pytest.raises(CommandError, match="frameworks_load"):
        call_command("seed_demo", verbosity=0, stdout=StringIO())


def test_refuses_to_take_over_a_real_organisation(seeded: Seeded) -> None:
    Organisation.objects.filter(code="101").update(is_demo=False)
    with pytest.raises(DemoConflict, match="101"):
        demo_seed(plan=seeded.plan)


def test_refuses_to_take_over_a_real_user(seeded: Seeded) -> None:
    User.objects.filter(username="leder.101").update(email="leder@kk.dk")
    with pytest.raises(DemoConflict, match=r"leder\.101"):
        demo_seed(plan=seeded.plan)


def test_demo_command_prints_logins_without_serving(
    seeded: Seeded, settings: Any, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    out = StringIO()
    # The history is left out here: test_history.py seeds it for a slice of the demo.
    call_command("demo", "--no-serve", "--no-history", "--port", "8123", verbosity=0, stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8123/" in text
    for username in ("koord.101", "resp.101.1", "leder.101", "netkoord.kl-kommuner"):
        assert username in text
    assert TWO_ORGANISATION_USERNAME in text and OPERATOR_USERNAME in text
    assert DEMO_PASSWORD in text
