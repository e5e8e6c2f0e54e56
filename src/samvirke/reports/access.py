"""`access_<noun>` helpers: the one way report pages and the API fetch jobs and releases."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from samvirke.benchmarking.models import Release, ReleaseState
from samvirke.benchmarking.service import visible_releases
from samvirke.core.access import access_in
from samvirke.reports.models import ReportJob, ReportKind
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm


def visible_jobs(request: OrgRequest) -> QuerySet[ReportJob]:
    """The active organisation's report jobs of the kinds the caller may read."""
    organisation = active_organisation(request)
    jobs = ReportJob.objects.filter(organisation=organisation)
    if Perm.ASSESSMENT_VIEW not in request.permissions:
        jobs = jobs.exclude(kind__in=[k for k in ReportKind if k != ReportKind.NETWORK])
    if Perm.NETWORK_COORDINATE not in request.permissions:
        jobs = jobs.exclude(kind=ReportKind.NETWORK)
    return jobs


def access_job(request: OrgRequest, job_id: Any) -> ReportJob:
    """One report job of the active organisation the caller may read (404 otherwise)."""
    return access_in(visible_jobs(request), job_id)


def network_releases(request: OrgRequest) -> QuerySet[Release]:
    """Published releases of the networks the active organisation stewards."""
    organisation = active_organisation(request)
    if Perm.NETWORK_COORDINATE not in request.permissions:
        raise Http404
    return visible_releases(organisation).filter(
        state=ReleaseState.PUBLISHED, network__steward=organisation
    )


def access_network_release(request: OrgRequest, release_id: Any) -> Release:
    """One published release of a stewarded network, for its network coordinators."""
    return access_in(network_releases(request), release_id)
