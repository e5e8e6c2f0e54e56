"""Scheduled e-mails of a campaign: reminders of unanswered delegated questions, and deadline
warnings to the coordinators of assessments not yet submitted.

Run by the background worker (baseline/tasks.py). Each organisation's rows are read inside that
organisation's own scope, and every e-mail speaks only of the recipient's own organisation.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from samvirke.accounts.models import User
from samvirke.audit.services import audit_log
from samvirke.baseline.models import (
    LOCKED_STATES,
    Answer,
    Assessment,
    Campaign,
    CampaignReminder,
    CampaignState,
    Delegation,
    ReminderKind,
)
from samvirke.baseline.progress import assessment_overview
from samvirke.baseline.services import answering_roles
from samvirke.core.scoping import organisation_scope
from samvirke.frameworks.models import AnswerLevel, Node, NodeKind
from samvirke.tenancy.models import Country, Membership, Organisation
from samvirke.tenancy.roles import Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

logger = logging.getLogger(__name__)

#: Where a person finds the questions sent to them (the "my questions" page).
MY_QUESTIONS_PATH = "/baseline/my-questions/"
COUNTRY_LANGUAGE: dict[str, str] = {Country.DENMARK: "da", Country.NORWAY: "nb"}

#: One answer slot: a question, for the organisation (None) or for one org unit.
Slot = tuple[int, int | None]


@dataclass(frozen=True)
class Recipient:
    """A person to write to about one organisation's assessment, with its unanswered count."""

    user: User
    organisation: Organisation
    unanswered: int


# --- what is due -----------------------------------------------------------------------------


def _due_day(campaign: Campaign, today: datetime.date) -> int | None:
    """The latest reminder day that has come (earlier missed ones are superseded by it)."""
    if today > campaign.deadline:
        return None
    passed = [
        days
        for days in campaign.reminder_days
        if campaign.opens_on <= campaign.deadline - datetime.timedelta(days=days) <= today
    ]
    return min(passed, default=None)


def due_reminders(today: datetime.date) -> list[CampaignReminder]:
    """The scheduled messages of open campaigns that are due today and not yet sent (unsaved).

    A reminder whose day passed while nothing ran is sent once, late; when several passed, only
    the latest is sent, so nobody gets a burst of stale reminders.
    """
    campaigns = list(Campaign.objects.filter(state=CampaignState.OPEN).order_by("pk"))
    sent = set(
        CampaignReminder.objects.filter(campaign__in=campaigns).values_list(
            "campaign_id", "kind", "days_before"
        )
    )
    due: list[CampaignReminder] = []
    for campaign in campaigns:
        days = _due_day(campaign, today)
        if days is None:
            continue
        for kind in ReminderKind.values:
            if (campaign.pk, kind, days) not in sent:
                due.append(CampaignReminder(campaign=campaign, kind=kind, days_before=days))
    return due


# --- who gets what ---------------------------------------------------------------------------


class _Tree:
    """The questions of a framework version, found under any node in one query."""

    def __init__(self, campaign: Campaign) -> None:
        rows = Node.objects.filter(version=campaign.framework_version_id).values_list(
            "id", "parent_id", "kind", "answer_level"
        )
        self.children: dict[int | None, list[int]] = defaultdict(list)
        self.per_unit: dict[int, bool] = {}
        for node_id, parent_id, kind, level in rows:
            self.children[parent_id].append(node_id)
            if kind == NodeKind.QUESTION:
                self.per_unit[node_id] = level == AnswerLevel.UNIT

    def questions_under(self, node_id: int) -> list[int]:
        """The node itself if it is a question, and every question below it."""
        found, stack, seen = [], [node_id], set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.per_unit:
                found.append(current)
            stack.extend(self.children.get(current, []))
        return found

    def slots(self, node_id: int, units: Iterable[int]) -> set[Slot]:
        """The answer slots of a delegated node: per-unit questions once per delegated unit."""
        unit_list = list(units)
        result: set[Slot] = set()
        for question in self.questions_under(node_id):
            if self.per_unit[question]:
                result.update((question, unit) for unit in unit_list)
            else:
                result.add((question, None))
        return result


def _open_assessment(campaign: Campaign, organisation: Organisation) -> Assessment | None:
    """The organisation's assessment while it can still be answered (call inside its scope)."""
    return (
        Assessment.objects.filter(organisation=organisation, campaign=campaign)
        .exclude(state__in=LOCKED_STATES)
        .first()
    )


def _answered_slots(assessment: Assessment) -> set[Slot]:
    answers = Answer.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment
    ).only("question_id", "org_unit_id", "value", "not_applicable", "dont_know", "draft")
    return {(a.question_id, a.org_unit_id) for a in answers if a.is_answered}


def _people_units(organisation: Organisation) -> dict[int, set[int]]:
    """People who may answer in the organisation today → their org units."""
    rows = (
        Membership.objects.filter(organisation=organisation, role__in=answering_roles())
        .current()
        .values_list("user_id", "org_unit_id")
    )
    units: dict[int, set[int]] = defaultdict(set)
    for user_id, unit_id in rows:
        units[user_id].update({unit_id} - {None})
    return units


def _open_slots_per_person(
    assessment: Assessment, tree: _Tree, people: dict[int, set[int]]
) -> dict[int, set[Slot]]:
    """Person → the unanswered slots delegated to them by name or through their unit."""
    answered = _answered_slots(assessment)
    slots: dict[int, set[Slot]] = defaultdict(set)
    delegations = Delegation.objects.filter(
        organisation=assessment.organisation_id, assessment=assessment
    )
    for delegation in delegations:
        if delegation.user_id is not None:
            named = [delegation.user_id] if delegation.user_id in people else []
        else:
            named = [p for p, units in people.items() if delegation.org_unit_id in units]
        for person in named:
            units = [delegation.org_unit_id] if delegation.org_unit_id else people[person]
            slots[person] |= tree.slots(delegation.node_id, units) - answered
    return {person: open_slots for person, open_slots in slots.items() if open_slots}


def _participants(campaign: Campaign) -> list[Organisation]:
    return [p.organisation for p in campaign.participants.select_related("organisation")]


def _recipients(counts: dict[int, int], organisation: Organisation) -> list[Recipient]:
    users = User.objects.filter(pk__in=counts, is_active=True).exclude(email="")
    return [Recipient(user, organisation, counts[user.pk]) for user in users.order_by("pk")]


def recipients_unanswered(campaign: Campaign) -> list[Recipient]:
    """People with unanswered questions delegated to them, one entry per organisation."""
    tree = _Tree(campaign)
    found: list[Recipient] = []
    for organisation in _participants(campaign):
        with organisation_scope(organisation.pk):
            assessment = _open_assessment(campaign, organisation)
            if assessment is None:
                continue
            people = _people_units(organisation)
            open_slots = _open_slots_per_person(assessment, tree, people)
            counts = {person: len(slots) for person, slots in open_slots.items()}
            found.extend(_recipients(counts, organisation))
    return found


def recipients_deadline(campaign: Campaign) -> list[Recipient]:
    """Security coordinators of participants whose assessment is not submitted."""
    found: list[Recipient] = []
    for organisation in _participants(campaign):
        with organisation_scope(organisation.pk):
            assessment = _open_assessment(campaign, organisation)
            if assessment is None:
                continue
            coordinators = (
                Membership.objects.filter(organisation=organisation, role=Role.SECURITY_COORDINATOR)
                .current()
                .values_list("user_id", flat=True)
            )
            unanswered = assessment_overview(assessment).total.missing
            found.extend(_recipients(dict.fromkeys(coordinators, unanswered), organisation))
    return found


# --- the e-mails -----------------------------------------------------------------------------


def recipient_language(user: User, organisation: Organisation) -> str:
    """The person's chosen language, else their organisation's country's, else English."""
    languages = {code for code, _name in settings.LANGUAGES}
    if user.preferred_language in languages:
        return user.preferred_language
    return COUNTRY_LANGUAGE.get(organisation.country, "en")


def reminder_link(kind: str) -> str:
    """Where the e-mail sends its reader: their questions, or (coordinators) the assessments.

    Absolute when settings.SITE_URL is set; otherwise the path alone.
    """
    path = (
        MY_QUESTIONS_PATH
        if kind == ReminderKind.UNANSWERED
        else reverse("baseline:assessment_list")
    )
    return f"{getattr(settings, 'SITE_URL', '')}{path}"


def reminder_message(reminder: CampaignReminder, recipient: Recipient) -> EmailMessage:
    """One reminder e-mail in the recipient's language, about their own organisation only."""
    language = recipient_language(recipient.user, recipient.organisation)
    campaign = reminder.campaign
    context = {
        "user": recipient.user,
        "organisation": recipient.organisation,
        "campaign": campaign,
        "deadline": campaign.deadline,
        "days_before": reminder.days_before,
        "unanswered": recipient.unanswered,
        "url": reminder_link(reminder.kind),
    }
    with translation.override(language):
        stem = f"baseline/email/{reminder.kind}"
        subject = " ".join(render_to_string(f"{stem}_subject.txt", context).split())
        body = render_to_string(f"{stem}_body.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        to=[recipient.user.email],
        headers={"Content-Language": language},
    )


# --- sending ---------------------------------------------------------------------------------


def _recipients_for(reminder: CampaignReminder) -> list[Recipient]:
    if reminder.kind == ReminderKind.UNANSWERED:
        return recipients_unanswered(reminder.campaign)
    return recipients_deadline(reminder.campaign)


def reminder_send(*, reminder: CampaignReminder, connection: BaseEmailBackend) -> int | None:
    """Send one due reminder, record it and audit it; None when it was sent already.

    The e-mails are built before the transaction, so the database is locked only while they
    are recorded and handed to the mail server.
    """
    messages = [reminder_message(reminder, r) for r in _recipients_for(reminder)]
    return _reminder_record(reminder, messages, connection)


@transaction.atomic
def _reminder_record(
    reminder: CampaignReminder, messages: list[EmailMessage], connection: BaseEmailBackend
) -> int | None:
    """Record first: the unique constraint makes a second worker's attempt wait for this
    transaction and then fail, so a reminder goes out once even with several workers. If
    sending fails, the transaction rolls back and the reminder stays due.
    """
    reminder.recipients = len(messages)
    try:
        with transaction.atomic():
            reminder.save()
    except IntegrityError:
        return None
    connection.send_messages(messages)
    campaign = reminder.campaign
    audit_log(
        actor=None,
        organisation=campaign.network.steward,
        action="baseline.campaign.reminder_sent",
        obj=campaign,
        changes={
            "kind": reminder.kind,
            "days_before": reminder.days_before,
            "recipients": reminder.recipients,
        },
    )
    return reminder.recipients


def reminders_send_due(today: datetime.date) -> list[CampaignReminder]:
    """Send every reminder due today over one mail connection; return those sent now."""
    sent: list[CampaignReminder] = []
    with get_connection() as connection:
        for reminder in due_reminders(today):
            if reminder_send(reminder=reminder, connection=connection) is not None:
                sent.append(reminder)
                logger.info(
                    "Sent %s reminder (%s days before) of campaign %s to %s people",
                    reminder.kind,
                    reminder.days_before,
                    reminder.campaign_id,
                    reminder.recipients,
                )
    return sent


def open_campaigns_past_deadline(today: datetime.date) -> QuerySet[Campaign]:
    """Open campaigns whose deadline was before today."""
    return Campaign.objects.filter(state=CampaignState.OPEN, deadline__lt=today).order_by("pk")
