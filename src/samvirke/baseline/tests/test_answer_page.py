"""The answer page: autosave with versions, the status line, the history, the unit choice."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login
from samvirke.baseline.models import Answer, AnswerVia, Assessment, Campaign
from samvirke.baseline.services import answer_save, assessment_submit, delegation_assign
from samvirke.baseline.tests.conftest import QuestionSet
from samvirke.core.testing import World
from samvirke.tenancy.models import OrgUnit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]

HTMX = {"HX-Request": "true"}


def a_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)


def answer_url(assessment: Assessment, question_pk: int) -> str:
    return reverse("baseline:answer", args=[assessment.pk, question_pk])


def test_autosave_answers_with_the_new_version_for_the_form(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    url = answer_url(a_assessment(world, campaign), questions.maturity.pk)
    first = owner_client.post(url, {"base_version": 0, "value": 2}, headers=HTMX)
    text = first.content.decode()
    assert first.status_code == 200 and "<form" not in text
    assert "(version 1)" in text and 'data-state="saved"' in text
    assert 'name="base_version" value="1"' in text and 'hx-swap-oob="true"' in text
    # The next autosave uses the version the first one handed back: no conflict with itself.
    second = owner_client.post(
        url, {"base_version": 1, "value": 3, "comment": "typed"}, headers=HTMX
    )
    assert second.status_code == 200 and "(version 2)" in second.content.decode()
    answer = Answer.objects.get(question=questions.maturity)
    assert (answer.version, answer.value, answer.comment) == (2, 3, "typed")


def test_an_autosave_that_changes_nothing_makes_no_version(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    url = answer_url(a_assessment(world, campaign), questions.text.pk)
    owner_client.post(url, {"base_version": 0, "value": "Our text"}, headers=HTMX)
    again = owner_client.post(url, {"base_version": 1, "value": "Our text"}, headers=HTMX)
    assert again.status_code == 200 and "No changes to save (version 1)" in again.content.decode()
    assert Answer.objects.get(question=questions.text).version == 1


def test_an_invalid_autosave_says_so_in_the_status_line_and_saves_nothing(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    url = answer_url(a_assessment(world, campaign), questions.maturity.pk)
    data = {"base_version": 0, "not_applicable": "on"}  # no reason given
    response = owner_client.post(url, data, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 400 and "<form" not in text
    assert 'data-state="error"' in text and "Give a reason" in text
    assert not Answer.objects.exists()
    # Pressing the button shows the whole form with its errors, in place of the old one.
    pressed = owner_client.post(url, {**data, "save": "1"}, headers=HTMX)
    assert pressed.status_code == 400 and "<form" in pressed.content.decode()
    assert pressed["HX-Retarget"] == f"#answer-{questions.maturity.pk}"
    assert 'name="refresh"' in pressed.content.decode()


def test_a_stale_autosave_shows_both_answers_in_place(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    answer_save(
        actor=world.owner,
        assessment=assessment,
        question=questions.maturity,
        org_unit=None,
        data={"value": 5, "comment": "THEIRS"},
        base_version=0,
    )
    url = answer_url(assessment, questions.maturity.pk)
    response = owner_client.post(
        url, {"base_version": 0, "value": 1, "comment": "MINE"}, headers=HTMX
    )
    text = response.content.decode()
    assert response.status_code == 409 and response["HX-Reswap"] == "outerHTML"
    assert "THEIRS" in text and "MINE" in text
    assert Answer.objects.get().value == 5
    # Saving over it on purpose replaces the whole form (the conflict notice goes).
    again = owner_client.post(
        url, {"base_version": 1, "value": 1, "save": "1", "refresh": "1"}, headers=HTMX
    )
    assert again.status_code == 200 and "Someone else saved" not in again.content.decode()
    assert Answer.objects.get().value == 1


def test_without_javascript_the_form_posts_and_redirects(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    url = answer_url(a_assessment(world, campaign), questions.maturity.pk)
    response = owner_client.post(url, {"base_version": 0, "value": 4, "save": "1"})
    assert response.status_code == 302 and response["Location"] == url
    page = owner_client.get(url).content.decode()
    assert "The answer was saved." in page and 'hx-trigger="submit, change' in page
    assert 'aria-live="polite"' in page


def test_the_history_lists_every_version_newest_first_with_who_and_through_what(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    for version, (value, via) in enumerate([(1, AnswerVia.API), (2, AnswerVia.PAGE)]):
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.maturity,
            org_unit=None,
            data={"value": value, "comment": f"COMMENT-{value}"},
            base_version=version,
            via=via,
        )
    page = owner_client.get(answer_url(assessment, questions.maturity.pk)).content.decode()
    history = page[page.index("History of the answer") :]
    assert history.index("COMMENT-2") < history.index("COMMENT-1")
    assert "API" in history and "Page" in history and "Owner" in history
    assert '<th scope="col">Version</th>' in history


def test_a_unit_question_asks_for_the_unit_first(
    client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    url = answer_url(assessment, questions.yes_no.pk)
    owner = login(Client(), world.owner)
    assert owner.get(url)["Location"].endswith(f"?org_unit={world.unit_a.pk}")  # the only unit
    OrgUnit.objects.create(organisation=world.org_a, name="Alfa HR")
    page = owner.get(url).content.decode()
    assert "Choose the unit" in page and "<select" in page and "base_version" not in page
    chosen = owner.get(f"{url}?org_unit={world.unit_a.pk}").content.decode()
    assert 'name="org_unit"' in chosen and 'type="hidden"' in chosen
    assert owner.get(f"{url}?org_unit={world.unit_b.pk}").status_code == 404
    # A respondent who may answer for one unit only goes straight to it.
    delegation_assign(
        actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
    )
    respondent = login(client, world.member)
    response = respondent.get(url)
    assert response.status_code == 302 and response["Location"].endswith(
        f"?org_unit={world.unit_a.pk}"
    )


def test_a_locked_assessment_shows_the_answer_without_a_form(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    answer_save(
        actor=world.owner,
        assessment=assessment,
        question=questions.maturity,
        org_unit=None,
        data={"value": 3},
        base_version=0,
    )
    assessment_submit(actor=world.owner, assessment=assessment)
    page = owner_client.get(answer_url(assessment, questions.maturity.pk)).content.decode()
    assert "The assessment is locked" in page and "Level 3" in page
    assert "hx-post" not in page and "Add a file" not in page
