"""Report jobs: asked for, built by the worker, followed on the job page, downloaded."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from conftest import login
from samvirke.accounts.models import User
from samvirke.audit.models import AuditEntry
from samvirke.benchmarking.models import ReleaseState
from samvirke.core.scoping import organisation_scope
from samvirke.reports.models import ReportJob, ReportState
from samvirke.reports.services import report_request
from samvirke.reports.tasks import build_report, departments_zip
from samvirke.reports.tests.conftest import Reports, make_release

pytestmark = pytest.mark.django_db


def departments_job(reports: Reports, fmt: str = "html", language: str = "en") -> ReportJob:
    world = reports.world
    with organisation_scope(world.org_a.pk):
        return report_request(
            actor=world.owner,
            organisation=world.org_a,
            kind="departments",
            assessment=reports.assessment,
            fmt=fmt,
            language=language,
        )


def reload(job: ReportJob) -> ReportJob:
    with organisation_scope(job.organisation_id):
        return ReportJob.objects.get(pk=job.pk)


@pytest.mark.django_db(transaction=True)  # the worker closes its connection between tasks
def test_the_worker_builds_one_zip_with_a_report_per_department(
    reports: Reports, client: Client
) -> None:
    job = departments_job(reports)
    assert job.state == ReportState.QUEUED and not job.file
    assert DBTaskResult.objects.filter(task_path="samvirke.reports.tasks.build_report").exists()

    call_command("worker", "--once", verbosity=0)

    job = reload(job)
    assert job.state == ReportState.DONE, job.error
    assert (job.done, job.total, job.progress) == (2, 2, 100)
    assert job.file.name.startswith(f"reports/{reports.world.org_a.pk}/")
    assert job.filename.endswith(".zip") and job.finished_at is not None
    response = login(client, reports.world.owner).get(
        reverse("reports:job_download", args=[job.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    names = archive.namelist()
    assert len(names) == 2 and all(name.endswith("-en.html") for name in names)
    bodies = [archive.read(name).decode() for name in names]
    assert any("Alfa HR" in body for body in bodies) and any("Alfa IT" in body for body in bodies)


def test_progress_is_recorded_after_each_department(reports: Reports) -> None:
    seen: list[tuple[int, int]] = []
    with organisation_scope(reports.world.org_a.pk):
        rendered = departments_zip(
            reports.assessment,
            "xlsx",
            "da",
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen == [(1, 2), (2, 2)]
    assert len(zipfile.ZipFile(io.BytesIO(rendered.content)).namelist()) == 2


def test_the_request_is_audited(reports: Reports) -> None:
    job = departments_job(reports, fmt="xlsx", language="nb")
    with organisation_scope(reports.world.org_a.pk):
        entry = AuditEntry.objects.get(action="reports.report.requested")
    assert entry.actor == reports.world.owner
    assert entry.object_id == str(job.pk)
    assert entry.changes["language"] == [None, "nb"]


def test_the_page_asks_for_the_zip_and_follows_the_job(reports: Reports, client: Client) -> None:
    login(client, reports.world.owner)
    index = reverse("reports:index")
    assert client.get(index).status_code == 200
    response = client.post(
        index,
        {
            "assessment": reports.assessment.pk,
            "kind": "departments",
            "format": "xlsx",
            "language": "en",
        },
    )
    assert response.status_code == 302
    with organisation_scope(reports.world.org_a.pk):
        job = ReportJob.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'hx-trigger="every 2s"' in text and 'aria-live="polite"' in text
    partial = client.get(response["Location"], headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b"job-status" in partial.content
    assert client.get(reverse("reports:job_download", args=[job.pk])).status_code == 404

    build_report.call(job.pk, job.organisation_id)

    done = client.get(response["Location"]).content.decode()
    assert reverse("reports:job_download", args=[job.pk]) in done
    assert 'hx-trigger="every 2s"' not in done


def test_another_organisations_job_assessment_and_unit_are_not_found(
    reports: Reports, client: Client
) -> None:
    world = reports.world
    with organisation_scope(world.org_b.pk):
        b_job = report_request(
            actor=world.outsider,
            organisation=world.org_b,
            kind="departments",
            assessment=reports.b_assessment,
            fmt="html",
            language="da",
        )
    build_report.call(b_job.pk, b_job.organisation_id)
    login(client, world.owner)
    for name in ("reports:job", "reports:job_download"):
        assert client.get(reverse(name, args=[b_job.pk])).status_code == 404
    assert (
        client.get(reverse("reports:organisation", args=[reports.b_assessment.pk])).status_code
        == 404
    )
    department = reverse("reports:department", args=[reports.assessment.pk, world.unit_b.pk])
    assert client.get(department).status_code == 404
    refused = client.post(
        reverse("reports:index"),
        {
            "assessment": reports.b_assessment.pk,
            "kind": "departments",
            "format": "pdf",
            "language": "da",
        },
    )
    assert refused.status_code == 400
    with organisation_scope(world.org_a.pk):
        assert not ReportJob.objects.exists()
    with pytest.raises(ValidationError), organisation_scope(world.org_a.pk):
        report_request(
            actor=world.owner,
            organisation=world.org_a,
            kind="department",
            assessment=reports.assessment,
            org_unit=world.unit_b,
            fmt="pdf",
            language="da",
        )


@pytest.mark.parametrize(
    ("fmt", "language", "field"), [("pdf", "sv", "language"), ("docx", "da", "format")]
)
def test_unknown_language_or_format_is_refused_with_no_job(
    reports: Reports, fmt: str, language: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refusal:
        departments_job(reports, fmt=fmt, language=language)
    assert field in refusal.value.message_dict
    with organisation_scope(reports.world.org_a.pk):
        assert not ReportJob.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_pages_refuse_an_unknown_language_or_format_clearly(
    reports: Reports, client: Client
) -> None:
    login(client, reports.world.owner)
    page = client.get(
        reverse("reports:organisation", args=[reports.assessment.pk]), {"language": "sv"}
    )
    assert page.status_code == 400
    assert b"Choose a report language" in page.content
    assert "attachment" not in page.get("Content-Disposition", "")
    download = client.get(
        reverse("reports:organisation_file", args=[reports.assessment.pk, "docx"]),
        {"language": "en"},
    )
    assert download.status_code == 400 and b"Choose a report format" in download.content


def test_the_organisation_report_page_and_its_downloads(reports: Reports, client: Client) -> None:
    login(client, reports.world.reader)
    page = client.get(
        reverse("reports:organisation", args=[reports.assessment.pk]), {"language": "en"}
    )
    assert page.status_code == 200
    assert b"&lt;" not in page.content  # the report's own markup, not escaped twice
    xlsx = reverse("reports:organisation_file", args=[reports.assessment.pk, "xlsx"])
    assert xlsx.encode() in page.content
    download = client.get(xlsx, {"language": "en"})
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download.content[:2] == b"PK"
    unit_page = client.get(
        reverse("reports:department", args=[reports.assessment.pk, reports.units[0].pk]),
        {"language": "da"},
    )
    assert unit_page.status_code == 200 and b"Alfa HR" in unit_page.content


def test_a_network_report_needs_a_published_release_and_the_stewards_coordinator(
    reports: Reports, coordinator: User
) -> None:
    world = reports.world
    audited = make_release(reports.campaign, ReleaseState.AUDITED)
    with organisation_scope(world.org_a.pk), pytest.raises(ValidationError) as refusal:
        report_request(
            actor=coordinator,
            organisation=world.org_a,
            kind="network",
            release=audited,
            fmt="pdf",
            language="en",
        )
    assert "release" in refusal.value.message_dict
    audited.state = ReleaseState.PUBLISHED
    audited.save()
    with organisation_scope(world.org_a.pk), pytest.raises(ValidationError):
        report_request(  # the security coordinator is not a network coordinator
            actor=world.owner,
            organisation=world.org_a,
            kind="network",
            release=audited,
            fmt="pdf",
            language="en",
        )
    with organisation_scope(world.org_b.pk), pytest.raises(ValidationError):
        report_request(  # B is a member, not the steward
            actor=None,
            organisation=world.org_b,
            kind="network",
            release=audited,
            fmt="pdf",
            language="en",
        )
    with organisation_scope(world.org_a.pk):
        job = report_request(
            actor=coordinator,
            organisation=world.org_a,
            kind="network",
            release=audited,
            fmt="xlsx",
            language="en",
        )
    build_report.call(job.pk, job.organisation_id)
    assert reload(job).state == ReportState.DONE, reload(job).error


def test_network_pages_list_published_releases_for_the_coordinator(
    reports: Reports, coordinator: User, client: Client
) -> None:
    release = make_release(reports.campaign)
    make_release(reports.campaign, ReleaseState.FAILED)
    login(client, coordinator)
    listing = client.get(reverse("reports:networks"))
    assert listing.status_code == 200
    assert reverse("reports:network", args=[release.pk]).encode() in listing.content
    download = client.get(
        reverse("reports:network_file", args=[release.pk, "xlsx"]), {"language": "en"}
    )
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    login(client, reports.world.owner)
    assert client.get(reverse("reports:networks")).status_code == 403
