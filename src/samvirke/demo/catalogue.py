"""What the demo installation holds: organisations, their units and people, and the networks.

Plain data, no database: every organisation draws its departments and people from a random
generator seeded with its own code, so each run plans the same installation and the seeder only
adds what is missing. Organisation codes, network codes and usernames are the natural keys.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from samvirke.demo import reference
from samvirke.demo.reference import MunicipalityRow, RegionRow
from samvirke.tenancy.models import OrganisationKind, SizeClass
from samvirke.tenancy.roles import Role

DEMO_PASSWORD = "samvirke-demo"
EMAIL_DOMAIN = "demo.samvirke.test"
OPERATOR_ORGANISATION = "SAMVIRKE-DRIFT"
OPERATOR_USERNAME = "drift"
TWO_ORGANISATION_USERNAME = "delt.koord"

Kind = OrganisationKind


@dataclass(frozen=True)
class PlacementSpec:
    """A period in which an organisation belongs to a region (DK) or county (NO)."""

    country: str
    region_code: str
    valid_from: datetime.date
    valid_to: datetime.date | None


@dataclass(frozen=True)
class OrganisationSpec:
    """A demo organisation; `staffed` ones get departments and ordinary staff."""

    code: str
    name: str
    kind: str
    country: str
    population: int | None = None
    placements: tuple[PlacementSpec, ...] = ()
    staffed: bool = True

    @property
    def size_class(self) -> SizeClass:
        """The population band (population is an approximate demo value)."""
        return SizeClass.for_population(self.population)


@dataclass(frozen=True)
class UnitSpec:
    """A department (no parent) or a sub-unit; `code` is unique within its organisation."""

    code: str
    name: str
    parent_code: str | None = None


@dataclass(frozen=True)
class AccountSpec:
    """One membership of one demo user; a user with two memberships has two specs."""

    username: str
    first_name: str
    last_name: str
    organisation_code: str
    role: str
    unit_code: str | None = None

    @property
    def email(self) -> str:
        """The user's demo e-mail address."""
        return f"{self.username}@{EMAIL_DOMAIN}"


@dataclass(frozen=True)
class MemberSpec:
    """An organisation's membership of a network."""

    organisation_code: str
    joined_on: datetime.date
    left_on: datetime.date | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """A demo network and its members."""

    code: str
    name: str
    description: str
    steward_code: str
    members: tuple[MemberSpec, ...]


@dataclass
class DemoPlan:
    """The whole demo installation."""

    regions: list[RegionRow]
    organisations: list[OrganisationSpec]
    networks: list[NetworkSpec]
    units: dict[str, list[UnitSpec]] = field(default_factory=dict)
    accounts: list[AccountSpec] = field(default_factory=list)


FIXED_ORGANISATIONS = (
    OrganisationSpec("DK-KL", "KL (Kommunernes Landsforening)", Kind.ASSOCIATION, "DK"),
    OrganisationSpec("DK-DR", "Danske Regioner", Kind.ASSOCIATION, "DK"),
    OrganisationSpec("DK-DIGST", "Digitaliseringsstyrelsen", Kind.STATE_AGENCY, "DK"),
    OrganisationSpec(
        "DK-SDFI", "Styrelsen for Dataforsyning og Infrastruktur", Kind.STATE_AGENCY, "DK"
    ),
    OrganisationSpec("DK-SDS", "Sundhedsdatastyrelsen", Kind.STATE_AGENCY, "DK"),
    OrganisationSpec("DK-RPOL", "Rigspolitiet", Kind.STATE_AGENCY, "DK"),
    OrganisationSpec("DK-ERST", "Erhvervsstyrelsen", Kind.STATE_AGENCY, "DK"),
    OrganisationSpec("DK-DBS", "Kommunernes Databehandlersekretariat", Kind.OTHER, "DK"),
    OrganisationSpec("NO-DIGDIR", "Digitaliseringsdirektoratet (Digdir)", Kind.STATE_AGENCY, "NO"),
    OrganisationSpec("NO-KS", "KS (Kommunesektorens organisasjon)", Kind.ASSOCIATION, "NO"),
    OrganisationSpec(OPERATOR_ORGANISATION, "Samvirke drift", Kind.OTHER, "DK", staffed=False),
)
STATE_BODIES = ("DK-DIGST", "DK-SDFI", "DK-SDS", "DK-RPOL", "DK-ERST")
#: Municipalities in the national forum: the largest city of each region plus a few more.
FORUM_MUNICIPALITIES = ("101", "751", "461", "851", "561", "265", "630", "316")
SECRETARIAT_SIZE = 60
#: The Norwegian network measures since 2022. The demo shows its members in the 2024 structure
#: for every year (a simplification: the county placements still start in 2024).
NO_NETWORK_FROM = datetime.date(2021, 1, 1)

# Departments: (always present, drawn from) per country and sort of body.
_DEPARTMENTS: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    ("DK", "municipality"): (
        ("IT og Digitalisering", "HR", "Økonomi"),
        (
            "Børn og Unge",
            "Teknik og Miljø",
            "Social og Sundhed",
            "Borgerservice",
            "Kultur og Fritid",
            "Beskæftigelse",
            "Ældre og Handicap",
            "Skole og Dagtilbud",
            "Jura og Sekretariat",
        ),
    ),
    ("DK", "region"): (
        ("Koncern IT", "HR", "Økonomi"),
        (
            "Hospitaler",
            "Psykiatri",
            "Præhospitalet",
            "Regional Udvikling",
            "Sundhedsplanlægning",
            "Kvalitet og Patientsikkerhed",
            "Jura og Compliance",
            "Indkøb",
        ),
    ),
    ("DK", "body"): (
        ("IT og Digitalisering", "HR", "Økonomi"),
        (
            "Direktionssekretariat",
            "Jura",
            "Kommunikation",
            "Analyse og Data",
            "Informationssikkerhed",
            "Drift og Service",
            "Politik og Strategi",
        ),
    ),
    ("NO", "municipality"): (
        ("IKT", "HR", "Økonomi"),
        (
            "Oppvekst og utdanning",
            "Helse og omsorg",
            "Teknisk drift",
            "Kultur og fritid",
            "Plan og næring",
            "Servicetorget",
            "NAV kommune",
            "Eiendom",
        ),
    ),
    ("NO", "body"): (
        ("IKT", "HR", "Økonomi"),
        (
            "Direktørens stab",
            "Juridisk",
            "Kommunikasjon",
            "Analyse",
            "Informasjonssikkerhet",
            "Fellesløsninger",
            "Samfunnsutvikling",
        ),
    ),
}
_SUB_UNITS = {
    "DK": ("Sekretariat", "Drift", "Udvikling", "Administration", "Myndighed", "Kvalitet og Data"),
    "NO": ("Stab", "Drift", "Utvikling", "Forvaltning", "Kvalitet", "Tjenesteutvikling"),
}
_FIRST_NAMES = {
    "DK": (
        "Mette",
        "Anne",
        "Lars",
        "Jens",
        "Henrik",
        "Camilla",
        "Peter",
        "Sofie",
        "Rasmus",
        "Louise",
        "Mikkel",
        "Line",
        "Søren",
        "Maria",
        "Thomas",
        "Ida",
        "Morten",
        "Julie",
        "Anders",
        "Hanne",
        "Kasper",
        "Signe",
        "Jesper",
        "Pia",
    ),
    "NO": (
        "Ingrid",
        "Ole",
        "Kari",
        "Lars",
        "Nora",
        "Jon",
        "Silje",
        "Anders",
        "Marit",
        "Per",
        "Ida",
        "Bjørn",
        "Hilde",
        "Erik",
        "Astrid",
        "Knut",
        "Ragnhild",
        "Magnus",
        "Solveig",
        "Håkon",
    ),
}
_LAST_NAMES = {
    "DK": (
        "Jensen",
        "Nielsen",
        "Hansen",
        "Pedersen",
        "Andersen",
        "Christensen",
        "Larsen",
        "Sørensen",
        "Rasmussen",
        "Jørgensen",
        "Petersen",
        "Madsen",
        "Kristensen",
        "Olsen",
        "Thomsen",
        "Poulsen",
        "Johansen",
        "Møller",
        "Mortensen",
        "Knudsen",
    ),
    "NO": (
        "Hansen",
        "Johansen",
        "Olsen",
        "Larsen",
        "Andersen",
        "Pedersen",
        "Nilsen",
        "Kristiansen",
        "Jensen",
        "Karlsen",
        "Johnsen",
        "Pettersen",
        "Eriksen",
        "Berg",
        "Haugen",
        "Hagen",
        "Johannessen",
        "Andreassen",
        "Jacobsen",
        "Dahl",
    ),
}


def _rng(key: str) -> random.Random:
    """A generator that gives the same sequence for the same key in every run and process."""
    return random.Random(f"samvirke-demo:{key}")


def _successor(ended: datetime.date, regions: list[RegionRow]) -> RegionRow:
    """The region that takes over the day after a region ends (Østdanmark for 1084 and 1085)."""
    next_day = ended + datetime.timedelta(days=1)
    found = [r for r in regions if r.valid_from == next_day]
    if len(found) != 1:
        raise ValueError(f"dk-regions.csv: no single region starts on {next_day}")
    return found[0]


def _dk_placements(region_code: str, regions: list[RegionRow]) -> tuple[PlacementSpec, ...]:
    region = next(r for r in regions if r.code == region_code)
    placements = [PlacementSpec("DK", region.code, region.valid_from, region.valid_to)]
    if region.valid_to is not None:
        after = _successor(region.valid_to, regions)
        placements.append(PlacementSpec("DK", after.code, after.valid_from, after.valid_to))
    return tuple(placements)


def _municipality(row: MunicipalityRow, placements: tuple[PlacementSpec, ...]) -> OrganisationSpec:
    return OrganisationSpec(
        row.code, row.name, Kind.MUNICIPALITY, row.country, row.population, placements
    )


def _region_organisations(
    municipalities: list[MunicipalityRow], regions: list[RegionRow]
) -> list[OrganisationSpec]:
    """The regions municipalities belong to, each placed in its own region row."""
    used = {m.region_code for m in municipalities}
    return [
        OrganisationSpec(
            r.code,
            r.name,
            Kind.REGION,
            "DK",
            placements=(PlacementSpec("DK", r.code, r.valid_from, r.valid_to),),
        )
        for r in regions
        if r.code in used
    ]


def _units(organisation: OrganisationSpec, rng: random.Random) -> list[UnitSpec]:
    """Five to ten departments, two or three of them with one or two sub-units."""
    group = {Kind.MUNICIPALITY.value: "municipality", Kind.REGION.value: "region"}.get(
        str(organisation.kind), "body"
    )
    core, extra = _DEPARTMENTS[(organisation.country, group)]
    names = [*core, *rng.sample(extra, rng.randint(5, 10) - len(core))]
    departments = [UnitSpec(f"D{n}", name) for n, name in enumerate(names, start=1)]
    subs: list[UnitSpec] = []
    for parent in rng.sample(departments, rng.randint(2, 3)):
        for n, name in enumerate(rng.sample(_SUB_UNITS[organisation.country], rng.randint(1, 2))):
            subs.append(UnitSpec(f"{parent.code}.{n + 1}", name, parent.code))
    return departments + subs


def _account(
    rng: random.Random,
    country: str,
    username: str,
    organisation: str,
    role: str,
    unit: str | None = None,
) -> AccountSpec:
    first, last = rng.choice(_FIRST_NAMES[country]), rng.choice(_LAST_NAMES[country])
    return AccountSpec(username, first, last, organisation, role, unit)


def _staff(
    organisation: OrganisationSpec, units: list[UnitSpec], rng: random.Random
) -> list[AccountSpec]:
    """A security coordinator, a management reader and a respondent per department."""
    slug, code, country = organisation.code.lower(), organisation.code, organisation.country
    accounts = [
        _account(rng, country, f"koord.{slug}", code, Role.SECURITY_COORDINATOR),
        _account(rng, country, f"leder.{slug}", code, Role.MANAGEMENT_READER),
    ]
    departments = [u for u in units if u.parent_code is None]
    for n, unit in enumerate(departments, start=1):
        accounts.append(
            _account(rng, country, f"resp.{slug}.{n}", code, Role.RESPONDENT, unit.code)
        )
    return accounts


def _members(
    codes: Iterable[str], joined_on: datetime.date, left: dict[str, datetime.date] | None = None
) -> tuple[MemberSpec, ...]:
    left = left or {}
    return tuple(MemberSpec(code, joined_on, left.get(code)) for code in codes)


def _secretariat_members(municipalities: list[MunicipalityRow]) -> tuple[MemberSpec, ...]:
    """60 municipalities drawn once; the last two (in code order) left at the end of 2024."""
    chosen = set(_rng("databehandler-sekretariat").sample([m.code for m in municipalities], 60))
    codes = [m.code for m in municipalities if m.code in chosen]
    left = {code: datetime.date(2024, 12, 31) for code in codes[-2:]}
    return _members(codes, datetime.date(2021, 1, 1), left)


def _networks(
    dk: list[MunicipalityRow], no: list[MunicipalityRow], regions: list[OrganisationSpec]
) -> list[NetworkSpec]:
    dk_codes, region_codes = [m.code for m in dk], [r.code for r in regions]
    forum = [*STATE_BODIES, "DK-KL", "DK-DR", *FORUM_MUNICIPALITIES, *region_codes]
    return [
        NetworkSpec(
            "kl-kommuner",
            "KL: alle kommuner",
            "Alle 98 kommuner. KL åbner den årlige måling af informationssikkerhed.",
            "DK-KL",
            _members(dk_codes, datetime.date(2020, 1, 1)),
        ),
        NetworkSpec(
            "danske-regioner",
            "Danske Regioner: regionerne",
            "De fem regioner. Danske Regioner koordinerer den fælles måling.",
            "DK-DR",
            _members(region_codes, datetime.date(2020, 1, 1)),
        ),
        NetworkSpec(
            "nationalt-forum",
            "Nationalt forum for informationssikkerhed",
            "Tværoffentligt forum: styrelser, KL, Danske Regioner, udvalgte kommuner og "
            "regionerne.",
            "DK-DIGST",
            _members(forum, datetime.date(2021, 3, 1)),
        ),
        NetworkSpec(
            "partnerskab-2020-22",
            "Partnerskab 2020-22",
            "De 43 kommuner i KL's partnerskab om informationssikkerhed 2020-22.",
            "DK-KL",
            _members([m.code for m in dk if m.in_partnership], datetime.date(2020, 1, 1)),
        ),
        NetworkSpec(
            "databehandler-sekretariat",
            "Databehandlersekretariatet",
            "Fører tilsyn med fælles databehandlere på vegne af medlemskommunerne.",
            "DK-DBS",
            _secretariat_members(dk),
        ),
        NetworkSpec(
            "no-kommuner",
            "Kommunene i Norge",
            "Alle 357 kommuner. Digdir åpner den årlige målingen.",
            "NO-DIGDIR",
            _members([m.code for m in no], NO_NETWORK_FROM),
        ),
    ]


def _special_accounts(networks: list[NetworkSpec], country_of: dict[str, str]) -> list[AccountSpec]:
    """Network coordinators, the operator and the user who belongs to two organisations."""
    accounts: list[AccountSpec] = []
    for network in networks:
        country = country_of[network.steward_code]
        rng = _rng(network.code)
        username = f"netkoord.{network.code}"
        accounts.append(
            _account(rng, country, username, network.steward_code, Role.NETWORK_COORDINATOR)
        )
    rng = _rng("special-accounts")
    accounts.append(_account(rng, "DK", OPERATOR_USERNAME, OPERATOR_ORGANISATION, Role.OPERATOR))
    shared = _account(rng, "DK", TWO_ORGANISATION_USERNAME, "147", Role.SECURITY_COORDINATOR)
    accounts.append(shared)
    accounts.append(
        AccountSpec(
            shared.username,
            shared.first_name,
            shared.last_name,
            "DK-DIGST",
            Role.NETWORK_COORDINATOR,
        )
    )
    return accounts


def _check_unique(codes: Iterable[str], what: str) -> None:
    repeated = [code for code, n in Counter(codes).items() if n > 1]
    if repeated:
        raise ValueError(f"demo {what} used more than once: {', '.join(sorted(repeated))}")


def build_plan() -> DemoPlan:
    """Plan the whole demo installation from the reference data."""
    dk_regions, dk = reference.dk_regions(), reference.dk_municipalities()
    no = reference.no_municipalities()
    regions = _region_organisations(dk, dk_regions)
    organisations = [
        *(_municipality(m, _dk_placements(m.region_code, dk_regions)) for m in dk),
        *regions,
        *(
            _municipality(
                m, (PlacementSpec("NO", m.region_code, reference.NO_STRUCTURE_FROM, None),)
            )
            for m in no
        ),
        *FIXED_ORGANISATIONS,
    ]
    _check_unique((o.code for o in organisations), "organisation codes")
    plan = DemoPlan(
        [*dk_regions, *reference.no_counties()], organisations, _networks(dk, no, regions)
    )
    for organisation in organisations:
        if organisation.staffed:
            rng = _rng(organisation.code)
            plan.units[organisation.code] = _units(organisation, rng)
            plan.accounts += _staff(organisation, plan.units[organisation.code], rng)
    plan.accounts += _special_accounts(plan.networks, {o.code: o.country for o in organisations})
    _check_unique(
        (f"{a.username} {a.organisation_code} {a.role}" for a in plan.accounts), "accounts"
    )
    return plan


def showcase_logins() -> list[tuple[str, str]]:
    """A few logins worth trying first: (who, username)."""
    return [
        ("Security coordinator, København (2027 half answered)", "koord.101"),
        ("Respondent, København (IT og Digitalisering: areas delegated)", "resp.101.1"),
        ("Management reader, København", "leder.101"),
        ("Network coordinator, KL (all 98 municipalities)", "netkoord.kl-kommuner"),
        (
            "Two organisations: Frederiksberg and Digitaliseringsstyrelsen",
            TWO_ORGANISATION_USERNAME,
        ),
        ("Operator of the installation", OPERATOR_USERNAME),
    ]
