"""Building a requested report in the background: render, zip departments, store the file.

`samvirke worker` runs `build_report`; a task has no request scope, so it is given the
organisation's id with the job's and reads everything inside that organisation's scope.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from samvirke.baseline.models import Assessment
from samvirke.core.scoping import organisation_scope
from samvirke.reports.data import report_units
from samvirke.reports.models import ReportJob, ReportKind, ReportState
from samvirke.reports.render import Rendered, render, render_departments
from samvirke.tenancy.models import OrgUnit

logger = logging.getLogger(__name__)

#: Called after each department's report with (built so far, how many in all).
Progress = Callable[[int, int], None]

ZIP_TYPE = "application/zip"


class SubjectGone(Exception):
    """The assessment, unit or release the job was asked for no longer exists."""


def _unique(name: str, taken: set[str]) -> str:
    """The name, or the name with a number before its suffix when it is taken already."""
    path, number = PurePath(name), 2
    while name in taken:
        name = f"{path.stem}-{number}{path.suffix}"
        number += 1
    taken.add(name)
    return name


def departments_zip(
    assessment: Assessment,
    fmt: str,
    language: str,
    *,
    units: list[OrgUnit] | None = None,
    progress: Progress | None = None,
) -> Rendered:
    """Every department's report of an assessment in one zip (call inside its scope).

    The reports are made together (render.render_departments): what they share is read once.
    """
    chosen = report_units(assessment) if units is None else units
    buffer, taken = io.BytesIO(), set[str]()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        made = render_departments(assessment, chosen, fmt, language)
        for done, rendered in enumerate(made, start=1):
            archive.writestr(_unique(rendered.filename, taken), rendered.content)
            if progress is not None:
                progress(done, len(chosen))
    organisation = assessment.organisation
    filename = f"{organisation.code}-{assessment.campaign.year}-departments-{language}.zip"
    return Rendered(content=buffer.getvalue(), filename=filename, content_type=ZIP_TYPE)


def _subject(job: ReportJob) -> Any:
    """What the job's report is about; SubjectGone when it was deleted meanwhile."""
    if job.kind == ReportKind.NETWORK:
        if job.release is None:
            raise SubjectGone
        return job.release
    if job.assessment is None or (job.kind == ReportKind.DEPARTMENT and job.org_unit is None):
        raise SubjectGone
    if job.kind == ReportKind.DEPARTMENT:
        return (job.assessment, job.org_unit)
    return job.assessment


def _set_progress(job: ReportJob, done: int, total: int) -> None:
    """Record progress at once, so the job page shows it while the rest is built."""
    percent = min(100, round(100 * done / total)) if total else 100
    ReportJob.objects.filter(organisation=job.organisation_id, pk=job.pk).update(
        done=done, total=total, progress=percent
    )


def build_file(job: ReportJob) -> Rendered:
    """The job's file: one rendered report, or a zip of every department's."""
    subject = _subject(job)
    if job.kind == ReportKind.DEPARTMENTS:
        units = report_units(subject)
        _set_progress(job, 0, len(units))
        return departments_zip(
            subject,
            job.format,
            job.language,
            units=units,
            progress=lambda done, total: _set_progress(job, done, total),
        )
    rendered = render(job.kind, subject, job.format, job.language)
    _set_progress(job, 1, 1)
    return rendered


def _fail(job: ReportJob, error: Exception) -> None:
    with translation.override(job.requester_language or job.language):
        if isinstance(error, SubjectGone):
            message = _("What the report was about has been deleted since it was asked for.")
        elif isinstance(error, ValueError):
            message = _("The report cannot be built with these choices: %(error)s") % {
                "error": error
            }
        else:
            message = _("The report could not be built. Ask for it again in a while.")
    job.state, job.error, job.finished_at = ReportState.FAILED, message, timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])


def _store(job: ReportJob, rendered: Rendered) -> None:
    job.refresh_from_db(fields=["done", "total", "progress"])
    job.file.save(rendered.filename, ContentFile(rendered.content), save=False)
    job.filename, job.content_type = rendered.filename, rendered.content_type
    job.state, job.progress, job.finished_at = ReportState.DONE, 100, timezone.now()
    job.save(update_fields=["file", "filename", "content_type", "state", "progress", "finished_at"])


@task()
def build_report(job_id: int, organisation_id: int) -> str:
    """Build one requested report and store its file; return the job's final state."""
    with organisation_scope(organisation_id):
        job = (
            ReportJob.objects.filter(organisation=organisation_id, pk=job_id)
            .select_related(
                "organisation",
                "assessment__organisation",
                "assessment__campaign",
                "org_unit",
                "release",
            )
            .first()
        )
        if job is None or job.state != ReportState.QUEUED:
            return "skipped"
        job.state = ReportState.RUNNING
        job.save(update_fields=["state"])
        try:
            rendered = build_file(job)
        except Exception as error:  # recorded on the job for the requester; logged in full here
            logger.exception("Report job %s failed", job.pk)
            _fail(job, error)
            return str(job.state)
        _store(job, rendered)
        return str(job.state)
