"""Delegation, review, progress, participation and "my questions"; scores and the roll-up."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import Answer, Assessment, AssessmentState, Campaign, Delegation
from samvirke.baseline.progress import assessment_overview
from samvirke.baseline.scoring import question_score, rollup, value_score
from samvirke.baseline.services import answer_save, assessment_submit, delegation_assign
from samvirke.baseline.tests.conftest import QuestionSet, save_answers
from samvirke.core.testing import World, add_member, make_organisation, make_user
from samvirke.tenancy.models import NetworkMembership, OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


def a_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)


def second_unit(world: World) -> OrgUnit:
    return OrgUnit.objects.create(organisation=world.org_a, name="Alfa Skole")


# --- delegation ------------------------------------------------------------------------------


def test_coordinator_delegates_an_area_to_two_units_and_removes_one(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    school = second_unit(world)
    url = reverse("baseline:delegation_list", args=[assessment.pk])
    page = owner_client.get(url)
    assert page.status_code == 200 and "Alfa Skole" in page.content.decode()
    response = owner_client.post(
        url, {"node": questions.area_1.pk, "org_units": [world.unit_a.pk, school.pk]}
    )
    assert response.status_code == 302
    delegations = Delegation.objects.filter(assessment=assessment)
    assert {d.org_unit_id for d in delegations} == {world.unit_a.pk, school.pk}
    assert AuditEntry.objects.filter(action="baseline.delegation.assigned").count() == 2
    first = delegations.get(org_unit=school)
    remove = reverse("baseline:delegation_remove", args=[assessment.pk, first.pk])
    assert owner_client.post(remove).status_code == 302
    assert not Delegation.objects.filter(pk=first.pk).exists()
    assert AuditEntry.objects.filter(action="baseline.delegation.removed").count() == 1


def test_delegation_refuses_foreign_units_people_and_nodes(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    url = reverse("baseline:delegation_list", args=[assessment.pk])
    for data in (
        {"node": questions.area_1.pk, "org_units": [world.unit_b.pk]},
        {"node": questions.area_1.pk, "user": world.outsider.pk},
        {"node": questions.area_1.pk},
        {"node": 999999, "org_units": [world.unit_a.pk]},
    ):
        response = owner_client.post(url, data)
        assert response.status_code == 400, data
        assert "There is a problem" in response.content.decode()
    assert not Delegation.objects.filter(assessment=assessment).exists()


def test_respondent_may_not_delegate(world: World, campaign: Campaign) -> None:
    client = login(Client(), world.member)
    url = reverse("baseline:delegation_list", args=[a_assessment(world, campaign).pk])
    assert client.get(url).status_code == 403


# --- progress --------------------------------------------------------------------------------


def test_progress_per_area_unit_and_person(
    world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    school = second_unit(world)
    for unit in (world.unit_a, school):
        delegation_assign(
            actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=unit
        )
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.number, user=world.member
    )
    answer_save(
        actor=world.member,
        assessment=assessment,
        question=questions.yes_no,
        org_unit=world.unit_a,
        data={"value": "yes"},
        base_version=0,
    )
    overview = assessment_overview(assessment)
    units = {unit.name: tally for unit, tally in overview.units}
    assert (units["Alfa IT"].total, units["Alfa IT"].answered) == (2, 1)
    assert (units["Alfa Skole"].total, units["Alfa Skole"].answered) == (2, 0)
    people = {person.username: tally for person, tally in overview.people}
    assert (people["member.a"].total, people["member.a"].answered) == (1, 0)
    status = next(q for q in overview.questions if q.question.pk == questions.yes_no.pk)
    assert not status.answered  # the school's answer is still missing
    assert overview.total.total == 6


def test_assessment_page_shows_unit_progress_to_the_coordinator(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    page = owner_client.get(reverse("baseline:assessment_detail", args=[assessment.pk]))
    text = page.content.decode()
    assert "Progress per org unit and person" in text and "Alfa IT" in text


# --- review ----------------------------------------------------------------------------------


def test_review_lists_unanswered_and_marks_answers_reviewed(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    answer = answer_save(
        actor=world.owner,
        assessment=assessment,
        question=questions.maturity,
        org_unit=None,
        data={"value": 3},
        base_version=0,
    )
    url = reverse("baseline:review", args=[assessment.pk])
    text = owner_client.get(url).content.decode()
    assert "5 unanswered questions" in text and "1 question to review" in text
    response = owner_client.post(url, {"answer": [answer.pk]})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.reviewed_by == world.owner
    assert AuditEntry.objects.filter(action="baseline.answer.reviewed").count() == 1


def test_review_ignores_foreign_answers_and_refuses_an_empty_choice(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    b = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
    foreign = answer_save(
        actor=world.outsider,
        assessment=b,
        question=questions.maturity,
        org_unit=None,
        data={"value": 2},
        base_version=0,
    )
    url = reverse("baseline:review", args=[assessment.pk])
    assert owner_client.post(url, {}).status_code == 400
    assert owner_client.post(url, {"answer": [foreign.pk, "x"]}).status_code == 302
    foreign.refresh_from_db()
    assert foreign.reviewed_at is None


def test_review_of_a_submitted_assessment_is_refused(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    answer = answer_save(
        actor=world.owner,
        assessment=assessment,
        question=questions.maturity,
        org_unit=None,
        data={"value": 3},
        base_version=0,
    )
    assessment_submit(actor=world.owner, assessment=assessment)
    url = reverse("baseline:review", args=[assessment.pk])
    assert owner_client.post(url, {"answer": [answer.pk]}).status_code == 400
    answer.refresh_from_db()
    assert answer.reviewed_at is None


# --- my questions ----------------------------------------------------------------------------


def test_my_questions_spans_organisations(
    world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    person = make_user("two.orgs")
    add_member(person, world.org_a, Role.RESPONDENT, world.unit_a)
    add_member(person, world.org_b, Role.RESPONDENT, world.unit_b)
    a = a_assessment(world, campaign)
    b = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
    delegation_assign(actor=world.owner, assessment=a, node=questions.maturity, user=person)
    delegation_assign(
        actor=world.outsider, assessment=b, node=questions.area_2, org_unit=world.unit_b
    )
    client = login(Client(), person)
    text = client.get(reverse("baseline:my_questions")).content.decode()
    assert "A1.1" in text and "A2.4" in text and "Beta Kommune" in text
    assert "0 of 5 questions answered" in text


def test_my_questions_shows_nothing_of_other_peoples_work(
    world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    a = a_assessment(world, campaign)
    delegation_assign(actor=world.owner, assessment=a, node=questions.area_2, user=world.owner)
    client = login(Client(), world.member)
    text = client.get(reverse("baseline:my_questions")).content.decode()
    assert "No questions are waiting for you" in text


# --- participation ---------------------------------------------------------------------------


def test_network_coordinator_sees_participation_but_no_answers(
    client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    b = Assessment.objects.get(organisation=world.org_b, campaign=campaign)
    answer_save(
        actor=world.outsider,
        assessment=b,
        question=questions.text,
        org_unit=None,
        data={"value": "SECRET-ANSWER-OF-B"},
        base_version=0,
    )
    assessment_submit(actor=world.outsider, assessment=b)
    third = make_organisation("903", "Gamma Kommune")
    NetworkMembership.objects.create(
        network=world.network, organisation=third, joined_on=datetime.date(2020, 1, 1)
    )
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    page = login(client, world.owner).get(reverse("baseline:campaign_detail", args=[campaign.pk]))
    text = page.content.decode()
    assert "1 of 2 participants have submitted" in text
    assert "Beta Kommune" in text and "SECRET-ANSWER-OF-B" not in text
    assert Assessment.participation.count() == 0  # the manager lists nothing unless narrowed
    assert Assessment.participation.states_of(campaign)[world.org_b.pk]["state"] == (
        AssessmentState.SUBMITTED
    )


# --- scores ----------------------------------------------------------------------------------


def test_scores_and_the_per_unit_roll_up(
    world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assert value_score(questions.maturity, 0) == 0.0
    assert value_score(questions.maturity, 5) == 100.0
    assert value_score(questions.yes_no, "partly") == 50.0
    assert value_score(questions.number, 40) is None
    # What validation refuses scores nothing, as in the release's stamps.
    for refused in (6, -1, 3.0, True, "3"):
        assert value_score(questions.maturity, refused) is None
    assert value_score(questions.yes_no, ["yes"]) is None
    assessment = a_assessment(world, campaign)
    school = second_unit(world)

    def unit_answer(unit: OrgUnit, **fields: object) -> Answer:
        return Answer(
            organisation=world.org_a,
            assessment=assessment,
            question=questions.yes_no,
            org_unit=unit,
            **fields,
        )

    both = [unit_answer(world.unit_a, value="yes"), unit_answer(school, value="no")]
    result = rollup(questions.yes_no, both)
    assert (result.score, result.units, result.lowest) == (50.0, 2, 0.0)
    na = [unit_answer(world.unit_a, value="yes"), unit_answer(school, not_applicable=True)]
    assert rollup(questions.yes_no, na).score == 100.0
    all_na = [unit_answer(world.unit_a, not_applicable=True)]
    assert rollup(questions.yes_no, all_na).not_applicable
    drafts = [unit_answer(world.unit_a, value="yes", draft=True)]
    assert not rollup(questions.yes_no, drafts).answered
    dont_know = [unit_answer(world.unit_a, dont_know=True)]
    assert rollup(questions.yes_no, dont_know).score == 0.0
    organisation = Answer(
        organisation=world.org_a, assessment=assessment, question=questions.maturity, value=4
    )
    assert question_score(questions.maturity, [organisation]).score == 80.0


def test_area_and_total_scores_follow_the_weights(
    owner_client: Client, world: World, campaign: Campaign, questions: QuestionSet
) -> None:
    assessment = a_assessment(world, campaign)
    save_answers(
        world.owner,
        assessment,
        [
            (questions.maturity, None, 5),
            (questions.yes_no, world.unit_a, "no"),
        ],
    )
    scores = assessment_overview(assessment).scores()
    assert scores.areas[questions.area_1.pk] == 50.0
    assert scores.areas[questions.area_2.pk] is None  # number, choices and text are not scored
    assert scores.total == 50.0
    page = owner_client.get(reverse("baseline:assessment_detail", args=[assessment.pk]))
    assert "Score so far" in page.content.decode()
