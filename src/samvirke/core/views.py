"""Pages with no domain of their own: the home page and the error pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import visible_networks
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership, Organisation, OrgUnit
from samvirke.tenancy.roles import Perm


@permission_required(None)
def home(request: OrgRequest) -> HttpResponse:
    """The start page: a summary of the active organisation, or why there is none."""
    organisation = request.organisation
    context = {} if organisation is None else organisation_summary(request, organisation)
    return render(request, "core/home.html", context)


def organisation_summary(request: OrgRequest, organisation: Organisation) -> dict[str, Any]:
    """Public facts, key figures and networks of the active organisation, in four queries."""
    granted = request.permissions
    summary: dict[str, Any] = {
        "region": organisation.region_on(),
        "roles": sorted({m.get_role_display() for m in request.memberships}),
        "unit_count": None,
        "member_count": None,
        "networks": [],
    }
    if Perm.ORGUNIT_VIEW in granted:
        summary["unit_count"] = OrgUnit.objects.filter(organisation=organisation).count()
    if Perm.ORGANISATION_VIEW in granted:
        people = Membership.objects.filter(organisation=organisation).current()
        summary["member_count"] = people.values("user").distinct().count()
    if Perm.NETWORK_VIEW in granted:
        summary["networks"] = sorted(visible_networks(request), key=lambda n: n.name)
    return summary


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """Render an error page in the user's language with the right status."""
    return render(request, f"errors/{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400."""
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403."""
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404."""
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500 without context processors: what broke (database, session) must not break this page."""
    return HttpResponseServerError(loader.get_template("errors/500.html").render({}))
