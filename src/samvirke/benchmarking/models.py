"""Partitions, frozen releases with their cells, and organisations' opt-in sharing.

A release is computed once, by a background task, and never recomputed on request (R10). Its
cells are what pages, exports and the API serve; why a cell is hidden is kept apart
(`CellReason`) and never served (R11). `ReleaseScore` holds each counted organisation's scores
for the audit of a later correction release: internal, read only by this app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from samvirke.baseline.models import Campaign
from samvirke.core.models import OrganisationOwnedModel
from samvirke.tenancy.models import Network, Organisation


class PartitionKind(models.TextChoices):
    """The fixed partitions by public attributes (R8)."""

    EVERYONE = "everyone", _("All participants")
    REGION = "region", _("Region")
    SIZE_CLASS = "size_class", _("Size class")
    KIND = "kind", _("Kind of organisation")
    CUSTOM = "custom", _("Custom partition")


class CustomPartitionState(models.TextChoices):
    """A custom partition is proposed by one coordinator and approved by a second."""

    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CustomPartition(models.Model):
    """A network's own partition of its members into named groups (e.g. "island municipalities")."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="partitions")
    key = models.SlugField(_("key"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=CustomPartitionState.choices,
        default=CustomPartitionState.PROPOSED,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["network", "key"]
        constraints = [
            models.UniqueConstraint(fields=["network", "key"], name="custom_partition_unique_key")
        ]

    def __str__(self) -> str:
        return self.title


class CustomPartitionGroup(models.Model):
    """One group of a custom partition; every member of the network is in exactly one."""

    partition = models.ForeignKey(CustomPartition, on_delete=models.CASCADE, related_name="groups")
    key = models.SlugField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=200)
    members = models.ManyToManyField(Organisation, related_name="+", blank=True)

    class Meta:
        ordering = ["partition", "key"]
        constraints = [
            models.UniqueConstraint(fields=["partition", "key"], name="custom_group_unique_key")
        ]

    def __str__(self) -> str:
        return self.label


class ReleaseKind(models.TextChoices):
    """The release at close, or its one correction (R9)."""

    INITIAL = "initial", _("Release")
    CORRECTION = "correction", _("Correction")


class ReleaseState(models.TextChoices):
    """Where a release is: built and audited, published, replaced by its correction, or failed."""

    AUDITED = "audited", _("Audited, not published")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Replaced by a correction")
    FAILED = "failed", _("Failed")


class Release(models.Model):
    """The frozen benchmark of one campaign: its groups, cells, policy and audit summary."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="releases")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="releases")
    kind = models.CharField(_("kind"), max_length=12, choices=ReleaseKind.choices)
    state = models.CharField(_("state"), max_length=12, choices=ReleaseState.choices)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction"
    )
    policy_version = models.CharField(_("policy version"), max_length=20)
    policy = models.JSONField(default=dict)
    scoring_version = models.CharField(_("scoring version"), max_length=20)
    #: Totals only: cells, hidden cells, narrowest interval, rounds; never one organisation.
    summary = models.JSONField(_("audit summary"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-campaign__year", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind"],
                condition=~Q(state="failed"),
                name="release_one_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} ({self.get_kind_display()})"


class ReleaseGroup(models.Model):
    """A group of a release's partition; its members' official codes are public facts."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="groups")
    partition = models.CharField(_("partition"), max_length=80)
    key = models.CharField(_("key"), max_length=80)
    label = models.JSONField(_("label"), default=dict)
    members = models.JSONField(_("members"), default=list)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["release", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "partition", "key"], name="release_group_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partition}:{self.key}"


class ReleaseCell(models.Model):
    """One published number (or the uniform hidden marker) of a release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="cells")
    group = models.ForeignKey(ReleaseGroup, on_delete=models.CASCADE, related_name="cells")
    #: "total", "area:<node id>" or "question:<node id>:<answer option>".
    statistic = models.CharField(max_length=120)
    hidden = models.BooleanField(default=False)
    n = models.PositiveIntegerField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    grid = models.FloatField(null=True, blank=True)
    p25 = models.FloatField(null=True, blank=True)
    p50 = models.FloatField(null=True, blank=True)
    p75 = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["release", "group__position", "statistic"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "group", "statistic"], name="release_cell_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statistic}@{self.group_id}"


class CellReason(models.Model):
    """Why a cell is hidden (rule codes): internal, never served or exported (R11)."""

    cell = models.OneToOneField(ReleaseCell, on_delete=models.CASCADE, related_name="reason")
    codes = models.JSONField(default=list)

    def __str__(self) -> str:
        return ",".join(self.codes)


class ReleaseScore(models.Model):
    """A counted organisation's score in a release: internal, for correction audits only."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    statistic = models.CharField(max_length=120)
    score = models.FloatField()
    known = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "organisation", "statistic"], name="release_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.statistic}"


class SharingAudience(models.TextChoices):
    """Whom an organisation shows its named results to."""

    COORDINATOR = "coordinator", _("The network's coordinators")
    MEMBERS = "members", _("All members of the network")


class SharingConsent(OrganisationOwnedModel):
    """An organisation's opt-in to show its named results of one campaign (R12: "known")."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    audience = models.CharField(_("shared with"), max_length=12, choices=SharingAudience.choices)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.organisation_id} shares {self.campaign_id} with {self.audience}"
