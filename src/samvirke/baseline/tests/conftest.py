"""Fixtures for the baseline tests: a small question set of every type and an open campaign."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from samvirke.accounts.models import User
from samvirke.baseline.models import Assessment, Campaign
from samvirke.baseline.services import answer_save, campaign_create, campaign_open
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World
from samvirke.frameworks.models import Framework, FrameworkVersion, Node, NodeKind
from samvirke.tenancy.models import OrgUnit

LEVELS = {str(n): {"en": f"Level text {n}"} for n in range(6)}


@dataclass
class QuestionSet:
    """A framework version with two areas and one question of each type."""

    version: FrameworkVersion
    area_1: Node
    area_2: Node
    maturity: Node  # organisation level, not applicable allowed
    yes_no: Node  # per unit
    number: Node  # 0..100
    single: Node
    multiple: Node
    text: Node


def make_version(key: str = "test-baseline", version: str = "2026.1") -> FrameworkVersion:
    """An empty framework version on the 0 to 5 scale."""
    framework, _ = Framework.objects.get_or_create(
        key=key, defaults={"publisher": "Test", "title": {"en": "Test baseline"}}
    )
    return FrameworkVersion.objects.create(
        framework=framework,
        version=version,
        checksum=version,
        licence="CC0",
        source="test",
        title={"en": "Test baseline"},
        scale={"min": 0, "max": 5, "levels": LEVELS},
    )


def add_node(
    version: FrameworkVersion, key: str, kind: str, parent: Node | None = None, **fields: object
) -> Node:
    """One node at the end of the version."""
    position = Node.objects.filter(version=version).count()
    return Node.objects.create(
        version=version,
        key=key,
        kind=kind,
        parent=parent,
        position=position,
        depth=0 if parent is None else parent.depth + 1,
        title={"en": f"Title of {key}"},
        **fields,
    )


def build_questions(version: FrameworkVersion) -> QuestionSet:
    """Two areas with one question of every type."""
    q = NodeKind.QUESTION
    area_1 = add_node(version, "A1", NodeKind.AREA)
    maturity = add_node(
        version,
        "A1.1",
        q,
        area_1,
        question_type="maturity",
        answer_level="organisation",
        allows_not_applicable=True,
    )
    yes_no = add_node(
        version, "A1.2", q, area_1, question_type="yes_partly_no", answer_level="unit"
    )
    area_2 = add_node(version, "A2", NodeKind.AREA)
    number = add_node(
        version,
        "A2.1",
        q,
        area_2,
        question_type="number",
        answer_level="organisation",
        number_min=0,
        number_max=100,
    )
    options = [{"id": "a", "title": {"en": "Option A"}}, {"id": "b", "title": {"en": "Option B"}}]
    single = add_node(
        version,
        "A2.2",
        q,
        area_2,
        question_type="single_choice",
        options=options,
        answer_level="organisation",
    )
    multiple = add_node(
        version,
        "A2.3",
        q,
        area_2,
        question_type="multiple_choice",
        options=options,
        answer_level="organisation",
    )
    text = add_node(version, "A2.4", q, area_2, question_type="text", answer_level="organisation")
    return QuestionSet(version, area_1, area_2, maturity, yes_no, number, single, multiple, text)


@pytest.fixture
def questions(db: None) -> QuestionSet:
    """The small question set."""
    return build_questions(make_version())


def save_answers(
    actor: User, assessment: Assessment, answers: Iterable[tuple[Node, OrgUnit | None, Any]]
) -> None:
    """Confirmed answers (question, unit or None, value) saved through the answer service."""
    for question, unit, value in answers:
        answer_save(
            actor=actor,
            assessment=assessment,
            question=question,
            org_unit=unit,
            data={"value": value},
            base_version=0,
        )


def open_campaign(world: World, version: FrameworkVersion, year: int = 2026) -> Campaign:
    """An open campaign of the world's network (steward: A; members A and B)."""
    campaign = campaign_create(
        actor=world.owner,
        network=world.network,
        framework_version=version,
        title=f"Baseline {year}",
        year=year,
        opens_on=datetime.date(year, 1, 1),
        deadline=datetime.date(year, 12, 31),
    )
    campaign_open(actor=world.owner, campaign=campaign)
    return campaign


@pytest.fixture
def campaign(world: World, questions: QuestionSet) -> Campaign:
    """An open campaign with an assessment for A and for B."""
    return open_campaign(world, questions.version)


@pytest.fixture
def in_a(world: World) -> Iterator[None]:
    """Run inside organisation A's scope, as a request of A's people would."""
    with organisation_scope(world.org_a.pk):
        yield


@pytest.fixture
def assessment(world: World, campaign: Campaign, in_a: None) -> Assessment:
    """Organisation A's assessment."""
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)
