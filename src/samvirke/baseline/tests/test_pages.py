"""The campaign, assessment and answer pages."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import login
from samvirke.baseline.models import Answer, Assessment, Campaign, CampaignState, Delegation
from samvirke.baseline.services import (
    answer_save,
    assessment_submit,
    campaign_close,
    delegation_assign,
)
from samvirke.baseline.tests.conftest import (
    QuestionSet,
    add_node,
    build_questions,
    make_version,
    open_campaign,
)
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member
from samvirke.frameworks.models import NodeKind
from samvirke.tenancy.models import Network, OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


@pytest.fixture
def coordinator(client: Client, world: World) -> Client:
    """A's owner, also network coordinator of A, the steward of the world's network."""
    add_member(world.owner, world.org_a, Role.NETWORK_COORDINATOR)
    return login(client, world.owner)


def b_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_b, campaign=campaign)


def a_assessment(world: World, campaign: Campaign) -> Assessment:
    return Assessment.objects.get(organisation=world.org_a, campaign=campaign)


# --- campaigns -------------------------------------------------------------------------------


def test_campaign_list_needs_the_network_coordinator(
    client: Client, coordinator: Client, world: World, campaign: Campaign
) -> None:
    response = coordinator.get(reverse("baseline:campaign_list"))
    assert response.status_code == 200 and campaign.title in response.content.decode()
    other = login(Client(), world.member)
    assert other.get(reverse("baseline:campaign_list")).status_code == 403


def test_create_open_and_close_a_campaign(
    coordinator: Client, world: World, questions: QuestionSet
) -> None:
    form = {
        "network": world.network.pk,
        "framework_version": questions.version.pk,
        "title": "Baseline 2027",
        "year": 2027,
        "opens_on": "2027-02-01",
        "deadline": "2027-04-01",
        "reminder_days": "14, 7, 1",
    }
    response = coordinator.post(reverse("baseline:campaign_create"), form)
    campaign = Campaign.objects.get(year=2027)
    assert response.status_code == 302 and campaign.state == CampaignState.DRAFT
    detail = reverse("baseline:campaign_detail", args=[campaign.pk])
    assert coordinator.get(detail).status_code == 200
    coordinator.post(reverse("baseline:campaign_open", args=[campaign.pk]))
    assert Assessment.objects.filter(campaign=campaign).count() == 2
    response = coordinator.post(reverse("baseline:campaign_open", args=[campaign.pk]))
    assert response.status_code == 400
    coordinator.post(reverse("baseline:campaign_close", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED


def test_create_refuses_bad_input_and_foreign_networks(
    coordinator: Client, world: World, questions: QuestionSet
) -> None:
    b_network = Network.objects.create(code="b-only", name="B only", steward=world.org_b)
    good = {
        "network": world.network.pk,
        "framework_version": questions.version.pk,
        "title": "Baseline",
        "year": 2027,
        "opens_on": "2027-02-01",
        "deadline": "2027-04-01",
    }
    for change in ({"deadline": "2027-01-01"}, {"network": b_network.pk}, {"year": "x"}):
        response = coordinator.post(reverse("baseline:campaign_create"), {**good, **change})
        assert response.status_code == 400
    assert not Campaign.objects.exists()


def test_other_stewards_campaigns_are_not_found(
    coordinator: Client, world: World, questions: QuestionSet
) -> None:
    b_network = Network.objects.create(code="b-only", name="B only", steward=world.org_b)
    foreign = Campaign.objects.create(
        network=b_network,
        framework_version=questions.version,
        title="B's",
        year=2026,
        opens_on=datetime.date(2026, 1, 1),
        deadline=datetime.date(2026, 2, 1),
    )
    for name in ("campaign_detail", "campaign_open", "campaign_close"):
        url = reverse(f"baseline:{name}", args=[foreign.pk])
        assert coordinator.post(url).status_code in {404, 405}
        assert coordinator.get(url).status_code in {404, 405}
    foreign.refresh_from_db()
    assert foreign.state == CampaignState.DRAFT


# --- assessments -----------------------------------------------------------------------------


def test_assessment_page_lists_areas_with_progress(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    with organisation_scope(world.org_a.pk):
        answer_save(
            actor=world.owner,
            assessment=assessment,
            question=questions.maturity,
            org_unit=None,
            data={"value": 2},
            base_version=0,
        )
    response = owner_client.get(reverse("baseline:assessment_detail", args=[assessment.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Title of A1" in text and "Title of A2" in text and "50 %" in text
    area = reverse("baseline:area_detail", args=[assessment.pk, questions.area_1.pk])
    response = owner_client.get(area)
    assert response.status_code == 200 and "Level 2" in response.content.decode()
    assert owner_client.get(reverse("baseline:assessment_list")).status_code == 200


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_assessment_page_queries_do_not_grow_with_questions(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    url = reverse("baseline:assessment_detail", args=[assessment.pk])
    area_url = reverse("baseline:area_detail", args=[assessment.pk, questions.area_2.pk])
    before, area_before = _queries(owner_client, url), _queries(owner_client, area_url)
    for n in range(40):
        area = add_node(questions.version, f"Z{n}", NodeKind.AREA)
        question = add_node(
            questions.version,
            f"Z{n}.1",
            NodeKind.QUESTION,
            area,
            question_type="maturity",
            answer_level="organisation",
        )
        with organisation_scope(world.org_a.pk):
            answer_save(
                actor=world.owner,
                assessment=assessment,
                question=question,
                org_unit=None,
                data={"value": 1},
                base_version=0,
            )
    assert _queries(owner_client, url) == before
    assert _queries(owner_client, area_url) == area_before
    assert before <= 15


def test_other_organisations_assessment_is_not_found(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    theirs = b_assessment(world, campaign)
    for url in (
        reverse("baseline:assessment_detail", args=[theirs.pk]),
        reverse("baseline:area_detail", args=[theirs.pk, questions.area_1.pk]),
        reverse("baseline:answer", args=[theirs.pk, questions.maturity.pk]),
    ):
        assert owner_client.get(url).status_code == 404
        assert owner_client.post(url, {"base_version": 0, "value": 3}).status_code == 404
    assert (
        owner_client.post(reverse("baseline:assessment_submit", args=[theirs.pk])).status_code
        == 404
    )
    assert not Answer.objects.exists()


def test_submit_and_reopen_pages(owner_client: Client, world: World, campaign: Campaign) -> None:
    assessment = a_assessment(world, campaign)
    submit = reverse("baseline:assessment_submit", args=[assessment.pk])
    reopen = reverse("baseline:assessment_reopen", args=[assessment.pk])
    assert owner_client.post(submit).status_code == 302
    assert owner_client.post(submit).status_code == 400
    assert owner_client.post(reopen, {"reason": ""}).status_code == 400
    assert owner_client.post(reopen, {"reason": "One more"}).status_code == 302
    assessment.refresh_from_db()
    assert assessment.reopen_count == 1


# --- answers ---------------------------------------------------------------------------------


def answer_url(assessment: Assessment, question_pk: int) -> str:
    return reverse("baseline:answer", args=[assessment.pk, question_pk])


def test_answer_form_shows_last_years_answer(
    owner_client: Client, world: World, questions: QuestionSet
) -> None:
    last_year = build_questions(make_version(version="2025.1"))
    earlier = open_campaign(world, last_year.version, year=2025)
    with organisation_scope(world.org_a.pk):
        answer_save(
            actor=world.owner,
            assessment=a_assessment(world, earlier),
            question=last_year.maturity,
            org_unit=None,
            data={"value": 4, "comment": "LAST-YEAR-COMMENT"},
            base_version=0,
        )
    campaign_close(actor=world.owner, campaign=earlier)
    campaign = open_campaign(world, questions.version, year=2026)
    response = owner_client.get(answer_url(a_assessment(world, campaign), questions.maturity.pk))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Last year" in text and "LAST-YEAR-COMMENT" in text and "Level 4" in text


def test_htmx_save_then_stale_save_shows_both_and_changes_nothing(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    url = answer_url(assessment, questions.maturity.pk)
    htmx = {"HX-Request": "true"}
    first = owner_client.post(
        url, {"base_version": 0, "value": 3, "comment": "FIRST"}, headers=htmx
    )
    assert first.status_code == 200 and "<html" not in first.content.decode()
    stale = owner_client.post(
        url, {"base_version": 0, "value": 1, "comment": "SECOND"}, headers=htmx
    )
    text = stale.content.decode()
    assert stale.status_code == 409
    assert "FIRST" in text and "SECOND" in text
    answer = Answer.objects.get(assessment=assessment)
    assert (answer.version, answer.value, answer.comment) == (1, 3, "FIRST")
    assert 'name="base_version" value="1"' in text  # saving again replaces it on purpose


def test_bad_answers_get_400_and_change_nothing(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    cases = [
        (questions.maturity.pk, {"base_version": 0, "value": 9}),
        (questions.number.pk, {"base_version": 0, "value": 1000}),
        (questions.yes_no.pk, {"base_version": 0, "value": "yes", "org_unit": world.unit_b.pk}),
        (questions.yes_no.pk, {"base_version": 0, "value": "yes"}),
        (questions.maturity.pk, {"base_version": "x", "value": 1}),
    ]
    for question_pk, data in cases:
        response = owner_client.post(answer_url(assessment, question_pk), data)
        assert response.status_code == 400, data
    assert not Answer.objects.exists()
    assert owner_client.get(answer_url(assessment, questions.area_1.pk)).status_code == 404


def test_respondent_answers_a_delegated_unit_question(
    client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    respondent = login(client, world.member)
    url = answer_url(assessment, questions.yes_no.pk)
    data = {"base_version": 0, "value": "partly", "org_unit": world.unit_a.pk}
    assert respondent.post(url, data).status_code == 403
    assert respondent.get(url).status_code == 403
    with organisation_scope(world.org_a.pk):
        delegation_assign(
            actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=world.unit_a
        )
    assert respondent.get(f"{url}?org_unit={world.unit_a.pk}").status_code == 200
    assert respondent.post(url, data).status_code == 302
    assert Answer.objects.get().org_unit == world.unit_a


def test_undelegated_respondent_cannot_read_last_years_answer_through_a_bad_post(
    client: Client, world: World, questions: QuestionSet
) -> None:
    last_year = build_questions(make_version(version="2025.1"))
    earlier = open_campaign(world, last_year.version, year=2025)
    with organisation_scope(world.org_a.pk):
        for question, unit in [(last_year.maturity, None), (last_year.yes_no, world.unit_a)]:
            answer_save(
                actor=world.owner,
                assessment=a_assessment(world, earlier),
                question=question,
                org_unit=unit,
                data={"value": 4 if unit is None else "yes", "comment": "LAST-YEAR-COMMENT"},
                base_version=0,
            )
    campaign_close(actor=world.owner, campaign=earlier)
    assessment = a_assessment(world, open_campaign(world, questions.version, year=2026))
    respondent = login(client, world.member)  # a respondent of unit A; nothing delegated
    invalid = [
        (questions.maturity.pk, {"base_version": 0, "value": 9}),
        (questions.maturity.pk, {"base_version": "x", "value": 1}),
        (questions.yes_no.pk, {"base_version": 0, "value": "maybe", "org_unit": world.unit_a.pk}),
        (questions.yes_no.pk, {"base_version": "x", "org_unit": world.unit_a.pk}),
    ]
    for question_pk, data in invalid:
        for headers in ({}, {"HX-Request": "true"}):
            response = respondent.post(answer_url(assessment, question_pk), data, headers=headers)
            assert response.status_code == 403, data
            assert "LAST-YEAR-COMMENT" not in response.content.decode()
    # A valid post to a locked assessment is refused for its state first: still 403 here.
    with organisation_scope(world.org_a.pk):
        assessment_submit(actor=world.owner, assessment=assessment)
    response = respondent.post(
        answer_url(assessment, questions.maturity.pk), {"base_version": 0, "value": 3}
    )
    assert response.status_code == 403
    assert "LAST-YEAR-COMMENT" not in response.content.decode()
    assert not Answer.objects.filter(assessment=assessment).exists()


def test_a_unit_with_a_delegation_cannot_be_deleted(
    owner_client: Client, world: World, questions: QuestionSet, campaign: Campaign
) -> None:
    assessment = a_assessment(world, campaign)
    with organisation_scope(world.org_a.pk):
        unit = OrgUnit.objects.create(organisation=world.org_a, name="Gamma IT")
        delegation = delegation_assign(
            actor=world.owner, assessment=assessment, node=questions.area_1, org_unit=unit
        )
    response = owner_client.post(reverse("tenancy:orgunit_delete", args=[unit.pk]))
    assert response.status_code == 400
    assert "cannot be deleted" in response.content.decode()
    assert OrgUnit.objects.filter(pk=unit.pk).exists()
    assert Delegation.objects.get(pk=delegation.pk).org_unit_id == unit.pk
