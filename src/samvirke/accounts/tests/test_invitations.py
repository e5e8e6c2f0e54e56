"""Invitations: created by a coordinator, sent by e-mail, accepted once, revocable."""

from __future__ import annotations

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import login
from samvirke.accounts.models import Invitation, User, digest
from samvirke.accounts.services import invitation_accept, invitation_create
from samvirke.accounts.tests.helpers import actions, key_from_last_mail
from samvirke.core.scoping import organisation_scope
from samvirke.core.testing import PASSWORD, World, add_member, make_user
from samvirke.tenancy.models import Membership
from samvirke.tenancy.roles import Role

NEW_EMAIL = "new.person@example.test"


def invite(
    world: World, email: str = NEW_EMAIL, role: str = Role.RESPONDENT
) -> tuple[Invitation, str]:
    """Invite someone to organisation A through the service."""
    with organisation_scope(world.org_a.pk):
        return invitation_create(
            actor=world.owner,
            organisation=world.org_a,
            email=email,
            role=role,
            org_unit=world.unit_a,
            site_url="http://testserver/",
        )


# --- creating ----------------------------------------------------------------------------------


def test_coordinator_invites_by_email(owner_client: Client, world: World, unscoped: None) -> None:
    page = owner_client.get(reverse("accounts:invitation_create"))
    assert page.status_code == 200
    response = owner_client.post(
        reverse("accounts:invitation_create"),
        {"email": NEW_EMAIL, "role": Role.RESPONDENT, "org_unit": world.unit_a.pk},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.role, invitation.org_unit) == (
        world.org_a,
        Role.RESPONDENT,
        world.unit_a,
    )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [NEW_EMAIL]
    key = key_from_last_mail()
    assert invitation.key_digest == digest(key) and key not in invitation.key_digest
    assert "http://testserver/accounts/invitations/" in mail.outbox[0].body
    assert actions(organisation=world.org_a) == ["accounts.invitation.created"]
    listing = owner_client.get(reverse("accounts:invitation_list"))
    assert NEW_EMAIL in listing.content.decode()


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"email": ""},
        {"role": "operator"},
        {"role": "network_coordinator"},
        {"role": "emperor"},
        {"role": Role.AUDITOR},  # an auditor needs an end date
        {"ends_on": "2001-01-01"},
        {"ends_on": "not a date"},
    ],
)
def test_bad_invitation_is_refused(
    owner_client: Client, world: World, unscoped: None, change: dict[str, str]
) -> None:
    data = {"email": NEW_EMAIL, "role": Role.RESPONDENT, **change}
    response = owner_client.post(reverse("accounts:invitation_create"), data)
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mail.outbox


def test_unit_of_another_organisation_is_refused(
    owner_client: Client, world: World, unscoped: None
) -> None:
    data = {"email": NEW_EMAIL, "role": Role.RESPONDENT, "org_unit": world.unit_b.pk}
    response = owner_client.post(reverse("accounts:invitation_create"), data)
    assert response.status_code == 400
    assert not Invitation.objects.exists() and not mail.outbox


def test_service_refuses_foreign_unit_and_duplicates(world: World, unscoped: None) -> None:
    with pytest.raises(ValidationError):
        invitation_create(
            actor=world.owner,
            organisation=world.org_a,
            email=NEW_EMAIL,
            role=Role.RESPONDENT,
            org_unit=world.unit_b,
            site_url="http://testserver/",
        )
    invite(world)
    with pytest.raises(ValidationError):
        invite(world)  # already invited to this role
    with pytest.raises(ValidationError):
        invite(world, email=world.member.email)  # already a respondent
    assert Invitation.objects.count() == 1


def test_auditor_invitation_with_end_date(
    owner_client: Client, world: World, unscoped: None
) -> None:
    ends = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    data = {"email": NEW_EMAIL, "role": Role.AUDITOR, "ends_on": ends}
    assert owner_client.post(reverse("accounts:invitation_create"), data).status_code == 302
    assert Invitation.objects.get().ends_on.isoformat() == ends


@pytest.mark.parametrize("who", ["member", "reader"])
def test_only_coordinators_invite(client: Client, world: World, unscoped: None, who: str) -> None:
    login(client, getattr(world, who))
    for name in ("accounts:invitation_create", "accounts:invitation_list"):
        assert client.get(reverse(name)).status_code == 403
    data = {"email": NEW_EMAIL, "role": Role.RESPONDENT}
    assert client.post(reverse("accounts:invitation_create"), data).status_code == 403
    assert not Invitation.objects.exists()


# --- accepting -------------------------------------------------------------------------------


def test_logged_in_invitee_accepts(client: Client, world: World, unscoped: None) -> None:
    person = make_user("new.person")
    add_member(person, world.org_b, Role.RESPONDENT)
    _invitation, key = invite(world, email=person.email.upper())
    login(client, person)
    url = reverse("accounts:invitation_accept", kwargs={"key": key})
    assert client.get(url).status_code == 200
    in_a = Membership.objects.filter(user=person, organisation=world.org_a)
    assert not in_a.exists()  # GET changes nothing
    assert client.post(url).status_code == 302
    membership = in_a.get()
    assert (membership.organisation, membership.role, membership.org_unit) == (
        world.org_a,
        Role.RESPONDENT,
        world.unit_a,
    )
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == person and invitation.accepted_at is not None
    assert client.session["active_organisation_id"] == world.org_a.pk
    assert "tenancy.membership.created" in actions(organisation=world.org_a)
    # Used once: the link is now dead.
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_someone_else_cannot_accept(client: Client, world: World, unscoped: None) -> None:
    _invitation, key = invite(world)
    login(client, world.outsider)
    url = reverse("accounts:invitation_accept", kwargs={"key": key})
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Membership.objects.filter(organisation=world.org_a, user=world.outsider).exists()
    assert Invitation.objects.get().accepted_at is None


def test_service_refuses_other_email(world: World, unscoped: None) -> None:
    invitation, _key = invite(world)
    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=world.outsider)


@pytest.mark.parametrize("state", ["unknown", "expired", "used"])
def test_dead_links_give_a_clear_404(
    client: Client, world: World, unscoped: None, state: str
) -> None:
    invitation, key = invite(world)
    if state == "unknown":
        key = "x" * 43
    elif state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    else:
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    response = client.get(reverse("accounts:invitation_accept", kwargs={"key": key}))
    assert response.status_code == 404
    assert "accounts/invitation_invalid.html" in [t.name for t in response.templates]
    assert "invitation_key" not in client.session


def test_existing_account_is_asked_to_log_in(client: Client, world: World, unscoped: None) -> None:
    person = make_user("new.person")
    _invitation, key = invite(world, email=person.email)
    url = reverse("accounts:invitation_accept", kwargs={"key": key})
    response = client.get(url)
    assert response.status_code == 200
    assert reverse("account_login") in response.content.decode()
    assert "invitation_key" not in client.session
    assert not Membership.objects.filter(user=person).exists()


def signup_data(email: str = NEW_EMAIL) -> dict[str, str]:
    return {
        "email": email,
        "username": "new.person",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }


def test_new_person_signs_up_through_invitation(
    client: Client, world: World, unscoped: None
) -> None:
    _invitation, key = invite(world)
    response = client.get(reverse("accounts:invitation_accept", kwargs={"key": key}))
    assert response.status_code == 302 and response.url == reverse("account_signup")
    assert client.session["invitation_key"] == key
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert page.context["form"].fields["email"].initial == NEW_EMAIL
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    person = User.objects.get(username="new.person")
    assert person.email == NEW_EMAIL
    assert EmailAddress.objects.get(user=person).verified  # the invitation link proved it
    membership = Membership.objects.get(user=person)
    assert (membership.organisation, membership.role) == (world.org_a, Role.RESPONDENT)
    assert Invitation.objects.get().accepted_by == person
    assert "invitation_key" not in client.session
    assert client.get("/").status_code == 200  # logged in, inside organisation A


def test_signup_email_is_locked_to_the_invitation(
    client: Client, world: World, unscoped: None
) -> None:
    _invitation, key = invite(world)
    client.get(reverse("accounts:invitation_accept", kwargs={"key": key}))
    response = client.post(reverse("account_signup"), signup_data("someone.else@example.test"))
    assert response.status_code == 200  # allauth re-shows the form with the error
    assert response.context["form"].errors["email"]
    assert not User.objects.filter(username="new.person").exists()
    assert Invitation.objects.get().accepted_at is None


def test_signup_form_shows_email_read_only(client: Client, world: World, settings: object) -> None:
    settings.ACCOUNT_FORMS = {"signup": "samvirke.accounts.forms.InvitationSignupForm"}  # type: ignore[attr-defined]
    _invitation, key = invite(world)
    client.get(reverse("accounts:invitation_accept", kwargs={"key": key}))
    field = client.get(reverse("account_signup")).context["form"].fields["email"]
    assert field.initial == NEW_EMAIL and field.widget.attrs["readonly"]


def test_signup_is_closed_without_invitation(client: Client, world: World, unscoped: None) -> None:
    client.post(reverse("account_signup"), signup_data())
    assert not User.objects.filter(username="new.person").exists()
    session = client.session
    session["invitation_key"] = "forged-key"
    session.save()
    client.post(reverse("account_signup"), signup_data())
    assert not User.objects.filter(username="new.person").exists()


def test_revoked_invitation_closes_signup(client: Client, world: World, unscoped: None) -> None:
    invitation, key = invite(world)
    client.get(reverse("accounts:invitation_accept", kwargs={"key": key}))
    Invitation.objects.filter(pk=invitation.pk).delete()
    client.post(reverse("account_signup"), signup_data())
    assert not User.objects.filter(username="new.person").exists()


# --- revoking --------------------------------------------------------------------------------


def test_coordinator_revokes(owner_client: Client, world: World, unscoped: None) -> None:
    invitation, key = invite(world)
    url = reverse("accounts:invitation_revoke", kwargs={"invitation_id": invitation.pk})
    assert owner_client.get(url).status_code == 405
    assert owner_client.post(url).status_code == 302
    assert not Invitation.objects.exists()
    assert actions(organisation=world.org_a)[-1] == "accounts.invitation.revoked"
    accept = reverse("accounts:invitation_accept", kwargs={"key": key})
    assert Client().get(accept).status_code == 404


def test_revoking_another_organisations_invitation_is_404(
    client: Client, world: World, unscoped: None
) -> None:
    invitation, _key = invite(world)
    login(client, world.outsider)
    url = reverse("accounts:invitation_revoke", kwargs={"invitation_id": invitation.pk})
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()
