"""The reports API: ask for a report, poll its job, download its file."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from samvirke.accounts.models import User
from samvirke.api.tests.helpers import ApiClient, assert_error, make_token
from samvirke.audit.models import AuditEntry
from samvirke.benchmarking.models import ReleaseState
from samvirke.core.scoping import organisation_scope
from samvirke.reports.models import ReportJob
from samvirke.reports.tasks import build_report
from samvirke.reports.tests.conftest import Reports, make_release

pytestmark = pytest.mark.django_db


def api_for(reports: Reports, user: User, organisation: Any = None) -> ApiClient:
    return ApiClient(make_token(user, organisation or reports.world.org_a)[1])


def run(job_id: int, organisation_id: int) -> None:
    build_report.call(job_id, organisation_id)


def test_request_poll_and_download_every_department(reports: Reports) -> None:
    api = api_for(reports, reports.world.owner)
    body = {
        "kind": "departments",
        "assessment": reports.assessment.pk,
        "format": "html",
        "language": "en",
    }
    response = api.post("/reports", body)
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["state"] == "queued" and job["download_url"] is None
    assert_error(api.get(f"/reports/{job['id']}/download"), 404, "not_found")

    run(job["id"], reports.world.org_a.pk)

    polled = api.get(f"/reports/{job['id']}").json()
    assert polled["state"] == "done" and polled["progress"] == 100
    assert (polled["done"], polled["total"]) == (2, 2)
    assert polled["download_url"].endswith(f"/api/v1/reports/{job['id']}/download")
    download = api.get(f"/reports/{job['id']}/download")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len(archive.namelist()) == 2
    with organisation_scope(reports.world.org_a.pk):
        entry = AuditEntry.objects.get(action="reports.report.requested")
    assert entry.via == "api" and entry.object_id == str(job["id"])


def test_foreign_references_are_refused_and_foreign_jobs_not_found(reports: Reports) -> None:
    world = reports.world
    api = api_for(reports, world.owner)
    foreign = {
        "kind": "organisation",
        "assessment": reports.b_assessment.pk,
        "format": "pdf",
        "language": "da",
    }
    error = assert_error(api.post("/reports", foreign), 422, "validation_error")
    assert "assessment" in error["fields"]
    unit = {
        **foreign,
        "kind": "department",
        "assessment": reports.assessment.pk,
        "org_unit": world.unit_b.pk,
    }
    assert "org_unit" in assert_error(api.post("/reports", unit), 422, "validation_error")["fields"]
    b_api = api_for(reports, world.outsider, world.org_b)
    b_job = b_api.post(
        "/reports",
        {
            "kind": "organisation",
            "assessment": reports.b_assessment.pk,
            "format": "xlsx",
            "language": "da",
        },
    ).json()
    run(b_job["id"], world.org_b.pk)
    assert_error(api.get(f"/reports/{b_job['id']}"), 404, "not_found")
    assert_error(api.get(f"/reports/{b_job['id']}/download"), 404, "not_found")
    with organisation_scope(world.org_a.pk):
        assert not ReportJob.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("language", "sv"), ("format", "docx"), ("kind", "everything")]
)
def test_unknown_choices_are_refused_clearly(reports: Reports, field: str, value: str) -> None:
    api = api_for(reports, reports.world.owner)
    body = {
        "kind": "organisation",
        "assessment": reports.assessment.pk,
        "format": "pdf",
        "language": "da",
    }
    error = assert_error(api.post("/reports", {**body, field: value}), 422, "validation_error")
    assert error["fields"][field][0].startswith("Choose")
    with organisation_scope(reports.world.org_a.pk):
        assert not ReportJob.objects.exists()


def test_network_reports_need_a_coordinator_and_a_published_release(
    reports: Reports, coordinator: User
) -> None:
    release = make_release(reports.campaign, ReleaseState.AUDITED)
    body = {"kind": "network", "release": release.pk, "format": "xlsx", "language": "en"}
    assert_error(api_for(reports, reports.world.owner).post("/reports", body), 403, "forbidden")
    api = api_for(reports, coordinator)
    assert "release" in assert_error(api.post("/reports", body), 422, "validation_error")["fields"]
    release.state = ReleaseState.PUBLISHED
    release.save()
    response = api.post("/reports", body)
    assert response.status_code == 202
    run(response.json()["id"], reports.world.org_a.pk)
    assert api.get(f"/reports/{response.json()['id']}").json()["state"] == "done"
    # The security coordinator cannot see the network coordinator's network job.
    owner = api_for(reports, reports.world.owner)
    assert_error(owner.get(f"/reports/{response.json()['id']}"), 404, "not_found")
