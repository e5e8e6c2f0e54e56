"""Reminders, deadline warnings and closing at the deadline, run by the background worker."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from samvirke.accounts.models import User
from samvirke.audit.models import AuditEntry
from samvirke.baseline.models import (
    Answer,
    Assessment,
    AssessmentState,
    Campaign,
    CampaignReminder,
    CampaignState,
    Delegation,
    ReminderKind,
)
from samvirke.baseline.reminders import (
    Recipient,
    due_reminders,
    recipient_language,
    recipients_deadline,
    recipients_unanswered,
    reminder_send,
    reminders_send_due,
)
from samvirke.baseline.services import assessment_submit, campaign_create, campaign_open
from samvirke.baseline.tasks import close_campaigns_past_deadline, run_daily
from samvirke.baseline.tests.conftest import QuestionSet
from samvirke.core.management.commands.worker import enqueue_if_idle
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import World, add_member, make_user
from samvirke.frameworks.models import Node
from samvirke.tenancy.models import Organisation, OrgUnit
from samvirke.tenancy.roles import Role

pytestmark = pytest.mark.django_db

OPENS = datetime.date(2026, 1, 1)
DEADLINE = datetime.date(2026, 3, 31)
DAY = datetime.timedelta(days=1)


def make_campaign(
    world: World,
    questions: QuestionSet,
    *,
    opens_on: datetime.date = OPENS,
    deadline: datetime.date = DEADLINE,
    reminder_days: tuple[int, ...] = (14, 7, 1),
    year: int = 2026,
    open_it: bool = True,
) -> Campaign:
    campaign = campaign_create(
        actor=world.owner,
        network=world.network,
        framework_version=questions.version,
        title=f"Baseline {year}",
        year=year,
        opens_on=opens_on,
        deadline=deadline,
        reminder_days=reminder_days,
    )
    if open_it:
        campaign_open(actor=world.owner, campaign=campaign)
    return campaign


def assessment_of(campaign: Campaign, organisation: Organisation) -> Assessment:
    with organisation_scope(organisation.pk):
        return Assessment.objects.get(organisation=organisation, campaign=campaign)


def delegate(
    assessment: Assessment, node: Node, *, user: User | None = None, unit: OrgUnit | None = None
) -> None:
    with organisation_scope(assessment.organisation_id):
        Delegation.objects.create(
            organisation=assessment.organisation, assessment=assessment, node=node, user=user,
            org_unit=unit,
        )  # fmt: skip


def answer(
    assessment: Assessment,
    question: Node,
    value: object,
    *,
    unit: OrgUnit | None = None,
    draft: bool = False,
) -> None:
    with organisation_scope(assessment.organisation_id):
        Answer.objects.update_or_create(
            organisation=assessment.organisation,
            assessment=assessment,
            question=question,
            org_unit=unit,
            defaults={"value": value, "draft": draft},
        )


def due_keys(today: datetime.date) -> set[tuple[str, int]]:
    return {(r.kind, r.days_before) for r in due_reminders(today)}


BOTH = {ReminderKind.UNANSWERED.value, ReminderKind.DEADLINE.value}


def both(days: int) -> set[tuple[str, int]]:
    return {(kind, days) for kind in BOTH}


# --- what is due -----------------------------------------------------------------------------


def test_due_follows_the_schedule_and_sends_each_once(world: World, questions: QuestionSet) -> None:
    make_campaign(world, questions)
    assert due_keys(DEADLINE - 15 * DAY) == set()
    assert due_keys(DEADLINE - 14 * DAY) == both(14)
    reminders_send_due(DEADLINE - 14 * DAY)
    assert due_keys(DEADLINE - 14 * DAY) == set()  # sent once
    assert due_keys(DEADLINE - 10 * DAY) == set()
    assert due_keys(DEADLINE - 7 * DAY) == both(7)
    assert due_keys(DEADLINE) == both(1)  # day 1 missed: sent late, on the deadline day
    assert due_keys(DEADLINE + DAY) == set()  # past the deadline: closing, not reminding


def test_missed_reminders_are_sent_once_late_and_not_repeated(
    world: World, questions: QuestionSet
) -> None:
    make_campaign(world, questions)
    late = DEADLINE - 5 * DAY  # the 14 and 7 day reminders passed while nothing ran
    assert due_keys(late) == both(7)  # only the latest one: no burst of stale reminders
    reminders_send_due(late)
    assert CampaignReminder.objects.count() == 2
    assert due_keys(late + DAY) == set()
    assert due_keys(DEADLINE - DAY) == both(1)


def test_reminder_days_before_the_opening_are_skipped(world: World, questions: QuestionSet) -> None:
    make_campaign(world, questions, opens_on=DEADLINE - 10 * DAY)
    assert due_keys(DEADLINE - 10 * DAY) == set()  # the 14-day reminder was before opening
    assert due_keys(DEADLINE - 7 * DAY) == both(7)


def test_campaigns_not_open_have_nothing_due(world: World, questions: QuestionSet) -> None:
    make_campaign(world, questions, open_it=False)
    assert due_keys(DEADLINE - DAY) == set()
    campaign = Campaign.objects.get()
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)
    assert due_keys(DEADLINE - DAY) == set()


# --- who is reminded -------------------------------------------------------------------------


@dataclass
class People:
    campaign: Campaign
    a: Assessment
    b: Assessment
    hr_unit: OrgUnit
    hr: User  # respondent in A's HR unit, reached only through a unit delegation
    resp_b: User  # respondent in B


@pytest.fixture
def people(world: World, questions: QuestionSet) -> People:
    with organisation_scope(world.org_a.pk):
        hr_unit = OrgUnit.objects.create(organisation=world.org_a, name="Alfa HR")
    hr, resp_b = make_user("hr.a"), make_user("resp.b")
    add_member(hr, world.org_a, Role.RESPONDENT, hr_unit)
    add_member(resp_b, world.org_b, Role.RESPONDENT, world.unit_b)
    campaign = make_campaign(world, questions)
    a, b = assessment_of(campaign, world.org_a), assessment_of(campaign, world.org_b)
    delegate(a, questions.area_1, user=world.member)  # maturity + yes/no for the member's unit
    delegate(a, questions.area_2, unit=hr_unit)  # four organisation-level questions
    delegate(b, questions.area_1, user=resp_b)
    return People(campaign, a, b, hr_unit, hr, resp_b)


def counts(recipients: list[Recipient]) -> dict[tuple[str, str], int]:
    return {(r.user.username, r.organisation.code): r.unanswered for r in recipients}


def test_recipients_are_delegated_people_with_unanswered_questions(
    world: World, questions: QuestionSet, people: People
) -> None:
    answer(people.a, questions.maturity, 3)
    answer(people.a, questions.yes_no, "yes", unit=world.unit_a, draft=True)  # draft: unanswered
    answer(people.a, questions.number, 40)
    answer(people.a, questions.yes_no, "yes", unit=people.hr_unit)  # not the delegated unit's
    assert counts(recipients_unanswered(people.campaign)) == {
        ("member.a", "901"): 1,
        ("hr.a", "901"): 3,
        ("resp.b", "902"): 2,
    }
    answer(people.a, questions.yes_no, "no", unit=world.unit_a)  # confirmed
    for question in (questions.single, questions.multiple, questions.text):
        answer(people.a, question, "a")
    assert counts(recipients_unanswered(people.campaign)) == {("resp.b", "902"): 2}


def test_people_of_locked_assessments_are_not_reminded(
    world: World, questions: QuestionSet, people: People
) -> None:
    with organisation_scope(world.org_b.pk):
        assessment_submit(actor=world.outsider, assessment=people.b)
    assert ("resp.b", "902") not in counts(recipients_unanswered(people.campaign))


def test_deadline_warning_goes_to_coordinators_of_unsubmitted_assessments(
    world: World, questions: QuestionSet, people: People
) -> None:
    answer(people.b, questions.maturity, 2)
    assert counts(recipients_deadline(people.campaign)) == {
        ("owner.a", "901"): 6,
        ("outsider.b", "902"): 5,
    }
    with organisation_scope(world.org_a.pk):
        assessment_submit(actor=world.owner, assessment=people.a)
    assert counts(recipients_deadline(people.campaign)) == {("outsider.b", "902"): 5}


# --- the e-mails -----------------------------------------------------------------------------


def test_each_email_speaks_only_of_the_recipients_own_organisation(
    world: World, questions: QuestionSet, people: People
) -> None:
    reminders_send_due(DEADLINE - 7 * DAY)
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {
        "member.a@example.test",
        "hr.a@example.test",
        "resp.b@example.test",
        "owner.a@example.test",
        "outsider.b@example.test",
    }
    for address, message in by_address.items():
        text = message.subject + message.body
        own, other = ("Beta", "Alfa") if address.endswith(".b@example.test") else ("Alfa", "Beta")
        assert own in text and other not in text, address
        assert "Baseline 2026" in text
        assert "/baseline/" in message.body
    member_mail = by_address["member.a@example.test"]
    assert "2 spørgsmål" in member_mail.body  # Alfa Kommune is Danish
    assert "/baseline/my-questions/" in member_mail.body
    assert "/baseline/assessments/" in by_address["owner.a@example.test"].body


def test_email_language_follows_the_person_then_the_country(
    world: World, questions: QuestionSet, people: People
) -> None:
    User.objects.filter(pk=world.member.pk).update(preferred_language="en")
    Organisation.objects.filter(pk=world.org_b.pk).update(country="NO")
    reminders_send_due(DEADLINE - 7 * DAY)
    by_address = {m.to[0]: m for m in mail.outbox}
    expected = {
        "member.a@example.test": ("en", "March 31, 2026"),
        "hr.a@example.test": ("da", "31. marts 2026"),  # Danish organisation
        "resp.b@example.test": ("nb", "31. mars 2026"),  # Norwegian organisation
    }
    for address, (language, date) in expected.items():
        assert by_address[address].extra_headers["Content-Language"] == language
        assert date in by_address[address].body
    world.member.preferred_language = "xx"  # not one of ours: the country decides
    assert recipient_language(world.member, world.org_a) == "da"


def test_sending_records_and_audits_each_reminder(
    world: World, questions: QuestionSet, people: People
) -> None:
    sent = reminders_send_due(DEADLINE - 7 * DAY)
    assert {(r.kind, r.days_before, r.recipients) for r in sent} == {
        ("unanswered", 7, 3),
        ("deadline", 7, 2),
    }
    with organisation_scope(world.org_a.pk):  # the steward's audit chain
        entries = AuditEntry.objects.filter(action="baseline.campaign.reminder_sent")
        changes = sorted((e.changes["kind"], e.changes["recipients"]) for e in entries)
        assert changes == [("deadline", 2), ("unanswered", 3)]
        assert all(e.actor is None and e.object_id == str(people.campaign.pk) for e in entries)
    assert reminders_send_due(DEADLINE - 7 * DAY) == []
    assert len(mail.outbox) == 5


def test_a_reminder_recorded_by_another_worker_is_not_sent_again(
    world: World, questions: QuestionSet, people: People
) -> None:
    CampaignReminder.objects.create(
        campaign=people.campaign, kind=ReminderKind.UNANSWERED, days_before=7
    )
    duplicate = CampaignReminder(
        campaign=people.campaign, kind=ReminderKind.UNANSWERED, days_before=7
    )
    assert reminder_send(reminder=duplicate, connection=mail.get_connection()) is None
    assert mail.outbox == []


# --- closing at the deadline -----------------------------------------------------------------


def test_open_campaigns_close_after_their_deadline(
    world: World, questions: QuestionSet, people: People
) -> None:
    with organisation_scope(world.org_a.pk):
        assessment_submit(actor=world.owner, assessment=people.a)
    assert close_campaigns_past_deadline.call(DEADLINE.isoformat()) == 0  # deadline day: open
    assert close_campaigns_past_deadline.call((DEADLINE + DAY).isoformat()) == 1
    people.campaign.refresh_from_db()
    assert people.campaign.state == CampaignState.CLOSED
    assert assessment_of(people.campaign, world.org_a).state == AssessmentState.SUBMITTED
    b = assessment_of(people.campaign, world.org_b)
    assert b.state == AssessmentState.CLOSED_UNSUBMITTED
    with organisation_scope(world.org_a.pk):
        closed = AuditEntry.objects.get(action="baseline.campaign.closed")
        assert closed.actor is None and closed.changes["closed_unsubmitted"] == [0, 1]
    assert close_campaigns_past_deadline.call((DEADLINE + DAY).isoformat()) == 0


def test_the_daily_job_closes_first_and_reminds_only_open_campaigns(
    world: World, questions: QuestionSet, people: People
) -> None:
    assert run_daily.call((DEADLINE + DAY).isoformat()) == {"closed": 1, "reminders": 0}
    assert mail.outbox == []


# --- the worker ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_periodic_job_end_to_end(world: World, questions: QuestionSet) -> None:
    today = timezone.localdate()
    due = make_campaign(
        world, questions, opens_on=today - 30 * DAY, deadline=today + 7 * DAY, reminder_days=(7,)
    )
    past = make_campaign(
        world, questions, opens_on=today - 60 * DAY, deadline=today - DAY, year=2025
    )
    delegate(assessment_of(due, world.org_a), questions.area_1, user=world.member)

    call_command("worker", "--once", verbosity=0)

    # The daily job, the releases job, and the release of the campaign it closed.
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }
    assert sorted(m.to[0] for m in mail.outbox) == [
        "member.a@example.test",
        "outsider.b@example.test",
        "owner.a@example.test",
    ]
    assert set(CampaignReminder.objects.values_list("campaign", "kind", "days_before")) == {
        (due.pk, "unanswered", 7),
        (due.pk, "deadline", 7),
    }
    past.refresh_from_db()
    assert past.state == CampaignState.CLOSED
    with organisation_scope(world.org_a.pk):
        assert AuditEntry.objects.filter(action="baseline.campaign.reminder_sent").count() == 2

    call_command("worker", "--once", verbosity=0)  # the next hour: nothing new to send
    assert len(mail.outbox) == 3
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }


def test_the_periodic_job_is_not_queued_twice(db: None) -> None:
    assert enqueue_if_idle(run_daily, "default") is True
    assert enqueue_if_idle(run_daily, "default") is False
    assert DBTaskResult.objects.count() == 1
