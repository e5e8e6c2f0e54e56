"""Pages that move frameworks in and out: export (XLSX, YAML, OSCAL), import of a question set."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from samvirke.core.permissions import permission_required
from samvirke.frameworks import exporters, importers
from samvirke.frameworks.forms import FrameworkImportForm
from samvirke.frameworks.models import FrameworkVersion
from samvirke.frameworks.oscal import export_oscal
from samvirke.frameworks.parsing import LibraryError, Problem
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@permission_required(None)
def framework_export(
    request: OrgRequest, framework_key: str, version: str, fmt: str
) -> HttpResponse:
    """One framework version as XLSX, a zipped YAML library directory, or an OSCAL catalog."""
    found = (
        FrameworkVersion.objects.select_related("framework")
        .filter(framework__key=framework_key, version=version)
        .first()
    )
    if found is None or fmt not in {"xlsx", "yaml", "oscal"}:
        raise Http404
    name = f"{found.framework.key}-{found.version}"
    if fmt == "xlsx":
        return _download(exporters.export_xlsx(found), XLSX_TYPE, f"{name}.xlsx")
    if fmt == "yaml":
        return _download(exporters.export_yaml_zip(found), "application/zip", f"{name}-yaml.zip")
    catalog = export_oscal(found, (get_language() or "en").split("-")[0])
    body = json.dumps(catalog, ensure_ascii=False, indent=2).encode()
    return _download(body, "application/json", f"{name}-oscal-catalog.json")


@require_GET
@permission_required(Perm.NETWORK_COORDINATE)
def framework_import_template(request: OrgRequest) -> HttpResponse:
    """An empty question set workbook with the import layout and an example."""
    return _download(exporters.import_template(), XLSX_TYPE, "samvirke-question-set-template.xlsx")


@require_http_methods(["GET", "POST"])
@permission_required(Perm.NETWORK_COORDINATE)
def framework_import(request: OrgRequest) -> HttpResponse:
    """Upload a network's own question set as XLSX; every problem is listed, nothing half-loaded."""
    organisation = active_organisation(request)
    form = FrameworkImportForm(request.POST or None, request.FILES or None)
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        try:
            report = importers.workbook_import(
                data=form.read(), actor=request.user, organisation=organisation
            )
        except LibraryError as error:
            problems = error.problems
        else:
            loaded = ", ".join(report.created)
            if loaded:
                messages.success(request, _("Loaded %(versions)s.") % {"versions": loaded})
            else:
                messages.info(request, _("This version is already loaded; nothing changed."))
            return redirect(request.path)
    context = {"form": form, "problems": problems}
    status = 400 if request.method == "POST" else 200
    return render(request, "frameworks/io/import.html", context, status=status)
