"""Campaigns (network-level), and each organisation's assessment, delegations and answers."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from samvirke.core.models import OrganisationOwnedModel
from samvirke.frameworks.models import FrameworkVersion, Node
from samvirke.tenancy.models import Network, Organisation, OrgUnit


class CampaignState(models.TextChoices):
    """Where a campaign is in its year."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    RELEASED = "released", _("Released")
    ARCHIVED = "archived", _("Archived")


class Campaign(models.Model):
    """A network's measurement for one year; not tenant-owned, like the network itself.

    Members reach a campaign only through their own assessment; the steward's network
    coordinators manage it (see access.access_campaign).
    """

    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="campaigns")
    framework_version = models.ForeignKey(
        FrameworkVersion,
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("framework version"),
    )
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    opens_on = models.DateField(_("opens on"))
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=20, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    reminder_days = models.JSONField(_("reminders (days before the deadline)"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["network", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["network", "year"], name="campaign_unique_year")
        ]

    def __str__(self) -> str:
        return self.title


class CampaignParticipant(models.Model):
    """An organisation taking part in a campaign; participation is public inside the network."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="campaign_participations"
    )

    class Meta:
        ordering = ["campaign", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "organisation"], name="participant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} in {self.campaign_id}"


class AssessmentState(models.TextChoices):
    """Where one organisation's assessment is."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    CLOSED_UNSUBMITTED = "closed_unsubmitted", _("Closed without submission")


LOCKED_STATES = frozenset({AssessmentState.SUBMITTED, AssessmentState.CLOSED_UNSUBMITTED})


class ParticipationManager(models.Manager["Assessment"]):
    """Reads which participants of one campaign have submitted, across organisations.

    Participation is public inside a network (../shared/disclosure.md), so a campaign's
    coordinators may see each participant's state. The queryset is empty unless narrowed to one
    campaign through `states_of`, and that returns the state fields only: never an answer.
    """

    def get_queryset(self) -> models.QuerySet[Assessment]:
        return super().get_queryset().none()

    def states_of(self, campaign: Campaign) -> dict[int, dict[str, Any]]:
        """Organisation id → {state, submitted_at} for every assessment of the campaign."""
        queryset: models.QuerySet[Assessment] = models.QuerySet(self.model, using=self._db)
        rows = queryset.filter(campaign=campaign).values_list(
            "organisation_id", "state", "submitted_at"
        )
        return {org: {"state": state, "submitted_at": at} for org, state, at in rows}

    def submitted_count(self, campaign: Campaign) -> int:
        """How many assessments of the campaign are submitted (one COUNT)."""
        queryset: models.QuerySet[Assessment] = models.QuerySet(self.model, using=self._db)
        return queryset.filter(campaign=campaign, state=AssessmentState.SUBMITTED).count()


class Assessment(OrganisationOwnedModel):
    """One organisation's answers to one campaign."""

    participation: ClassVar[ParticipationManager] = ParticipationManager()

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="assessments")
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=AssessmentState.choices,
        default=AssessmentState.NOT_STARTED,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reopen_count = models.PositiveIntegerField(_("times reopened"), default=0)
    #: The scoring rules and framework version its answers' `score` columns were stamped with
    #: (benchmarking.scores.stamp); emptied on submission (which stamps again) and on reopening.
    scored_with = models.CharField(max_length=200, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_manager_name = "objects"
        ordering = ["-campaign__year"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organisation"], name="assessment_unique_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.organisation_id}"

    @property
    def is_locked(self) -> bool:
        """Whether answers can no longer change (submitted or closed)."""
        return self.state in LOCKED_STATES


class Delegation(OrganisationOwnedModel):
    """An area or question of an assessment sent to an org unit and/or a named person."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="delegations")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "node__position"]

    def __str__(self) -> str:
        return f"{self.node_id} → {self.org_unit_id or '-'}/{self.user_id or '-'}"


class AnswerVia(models.TextChoices):
    """Through what an answer was saved."""

    PAGE = "page", _("Page")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    COPY = "copy", _("Copied from last year")


class Answer(OrganisationOwnedModel):
    """One answer to one question: the organisation's, or one org unit's for per-unit questions."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value = models.JSONField(_("answer"), null=True, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    not_applicable_reason = models.TextField(_("why not applicable"), blank=True)
    dont_know = models.BooleanField(_("don't know"), default=False)
    unsure = models.BooleanField(_("unsure"), default=False)
    comment = models.TextField(_("comment"), blank=True)
    version = models.PositiveIntegerField(default=1)
    #: Copied forward from last year and not yet confirmed: shown, but not counted as answered.
    draft = models.BooleanField(_("draft"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    via = models.CharField(max_length=10, choices=AnswerVia.choices, default=AnswerVia.PAGE)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Stamped when the assessment is submitted (benchmarking.scores.stamp, docs/scoring.md), so
    # a release sums them without joining questions: the answer's question score by the rules
    # named in `Assessment.scored_with`, its question's area and weight. Empty for answers that
    # score nothing (not applicable, drafts, unscored questions) and before stamping.
    score = models.FloatField(null=True, blank=True, editable=False)
    score_area = models.ForeignKey(
        Node,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    score_weight = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["assessment", "question__position"]
        # NULL org units are distinct in SQL, so the organisation-level answer needs its own rule.
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question", "org_unit"],
                condition=Q(org_unit__isnull=False),
                name="answer_unique_unit",
            ),
            models.UniqueConstraint(
                fields=["assessment", "question"],
                condition=Q(org_unit__isnull=True),
                name="answer_unique_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question_id}@{self.org_unit_id or 'org'} v{self.version}"

    @property
    def is_answered(self) -> bool:
        """Whether the answer says something (a value, not applicable, don't know), confirmed."""
        return not self.draft and (self.value is not None or self.not_applicable or self.dont_know)


def evidence_path(instance: Evidence, filename: str) -> str:
    """Where an evidence file is stored: per organisation and assessment, under a random name."""
    suffix = Path(filename).suffix.lower()[:10]
    return (
        f"evidence/{instance.organisation_id}/{instance.assessment_id}/{uuid.uuid4().hex}{suffix}"
    )


class Evidence(OrganisationOwnedModel):
    """A file or a link supporting the answer to a question (for the organisation or one unit).

    Files are stored through Django's storage API (disk by default, S3 by setting) and served
    only through a view that checks access; the stored name is random, the given name is kept.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    question = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, blank=True, max_length=300)
    link = models.URLField(_("link"), blank=True, max_length=1000)
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "question", "uploaded_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.name


class ReminderKind(models.TextChoices):
    """What a campaign's scheduled message is."""

    UNANSWERED = "unanswered", _("Reminder of unanswered questions")
    DEADLINE = "deadline", _("Deadline warning to coordinators")


class CampaignReminder(models.Model):
    """One scheduled message of a campaign that has been sent, so it is sent once only."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "days_before"], name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.kind} -{self.days_before}d"


class AnswerRevision(OrganisationOwnedModel):
    """One saved version of an answer: what it said, who saved it, when and through what."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    via = models.CharField(max_length=10, choices=AnswerVia.choices, default=AnswerVia.PAGE)

    class Meta:
        ordering = ["answer", "version"]

    def __str__(self) -> str:
        return f"{self.answer_id} v{self.version}"
