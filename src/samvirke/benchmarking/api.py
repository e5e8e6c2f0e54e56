"""API of published benchmark releases: releases, their groups and their cells.

Every number comes from a stored, published release through benchmarking.service (R10); nothing
is computed on request. A hidden cell, a group the release does not have and a statistic it does
not have get the same answer, `{"statistic", "group", "hidden": true}` (R11). A release that does
not exist, is another network's, is not published or whose campaign is open is one and the same
404. Groups are the release's fixed partitions (R8): a filter takes exactly one group id and one
statistic name; a list, a range, a negation, an unknown parameter or an id out of range is a 422
that names the parameter. Each operation runs in a fixed number of queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Query, Router

from samvirke.api.auth import requires_any
from samvirke.api.schemas import INPUT_ERRORS, MAX_ID
from samvirke.baseline.models import CampaignState
from samvirke.benchmarking import service
from samvirke.benchmarking.api_schemas import CellOut, GroupOut, ReleaseOut
from samvirke.benchmarking.models import Release, ReleaseGroup
from samvirke.core.access import access_in
from samvirke.frameworks.models import localized
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm

router = Router(tags=["benchmarks"])

RELEASE = "/releases/{int:release_id}"
#: Either permission shows the same releases and the same cells; neither shows more. Checked
#: (403) before any input is looked at.
VIEW = requires_any(Perm.BENCHMARK_VIEW, Perm.NETWORK_COORDINATE)
#: A campaign still collecting answers has no benchmark to serve (R9).
COLLECTING = (CampaignState.DRAFT, CampaignState.OPEN)

_ID = r"[1-9][0-9]{0,18}"
_OPTION = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,59}"
GROUP_PATTERN = re.compile(_ID)
STATISTIC_PATTERN = re.compile(rf"total|area:{_ID}|question:{_ID}:{_OPTION}")
_STATISTIC_RANK = {"total": 0, "area": 1, "question": 2}


# --- input -----------------------------------------------------------------------------------


def _only_parameters(request: OrgRequest, allowed: Iterable[str]) -> None:
    """422 for a query parameter the operation does not take: no filter is silently ignored."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This parameter is not known.")] for name in unknown})


def _single(request: OrgRequest, name: str) -> str | None:
    """The one value of a query parameter; 422 when it is given more than once."""
    values = request.GET.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [_("Give exactly one value.")]})
    return values[0] if values else None


def _group_filter(request: OrgRequest) -> int | None:
    raw = _single(request, "group")
    if raw is None:
        return None
    if not GROUP_PATTERN.fullmatch(raw) or int(raw) > MAX_ID:
        raise ValidationError({"group": [_("Enter one group id: a positive whole number.")]})
    return int(raw)


def _statistic_filter(request: OrgRequest) -> str | None:
    raw = _single(request, "statistic")
    if raw is None:
        return None
    valid = STATISTIC_PATTERN.fullmatch(raw) is not None
    if not valid or (raw != "total" and int(raw.split(":")[1]) > MAX_ID):
        raise ValidationError(
            {
                "statistic": [
                    _(
                        'Enter one statistic: "total", "area:<node id>" or '
                        '"question:<node id>:<answer option>".'
                    )
                ]
            }
        )
    return raw


# --- reading ---------------------------------------------------------------------------------


def _releases(request: OrgRequest) -> QuerySet[Release]:
    """The published releases the caller's organisation may see, none of a collecting campaign."""
    visible = service.visible_releases(active_organisation(request))
    return visible.exclude(campaign__state__in=COLLECTING)


def _release(request: OrgRequest, release_id: int) -> Release:
    """One visible release; the same 404 for unknown, foreign, unpublished and collecting."""
    return access_in(_releases(request), release_id)


def _statistic_key(statistic: str) -> tuple[int, int, str]:
    """A fixed order: the total, the areas, then each question's answer options."""
    kind, _sep, rest = statistic.partition(":")
    node, _sep, option = rest.partition(":")
    return _STATISTIC_RANK.get(kind, 3), int(node) if node.isdigit() else 0, option


def _cell(statistic: str, group: int, value: service.CellValue) -> dict[str, Any]:
    if isinstance(value, service.Published):
        return {
            "statistic": statistic,
            "group": group,
            "value": value.value,
            "grid": value.grid,
            "n": value.n,
        }
    return {"statistic": statistic, "group": group, "hidden": True}


# --- operations ------------------------------------------------------------------------------


def _release_out(release: Release) -> dict[str, Any]:
    campaign, network = release.campaign, release.network
    return {
        "id": release.pk,
        "campaign": {"id": campaign.pk, "title": campaign.title, "year": campaign.year},
        "network": {"id": network.pk, "code": network.code, "name": network.name},
        "kind": release.kind,
        "created": release.created_at,
    }


@router.get("/releases", response={200: list[ReleaseOut], **INPUT_ERRORS}, auth=VIEW)
def benchmark_release_list(request: OrgRequest) -> list[dict[str, Any]]:
    """Published benchmark releases the caller's organisation may see, newest year first.

    Those of the networks it belongs to or stewards, and of campaigns it took part in.
    `campaign` is `{id, title, year}` and `network` `{id, code, name}`; `kind` is `initial` or
    `correction`. Needs `benchmarking.benchmark.view` or `tenancy.network.coordinate`. Takes
    no query parameters (422 for any).
    """
    _only_parameters(request, ())
    return [_release_out(release) for release in _releases(request)]


@router.get(RELEASE + "/groups", response={200: list[GroupOut], **INPUT_ERRORS}, auth=VIEW)
def benchmark_group_list(request: OrgRequest, release_id: int) -> list[dict[str, Any]]:
    """The release's groups in published order: its fixed partitions by public attributes.

    `members` lists the official codes of the organisations counted in the group; `label` is
    in the request's language (Accept-Language), else English. 404 for a release that does not
    exist or is not visible to the caller, alike. Takes no query parameters (422 for any).
    """
    _only_parameters(request, ())
    release = _release(request, release_id)
    return [_group_out(group) for group in service.release_groups(release)]


def _group_out(group: ReleaseGroup) -> dict[str, Any]:
    label = group.label if isinstance(group.label, dict) else {}
    members = group.members if isinstance(group.members, list) else []
    return {
        "id": group.pk,
        "partition": group.partition,
        "label": localized({k: str(v) for k, v in label.items()}),
        "members": [str(code) for code in members],
    }


GroupQuery = Query(
    None,
    description="One group id of this release. An id the release does not have gets the same "
    "answer as a group whose every cell is hidden.",
    example="12",
)
StatisticQuery = Query(
    None,
    description='One statistic: "total", "area:<node id>" or "question:<node id>:<answer '
    'option>". A statistic the release does not have gets the same answer as a hidden cell.',
    example="total",
)


@router.get(RELEASE + "/cells", response={200: list[CellOut], **INPUT_ERRORS}, auth=VIEW)
def benchmark_cell_list(
    request: OrgRequest,
    release_id: int,
    group: str | None = GroupQuery,
    statistic: str | None = StatisticQuery,
) -> list[dict[str, Any]]:
    """The release's cells: every group (or `group`) times every statistic (or `statistic`).

    A cell is `{statistic, group, value, grid, n}`, its value rounded to `grid` (a mean on
    0-100 for `total` and `area:<node id>`, a share in % for `question:<node id>:<option>`),
    or `{statistic, group, hidden: true}`: not shown, to protect individual organisations. An
    unknown group or statistic is answered exactly as a hidden cell, for every statistic of the
    release (or the one asked for). Ordered by group, then total, areas, questions. 422 naming
    the parameter for a list, range, negation, repeat or an id out of range; 404 for a release
    that does not exist or is not visible to the caller, alike.
    """
    # `group` and `statistic` are declared as text and read raw: ninja keeps only the last of
    # repeated parameters, and a repeat must be refused, not half-read.
    _only_parameters(request, ("group", "statistic"))
    wanted_group, wanted_statistic = _group_filter(request), _statistic_filter(request)
    release = _release(request, release_id)
    cells = service.release_cells(release)
    if wanted_group is None:
        groups = [g.pk for g in service.release_groups(release)]
    else:
        groups = [wanted_group]  # the same path for a real, hidden or unknown group
    if wanted_statistic is None:
        statistics = sorted({name for _group, name in cells}, key=_statistic_key)
    else:
        statistics = [wanted_statistic]
    return [
        _cell(name, group_id, service.cell(cells, name, group_id))
        for group_id in groups
        for name in statistics
    ]
