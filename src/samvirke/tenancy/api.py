"""API operations for the active organisation: its profile, org units, members and networks."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from samvirke.api.auth import requires
from samvirke.api.errors import ApiError
from samvirke.api.schemas import (
    ERRORS,
    INPUT_ERRORS,
    ErrorOut,
    ObjectId,
    Pagination,
    PublicOrganisationOut,
    RegionOut,
    Text,
)
from samvirke.tenancy.access import (
    access_network,
    access_orgunit,
    active_organisation,
    visible_networks,
)
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership, Network, Organisation, OrgUnit
from samvirke.tenancy.queries import PublicOrganisation, public_member_rows
from samvirke.tenancy.roles import Perm
from samvirke.tenancy.services import orgunit_create, orgunit_delete, orgunit_update

router = Router(tags=["tenancy"])


# --- schemas ---------------------------------------------------------------------------------


class OrganisationOut(PublicOrganisationOut):
    """The active organisation's public attributes and how many units it has."""

    id: int
    units: int


class UnitOut(Schema):
    """An org unit."""

    id: int
    name: str
    code: str
    parent: int | None
    description: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_parent(unit: OrgUnit) -> int | None:
        return unit.parent_id


class UnitIn(Schema):
    """A whole org unit, for create and replace; `parent` is a unit of the same organisation."""

    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200)
    code: Text = Field("", max_length=50)
    parent: ObjectId | None = None
    description: Text = Field("", max_length=5000)


class UnitPatch(Schema):
    """Some fields of an org unit; those left out keep their value (`parent: null` clears it)."""

    model_config = ConfigDict(extra="forbid")

    # None only stands for "left out": defaults are not validated, and an explicit null for a
    # text field is refused, so the schema shows these as plain (optional) strings.
    name: Text = Field(None, min_length=1, max_length=200)  # type: ignore[assignment]
    code: Text = Field(None, max_length=50)  # type: ignore[assignment]
    parent: ObjectId | None = None
    description: Text = Field(None, max_length=5000)  # type: ignore[assignment]


class UnitRef(Schema):
    """A short reference to an org unit."""

    id: int
    name: str


class MemberOut(Schema):
    """A person's role in the organisation."""

    id: int
    user_id: int
    name: str
    email: str
    role: str
    unit: UnitRef | None
    ends_on: datetime.date | None

    @staticmethod
    def resolve_name(membership: Membership) -> str:
        return membership.user.get_full_name() or membership.user.username

    @staticmethod
    def resolve_email(membership: Membership) -> str:
        return membership.user.email

    @staticmethod
    def resolve_unit(membership: Membership) -> OrgUnit | None:
        return membership.org_unit


class OrganisationRef(Schema):
    """A short reference to an organisation."""

    code: str
    name: str


class NetworkOut(Schema):
    """A network the organisation belongs to or stewards."""

    id: int
    code: str
    name: str
    description: str
    steward: OrganisationRef


class NetworkDetailOut(NetworkOut):
    """A network with the number of organisations that are members today."""

    members: int


class NetworkMemberOut(PublicOrganisationOut):
    """A member organisation of a network: public attributes only."""


# --- organisation ----------------------------------------------------------------------------


def _region(row: PublicOrganisation) -> RegionOut | None:
    if row["region_code"] is None or row["region"] is None:
        return None
    return RegionOut(code=row["region_code"], name=row["region"])


def _public(row: PublicOrganisation) -> dict[str, Any]:
    """The public attributes, with the region as one object (or null)."""
    return {
        "code": row["code"],
        "name": row["name"],
        "kind": row["kind"],
        "country": row["country"],
        "region": _region(row),
        "size_class": row["size_class"],
    }


@router.get(
    "/organisation",
    response={200: OrganisationOut, **ERRORS},
    auth=requires(Perm.ORGANISATION_VIEW),
)
def organisation_get(request: OrgRequest) -> dict[str, Any]:
    """The active organisation (the token's) with its public attributes."""
    organisation = active_organisation(request)
    [row] = public_member_rows(Organisation.objects.filter(pk=organisation.pk))
    units = OrgUnit.objects.filter(organisation=organisation).count()
    return {**_public(row), "id": organisation.pk, "units": units}


# --- org units -------------------------------------------------------------------------------


@router.get(
    "/units", response={200: list[UnitOut], **INPUT_ERRORS}, auth=requires(Perm.ORGUNIT_VIEW)
)
@paginate(Pagination)
def unit_list(request: OrgRequest) -> QuerySet[OrgUnit]:
    """The organisation's units, by name."""
    organisation = active_organisation(request)
    return OrgUnit.objects.filter(organisation=organisation).order_by("name", "pk")


@router.get(
    "/units/{int:unit_id}", response={200: UnitOut, **ERRORS}, auth=requires(Perm.ORGUNIT_VIEW)
)
def unit_get(request: OrgRequest, unit_id: int) -> OrgUnit:
    """One unit."""
    return access_orgunit(request, unit_id)


def _parent(request: OrgRequest, parent_id: int | None) -> OrgUnit | None:
    """The parent named in a body: a unit of the active organisation, or a validation error."""
    if parent_id is None:
        return None
    organisation = active_organisation(request)
    parent = OrgUnit.objects.filter(organisation=organisation, pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": _("Choose a unit of your own organisation.")})
    return parent


@router.post("/units", response={201: UnitOut, **INPUT_ERRORS}, auth=requires(Perm.ORGUNIT_CHANGE))
def unit_create(request: OrgRequest, payload: UnitIn) -> Status[OrgUnit]:
    """Create a unit."""
    organisation = active_organisation(request)
    values = payload.model_dump()
    values["parent"] = _parent(request, payload.parent)
    unit = orgunit_create(actor=request.user, organisation=organisation, **values)
    return Status(201, unit)


def _update(request: OrgRequest, unit_id: int, changes: dict[str, Any]) -> OrgUnit:
    """Apply changes to a unit's current values through the update service."""
    unit = access_orgunit(request, unit_id, write=True)
    values: dict[str, Any] = {
        "name": unit.name,
        "code": unit.code,
        "parent": unit.parent,
        "description": unit.description,
    }
    if "parent" in changes:
        changes = {**changes, "parent": _parent(request, changes["parent"])}
    values.update(changes)
    return orgunit_update(actor=request.user, unit=unit, **values)


@router.put(
    "/units/{int:unit_id}",
    response={200: UnitOut, **INPUT_ERRORS},
    auth=requires(Perm.ORGUNIT_CHANGE),
)
def unit_replace(request: OrgRequest, unit_id: int, payload: UnitIn) -> OrgUnit:
    """Replace a unit's fields; those left out take their defaults."""
    return _update(request, unit_id, payload.model_dump())


@router.patch(
    "/units/{int:unit_id}",
    response={200: UnitOut, **INPUT_ERRORS},
    auth=requires(Perm.ORGUNIT_CHANGE),
)
def unit_update(request: OrgRequest, unit_id: int, payload: UnitPatch) -> OrgUnit:
    """Change some of a unit's fields."""
    return _update(request, unit_id, payload.model_dump(exclude_unset=True))


@router.delete(
    "/units/{int:unit_id}",
    response={204: None, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.ORGUNIT_CHANGE),
)
def unit_delete(request: OrgRequest, unit_id: int) -> Status[None]:
    """Delete a unit that has no sub-units."""
    unit = access_orgunit(request, unit_id, write=True)
    try:
        orgunit_delete(actor=request.user, unit=unit)
    except ValidationError as error:
        raise ApiError(409, "conflict", " ".join(error.messages)) from error
    return Status(204, None)


# --- members ---------------------------------------------------------------------------------


@router.get(
    "/members", response={200: list[MemberOut], **INPUT_ERRORS}, auth=requires(Perm.MEMBER_VIEW)
)
@paginate(Pagination)
def member_list(request: OrgRequest) -> QuerySet[Membership]:
    """People in the organisation with their roles and units."""
    organisation = active_organisation(request)
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "org_unit")
        .order_by("user__last_name", "user__first_name", "user__username", "role", "pk")
    )


# --- networks --------------------------------------------------------------------------------


def _network(network: Network) -> dict[str, Any]:
    steward = {"code": network.steward.code, "name": network.steward.name}
    fields = ("id", "code", "name", "description")
    return {**{name: getattr(network, name) for name in fields}, "steward": steward}


@router.get(
    "/networks",
    response={200: list[NetworkOut], **INPUT_ERRORS},
    auth=requires(Perm.NETWORK_VIEW),
)
@paginate(Pagination)
def network_list(request: OrgRequest) -> list[dict[str, Any]]:
    """Networks the organisation belongs to or stewards, by name."""
    networks = sorted(visible_networks(request), key=lambda n: (n.name, n.pk))
    return [_network(network) for network in networks]


@router.get(
    "/networks/{int:network_id}",
    response={200: NetworkDetailOut, **ERRORS},
    auth=requires(Perm.NETWORK_VIEW),
)
def network_get(request: OrgRequest, network_id: int) -> dict[str, Any]:
    """One network."""
    network = access_network(request, network_id)
    return {**_network(network), "members": network.members_on().distinct().count()}


@router.get(
    "/networks/{int:network_id}/members",
    response={200: list[NetworkMemberOut], **INPUT_ERRORS},
    auth=requires(Perm.NETWORK_VIEW),
)
@paginate(Pagination)
def network_member_list(request: OrgRequest, network_id: int) -> list[dict[str, Any]]:
    """The organisations that are members today, with their public attributes only."""
    network = access_network(request, network_id)
    return [_public(row) for row in public_member_rows(network.members_on().distinct())]
