"""Test helpers: the standard two-organisation world every test starts from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from samvirke.accounts.models import User
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.models import (
    Membership,
    Network,
    NetworkMembership,
    Organisation,
    OrganisationKind,
    OrgUnit,
)
from samvirke.tenancy.roles import Role

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH: dict[str, str] = {}


def make_user(username: str) -> User:
    """A user with the standard test password."""
    if "hash" not in _PASSWORD_HASH:
        _PASSWORD_HASH["hash"] = make_password(PASSWORD)
    return User.objects.create(
        username=username,
        email=f"{username}@example.test",
        first_name=username.split(".")[0].title(),
        password=_PASSWORD_HASH["hash"],
    )


def make_organisation(code: str, name: str) -> Organisation:
    """A verified municipality."""
    return Organisation.objects.create(
        code=code, name=name, kind=OrganisationKind.MUNICIPALITY, country="DK", is_verified=True
    )


def add_member(
    user: User, organisation: Organisation, role: str, unit: OrgUnit | None = None
) -> Membership:
    """Give a user a role in an organisation."""
    ends_on = datetime.date(2099, 1, 1) if role == Role.AUDITOR else None
    with organisation_scope(organisation.pk):
        return Membership.objects.create(
            user=user, organisation=organisation, role=role, org_unit=unit, ends_on=ends_on
        )


@dataclass
class World:
    """Two organisations: A with an owner, a member, a read-only member; B with an outsider."""

    org_a: Organisation
    org_b: Organisation
    unit_a: OrgUnit
    unit_b: OrgUnit
    owner: User  # security coordinator of A
    member: User  # respondent in A
    reader: User  # management reader in A
    outsider: User  # security coordinator of B
    network: Network


def build_world() -> World:
    """Create the standard two-organisation world."""
    org_a = make_organisation("901", "Alfa Kommune")
    org_b = make_organisation("902", "Beta Kommune")
    with organisation_scope(org_a.pk):
        unit_a = OrgUnit.objects.create(organisation=org_a, name="Alfa IT")
    with organisation_scope(org_b.pk):
        unit_b = OrgUnit.objects.create(organisation=org_b, name="Beta IT")
    owner, member = make_user("owner.a"), make_user("member.a")
    reader, outsider = make_user("reader.a"), make_user("outsider.b")
    add_member(owner, org_a, Role.SECURITY_COORDINATOR)
    add_member(member, org_a, Role.RESPONDENT, unit_a)
    add_member(reader, org_a, Role.MANAGEMENT_READER)
    add_member(outsider, org_b, Role.SECURITY_COORDINATOR)
    network = Network.objects.create(code="test-net", name="Test network", steward=org_a)
    for org in (org_a, org_b):
        NetworkMembership.objects.create(
            network=network, organisation=org, joined_on=datetime.date(2020, 1, 1)
        )
    return World(org_a, org_b, unit_a, unit_b, owner, member, reader, outsider, network)
