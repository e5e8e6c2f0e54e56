"""The organisation's audit trail: filter, page through, export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from samvirke.audit.exporters import AuditTrailExport
from samvirke.audit.forms import AuditFilterForm
from samvirke.audit.queries import entries_for
from samvirke.core.exporters import render_csv, render_xlsx
from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm

PAGE_SIZE = 50


def _filtered(request: OrgRequest) -> tuple[AuditFilterForm, dict[str, object]]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, filters


@permission_required(Perm.AUDIT_VIEW)
def entry_list(request: OrgRequest) -> HttpResponse:
    """A page of the trail, newest first."""
    organisation = active_organisation(request)
    form, filters = _filtered(request)
    page = Paginator(entries_for(organisation, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "audit/partials/entries.html" if request.htmx else "audit/entry_list.html"  # type: ignore[attr-defined]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, template, context, status=status)


@permission_required(Perm.AUDIT_VIEW)
def entry_export(request: OrgRequest, fmt: str) -> HttpResponse:
    """The filtered trail as CSV or XLSX."""
    organisation = active_organisation(request)
    form, filters = _filtered(request)
    if form.is_bound and form.errors:
        # An export of a filter that does not hold would silently be the whole trail.
        return entry_list(request)
    export = AuditTrailExport(entries_for(organisation, filters))
    return render_xlsx(export) if fmt == "xlsx" else render_csv(export)
