"""Members: the list, changing a unit or end date, ending a membership, the last coordinator."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from samvirke.accounts.tests.helpers import actions
from samvirke.core.testing import World, add_member, make_user
from samvirke.tenancy.models import Membership
from samvirke.tenancy.roles import Role
from samvirke.tenancy.services import membership_end, membership_update


def future(days: int = 30) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def membership_of(world: World, user: object) -> Membership:
    return Membership.objects.get(organisation=world.org_a, user=user)


def edit_url(membership: Membership) -> str:
    return reverse("tenancy:member_edit", kwargs={"membership_id": membership.pk})


def end_url(membership: Membership) -> str:
    return reverse("tenancy:member_end", kwargs={"membership_id": membership.pk})


def test_member_list_shows_people_roles_units(
    owner_client: Client, world: World, unscoped: None
) -> None:
    response = owner_client.get(reverse("tenancy:member_list"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Member", "Reader", "Alfa IT", world.member.email):
        assert text in page
    assert "Outsider" not in page
    assert edit_url(membership_of(world, world.member)) in page


def test_member_list_refused_to_management_readers(client: Client, world: World) -> None:
    login(client, world.reader)
    assert client.get(reverse("tenancy:member_list")).status_code == 403


def test_member_list_without_actions_for_dpo(client: Client, world: World, unscoped: None) -> None:
    dpo = make_user("dpo.a")
    add_member(dpo, world.org_a, Role.DATA_PROTECTION_OFFICER)
    response = login(client, dpo).get(reverse("tenancy:member_list"))
    assert response.status_code == 200
    assert edit_url(membership_of(world, world.member)) not in response.content.decode()


def test_change_unit_and_end_date(owner_client: Client, world: World, unscoped: None) -> None:
    membership = membership_of(world, world.reader)
    response = owner_client.post(
        edit_url(membership), {"org_unit": world.unit_a.pk, "ends_on": future().isoformat()}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.org_unit, membership.ends_on) == (world.unit_a, future())
    assert actions(organisation=world.org_a)[-1] == "tenancy.membership.updated"


@pytest.mark.parametrize(
    "data",
    [
        {"org_unit": "foreign", "ends_on": ""},
        {"org_unit": "999999", "ends_on": ""},
        {"org_unit": "", "ends_on": "2001-01-01"},
        {"org_unit": "", "ends_on": "31/31/2030"},
    ],
)
def test_bad_membership_change_is_refused(
    owner_client: Client, world: World, unscoped: None, data: dict[str, str]
) -> None:
    if data["org_unit"] == "foreign":
        data = {**data, "org_unit": str(world.unit_b.pk)}
    membership = membership_of(world, world.reader)
    response = owner_client.post(edit_url(membership), data)
    assert response.status_code == 400
    membership.refresh_from_db()
    assert (membership.org_unit, membership.ends_on) == (None, None)
    assert "tenancy.membership.updated" not in actions()


def test_auditor_keeps_an_end_date(owner_client: Client, world: World, unscoped: None) -> None:
    auditor = make_user("auditor.a")
    membership = add_member(auditor, world.org_a, Role.AUDITOR)
    response = owner_client.post(edit_url(membership), {"org_unit": "", "ends_on": ""})
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.ends_on is not None


def test_end_membership(owner_client: Client, world: World, unscoped: None) -> None:
    membership = membership_of(world, world.member)
    assert owner_client.get(end_url(membership)).status_code == 200
    assert owner_client.post(end_url(membership)).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert actions(organisation=world.org_a)[-1] == "tenancy.membership.ended"
    # The person no longer holds a role in organisation A.
    assert not Membership.of_user.for_user(world.member).exists()


def test_last_coordinator_cannot_be_ended(
    owner_client: Client, world: World, unscoped: None
) -> None:
    membership = membership_of(world, world.owner)
    response = owner_client.post(end_url(membership))
    assert response.status_code == 400
    assert "security coordinator" in response.context["error"]
    response = owner_client.post(edit_url(membership), {"org_unit": "", "ends_on": future()})
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.is_active and membership.ends_on is None
    with pytest.raises(ValidationError):
        membership_end(actor=world.owner, membership=membership)
    with pytest.raises(ValidationError):
        membership_update(actor=world.owner, membership=membership, org_unit=None, ends_on=future())


def test_coordinator_can_go_when_another_stays(
    owner_client: Client, world: World, unscoped: None
) -> None:
    add_member(make_user("second.a"), world.org_a, Role.SECURITY_COORDINATOR)
    membership = membership_of(world, world.owner)
    assert owner_client.post(end_url(membership)).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    # The second coordinator is now the last one.
    second = Membership.objects.get(organisation=world.org_a, user__username="second.a")
    with pytest.raises(ValidationError):
        membership_end(actor=None, membership=second)


def test_ended_membership_cannot_be_changed(world: World, unscoped: None) -> None:
    membership = membership_of(world, world.member)
    membership_end(actor=world.owner, membership=membership)
    with pytest.raises(ValidationError):
        membership_end(actor=world.owner, membership=membership)
    with pytest.raises(ValidationError):
        membership_update(actor=world.owner, membership=membership, org_unit=None, ends_on=None)


def test_foreign_membership_is_404(owner_client: Client, world: World, unscoped: None) -> None:
    foreign = Membership.objects.get(organisation=world.org_b, user=world.outsider)
    assert owner_client.get(edit_url(foreign)).status_code == 404
    assert owner_client.post(end_url(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


def test_respondent_cannot_change_members(client: Client, world: World, unscoped: None) -> None:
    login(client, world.member)
    membership = membership_of(world, world.reader)
    assert client.post(end_url(membership)).status_code == 403
    assert client.post(edit_url(membership), {"ends_on": future()}).status_code == 403
    membership.refresh_from_db()
    assert membership.is_active and membership.ends_on is None
