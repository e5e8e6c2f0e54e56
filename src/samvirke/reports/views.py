"""Report pages: ask for a report, read it as a page, download it, follow a background job.

A single organisation, department or network report is rendered in the request (it takes a
second or two); every department's report in one zip always runs as a background job.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from samvirke.baseline.access import access_assessment
from samvirke.core.permissions import permission_required
from samvirke.reports.access import (
    access_job,
    access_network_release,
    network_releases,
    visible_jobs,
)
from samvirke.reports.downloads import job_file_response, rendered_response
from samvirke.reports.forms import ReportForm, default_language
from samvirke.reports.models import ReportFormat, ReportKind, ReportLanguage
from samvirke.reports.render import render as render_report
from samvirke.reports.render import render_body
from samvirke.reports.services import report_request
from samvirke.tenancy.access import access_orgunit, active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm

#: How many of the organisation's latest jobs the report page lists.
RECENT_JOBS = 10


class Refused(Exception):
    """Bad report input from the address: answered with a 400 page and its message."""


def _language(request: OrgRequest) -> str:
    language = request.GET.get("language") or default_language()
    if language not in ReportLanguage.values:
        raise Refused(_("Choose a report language: Danish, Norwegian Bokmål or English."))
    return language


def _format(fmt: str) -> str:
    if fmt not in ReportFormat.values:
        raise Refused(_("Choose a report format: PDF, XLSX or HTML."))
    return fmt


def _refused(request: OrgRequest, message: str) -> HttpResponse:
    return render(request, "reports/pages/refused.html", {"message": message}, status=400)


def _page(request: OrgRequest, kind: str, subject: Any, links: dict[str, str]) -> HttpResponse:
    """A report as a page of Samvirke, with its downloads."""
    try:
        language = _language(request)
        body = render_body(kind, subject, language)
    except (Refused, ValueError) as refusal:
        return _refused(request, str(refusal))
    downloads = [
        (fmt.label, f"{links[fmt.value]}?language={language}")
        for fmt in (ReportFormat.PDF, ReportFormat.XLSX, ReportFormat.HTML)
    ]
    context = {"body": body, "downloads": downloads, "language": language, "kind": kind}
    return render(request, "reports/pages/report.html", context)


def _download(request: OrgRequest, kind: str, subject: Any, fmt: str) -> HttpResponse:
    try:
        rendered = render_report(kind, subject, _format(fmt), _language(request))
    except (Refused, ValueError) as refusal:
        return _refused(request, str(refusal))
    return rendered_response(rendered)


def _links(name: str, *args: int) -> dict[str, str]:
    return {fmt: reverse(f"reports:{name}", args=[*args, fmt]) for fmt in ReportFormat.values}


# --- the organisation's reports --------------------------------------------------------------


def _after_choice(request: OrgRequest, form: ReportForm) -> HttpResponse:
    """Where a valid choice leads: a page, a download, or a background job's page."""
    data = form.cleaned_data
    assessment, kind, fmt, language = (
        data["assessment"],
        data["kind"],
        data["format"],
        data["language"],
    )
    if kind == ReportKind.DEPARTMENTS:
        job = report_request(
            actor=request.user,
            organisation=active_organisation(request),
            kind=kind,
            assessment=assessment,
            fmt=fmt,
            language=language,
        )
        return redirect("reports:job", job.pk)
    if kind == ReportKind.DEPARTMENT:
        args: list[Any] = [assessment.pk, data["org_unit"].pk]
        name = "department"
    else:
        args, name = [assessment.pk], "organisation"
    if fmt == ReportFormat.HTML:
        return redirect(f"{reverse(f'reports:{name}', args=args)}?language={language}")
    return redirect(f"{reverse(f'reports:{name}_file', args=[*args, fmt])}?language={language}")


@require_http_methods(["GET", "POST"])
@permission_required(Perm.ASSESSMENT_VIEW)
def report_index(request: OrgRequest) -> HttpResponse:
    """Choose an assessment, a report, its format and language."""
    organisation = active_organisation(request)
    form = ReportForm(request.POST or None, organisation=organisation)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return _after_choice(request, form)
            except ValidationError as error:
                form.add_error(None, error)
        status = 400
    jobs = visible_jobs(request).select_related("assessment__campaign", "org_unit")
    context = {"form": form, "jobs": jobs[:RECENT_JOBS]}
    return render(request, "reports/pages/index.html", context, status=status)


@require_GET
@permission_required(Perm.ASSESSMENT_VIEW)
def organisation_page(request: OrgRequest, assessment_id: int) -> HttpResponse:
    """The organisation report of one assessment as a page."""
    assessment = access_assessment(request, assessment_id)
    return _page(request, "organisation", assessment, _links("organisation_file", assessment.pk))


@require_GET
@permission_required(Perm.ASSESSMENT_VIEW)
def organisation_file(request: OrgRequest, assessment_id: int, fmt: str) -> HttpResponse:
    """The organisation report of one assessment as PDF, XLSX or HTML file."""
    return _download(request, "organisation", access_assessment(request, assessment_id), fmt)


@require_GET
@permission_required(Perm.ASSESSMENT_VIEW)
def department_page(request: OrgRequest, assessment_id: int, unit_id: int) -> HttpResponse:
    """One department's report of one assessment as a page."""
    assessment = access_assessment(request, assessment_id)
    unit = access_orgunit(request, unit_id)
    links = _links("department_file", assessment.pk, unit.pk)
    return _page(request, "department", (assessment, unit), links)


@require_GET
@permission_required(Perm.ASSESSMENT_VIEW)
def department_file(
    request: OrgRequest, assessment_id: int, unit_id: int, fmt: str
) -> HttpResponse:
    """One department's report as PDF, XLSX or HTML file."""
    subject = (access_assessment(request, assessment_id), access_orgunit(request, unit_id))
    return _download(request, "department", subject, fmt)


# --- background jobs -------------------------------------------------------------------------


@require_GET
@permission_required(None)
def job_page(request: OrgRequest, job_id: int) -> HttpResponse:
    """A requested report's progress (polled by HTMX every 2 s while it runs) and its download."""
    job = access_job(request, job_id)
    template = "reports/pages/job.html"
    if request.headers.get("HX-Request"):
        template = "reports/pages/partials/job_status.html"
    return render(request, template, {"job": job})


@require_GET
@permission_required(None)
def job_download(request: OrgRequest, job_id: int) -> FileResponse:
    """A finished job's file, as an attachment."""
    return job_file_response(access_job(request, job_id))


# --- network reports -------------------------------------------------------------------------


@require_GET
@permission_required(Perm.NETWORK_COORDINATE)
def network_list(request: OrgRequest) -> HttpResponse:
    """Published releases of the networks the organisation stewards, with their reports."""
    releases = [(r, _links("network_file", r.pk)) for r in network_releases(request)]
    context = {"releases": releases, "language": default_language()}
    return render(request, "reports/pages/networks.html", context)


@require_GET
@permission_required(Perm.NETWORK_COORDINATE)
def network_page(request: OrgRequest, release_id: int) -> HttpResponse:
    """The network report of one published release as a page."""
    release = access_network_release(request, release_id)
    return _page(request, "network", release, _links("network_file", release.pk))


@require_GET
@permission_required(Perm.NETWORK_COORDINATE)
def network_file(request: OrgRequest, release_id: int, fmt: str) -> HttpResponse:
    """The network report of one published release as PDF, XLSX or HTML file."""
    return _download(request, "network", access_network_release(request, release_id), fmt)
