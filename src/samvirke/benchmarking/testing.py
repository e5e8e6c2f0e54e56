"""Populations for benchmark tests: organisations with public attributes and answers, fast.

`population(...)` writes verified organisations into a network, their region placements, one
closed campaign on a small framework version and every organisation's submitted answers,
each organisation's rows inside its own scope. The `dk_like` and `no_like` specifications follow
../shared/disclosure.md.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
)
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import Framework, FrameworkVersion, Node, NodeKind
from samvirke.tenancy.models import (
    Network,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    Region,
    RegionPlacement,
)

LEVELS = {str(n): {"en": f"Level {n}"} for n in range(6)}
JOINED = datetime.date(2020, 1, 1)


@dataclass
class Spec:
    """A population: region sizes, size classes to cycle through, and how members answer."""

    regions: Sequence[int]
    sizes: Sequence[str] = ("xs", "s", "m", "l")
    #: (organisation index, region index, rng) → the organisation's latent maturity 0..5.
    level: Callable[[int, int, random.Random], float] = lambda i, r, rng: min(
        5.0, max(0.0, rng.gauss(2.6, 0.9))
    )
    areas: int = 3
    questions_per_area: int = 4
    seed: int = 2026
    code_prefix: str = "T"
    #: Indices of organisations that answer every question with the same level (adversarial).
    uniform: set[int] = field(default_factory=set)


DK_LIKE = Spec(regions=(29, 17, 22, 19, 11), code_prefix="DK")
NO_LIKE = Spec(regions=(1, 6, *([25] * 13)), code_prefix="NO")


@dataclass
class Population:
    """What `population` wrote."""

    network: Network
    campaign: Campaign
    version: FrameworkVersion
    organisations: list[Organisation]
    areas: list[Node]
    questions: list[Node]


def small_version(
    key: str, areas: int, per_area: int
) -> tuple[FrameworkVersion, list[Node], list[Node]]:
    """A framework version with maturity questions, organisation level, weight 1."""
    framework, _ = Framework.objects.get_or_create(
        key=key, defaults={"publisher": "Test", "title": {"en": key}}
    )
    version = FrameworkVersion.objects.create(
        framework=framework,
        version="1",
        checksum=key,
        licence="CC0",
        source="test",
        title={"en": key},
        scale={"min": 0, "max": 5, "levels": LEVELS},
    )
    area_nodes, questions = [], []
    position = 0
    for a in range(areas):
        area = Node.objects.create(
            version=version,
            key=f"A{a + 1}",
            kind=NodeKind.AREA,
            position=position,
            title={"en": f"Area {a + 1}"},
        )
        position += 1
        area_nodes.append(area)
        for q in range(per_area):
            questions.append(
                Node.objects.create(
                    version=version,
                    key=f"A{a + 1}.{q + 1}",
                    kind=NodeKind.QUESTION,
                    parent=area,
                    depth=1,
                    position=position,
                    title={"en": f"Question {a + 1}.{q + 1}"},
                    question_type="maturity",
                    answer_level="organisation",
                    allows_not_applicable=True,
                )
            )
            position += 1
    return version, area_nodes, questions


def population(spec: Spec, *, year: int = 2026, network: Network | None = None) -> Population:
    """Write the population and its closed campaign; every organisation submitted."""
    rng = random.Random(spec.seed)
    key = f"bench-{spec.code_prefix.lower()}-{year}-{spec.seed}"
    version, areas, questions = small_version(key, spec.areas, spec.questions_per_area)
    organisations: list[Organisation] = []
    regions = [
        Region.objects.get_or_create(
            country="DK",
            code=f"{spec.code_prefix}-R{r}",
            defaults={"name": f"Region {r}", "valid_from": JOINED},
        )[0]
        for r in range(len(spec.regions))
    ]
    index = 0
    for count in spec.regions:
        for _ in range(count):
            organisations.append(
                Organisation(
                    code=f"{spec.code_prefix}{index:03d}",
                    name=f"Kommune {spec.code_prefix}{index:03d}",
                    kind=OrganisationKind.MUNICIPALITY,
                    country="DK",
                    size_class=spec.sizes[index % len(spec.sizes)],
                    is_verified=True,
                )
            )
            index += 1
    organisations = Organisation.objects.bulk_create(organisations)
    placements = []
    position = 0
    for r, count in enumerate(spec.regions):
        for _ in range(count):
            placements.append(
                RegionPlacement(
                    organisation=organisations[position], region=regions[r], valid_from=JOINED
                )
            )
            position += 1
    RegionPlacement.objects.bulk_create(placements)
    if network is None:
        network = Network.objects.create(code=key, name=f"Network {key}", steward=organisations[0])
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(network=network, organisation=o, joined_on=JOINED)
            for o in organisations
        ]
    )
    campaign = Campaign.objects.create(
        network=network,
        framework_version=version,
        title=f"Baseline {year}",
        year=year,
        opens_on=datetime.date(year, 1, 1),
        deadline=datetime.date(year, 3, 1),
        state=CampaignState.CLOSED,
    )
    CampaignParticipant.objects.bulk_create(
        [CampaignParticipant(campaign=campaign, organisation=o) for o in organisations]
    )
    region_of = [r for r, count in enumerate(spec.regions) for _ in range(count)]
    for i, organisation in enumerate(organisations):
        latent = spec.level(i, region_of[i], rng)
        submitted(
            organisation,
            campaign,
            [
                {
                    "question": question,
                    "value": round(latent)
                    if i in spec.uniform
                    else max(0, min(5, round(latent + rng.gauss(0, 0.8)))),
                }
                for question in questions
            ],
        )
    return Population(network, campaign, version, organisations, areas, questions)


def submitted(
    organisation: Organisation, campaign: Campaign, answers: Iterable[dict[str, Any]]
) -> Assessment:
    """A submitted assessment of the organisation with its answers (each the fields of one
    `Answer`: question, value, org_unit, ...), written in bulk inside its scope and not stamped,
    as a loader writes them."""
    with organisation_scope(organisation.pk):
        assessment = Assessment.objects.create(
            organisation=organisation, campaign=campaign, state=AssessmentState.SUBMITTED
        )
        Answer.objects.bulk_create(
            Answer(organisation=organisation, assessment=assessment, **fields) for fields in answers
        )
    return assessment


def revise_answers(organisation: Organisation, value: int, questions: Sequence[Node] = ()) -> None:
    """Set answers of an organisation's submitted assessments to one value behind the services'
    back (all answers, or those of the questions), and take back their score stamps, as
    reopening would, so the next release scores them again."""
    with organisation_scope(organisation.pk):
        answers = Answer.objects.filter(organisation=organisation)
        if questions:
            answers = answers.filter(question__in=questions)
        answers.update(value=value, not_applicable=False)
        Assessment.objects.filter(organisation=organisation).update(scored_with="")
