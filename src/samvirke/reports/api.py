"""API of reports: ask for one (built in the background), follow its job, download its file.

A caller with `baseline.assessment.view` asks for the organisation's own reports; a network
coordinator of the steward asks for a network report of a published release. A referenced
assessment, unit or release the caller may not use is a 422 naming the field; a job id that is
not the organisation's is a 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from samvirke.api.auth import ApiTokenAuth
from samvirke.api.schemas import ERRORS, INPUT_ERRORS, ObjectId, Text
from samvirke.baseline.access import own_assessments
from samvirke.reports.access import access_job, network_releases
from samvirke.reports.downloads import job_file_response
from samvirke.reports.models import ReportJob, ReportKind
from samvirke.reports.services import report_request
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import OrgUnit
from samvirke.tenancy.roles import Perm

router = Router(tags=["reports"])

JOB = "/{int:job_id}"


class ReportIn(Schema):
    """What report to build."""

    kind: Text = Field(
        max_length=20, description="organisation, department, departments (a zip) or network"
    )
    assessment: ObjectId | None = Field(
        None, description="The organisation's assessment (all kinds but network)"
    )
    org_unit: ObjectId | None = Field(None, description="The unit (department reports only)")
    release: ObjectId | None = Field(
        None, description="A published release of a stewarded network (network reports only)"
    )
    format: Text = Field(max_length=10, description="pdf, xlsx or html")
    language: Text = Field(max_length=5, description="da, nb or en")


class ReportJobOut(Schema):
    """A requested report: its state, progress and, when done, where to download it."""

    id: int
    kind: str
    assessment: int | None
    org_unit: int | None
    release: int | None
    format: str
    language: str
    state: str = Field(description="queued, running, done or failed")
    progress: int = Field(description="Percent, 0 to 100")
    total: int
    done: int
    filename: str
    error: str
    created_at: datetime.datetime
    finished_at: datetime.datetime | None
    download_url: str | None


def _job(request: OrgRequest, job: ReportJob) -> dict[str, Any]:
    url = None
    if job.state == "done":
        url = request.build_absolute_uri(reverse("api:report_download", args=[job.pk]))
    return {
        "id": job.pk,
        "kind": job.kind,
        "assessment": job.assessment_id,
        "org_unit": job.org_unit_id,
        "release": job.release_id,
        **{
            name: getattr(job, name)
            for name in (
                "format",
                "language",
                "state",
                "progress",
                "total",
                "done",
                "filename",
                "error",
                "created_at",
                "finished_at",
            )
        },
        "download_url": url,
    }


def _require_for(request: OrgRequest, kind: str) -> None:
    """Network reports are the network coordinators'; the others need to see assessments."""
    needed = Perm.NETWORK_COORDINATE if kind == ReportKind.NETWORK else Perm.ASSESSMENT_VIEW
    if needed not in request.permissions:
        raise PermissionDenied


def _references(request: OrgRequest, payload: ReportIn) -> dict[str, Any]:
    """The referenced objects, looked up among the caller's own; 422 naming any other."""
    found: dict[str, Any] = {"assessment": None, "org_unit": None, "release": None}
    errors: dict[str, list[str]] = {}
    organisation = active_organisation(request)
    if payload.assessment is not None:
        found["assessment"] = own_assessments(request).filter(pk=payload.assessment).first()
        if found["assessment"] is None:
            errors["assessment"] = [_("Choose one of your organisation's assessments.")]
    if payload.org_unit is not None:
        units = OrgUnit.objects.filter(organisation=organisation, pk=payload.org_unit)
        found["org_unit"] = units.first()
        if found["org_unit"] is None:
            errors["org_unit"] = [_("Choose one of your organisation's units.")]
    if payload.release is not None and payload.kind == ReportKind.NETWORK:
        found["release"] = network_releases(request).filter(pk=payload.release).first()
        if found["release"] is None:
            errors["release"] = [_("Choose a published release of a network you coordinate.")]
    if errors:
        raise ValidationError(errors)
    return found


@router.post("", response={202: ReportJobOut, **INPUT_ERRORS}, auth=ApiTokenAuth())
def report_create(request: OrgRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    """Ask for a report; it is built in the background. Poll the job, then download its file.

    `departments` builds every department's report of the assessment into one zip.
    """
    _require_for(request, payload.kind)
    job = report_request(
        actor=request.user,
        organisation=active_organisation(request),
        kind=payload.kind,
        fmt=payload.format,
        language=payload.language,
        **_references(request, payload),
    )
    return Status(202, _job(request, job))


@router.get(JOB, response={200: ReportJobOut, **ERRORS}, auth=ApiTokenAuth())
def report_get(request: OrgRequest, job_id: int) -> dict[str, Any]:
    """A requested report's state and progress, with its download URL once it is done."""
    return _job(request, access_job(request, job_id))


@router.get(
    JOB + "/download",
    response={200: None, **ERRORS},
    auth=ApiTokenAuth(),
    url_name="report_download",
)
def report_download(request: OrgRequest, job_id: int) -> FileResponse:
    """The finished report's file (404 until it is done)."""
    return job_file_response(access_job(request, job_id))
