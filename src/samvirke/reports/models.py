"""Report jobs: a report asked for, built in the background, stored and downloaded once done."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from samvirke.core.models import OrganisationOwnedModel


class ReportKind(models.TextChoices):
    """What a job builds."""

    ORGANISATION = "organisation", _("Organisation report")
    DEPARTMENT = "department", _("Department report")
    DEPARTMENTS = "departments", _("Every department's report (zip)")
    NETWORK = "network", _("Network report")


class ReportFormat(models.TextChoices):
    """The file a report is delivered as."""

    PDF = "pdf", _("PDF")
    XLSX = "xlsx", _("Excel (XLSX)")
    HTML = "html", _("Web page (HTML)")


class ReportLanguage(models.TextChoices):
    """The languages a report is written in."""

    DA = "da", _("Danish")
    NB = "nb", _("Norwegian Bokmål")
    EN = "en", _("English")


class ReportState(models.TextChoices):
    """Where a job is."""

    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def report_path(instance: ReportJob, filename: str) -> str:
    """Where a report file is stored: per organisation, under a random name."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"reports/{instance.organisation_id}/{uuid.uuid4().hex}{suffix}"


class ReportJob(OrganisationOwnedModel):
    """A report an organisation's member asked for: its subject, its progress and its file."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    assessment = models.ForeignKey(
        "baseline.Assessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessment"),
    )
    org_unit = models.ForeignKey(
        "tenancy.OrgUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
    )
    release = models.ForeignKey(
        "benchmarking.Release",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("release"),
    )
    format = models.CharField(_("format"), max_length=10, choices=ReportFormat.choices)
    language = models.CharField(_("language"), max_length=5, choices=ReportLanguage.choices)
    #: The language the requester used Samvirke in: an error is worded in it.
    requester_language = models.CharField(max_length=5, choices=ReportLanguage.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=ReportState.choices, default=ReportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total = models.PositiveIntegerField(_("reports to build"), default=1)
    done = models.PositiveIntegerField(_("reports built"), default=0)
    file = models.FileField(_("file"), upload_to=report_path, blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_format_display()}, {self.language})"

    @property
    def is_pending(self) -> bool:
        """Whether the job is still waiting or running."""
        return self.state in {ReportState.QUEUED, ReportState.RUNNING}
