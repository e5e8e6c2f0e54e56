"""`access_<noun>` helpers: the one way views and the API fetch tenancy objects for a user."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from samvirke.core.access import access_in, parse_id
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership, Network, Organisation, OrgUnit
from samvirke.tenancy.roles import Perm


def active_organisation(request: OrgRequest) -> Organisation:
    """The request's active organisation; a request without one finds nothing."""
    if request.organisation is None:
        raise Http404
    return request.organisation


def _require(request: OrgRequest, permission: str) -> None:
    if permission not in request.permissions:
        raise PermissionDenied


def access_orgunit(request: OrgRequest, unit_id: Any, *, write: bool = False) -> OrgUnit:
    """One org unit of the active organisation."""
    organisation = active_organisation(request)
    _require(request, Perm.ORGUNIT_CHANGE if write else Perm.ORGUNIT_VIEW)
    return access_in(OrgUnit.objects.filter(organisation=organisation), unit_id)


def access_membership(
    request: OrgRequest, membership_id: Any, *, write: bool = False
) -> Membership:
    """One membership in the active organisation."""
    organisation = active_organisation(request)
    _require(request, Perm.MEMBER_CHANGE if write else Perm.MEMBER_VIEW)
    return access_in(Membership.objects.filter(organisation=organisation), membership_id)


def visible_networks(request: OrgRequest) -> list[Network]:
    """Networks the active organisation belongs to today, or stewards."""
    organisation = active_organisation(request)
    _require(request, Perm.NETWORK_VIEW)
    today = timezone.localdate()
    # One filter() call, so the dates apply to the organisation's own membership row.
    member_of = Network.objects.filter(
        Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gt=today),
        memberships__organisation=organisation,
        memberships__joined_on__lte=today,
    )
    stewarded = Network.objects.filter(steward=organisation)
    return list((member_of | stewarded).distinct().select_related("steward"))


def access_network(request: OrgRequest, network_id: Any) -> Network:
    """One network the active organisation belongs to or stewards."""
    wanted = {n.pk: n for n in visible_networks(request)}
    found = wanted.get(parse_id(network_id))
    if found is None:
        raise Http404
    return found
