"""The three ways of scoring agree: the page's (baseline.scoring), in memory, in the database.

A framework version with every scored question type (maturity, yes/partly/no, single choice with
scores and a non-ASCII option id), an unscored choice, a per-unit question and a question under a
group, answered at random with "don't know", "not applicable", drafts, gaps and per-unit answers
that differ between units — scored on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any

import pytest

from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignState,
)
from samvirke.baseline.scoring import assessment_scores, value_score
from samvirke.baseline.services import assessment_reopen, assessment_submit
from samvirke.benchmarking.scores import (
    DONT_KNOW,
    NOT_APPLICABLE,
    Structure,
    campaign_categories,
    campaign_scores,
    score_assessments,
)
from samvirke.benchmarking.testing import submitted
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import make_user
from samvirke.frameworks.models import Framework, FrameworkVersion, Node, NodeKind
from samvirke.tenancy.models import Network, Organisation, OrganisationKind, OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]

CHOICES = [{"id": "høj", "score": 100}, {"id": "middel", "score": 40}, {"id": "lav", "score": 0}]
UNSCORED = [{"id": "a"}, {"id": "b"}]


def _version() -> tuple[FrameworkVersion, list[Node]]:
    framework = Framework.objects.create(key="mixed", publisher="Test", title={"en": "Mixed"})
    version = FrameworkVersion.objects.create(
        framework=framework,
        version="1",
        checksum="mixed",
        licence="CC0",
        source="test",
        title={"en": "Mixed"},
        scale={"min": 0, "max": 5},
    )
    position = iter(range(100))

    def node(key: str, kind: str, parent: Node | None = None, **fields: Any) -> Node:
        return Node.objects.create(
            version=version,
            key=key,
            kind=kind,
            parent=parent,
            depth=0 if parent is None else parent.depth + 1,
            position=next(position),
            title={"en": key},
            **fields,
        )

    first = node("A", NodeKind.AREA, weight=2)
    second = node("B", NodeKind.AREA, weight=1)
    group = node("B.G", NodeKind.GROUP, second)
    question = {"kind": NodeKind.QUESTION, "allows_not_applicable": True}
    questions = [
        node("A.1", parent=first, question_type="maturity", weight=2, **question),
        node("A.2", parent=first, question_type="yes_partly_no", **question),
        node("A.3", parent=first, question_type="single_choice", options=CHOICES, **question),
        node("A.4", parent=first, question_type="single_choice", options=UNSCORED, **question),
        node("B.1", parent=second, question_type="maturity", answer_level="unit", **question),
        node("B.G.1", parent=group, question_type="yes_partly_no", weight=3, **question),
    ]
    return version, questions


def _value(question: Node, rng: random.Random) -> Any:
    if question.question_type == "maturity":
        return rng.randint(0, 5)
    if question.question_type == "yes_partly_no":
        return rng.choice(["yes", "partly", "no"])
    return rng.choice([str(option["id"]) for option in question.options])


def _answer(
    organisation: Organisation,
    assessment: Assessment,
    question: Node,
    unit: OrgUnit | None,
    rng: random.Random,
) -> Answer | None:
    draw = rng.random()
    if draw < 0.1:
        return None  # unanswered
    answer = Answer(
        organisation=organisation, assessment=assessment, question=question, org_unit=unit
    )
    if draw < 0.2:
        answer.dont_know = True
    elif draw < 0.3:
        answer.not_applicable, answer.not_applicable_reason = True, "Not ours"
    else:
        answer.value = _value(question, rng)
        answer.draft = draw > 0.92
    return answer


@pytest.fixture
def mixed() -> tuple[Campaign, Structure, list[Assessment]]:
    version, questions = _version()
    steward = Organisation.objects.create(
        code="S", name="Steward", kind=OrganisationKind.STATE_AGENCY
    )
    network = Network.objects.create(code="mixed", name="Mixed", steward=steward)
    campaign = Campaign.objects.create(
        network=network,
        framework_version=version,
        title="Mixed",
        year=2026,
        opens_on=datetime.date(2026, 1, 1),
        deadline=datetime.date(2026, 3, 1),
        state=CampaignState.CLOSED,
    )
    rng = random.Random(20261127)
    assessments = []
    for n in range(24):
        organisation = Organisation.objects.create(
            code=f"M{n:02d}", name=f"Kommune {n}", kind=OrganisationKind.MUNICIPALITY
        )
        with organisation_scope(organisation.pk):
            units = [
                OrgUnit.objects.create(organisation=organisation, code=f"U{u}", name=f"Unit {u}")
                for u in range(rng.randint(0, 3))
            ]
            state = AssessmentState.SUBMITTED if n % 8 else AssessmentState.CLOSED_UNSUBMITTED
            assessment = Assessment.objects.create(
                organisation=organisation, campaign=campaign, state=state
            )
            answers = []
            for question in questions:
                owners = units if question.answer_level == "unit" else [None]
                for unit in owners:
                    if (
                        answer := _answer(organisation, assessment, question, unit, rng)
                    ) is not None:
                        answers.append(answer)
            Answer.objects.bulk_create(answers)
            assessments.append(assessment)
    by_key = {q.key: q for q in questions}
    for code, rows in EDGE_CASES.items():
        assessments.append(_edge_case(campaign, code, by_key, rows))
    return campaign, Structure.of(version.pk), assessments


#: Answers no random draw guarantees, per organisation: (question, unit or None, value, not
#: applicable, don't know). Values validation refuses (loaded around it) and answers at the
#: wrong level for their question score nothing; a per-unit question with units "not
#: applicable" averages the others, and one with every unit "not applicable" drops out.
EDGE_CASES: dict[str, list[tuple[str, int | None, Any, bool, bool]]] = {
    "E1": [
        ("A.1", None, 9, False, False),  # out of range
        ("A.2", None, "maybe", False, False),
        ("A.3", None, "høj", False, False),
        ("A.2", 0, "yes", False, False),  # a unit's answer to an organisation-level question
        ("B.1", None, 2, False, False),  # the organisation's answer to a per-unit question
        ("B.1", 0, 5, False, False),
        ("B.1", 1, None, True, False),
        ("B.1", 2, None, False, True),
        ("B.G.1", None, "partly", False, False),
    ],
    "E2": [
        ("A.1", None, 3.0, False, False),  # a float where validation wants a whole level
        ("A.3", None, "middel", False, False),
        ("A.4", None, "a", False, False),  # unscored
        ("B.1", 0, None, True, False),
        ("B.1", 1, None, True, False),
        ("B.G.1", None, None, False, True),
    ],
}


def _edge_case(
    campaign: Campaign,
    code: str,
    questions: dict[str, Node],
    rows: list[tuple[str, int | None, Any, bool, bool]],
) -> Assessment:
    organisation = Organisation.objects.create(
        code=code, name=f"Kommune {code}", kind=OrganisationKind.MUNICIPALITY
    )
    with organisation_scope(organisation.pk):
        units = [
            OrgUnit.objects.create(organisation=organisation, code=f"U{u}", name=f"Unit {u}")
            for u in range(3)
        ]
    return submitted(
        organisation,
        campaign,
        (
            {
                "question": questions[key],
                "org_unit": None if unit is None else units[unit],
                "value": value,
                "not_applicable": not_applicable,
                "dont_know": dont_know,
            }
            for key, unit, value, not_applicable, dont_know in rows
        ),
    )


def _page_scores(structure: Structure, assessment: Assessment) -> tuple[Any, dict[int, Any]]:
    """What the organisation's own pages show: baseline.scoring over its confirmed answers."""
    answers = list(Answer.objects.filter(assessment=assessment, draft=False))
    triples = [
        (
            question,
            next(a for a in structure.areas if a.pk == structure.area_of[q]),
            [a for a in answers if a.question_id == q],
        )
        for q, question in structure.questions.items()
    ]
    scores = assessment_scores(structure.areas, triples)
    return scores.total, {area: score for area, score in scores.areas.items() if score is not None}


def test_database_scores_equal_the_pages_and_the_memory_scores(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    campaign, structure, assessments = mixed
    in_database = campaign_scores(structure, [campaign.pk])
    rows = Answer.objects.filter(assessment__campaign=campaign, draft=False).values_list(
        "assessment_id", "question_id", "org_unit_id", "value", "not_applicable", "dont_know"
    )
    in_memory = score_assessments(structure, rows)
    submitted = [a for a in assessments if a.state == AssessmentState.SUBMITTED]
    assert set(in_database) <= {a.pk for a in submitted}
    assert len(in_database) >= len(submitted) - 2  # a few may have no scored answer at all
    for assessment in submitted:
        total, areas = _page_scores(structure, assessment)
        found = in_database.get(assessment.pk)
        assert (found.total if found else None) == pytest.approx(total)
        assert (found.areas if found else {}) == pytest.approx(areas)
        memory = in_memory.get(assessment.pk)
        assert (memory.total if memory else None) == pytest.approx(total)


def test_database_categories_equal_the_memory_categories(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    campaign, structure, assessments = mixed
    found = campaign_categories(structure, [campaign.pk])
    rows = Answer.objects.filter(assessment__campaign=campaign, draft=False).values_list(
        "assessment_id", "question_id", "org_unit_id", "value", "not_applicable", "dont_know"
    )
    published = {q for q, node in structure.questions.items() if structure.options(node)}
    expected = {
        assessment: {q: c for q, c in scored.categories.items() if q in published}
        for assessment, scored in score_assessments(structure, rows).items()
    }
    submitted = {a.pk for a in assessments if a.state == AssessmentState.SUBMITTED}
    assert found == {a: c for a, c in expected.items() if a in submitted and c}
    seen = {c for categories in found.values() for c in categories.values()}
    assert {"høj", DONT_KNOW, NOT_APPLICABLE, "yes"} <= seen


def test_a_kept_structure_is_read_again_when_its_version_gains_a_node(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    """Structures are kept per process; a node added to the version makes a new one."""
    campaign, structure, _assessments = mixed
    version = campaign.framework_version
    assert Structure.of(version.pk) is structure  # kept
    area = structure.areas[0]
    added = Node.objects.create(
        version=version,
        key="A.9",
        kind=NodeKind.QUESTION,
        parent=area,
        depth=1,
        position=99,
        title={"en": "A.9"},
        question_type="maturity",
    )
    again = Structure.of(version.pk)
    assert again is not structure
    assert added.pk in again.questions and added.pk not in structure.questions


def _expected_stamp(structure: Structure, answer: Answer) -> tuple[Any, Any, Any]:
    """(score, area, weight) an answer should carry once its assessment is stamped."""
    question = structure.questions.get(answer.question_id)
    per_unit = question is not None and question.answer_level == "unit"
    if (
        question is None
        or answer.question_id not in structure.scored
        or answer.draft
        or answer.not_applicable
        or per_unit != (answer.org_unit_id is not None)
    ):
        return None, None, None
    score = 0.0 if answer.dont_know else value_score(question, answer.value)
    if score is None:
        return None, None, None
    return score, structure.area_of[answer.question_id], question.weight


def _stamps(structure: Structure, assessment: Assessment) -> tuple[list[Any], list[Any]]:
    """The answers' stamps as stored, and as the scoring rules say they should be: a per-unit
    question's weight shared equally among its scored unit answers."""
    answers = list(Answer.objects.filter(assessment=assessment).order_by("pk"))
    stored = [(a.score, a.score_area_id, a.score_weight) for a in answers]
    expected = [_expected_stamp(structure, a) for a in answers]
    units = Counter(
        a.question_id
        for a, (score, _area, _weight) in zip(answers, expected, strict=True)
        if a.org_unit_id is not None and score is not None
    )
    expected = [
        (score, area, weight / units[a.question_id] if a.org_unit_id is not None else weight)
        if score is not None
        else (score, area, weight)
        for a, (score, area, weight) in zip(answers, expected, strict=True)
    ]
    return stored, expected


def test_submission_stamps_the_answers_and_reopening_takes_the_stamp_back(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    campaign, structure, assessments = mixed
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.OPEN)
    assessment = next(a for a in assessments if a.state == AssessmentState.SUBMITTED)
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.IN_PROGRESS)
    actor = make_user("stamper")
    with organisation_scope(assessment.organisation_id):
        assessment.refresh_from_db()
        assessment_submit(actor=actor, assessment=assessment)
        assessment.refresh_from_db()
        assert assessment.scored_with == structure.stamp
        stored, expected = _stamps(structure, assessment)
        assert stored == expected
        assert any(score is not None for score, _area, _weight in stored)
        assert any(score is None for score, _area, _weight in stored)  # N/A, drafts, unscored
        assert len(set(expected)) > 1

        assessment_reopen(actor=actor, assessment=assessment, reason="A unit answered again")
        assessment.refresh_from_db()
        assert assessment.scored_with == ""
        # A changed answer is stamped anew at the next submission.
        question = next(q for q in structure.questions.values() if q.key == "A.1")
        answer, _created = Answer.objects.update_or_create(
            assessment=assessment,
            question=question,
            org_unit=None,
            defaults={"organisation": assessment.organisation, "value": 5, "draft": False},
        )
        Answer.objects.filter(pk=answer.pk).update(not_applicable=False, dont_know=False)
        assessment_submit(actor=actor, assessment=assessment)
        stored, expected = _stamps(structure, assessment)
        assert stored == expected
        assert Answer.objects.get(pk=answer.pk).score == 100.0
    # The release reads the submission's stamps as they are, and they give the page's scores.
    assessment.refresh_from_db()
    assert assessment.scored_with == structure.stamp
    released = campaign_scores(structure, [campaign.pk])[assessment.pk]
    total, areas = _page_scores(structure, assessment)
    assert released.total == pytest.approx(total)
    assert released.areas == pytest.approx(areas)
    assert _stamps(structure, assessment)[0] == stored


def test_the_edge_cases_score_by_the_rules(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    campaign, structure, assessments = mixed
    found = campaign_scores(structure, [campaign.pk])
    first, second = (a for a in assessments if a.organisation.code in EDGE_CASES)
    area = {node.key: node.pk for node in structure.areas}
    # E1: A.3 "høj" 100 alone in A (a level out of range, "maybe" and a unit's answer score
    # nothing); B: B.1 the mean of its units 100 and 0 (one unit not applicable, the
    # organisation's own answer ignored), B.G.1 "partly" 50.
    assert found[first.pk].areas == pytest.approx({area["A"]: 100.0, area["B"]: 50.0})
    assert found[first.pk].total == pytest.approx((2 * 100.0 + 50.0) / 3)
    # E2: 3.0 is not a level, "middel" 40; B.1 drops out (every unit not applicable), B.G.1
    # "don't know" 0.
    assert found[second.pk].areas == pytest.approx({area["A"]: 40.0, area["B"]: 0.0})
    assert found[second.pk].total == pytest.approx(2 * 40.0 / 3)


def test_scoring_stamps_again_what_other_rules_or_no_one_stamped(
    mixed: tuple[Campaign, Structure, list[Assessment]],
) -> None:
    """A release reads only stamps of the current rules and version: answers loaded in bulk
    (never stamped) and stamps of older rules are stamped again before they are summed."""
    campaign, structure, assessments = mixed
    submitted = [a for a in assessments if a.state == AssessmentState.SUBMITTED]
    first = campaign_scores(structure, [campaign.pk])
    for assessment in submitted:
        stored, expected = _stamps(structure, assessment)
        assert stored == expected
    full = {q.weight for q in structure.questions.values()}
    shared = Answer.objects.filter(assessment__campaign=campaign, score__isnull=False).exclude(
        score_weight__in=full
    )
    assert shared.exists()  # some per-unit question was answered by several units
    assert set(
        Assessment.objects.filter(pk__in=[a.pk for a in submitted]).values_list(
            "scored_with", flat=True
        )
    ) == {structure.stamp}
    changed = max(submitted, key=lambda a: (first[a.pk].total or 0) if a.pk in first else 0)
    assert first[changed.pk].total
    Answer.objects.filter(assessment=changed).update(
        value=None, dont_know=True, not_applicable=False, draft=False
    )
    Assessment.objects.filter(pk=changed.pk).update(scored_with="2025.1:older rules")
    again = campaign_scores(structure, [campaign.pk])
    total, areas = _page_scores(structure, changed)
    assert again[changed.pk].total == pytest.approx(total)
    assert again[changed.pk].areas == pytest.approx(areas)
    assert again[changed.pk].total != pytest.approx(first[changed.pk].total)
    for assessment in (a for a in submitted if a != changed):
        assert (again.get(assessment.pk) is None) == (first.get(assessment.pk) is None)
        if assessment.pk in first:
            assert again[assessment.pk].total == pytest.approx(first[assessment.pk].total)
    stored, expected = _stamps(structure, changed)
    assert stored == expected

    # A node added to the version in place makes a new structure key: everything is stamped
    # again under it, and the scores stay the same.
    Node.objects.create(
        version=campaign.framework_version,
        key="A.9",
        kind=NodeKind.QUESTION,
        parent=structure.areas[0],
        depth=1,
        position=99,
        title={"en": "A.9"},
        question_type="maturity",
    )
    renewed = Structure.of(campaign.framework_version_id)
    assert renewed.stamp != structure.stamp
    assert campaign_scores(renewed, [campaign.pk]).keys() == again.keys()
    assert set(
        Assessment.objects.filter(campaign=campaign, state=AssessmentState.SUBMITTED).values_list(
            "scored_with", flat=True
        )
    ) == {renewed.stamp}
