"""answer_save: versions, values, delegation, locks, and the audit of refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Answer, AnswerRevision, Assessment, AssessmentState
from samvirke.baseline.services import (
    StaleAnswer,
    answer_save,
    assessment_submit,
    delegation_assign,
)
from samvirke.baseline.tests.conftest import QuestionSet, add_node, make_version
from samvirke.core.testing import World
from samvirke.frameworks.models import Node, NodeKind

pytestmark = pytest.mark.django_db


def save(world: World, assessment: Assessment, question: Node, **kwargs: Any) -> Answer:
    """Save as A's coordinator unless told otherwise."""
    kwargs.setdefault("actor", world.owner)
    kwargs.setdefault("org_unit", None)
    kwargs.setdefault("base_version", 0)
    kwargs.setdefault("data", {"value": 3})
    return answer_save(assessment=assessment, question=question, **kwargs)


def refusals(world: World) -> int:
    return AuditEntry.objects.filter(
        organisation=world.org_a, action="baseline.answer.refused"
    ).count()


def test_first_save_creates_version_1_with_revision_and_audit(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    answer = save(world, assessment, questions.maturity, data={"value": 3, "comment": " ok "})
    assert (answer.version, answer.value, answer.comment) == (1, 3, "ok")
    revision = AnswerRevision.objects.get(answer=answer)
    assert revision.version == 1 and revision.data["value"] == 3 and revision.via == "page"
    assert AuditEntry.objects.filter(action="baseline.answer.saved", object_id=str(answer.pk))
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.IN_PROGRESS


def test_save_on_the_stored_version_moves_it_on(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    save(world, assessment, questions.maturity)
    answer = save(world, assessment, questions.maturity, base_version=1, data={"value": 4})
    assert (answer.version, answer.value) == (2, 4)
    assert AnswerRevision.objects.filter(answer=answer).count() == 2


def test_stale_save_changes_nothing_and_carries_the_stored_answer(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    save(world, assessment, questions.maturity)
    save(world, assessment, questions.maturity, base_version=1, data={"value": 4})
    with pytest.raises(StaleAnswer) as caught:
        save(world, assessment, questions.maturity, base_version=1, data={"value": 1})
    assert (caught.value.stored.version, caught.value.stored.value) == (2, 4)
    stored = Answer.objects.get(assessment=assessment, question=questions.maturity)
    assert (stored.version, stored.value) == (2, 4)
    assert AnswerRevision.objects.filter(answer=stored).count() == 2
    assert refusals(world) == 1


def test_a_second_first_save_is_stale(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    save(world, assessment, questions.maturity)
    with pytest.raises(StaleAnswer):
        save(world, assessment, questions.maturity, data={"value": 1})


def test_a_version_that_never_existed_is_refused(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    with pytest.raises(ValidationError):
        save(world, assessment, questions.maturity, base_version=3)
    assert not Answer.objects.exists()


BAD_VALUES = [
    ("maturity", 6),
    ("maturity", -1),
    ("maturity", "3"),
    ("maturity", True),
    ("maturity", 2.5),
    ("number", 101),
    ("number", -0.5),
    ("number", "12"),
    ("number", float("nan")),
    ("single", "c"),
    ("single", ["a"]),
    ("multiple", ["a", "a"]),
    ("multiple", ["a", "z"]),
    ("multiple", []),
    ("multiple", "a"),
    ("text", "   "),
    ("text", "x" * 5001),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_values_outside_the_question_are_refused(
    world: World, questions: QuestionSet, assessment: Assessment, name: str, value: Any
) -> None:
    with pytest.raises(ValidationError):
        save(world, assessment, getattr(questions, name), data={"value": value})
    assert not Answer.objects.exists()
    assert refusals(world) == 1


@pytest.mark.parametrize(
    ("name", "value", "stored"),
    [
        ("maturity", 0, 0),
        ("maturity", 5, 5),
        ("number", 100, 100),
        ("number", 12.5, 12.5),
        ("single", "b", "b"),
        ("multiple", ["b", "a"], ["a", "b"]),
        ("text", " words ", "words"),
    ],
)
def test_good_values_are_stored(
    world: World, questions: QuestionSet, assessment: Assessment, name: str, value: Any, stored: Any
) -> None:
    answer = save(world, assessment, getattr(questions, name), data={"value": value})
    assert answer.value == stored


def test_per_unit_question_takes_one_of_the_organisations_units(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    answer = save(
        world, assessment, questions.yes_no, org_unit=world.unit_a, data={"value": "partly"}
    )
    assert answer.org_unit == world.unit_a
    with pytest.raises(ValidationError):
        save(world, assessment, questions.yes_no, data={"value": "yes"})
    with pytest.raises(ValidationError):
        save(world, assessment, questions.yes_no, org_unit=world.unit_b, data={"value": "yes"})
    with pytest.raises(ValidationError):
        save(world, assessment, questions.maturity, org_unit=world.unit_a)
    assert Answer.objects.count() == 1


def test_not_applicable_needs_permission_and_a_reason(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    with pytest.raises(ValidationError):
        save(
            world,
            assessment,
            questions.number,
            data={"not_applicable": True, "not_applicable_reason": "x"},
        )
    with pytest.raises(ValidationError):
        save(world, assessment, questions.maturity, data={"not_applicable": True})
    with pytest.raises(ValidationError):
        save(
            world,
            assessment,
            questions.maturity,
            data={"value": 2, "not_applicable": True, "not_applicable_reason": "x"},
        )
    answer = save(
        world,
        assessment,
        questions.maturity,
        data={"not_applicable": True, "not_applicable_reason": "No such systems"},
    )
    assert answer.not_applicable and answer.value is None and answer.is_answered


def test_dont_know_and_unsure(world: World, questions: QuestionSet, assessment: Assessment) -> None:
    answer = save(world, assessment, questions.maturity, data={"dont_know": True, "unsure": True})
    assert answer.dont_know and answer.unsure and answer.is_answered


def test_locked_assessment_refuses_answers(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    assessment_submit(actor=world.owner, assessment=assessment)
    with pytest.raises(ValidationError):
        save(world, assessment, questions.maturity)
    assert not Answer.objects.exists()
    assert refusals(world) == 1


def test_question_of_another_version_is_refused(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    other = add_node(make_version("other-fw"), "X.1", NodeKind.QUESTION, question_type="maturity")
    with pytest.raises(ValidationError):
        save(world, assessment, other)
    with pytest.raises(ValidationError):
        save(world, assessment, questions.area_1)


def test_respondent_answers_only_what_is_delegated(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    with pytest.raises(PermissionDenied):
        save(world, assessment, questions.maturity, actor=world.member)
    assert refusals(world) == 1
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    answer = save(world, assessment, questions.maturity, actor=world.member)
    assert answer.updated_by == world.member
    unit_answer = save(
        world,
        assessment,
        questions.yes_no,
        actor=world.member,
        org_unit=world.unit_a,
        data={"value": "no"},
    )
    assert unit_answer.org_unit == world.unit_a
    with pytest.raises(PermissionDenied):  # area 2 is not delegated
        save(world, assessment, questions.number, actor=world.member, data={"value": 1})


def test_delegation_to_a_person_covers_a_single_question(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.number, user=world.member
    )
    assert save(world, assessment, questions.number, actor=world.member, data={"value": 7})
    with pytest.raises(PermissionDenied):
        save(world, assessment, questions.text, actor=world.member, data={"value": "x"})


def test_reader_and_outsider_cannot_answer(
    world: World, questions: QuestionSet, assessment: Assessment
) -> None:
    for person in (world.reader, world.outsider):
        with pytest.raises(PermissionDenied):
            save(world, assessment, questions.maturity, actor=person)
    assert not Answer.objects.exists()
    assert refusals(world) == 2
