"""National scale (issue 6): 1,000 organisations x 300 questions x 5 years, scored and released.

- A synthetic national network `perf-national`: NATIONAL_ORGANISATIONS verified member
  organisations (`NAT-0001` ...) with public attributes for the fixed partitions: 12 regions of
  very different sizes (one of a single organisation), four size classes, four kinds.
- Five closed yearly campaigns (2021 to 2025) on a 300-question version of the synthetic
  framework (`perf-synthetic` "national": 270 organisation-level questions, 30 per-unit ones),
  every organisation submitted, 300 answers a year each (the 30 per-unit questions answered by
  its one org unit). Rows are written in bulk, each organisation's inside its own scope, with the
  demo history's prepared INSERT (`insert_rows`).
- Then, timed in this process:
  (s) stamping every answer with its question score, area and weight, as submission does
      (benchmarking.scores.stamp: the version's score table joined to the answers in one UPDATE
      per batch of assessments); here all 5,000 submissions at once, and then one assessment at
      a time, the cost a submission adds. PostgreSQL then vacuums and analyses the answers, as
      autovacuum does after a bulk update (untimed);
  (a) scoring all the answers with benchmarking.scores, as release.gather does it: the version's
      `Structure`, then `campaign_scores` (the stamped answers summed per assessment and area by
      the database; total and area scores by the rules of docs/scoring.md);
  (b) a raw SQL `SELECT assessment_id, AVG(value) ... GROUP BY assessment_id` over the same
      answers (the JSON number cast to a float for SQLite and PostgreSQL), the floor any
      scoring in the database could reach; the ratio (a)/(b) is the figure (target <= 3);
  (c) `release_build` for the last campaign (gathering, cells, suppression and the LP audit),
      then `release_publish` by the network's coordinator `netkoord.perf-national`.

Django must be set up. Like the tests, this harness reads across organisations to measure the
aggregation read; the application does so only inside benchmarking.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from prepare import Login, say
from samvirke.accounts.models import User
from samvirke.baseline.models import (
    Answer,
    AnswerVia,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
)
from samvirke.benchmarking.release import release_build, release_publish
from samvirke.benchmarking.scores import Structure, campaign_scores, stamp
from samvirke.core.scoping import organisation_scope
from samvirke.demo.history_seed import ANSWER_COLUMNS, insert_rows
from samvirke.frameworks.models import AnswerLevel, FrameworkVersion, Node, NodeKind
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
from synthetic import framework_version

NATIONAL_ORGANISATIONS = 1000
NATIONAL_YEARS = 5
NETWORK = "perf-national"
COORDINATOR = f"netkoord.{NETWORK}"
#: The security coordinator of one national organisation (the 500th, or the last of fewer), to
#: time its benchmark page.
MEMBER, MEMBER_NUMBER = "koord.nat-0500", 500
_member_code: list[str] = []  # the member's code, once written
#: The password of the two national logins (a throwaway installation).
PASSWORD = "perf-national-Samvirke-2026"
FIRST_YEAR = 2021
QUESTIONS = 300
#: Regions by share of the organisations (per mille); the first holds a single organisation.
REGION_SHARES = (1, 6, 11, 25, 40, 60, 80, 100, 120, 150, 187, 220)
SIZES = (SizeClass.XS, SizeClass.S, SizeClass.M, SizeClass.L)
KINDS = {
    1: OrganisationKind.REGION,
    2: OrganisationKind.STATE_AGENCY,
    3: OrganisationKind.ASSOCIATION,
}  # organisation number modulo 20; the rest are municipalities
JOINED = datetime.date(2020, 1, 1)
#: Timed twice each, alternately; the faster run counts (the first warms the page cache).
REPEATS = 2
#: Single submissions stamped to time what one submission adds.
STAMP_SAMPLES = 20
#: Issue 6: scoring within this factor of the raw GROUP BY.
MAX_RATIO = 3.0


@dataclass
class NationalResult:
    """The figures of the national-scale run."""

    organisations: int
    years: int
    questions: int
    answers: int
    write_seconds: float
    scoring_seconds: float
    sql_seconds: float
    ratio: float
    scored_assessments: int
    sql_assessments: int
    release_seconds: float
    release_organisations: int
    release_summary: dict[str, Any] = field(default_factory=dict)
    published: bool = False
    scoring_runs: list[float] = field(default_factory=list)
    sql_runs: list[float] = field(default_factory=list)
    #: (s) Stamping every submitted assessment at once, and the median of one submission's.
    stamp_seconds: float = 0.0
    stamp_one_ms: float = 0.0

    @property
    def notes(self) -> list[str]:
        """The figures as lines of the report."""
        summary = self.release_summary
        verdict = "within" if self.ratio <= MAX_RATIO else "OVER"
        within = self.stamp_seconds + self.scoring_seconds + self.release_seconds
        return [
            f"National scale: {self.organisations} organisations x {self.questions} questions x "
            f"{self.years} years = {self.answers:,} answers, written in {self.write_seconds} s "
            "(bulk, each organisation in its own scope).",
            f"Stamping the answers' scores as submission does (benchmarking.scores.stamp): "
            f"{self.stamp_seconds} s for all {self.scored_assessments} submissions at once; "
            f"{self.stamp_one_ms} ms for one submission of {self.questions} answers (median of "
            f"{STAMP_SAMPLES}).",
            f"Scoring all {self.answers:,} answers (benchmarking.scores: Structure + "
            f"campaign_scores, total and area scores from the stamped answers; stamping is the "
            f"line above): {self.scoring_seconds} s for "
            f"{self.scored_assessments} assessments; raw SQL AVG ... GROUP BY over the same "
            f"answers: {self.sql_seconds} s ({self.sql_assessments} assessments); ratio "
            f"{self.ratio} ({verdict} {MAX_RATIO:g}x). Best of {REPEATS} runs each.",
            f"release_build for one campaign of {self.release_organisations} organisations "
            f"(scoring, cells, suppression, LP audit, storing): {self.release_seconds} s; "
            f"audit: {summary.get('pinned')} pinned, narrowest interval "
            f"{summary.get('narrowest_interval')}, {summary.get('hidden_cells')} of "
            f"{summary.get('cells')} cells hidden ({summary.get('hidden_share')}), "
            f"{summary.get('programmes_solved')} programmes, "
            f"{summary.get('suppression_rounds')} suppression rounds.",
            f"Stamping and scoring all years + building and auditing one release: "
            f"{round(within, 2)} s (target 60 s at 1,000 organisations on 2 cores).",
        ]


def _region_sizes(organisations: int) -> list[int]:
    """REGION_SHARES scaled to the organisations, each region at least one."""
    sizes = [max(1, round(organisations * share / 1000)) for share in REGION_SHARES]
    while sum(sizes) > organisations and max(sizes) > 1:
        sizes[sizes.index(max(sizes))] -= 1
    sizes[-1] += organisations - sum(sizes)
    return [s for s in sizes if s > 0]


@dataclass
class National:
    """What `national_dataset` wrote."""

    network: Network
    version: FrameworkVersion
    campaigns: list[Campaign]
    organisations: int
    answers: int
    seconds: float


def _organisations(count: int) -> tuple[Network, list[Organisation], list[int]]:
    """The steward, the members with their attributes and regions, the network, its coordinator.

    Returns the network, the members and each member's region index.
    """
    region_of = [r for r, size in enumerate(_region_sizes(count)) for _ in range(size)]
    steward = Organisation.objects.create(
        code="NAT-0000", name="National steward", kind=OrganisationKind.STATE_AGENCY, country="DK"
    )
    Organisation.objects.bulk_create(
        [
            Organisation(
                code=f"NAT-{n:04d}",
                name=f"National organisation {n:04d}",
                kind=KINDS.get(n % 20, OrganisationKind.MUNICIPALITY),
                country="DK",
                size_class=SIZES[n % len(SIZES)],
                is_verified=True,
            )
            for n in range(1, count + 1)
        ],
        batch_size=500,
    )
    members = list(Organisation.objects.filter(code__startswith="NAT-").exclude(pk=steward.pk))
    members.sort(key=lambda o: o.code)
    regions = [
        Region.objects.create(
            country="DK", code=f"NAT-R{r + 1:02d}", name=f"Region {r + 1}", valid_from=JOINED
        )
        for r in range(max(region_of) + 1)
    ]
    RegionPlacement.objects.bulk_create(
        [
            RegionPlacement(organisation=o, region=regions[r], valid_from=JOINED)
            for o, r in zip(members, region_of, strict=True)
        ],
        batch_size=500,
    )
    network = Network.objects.create(
        code=NETWORK, name="Synthetic national network", steward=steward
    )
    NetworkMembership.objects.bulk_create(
        [NetworkMembership(network=network, organisation=o, joined_on=JOINED) for o in members],
        batch_size=500,
    )
    coordinator = User.objects.create_user(
        username=COORDINATOR, email=f"{COORDINATOR}@perf.invalid", password=PASSWORD
    )
    with organisation_scope(steward.pk):
        Membership.objects.create(
            organisation=steward, user=coordinator, role=Role.NETWORK_COORDINATOR
        )
    member = members[min(MEMBER_NUMBER, len(members)) - 1]
    _member_code.append(member.code)
    security = User.objects.create_user(
        username=MEMBER, email=f"{MEMBER}@perf.invalid", password=PASSWORD
    )
    with organisation_scope(member.pk):
        Membership.objects.create(
            organisation=member, user=security, role=Role.SECURITY_COORDINATOR
        )
    return network, members, region_of


def _campaigns(network: Network, version: FrameworkVersion, years: int) -> list[Campaign]:
    campaigns = []
    members = list(network.members_on())
    for year in range(FIRST_YEAR, FIRST_YEAR + years):
        campaign = Campaign.objects.create(
            network=network,
            framework_version=version,
            title=f"National {year}",
            year=year,
            opens_on=datetime.date(year, 1, 1),
            deadline=datetime.date(year, 3, 1),
            state=CampaignState.CLOSED,
        )
        CampaignParticipant.objects.bulk_create(
            [CampaignParticipant(campaign=campaign, organisation=o) for o in members],
            batch_size=500,
        )
        campaigns.append(campaign)
    return campaigns


def _answers_of(
    organisation: Organisation,
    assessments: list[Assessment],
    questions: list[Node],
    unit: int,
    latent: float,
    rng: random.Random,
    moment: datetime.datetime,
) -> list[tuple[Any, ...]]:
    """One organisation's answers in every year: its latent level, a yearly trend, noise,
    a few don't-knows and not-applicables."""
    rows = []
    for year, assessment in enumerate(assessments):
        level = latent + 0.15 * year
        for question in questions:
            draw = rng.random()
            dont_know, not_applicable = draw < 0.03, 0.03 <= draw < 0.05
            value = (
                None
                if dont_know or not_applicable
                else max(0, min(5, round(level + rng.gauss(0, 0.8))))
            )
            per_unit = question.answer_level == AnswerLevel.UNIT
            rows.append(
                (
                    organisation.pk,
                    assessment.pk,
                    question.pk,
                    unit if per_unit else None,
                    value,
                    not_applicable,
                    "Not ours" if not_applicable else "",
                    dont_know,
                    False,
                    "",
                    1,
                    False,
                    None,
                    moment,
                    AnswerVia.IMPORT,
                )
            )
    return rows


@transaction.atomic
def national_dataset(organisations: int, years: int) -> National:
    """Write the national network, its campaigns and every organisation's answers."""
    started = time.perf_counter()
    rng = random.Random(f"samvirke-perf-national:{organisations}:{years}")
    version = framework_version(QUESTIONS, name="national")
    questions = list(
        Node.objects.filter(version=version, kind=NodeKind.QUESTION).order_by("position")
    )
    network, members, region_of = _organisations(organisations)
    campaigns = _campaigns(network, version, years)
    moment = timezone.make_aware(datetime.datetime(FIRST_YEAR + years - 1, 2, 1, 12))
    written = 0
    for organisation, region in zip(members, region_of, strict=True):
        latent = min(4.5, max(0.3, rng.gauss(2.2 + 0.05 * region, 0.8)))
        with organisation_scope(organisation.pk):
            unit = OrgUnit.objects.create(organisation=organisation, code="D1", name="IT")
            assessments = Assessment.objects.bulk_create(
                [
                    Assessment(
                        organisation=organisation,
                        campaign=c,
                        state=AssessmentState.SUBMITTED,
                        submitted_at=moment,
                    )
                    for c in campaigns
                ]
            )
            rows = _answers_of(organisation, assessments, questions, unit.pk, latent, rng, moment)
            insert_rows(Answer, ANSWER_COLUMNS, rows)
            written += len(rows)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after any bulk load: the planner's statistics of the new rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = round(time.perf_counter() - started, 2)
    say(f"National dataset: {organisations} organisations, {written:,} answers ({seconds} s)")
    return National(network, version, campaigns, organisations, written, seconds)


# --- the timings -----------------------------------------------------------------------------


def _stamp(national: National) -> tuple[float, float]:
    """(s) Stamp every submitted assessment as submission does: all at once (seconds), then
    STAMP_SAMPLES single assessments again (the median in milliseconds)."""
    structure = Structure.of(national.version.pk)
    with scopes_disabled():
        ids = list(
            Assessment.objects.filter(
                campaign__in=national.campaigns, state=AssessmentState.SUBMITTED
            ).values_list("pk", flat=True)
        )
    started = time.perf_counter()
    stamp(structure, ids)
    seconds = time.perf_counter() - started
    singles = []
    for pk in ids[:: max(1, len(ids) // STAMP_SAMPLES)][:STAMP_SAMPLES]:
        # As the submission's receiver does it: the kept structure, then the stamp.
        started = time.perf_counter()
        stamp(Structure.of(national.version.pk), [pk])
        singles.append(time.perf_counter() - started)
    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk update: the old row versions go.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE " + connection.ops.quote_name(Answer._meta.db_table))
    return seconds, statistics.median(singles) * 1000 if singles else 0.0


def _score(national: National) -> tuple[float, int]:
    """(a) Scoring every answer as release.gather does; seconds and assessments scored."""
    started = time.perf_counter()
    structure = Structure.of(national.version.pk)
    scored = campaign_scores(structure, [c.pk for c in national.campaigns])
    return time.perf_counter() - started, len(scored)


def _group_by_sql(campaigns: int) -> str:
    """The raw GROUP BY; identifiers from the models, every value a parameter."""
    quote = connection.ops.quote_name
    answer, assessment = Answer._meta.db_table, Assessment._meta.db_table
    # A maturity value is stored as a JSON number: SQLite keeps it as text, PostgreSQL as jsonb.
    number = (
        "CAST(a.value AS REAL)"
        if connection.vendor == "sqlite"
        else "CAST(a.value #>> '{}' AS double precision)"
    )
    placeholders = ", ".join(["%s"] * campaigns)
    return (
        "SELECT a.assessment_id, AVG(" + number + ") "
        "FROM " + quote(answer) + " a JOIN " + quote(assessment) + " s "
        "ON s.id = a.assessment_id "
        "WHERE s.campaign_id IN (" + placeholders + ") AND a.draft = %s "
        "AND a.value IS NOT NULL AND a.not_applicable = %s AND a.dont_know = %s "
        "GROUP BY a.assessment_id"
    )


def _sql(national: National) -> tuple[float, int]:
    """(b) The raw SQL mean per assessment over the same answers; seconds and rows."""
    statement = _group_by_sql(len(national.campaigns))
    params = [c.pk for c in national.campaigns] + [False, False, False]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # arch: sql-ok (identifiers from the models)
        found = cursor.fetchall()
    return time.perf_counter() - started, len(found)


def _release(national: National) -> tuple[float, dict[str, Any], bool]:
    """(c) Build and audit the last campaign's release, then publish it; then build and publish
    the earlier years' releases (untimed) so the benchmark pages show five years."""
    campaign = national.campaigns[-1]
    started = time.perf_counter()
    release = release_build(actor=None, campaign=campaign)
    seconds = time.perf_counter() - started
    published = False
    coordinator = User.objects.get(username=COORDINATOR)
    if not release.summary.get("pinned"):
        release_publish(actor=coordinator, release=release)
        published = True
    for earlier in national.campaigns[:-1]:
        built = release_build(actor=None, campaign=earlier)
        if not built.summary.get("pinned"):
            release_publish(actor=coordinator, release=built)
    return seconds, dict(release.summary), published


def logins() -> list[Login]:
    """The national network's coordinator and one member's security coordinator."""
    return [
        Login(COORDINATOR, PASSWORD, "NAT-0000", Role.NETWORK_COORDINATOR),
        Login(MEMBER, PASSWORD, _member_code[-1], Role.SECURITY_COORDINATOR),
    ]


def measure(
    organisations: int = NATIONAL_ORGANISATIONS, years: int = NATIONAL_YEARS
) -> NationalResult:
    """Write the national dataset and time (a), (b) and (c)."""
    national = national_dataset(organisations, years)
    say(f"Timing stamping {national.answers:,} answers' scores, as submission does")
    stamp_seconds, stamp_one = _stamp(national)
    say(f"Timing scoring vs raw SQL GROUP BY over {national.answers:,} answers ({REPEATS}x each)")
    scoring_runs, sql_runs = [], []
    scored = grouped = 0
    for _ in range(REPEATS):
        seconds, grouped = _sql(national)
        sql_runs.append(round(seconds, 3))
        seconds, scored = _score(national)
        scoring_runs.append(round(seconds, 3))
    say(f"Timing release_build for one campaign of {organisations} organisations")
    release_seconds, summary, published = _release(national)
    scoring, sql = min(scoring_runs), min(sql_runs)
    result = NationalResult(
        organisations=organisations,
        years=years,
        questions=QUESTIONS,
        answers=national.answers,
        write_seconds=national.seconds,
        scoring_seconds=round(scoring, 2),
        sql_seconds=round(sql, 2),
        ratio=round(scoring / sql, 2) if sql else float("inf"),
        scored_assessments=scored,
        sql_assessments=grouped,
        release_seconds=round(release_seconds, 2),
        release_organisations=summary.get("counted_organisations", 0),
        release_summary=summary,
        published=published,
        scoring_runs=scoring_runs,
        sql_runs=sql_runs,
        stamp_seconds=round(stamp_seconds, 2),
        stamp_one_ms=round(stamp_one, 1),
    )
    for note in result.notes:
        print(f"    {note}", flush=True)
    return result


def as_dict(result: NationalResult) -> dict[str, Any]:
    """The figures for latest.json."""
    return {**asdict(result), "notes": result.notes}
