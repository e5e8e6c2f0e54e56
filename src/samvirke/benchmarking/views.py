"""The organisation's benchmark page with its export, and the coordinator's network page."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from samvirke.benchmarking import pages, service
from samvirke.benchmarking.models import Release
from samvirke.core.access import access_in, parse_id
from samvirke.core.exporters import render_csv, render_xlsx
from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Network
from samvirke.tenancy.roles import Perm


def _chosen_release(releases: list[Release], raw_id: Any) -> Release | None:
    """The release named by id among the visible ones (404 otherwise), or the latest."""
    if raw_id in (None, ""):
        return releases[0] if releases else None
    wanted = parse_id(raw_id)
    found = next((r for r in releases if r.pk == wanted), None)
    if found is None:
        raise Http404
    return found


@permission_required(Perm.BENCHMARK_VIEW)
def benchmark(request: OrgRequest) -> HttpResponse:
    """The active organisation's scores against its groups' published means."""
    organisation = active_organisation(request)
    releases = list(service.visible_releases(organisation))
    release = _chosen_release(releases, request.GET.get("release_id"))
    context = {
        "releases": releases,
        "release": release,
        "data": pages.organisation_benchmark(organisation, release) if release else None,
        "collecting": pages.collecting(organisation),
        "marker": pages.MARKER,
    }
    return render(request, "benchmarking/benchmark.html", context)


@permission_required(Perm.BENCHMARK_VIEW)
def benchmark_export(request: OrgRequest, release_id: str, fmt: str) -> HttpResponse:
    """The organisation page's tables of one release as CSV or XLSX."""
    organisation = active_organisation(request)
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    release = _chosen_release(list(service.visible_releases(organisation)), release_id)
    assert release is not None
    data = pages.organisation_benchmark(organisation, release, distributions=True)
    export = pages.OrganisationBenchmarkExport(data)
    return render_xlsx(export) if fmt == "xlsx" else render_csv(export)


@permission_required(Perm.BENCHMARK_VIEW)
def benchmark_area_shares(request: OrgRequest, release_id: str, area_id: str) -> HttpResponse:
    """One area's answer shares of a visible release: the fragment an area of the benchmark page
    opens through HTMX, or a whole page without JavaScript. Unknown and foreign releases and
    areas of another framework version are all simply not found."""
    organisation = active_organisation(request)
    release = service.visible_releases(organisation).filter(pk=parse_id(release_id)).first()
    if release is None:
        raise Http404
    data = pages.area_shares(organisation, release, parse_id(area_id))
    if data is None:
        raise Http404
    context = {"release": release, "data": data, "marker": pages.MARKER}
    fragment = bool(getattr(request, "htmx", False))
    template = "partials/area_shares.html" if fragment else "area_shares.html"
    response = render(request, f"benchmarking/{template}", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _stewarded(request: OrgRequest) -> list[Network]:
    organisation = active_organisation(request)
    return list(Network.objects.filter(steward=organisation).order_by("name"))


@permission_required(Perm.NETWORK_COORDINATE)
def network_list(request: OrgRequest) -> HttpResponse:
    """The networks the active organisation coordinates."""
    return render(request, "benchmarking/network_list.html", {"networks": _stewarded(request)})


@permission_required(Perm.NETWORK_COORDINATE)
def network_benchmark(request: OrgRequest, network_id: str) -> HttpResponse:
    """A coordinated network's participation, published aggregates, trend and weakest areas."""
    organisation = active_organisation(request)
    network = access_in(Network.objects.filter(steward=organisation), network_id)
    raw = request.GET.get("release_id")
    data = pages.network_benchmark(network, None if raw in (None, "") else parse_id(raw))
    if data is None:
        raise Http404
    context = {"network": network, "data": data, "marker": pages.MARKER}
    return render(request, "benchmarking/network.html", context)
