"""Campaign services: create, open (one assessment per participant), extend, close."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import (
    Assessment,
    AssessmentState,
    Campaign,
    CampaignParticipant,
    CampaignState,
)
from samvirke.baseline.services import (
    assessment_submit,
    campaign_close,
    campaign_create,
    campaign_extend_deadline,
    campaign_open,
)
from samvirke.baseline.tests.conftest import QuestionSet
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, make_organisation
from samvirke.tenancy.models import NetworkMembership

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unscoped")]


def create(world: World, questions: QuestionSet, **kwargs: object) -> Campaign:
    values: dict[str, object] = {
        "actor": world.owner,
        "network": world.network,
        "framework_version": questions.version,
        "title": "Baseline 2026",
        "year": 2026,
        "opens_on": datetime.date(2026, 2, 1),
        "deadline": datetime.date(2026, 4, 1),
    }
    values.update(kwargs)
    return campaign_create(**values)  # type: ignore[arg-type]


def test_create_makes_a_draft_for_all_current_members(world: World, questions: QuestionSet) -> None:
    campaign = create(world, questions, reminder_days=[1, 14, 7, 7])
    assert campaign.state == CampaignState.DRAFT
    assert campaign.reminder_days == [14, 7, 1]
    members = set(campaign.participants.values_list("organisation_id", flat=True))
    assert members == {world.org_a.pk, world.org_b.pk}
    entry = AuditEntry.objects.get(action="baseline.campaign.created")
    assert entry.organisation == world.org_a  # the steward's chain
    assert questions.version.is_in_use()


def test_create_refuses_bad_input(world: World, questions: QuestionSet) -> None:
    outsider_org = make_organisation("999", "Outside Kommune")
    bad = [
        {"deadline": datetime.date(2026, 1, 1)},
        {"reminder_days": [-1]},
        {"participants": [outsider_org]},
        {"participants": []},
    ]
    for kwargs in bad:
        with pytest.raises(ValidationError):
            create(world, questions, **kwargs)
    create(world, questions)
    with pytest.raises(ValidationError):
        create(world, questions)  # the same year twice
    assert Campaign.objects.count() == 1


def test_chosen_participants(world: World, questions: QuestionSet) -> None:
    campaign = create(world, questions, participants=[world.org_b])
    assert list(campaign.participants.values_list("organisation", flat=True)) == [world.org_b.pk]


def test_open_creates_one_assessment_per_participant(world: World, questions: QuestionSet) -> None:
    extra = [make_organisation(f"8{n:02}", f"Kommune {n}") for n in range(30)]
    NetworkMembership.objects.bulk_create(
        NetworkMembership(
            network=world.network, organisation=org, joined_on=datetime.date(2020, 1, 1)
        )
        for org in extra
    )
    campaign = create(world, questions)
    assert campaign_open(actor=world.owner, campaign=campaign) == 32
    assert campaign.state == CampaignState.OPEN
    for org in [world.org_a, world.org_b, *extra]:
        with organisation_scope(org.pk):
            mine = Assessment.objects.filter(organisation=org, campaign=campaign)
            assert [a.state for a in mine] == [AssessmentState.NOT_STARTED]
            assert AuditEntry.objects.filter(
                organisation=org, action="baseline.assessment.created"
            ).exists()
    with pytest.raises(ValidationError):
        campaign_open(actor=world.owner, campaign=campaign)
    assert CampaignParticipant.objects.filter(campaign=campaign).count() == 32


def test_extend_deadline_only_later(world: World, questions: QuestionSet) -> None:
    campaign = create(world, questions)
    with pytest.raises(ValidationError):
        campaign_extend_deadline(
            actor=world.owner, campaign=campaign, deadline=datetime.date(2026, 3, 1)
        )
    campaign_extend_deadline(
        actor=world.owner, campaign=campaign, deadline=datetime.date(2026, 5, 1)
    )
    campaign.refresh_from_db()
    assert campaign.deadline == datetime.date(2026, 5, 1)
    assert AuditEntry.objects.filter(action="baseline.campaign.deadline_extended").exists()


def test_close_marks_unsubmitted_assessments(world: World, questions: QuestionSet) -> None:
    campaign = create(world, questions)
    with pytest.raises(ValidationError):
        campaign_close(actor=world.owner, campaign=campaign)  # a draft cannot close
    campaign_open(actor=world.owner, campaign=campaign)
    with organisation_scope(world.org_a.pk):
        assessment_submit(
            actor=world.owner, assessment=Assessment.objects.get(organisation=world.org_a)
        )
    assert campaign_close(actor=world.owner, campaign=campaign) == 1
    with organisation_scope(world.org_a.pk):
        assert Assessment.objects.get(organisation=world.org_a).state == AssessmentState.SUBMITTED
    with organisation_scope(world.org_b.pk):
        b = Assessment.objects.get(organisation=world.org_b)
        assert b.state == AssessmentState.CLOSED_UNSUBMITTED and b.is_locked
    with pytest.raises(ValidationError):
        campaign_extend_deadline(
            actor=world.owner, campaign=campaign, deadline=datetime.date(2027, 1, 1)
        )


def test_open_skips_a_participant_that_left_the_network(
    world: World, questions: QuestionSet
) -> None:
    campaign = create(world, questions)
    NetworkMembership.objects.filter(network=world.network, organisation=world.org_b).update(
        left_on=datetime.date(2021, 1, 1)
    )
    assert campaign_open(actor=world.owner, campaign=campaign) == 1
    with organisation_scope(world.org_b.pk):
        assert not Assessment.objects.filter(organisation=world.org_b, campaign=campaign).exists()
    with organisation_scope(world.org_a.pk):
        assert Assessment.objects.filter(organisation=world.org_a, campaign=campaign).exists()
    entry = AuditEntry.objects.get(action="baseline.campaign.opened")
    assert entry.changes["skipped_not_members"] == [world.org_b.code]
    assert entry.changes["assessments"] == [0, 1]
