"""Synthetic data for the assessment figures (issue 5), written in the harness's own process.

- Two versions of a synthetic framework, `perf-synthetic` "30q" and "300q": 10 areas of 3 or
  30 maturity questions, every tenth question answered per org unit. The same shape at two
  sizes, so the query counts of a page at 30 and at 300 questions can be compared.
- Campaigns on them for kl-kommuner, opened, and København's answers to both (by `koord.101`,
  through `answer_save`, every unit answering the per-unit questions).
- The deadline-day campaign: the 300-question version for no-kommuner, opened, and one area
  delegated to one respondent in each of the first RESPONDENTS municipalities. Their logins,
  assessments, units and questions go to a JSON file the locustfile reads.
- 1,000 synthetic organisations in a synthetic network, then `campaign_create` +
  `campaign_open` timed for them.

Django must be set up. Writes go through the baseline services where the product writes them;
bulk creation is used only for what the services do not create (framework nodes, organisations).
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.urls import reverse

from prepare import Login, say
from samvirke.accounts.models import User
from samvirke.baseline.models import Assessment, Campaign
from samvirke.baseline.services import (
    answer_save,
    campaign_create,
    campaign_open,
    delegation_assign,
)
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import (
    AnswerLevel,
    Framework,
    FrameworkVersion,
    Node,
    NodeKind,
    QuestionType,
)
from samvirke.tenancy.models import (
    Membership,
    Network,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    OrgUnit,
)
from samvirke.tenancy.roles import Role

FRAMEWORK_KEY = "perf-synthetic"
AREAS = 10
GROUPS_PER_AREA = 3
#: Every UNIT_EVERY-th question of a version is answered per org unit.
UNIT_EVERY = 10
LEVELS = {str(n): {"en": f"Level {n}", "da": f"Niveau {n}"} for n in range(6)}
SCALE = {"min": 0, "max": 5, "levels": LEVELS}
#: Questions per version: 3 a area (30 in all) and 30 a area (300 in all).
SIZES = (30, 300)
COORDINATOR, COORDINATOR_ORGANISATION = "koord.101", "101"
PAGES_NETWORK = "kl-kommuner"
LOAD_NETWORK = "no-kommuner"
RESPONDENTS = 300
BIG_ORGANISATIONS = 1000
BIG_NETWORK = "perf-1000"


@dataclass(frozen=True)
class AssessmentPages:
    """The assessment page and its largest area page for one version size."""

    questions: int
    assessment_path: str
    area_path: str
    area_questions: int
    answers: int


@dataclass(frozen=True)
class CampaignOpening:
    """How long creating and opening a campaign for many organisations took."""

    organisations: int
    assessments: int
    create_seconds: float
    open_seconds: float
    seconds: float
    queries: int

    @property
    def note(self) -> str:
        """The figure as one line of the report."""
        return (
            f"Open a campaign for {self.organisations} organisations (campaign_create + "
            f"campaign_open, in-process): {self.seconds} s (create {self.create_seconds} s, "
            f"open {self.open_seconds} s), {self.queries} queries, {self.assessments} "
            f"assessments."
        )


def _question_positions(per_area: int) -> list[tuple[str, str, str, int, str]]:
    """(key, kind, parent key, depth, answer level) of every node, depth first."""
    per_group = [per_area // GROUPS_PER_AREA + (g < per_area % GROUPS_PER_AREA) for g in range(3)]
    rows: list[tuple[str, str, str, int, str]] = []
    counted = 0
    for a in range(1, AREAS + 1):
        area = f"P{a:02d}"
        rows.append((area, NodeKind.AREA, "", 0, ""))
        number = 0
        for g, count in enumerate(per_group, start=1):
            group = f"{area}.G{g}"
            rows.append((group, NodeKind.GROUP, area, 1, ""))
            for _ in range(count):
                number += 1
                counted += 1
                unit = counted % UNIT_EVERY == 0
                level = AnswerLevel.UNIT if unit else AnswerLevel.ORGANISATION
                rows.append((f"{area}.{number:02d}", NodeKind.QUESTION, group, 2, level))
    return rows


@transaction.atomic
def framework_version(questions: int, name: str | None = None) -> FrameworkVersion:
    """A synthetic framework version of `questions` maturity questions in AREAS areas, named
    "<questions>q" unless a name is given."""
    framework, _ = Framework.objects.get_or_create(
        key=FRAMEWORK_KEY,
        defaults={"publisher": "Samvirke perf", "title": {"en": "Synthetic (performance)"}},
    )
    version = FrameworkVersion.objects.create(
        framework=framework,
        version=name or f"{questions}q",
        checksum=f"perf-{name or questions}",
        licence="CC0",
        source="perf/synthetic.py",
        languages=["en", "da"],
        title={"en": f"Synthetic, {questions} questions"},
        scale=SCALE,
    )
    ids: dict[str, int] = {}
    rows = _question_positions(questions // AREAS)
    for depth in (0, 1, 2):  # parents are written before their children
        nodes = [
            Node(
                version=version,
                key=key,
                kind=kind,
                parent_id=ids[parent] if parent else None,
                position=position,
                depth=depth,
                title={"en": f"Synthetic {kind} {key}", "da": f"Syntetisk {key}"},
                help={"en": "Choose the level that fits best."}
                if kind == NodeKind.QUESTION
                else {},
                question_type=QuestionType.MATURITY if kind == NodeKind.QUESTION else "",
                answer_level=level,
            )
            for position, (key, kind, parent, node_depth, level) in enumerate(rows)
            if node_depth == depth
        ]
        for node in Node.objects.bulk_create(nodes):
            ids[node.key] = node.pk
    if len(ids) != len(rows):  # bulk_create sets primary keys on SQLite and PostgreSQL
        raise RuntimeError("bulk_create did not return primary keys")
    return version


def _open(network: Network, version: FrameworkVersion, year: int) -> Campaign:
    """A campaign created and opened by the network's coordinator (netkoord.<code>)."""
    actor = User.objects.get(username=f"netkoord.{network.code}")
    campaign = campaign_create(
        actor=actor,
        network=network,
        framework_version=version,
        title=f"Perf {version.version} {year}",
        year=year,
        opens_on=datetime.date(year, 1, 1),
        deadline=datetime.date(year, 12, 31),
    )
    campaign_open(actor=actor, campaign=campaign)
    return campaign


def _answer_all(campaign: Campaign, organisation: Organisation, actor: User) -> int:
    """Answer every question but the last of each area; per-unit questions for every unit."""
    version = campaign.framework_version
    questions = list(
        Node.objects.filter(version=version, kind=NodeKind.QUESTION)
        .select_related("version")
        .order_by("position")
    )
    saved = 0
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.get(organisation=organisation, campaign=campaign)
        units = list(OrgUnit.objects.filter(organisation=organisation).order_by("pk"))
        for n, question in enumerate(questions):
            if question.key.endswith(f".{len(questions) // AREAS:02d}"):
                continue  # the last question of each area stays unanswered
            targets: list[OrgUnit | None] = (
                list(units) if question.answer_level == AnswerLevel.UNIT else [None]
            )
            for unit in targets:
                answer_save(
                    actor=actor,
                    assessment=assessment,
                    question=question,
                    org_unit=unit,
                    data={"value": n % 6, "comment": f"Synthetic answer {n}"},
                    base_version=0,
                )
                saved += 1
    return saved


def assessment_pages() -> list[AssessmentPages]:
    """Both synthetic versions, kl-kommuner campaigns on them, København's answers."""
    network = Network.objects.get(code=PAGES_NETWORK)
    organisation = Organisation.objects.get(code=COORDINATOR_ORGANISATION)
    actor = User.objects.get(username=COORDINATOR)
    pages = []
    for year, questions in zip((2031, 2032), SIZES, strict=True):
        started = time.perf_counter()
        version = framework_version(questions)
        campaign = _open(network, version, year)
        answers = _answer_all(campaign, organisation, actor)
        with organisation_scope(organisation.pk):
            assessment = Assessment.objects.get(organisation=organisation, campaign=campaign)
        area = Node.objects.filter(version=version, kind=NodeKind.AREA).order_by("position")[0]
        area_questions = Node.objects.filter(
            version=version, kind=NodeKind.QUESTION, key__startswith=f"{area.key}."
        ).count()
        pages.append(
            AssessmentPages(
                questions=questions,
                assessment_path=reverse(
                    "baseline:assessment_detail", kwargs={"assessment_id": assessment.pk}
                ),
                area_path=reverse(
                    "baseline:area_detail",
                    kwargs={"assessment_id": assessment.pk, "area_id": area.pk},
                ),
                area_questions=area_questions,
                answers=answers,
            )
        )
        say(
            f"Synthetic {questions}-question version: campaign opened for {PAGES_NETWORK}, "
            f"{answers} answers by {COORDINATOR} ({time.perf_counter() - started:.1f} s)"
        )
    return pages


def load_respondents(logins: list[Login], path: Path) -> int:
    """The deadline-day campaign and its respondents; writes what the locustfile needs.

    One respondent (resp.<code>.1) in each of the first RESPONDENTS no-kommuner members, by
    code; each gets one area of the 300-question version delegated to them personally.
    """
    started = time.perf_counter()
    network = Network.objects.get(code=LOAD_NETWORK)
    version = FrameworkVersion.objects.get(framework__key=FRAMEWORK_KEY, version=f"{SIZES[-1]}q")
    campaign = _open(network, version, 2031)
    passwords = {x.username: x.password for x in logins}
    members = sorted(network.members_on(), key=lambda o: o.code)
    areas = list(Node.objects.filter(version=version, kind=NodeKind.AREA).order_by("position"))
    questions = list(
        Node.objects.filter(version=version, kind=NodeKind.QUESTION).order_by("position")
    )
    people: list[dict[str, Any]] = []
    for organisation in members:
        if len(people) == RESPONDENTS:
            break
        username = f"resp.{organisation.code.lower()}.1"
        coordinator = f"koord.{organisation.code.lower()}"
        if username not in passwords:
            continue
        area = areas[len(people) % len(areas)]
        person = _delegate(campaign, organisation, area, username, coordinator)
        mine = [q for q in questions if q.key.startswith(f"{area.key}.")]
        people.append(
            {
                "username": username,
                "password": passwords[username],
                **person,
                "questions": [
                    {"id": q.pk, "per_unit": q.answer_level == AnswerLevel.UNIT} for q in mine
                ],
            }
        )
    if len(people) < RESPONDENTS:
        raise RuntimeError(f"only {len(people)} respondents found in {LOAD_NETWORK}")
    path.write_text(json.dumps(people, indent=1) + "\n", "utf-8")
    say(
        f"Deadline-day campaign opened for {LOAD_NETWORK}: {len(people)} respondents, one "
        f"area each ({time.perf_counter() - started:.1f} s)"
    )
    return len(people)


def _delegate(
    campaign: Campaign, organisation: Organisation, area: Node, username: str, coordinator: str
) -> dict[str, Any]:
    respondent = User.objects.get(username=username)
    actor = User.objects.get(username=coordinator)
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.get(organisation=organisation, campaign=campaign)
        unit = (
            Membership.objects.filter(
                organisation=organisation, user=respondent, org_unit__isnull=False
            )
            .values_list("org_unit_id", flat=True)
            .first()
        )
        delegation_assign(actor=actor, assessment=assessment, node=area, user=respondent)
    if unit is None:
        raise RuntimeError(f"{username} belongs to no org unit of {organisation.code}")
    return {"organisation": organisation.pk, "assessment": assessment.pk, "unit": unit}


def campaign_for_many(organisations: int = BIG_ORGANISATIONS) -> CampaignOpening:
    """Create `organisations` synthetic organisations in a network; time opening a campaign."""
    started = time.perf_counter()
    with transaction.atomic():
        Organisation.objects.bulk_create(
            [
                Organisation(
                    code=f"PERF-{n:04d}",
                    name=f"Synthetic organisation {n:04d}",
                    kind=OrganisationKind.MUNICIPALITY,
                    country="DK",
                    is_demo=True,
                )
                for n in range(organisations + 1)  # number 0 is the steward
            ],
            batch_size=500,
        )
        created = {o.code: o for o in Organisation.objects.filter(code__startswith="PERF-")}
        steward = created.pop("PERF-0000")
        network = Network.objects.create(
            code=BIG_NETWORK, name="Synthetic network of 1,000", steward=steward, is_demo=True
        )
        NetworkMembership.objects.bulk_create(
            [
                NetworkMembership(
                    network=network, organisation=o, joined_on=datetime.date(2020, 1, 1)
                )
                for o in created.values()
            ],
            batch_size=500,
        )
        for organisation in created.values():  # each organisation's rows in its own scope
            with organisation_scope(organisation.pk):
                OrgUnit.objects.create(organisation=organisation, code="D1", name="Department 1")
        actor = User.objects.create_user(username=f"netkoord.{BIG_NETWORK}", password=None)
        with organisation_scope(steward.pk):
            Membership.objects.create(
                organisation=steward, user=actor, role=Role.NETWORK_COORDINATOR
            )
    seconds = time.perf_counter() - started
    say(f"{organisations} synthetic organisations in {BIG_NETWORK} ({seconds:.1f} s)")
    version = FrameworkVersion.objects.filter(framework__key="samvirke-baseline").first()
    if version is None:
        version = FrameworkVersion.objects.get(framework__key=FRAMEWORK_KEY, version="300q")
    say(f"Timing campaign_create + campaign_open for {organisations} organisations (in-process)")
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    # Counted by a wrapper, not logged: Django's query log keeps only the last 9,000.
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        campaign = campaign_create(
            actor=actor,
            network=network,
            framework_version=version,
            title="Perf 1,000",
            year=2031,
            opens_on=datetime.date(2031, 1, 1),
            deadline=datetime.date(2031, 12, 31),
        )
        created_at = time.perf_counter()
        assessments = campaign_open(actor=actor, campaign=campaign)
        finished = time.perf_counter()
    opening = CampaignOpening(
        organisations=organisations,
        assessments=assessments,
        create_seconds=round(created_at - started, 2),
        open_seconds=round(finished - created_at, 2),
        seconds=round(finished - started, 2),
        queries=queries[0],
    )
    print(f"    {opening.note}", flush=True)
    return opening
