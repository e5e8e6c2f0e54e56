"""Copying last year's answers forward: drafts only where empty, only what the actor may answer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import login
from samvirke.audit.models import AuditEntry
from samvirke.baseline.copy_forward import answers_copy_forward
from samvirke.baseline.models import Answer, AnswerRevision, AnswerVia, Assessment, Campaign
from samvirke.baseline.queries import answered_question_ids
from samvirke.baseline.services import (
    answer_save,
    assessment_submit,
    campaign_close,
    delegation_assign,
)
from samvirke.baseline.tests.conftest import (
    QuestionSet,
    build_questions,
    make_version,
    open_campaign,
)
from samvirke.core.testing import World

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


def a_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)


@pytest.fixture
def this_year(world: World, questions: QuestionSet) -> Assessment:
    """A's assessment of 2026, after a closed 2025 with answers to three questions."""
    last_year = build_questions(make_version(version="2025.1"))
    earlier = open_campaign(world, last_year.version, year=2025)
    old = a_assessment(world, earlier)
    for question, unit, data in [
        (last_year.maturity, None, {"value": 4, "comment": "LAST-YEAR"}),
        (last_year.yes_no, world.unit_a, {"value": "partly", "unsure": True}),
        (last_year.number, None, {"value": 42}),
        (last_year.text, None, {"comment": "said nothing"}),  # not an answer: not copied
    ]:
        answer_save(
            actor=world.owner,
            assessment=old,
            question=question,
            org_unit=unit,
            data=data,  # type: ignore[arg-type]
            base_version=0,
        )
    campaign_close(actor=world.owner, campaign=earlier)
    return a_assessment(world, open_campaign(world, questions.version, year=2026))


def test_copy_makes_unconfirmed_drafts_with_one_revision_each_and_one_audit_entry(
    world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    assert answers_copy_forward(actor=world.owner, assessment=this_year) == 3
    answers = {a.question_id: a for a in Answer.objects.filter(assessment=this_year)}
    assert set(answers) == {questions.maturity.pk, questions.yes_no.pk, questions.number.pk}
    maturity = answers[questions.maturity.pk]
    assert (maturity.value, maturity.comment, maturity.version) == (4, "LAST-YEAR", 1)
    assert answers[questions.yes_no.pk].org_unit == world.unit_a
    assert answers[questions.yes_no.pk].unsure
    for answer in answers.values():
        assert answer.draft and answer.via == AnswerVia.COPY and not answer.is_answered
        revisions = AnswerRevision.objects.filter(answer=answer)
        assert [(r.version, r.via, r.data["draft"]) for r in revisions] == [(1, "copy", True)]
    assert answered_question_ids(this_year) == set()  # drafts do not count
    entry = AuditEntry.objects.get(action="baseline.answer.copied_forward")
    assert entry.changes["copied"] == 3 and entry.organisation_id == world.org_a.pk


def test_copy_never_overwrites_and_a_second_copy_adds_nothing(
    world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    answer_save(
        actor=world.owner,
        assessment=this_year,
        question=questions.maturity,
        org_unit=None,
        data={"value": 1, "comment": "THIS-YEAR"},
        base_version=0,
    )
    assert answers_copy_forward(actor=world.owner, assessment=this_year) == 2
    mine = Answer.objects.get(assessment=this_year, question=questions.maturity)
    assert (mine.value, mine.comment, mine.version, mine.draft) == (1, "THIS-YEAR", 1, False)
    assert answers_copy_forward(actor=world.owner, assessment=this_year) == 0
    assert AuditEntry.objects.filter(action="baseline.answer.copied_forward").count() == 1


def test_a_respondent_copies_only_what_is_delegated_to_them(
    world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    assert answers_copy_forward(actor=world.member, assessment=this_year) == 0
    delegation_assign(
        actor=world.owner, assessment=this_year, node=questions.area_1, org_unit=world.unit_a
    )
    assert answers_copy_forward(actor=world.member, assessment=this_year) == 2
    copied = set(Answer.objects.filter(assessment=this_year).values_list("question_id", flat=True))
    assert copied == {questions.maturity.pk, questions.yes_no.pk}  # not area 2's number


def test_copy_of_one_area(world: World, questions: QuestionSet, this_year: Assessment) -> None:
    assert answers_copy_forward(actor=world.owner, assessment=this_year, area=questions.area_2) == 1
    assert Answer.objects.get(assessment=this_year).question == questions.number


def test_a_locked_assessment_refuses_the_copy(
    world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    assessment_submit(actor=world.owner, assessment=this_year)
    with pytest.raises(ValidationError):
        answers_copy_forward(actor=world.owner, assessment=this_year)
    assert not Answer.objects.filter(assessment=this_year).exists()


def test_the_page_copies_one_answer_shows_the_draft_and_confirming_clears_it(
    owner_client: Client, world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    url = reverse("baseline:answer", args=[this_year.pk, questions.maturity.pk])
    page = owner_client.get(url).content.decode()
    assert "Use last year&#x27;s answer" in page or "Use last year's answer" in page
    copy = reverse("baseline:answer_copy_forward", args=[this_year.pk, questions.maturity.pk])
    assert owner_client.post(copy).status_code == 302
    assert Answer.objects.filter(assessment=this_year).count() == 1  # only this question
    page = owner_client.get(url).content.decode()
    assert 'data-draft="true"' in page and 'name="confirm"' in page
    assert "Copied from last year" in page  # the history says through what
    # "Confirm as is": the same values, saved through the answer form.
    data = {"base_version": 1, "value": 4, "comment": "LAST-YEAR", "confirm": "1"}
    response = owner_client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="answer-draft-' in response.content.decode()
    answer = Answer.objects.get(assessment=this_year)
    assert (answer.draft, answer.version, answer.via, answer.is_answered) == (
        False,
        2,
        AnswerVia.PAGE,
        True,
    )
    assert answered_question_ids(this_year) == {questions.maturity.pk}


def test_the_unit_button_and_the_area_endpoint(
    client: Client, world: World, questions: QuestionSet, this_year: Assessment
) -> None:
    owner = login(client, world.owner)
    copy = reverse("baseline:answer_copy_forward", args=[this_year.pk, questions.yes_no.pk])
    assert owner.post(copy).status_code == 400  # which unit?
    assert owner.post(copy, {"org_unit": world.unit_b.pk}).status_code == 404
    assert owner.post(copy, {"org_unit": world.unit_a.pk}).status_code == 302
    area = reverse("baseline:area_copy_forward", args=[this_year.pk, questions.area_2.pk])
    assert owner.get(area).status_code == 405
    response = owner.post(area)
    assert response.status_code == 302
    copied = set(Answer.objects.filter(assessment=this_year).values_list("question_id", flat=True))
    assert copied == {questions.yes_no.pk, questions.number.pk}
    not_an_area = reverse("baseline:area_copy_forward", args=[this_year.pk, questions.number.pk])
    assert owner.post(not_an_area).status_code == 404
