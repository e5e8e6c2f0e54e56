"""Writes to accounts objects: invitations and API tokens. Atomic, validated, audited."""

from __future__ import annotations

import datetime
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from samvirke.accounts.models import ApiToken, Invitation, User, digest
from samvirke.audit.services import audit_log
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.models import Membership, Organisation, OrgUnit
from samvirke.tenancy.roles import Role
from samvirke.tenancy.services import membership_create

#: Roles a security coordinator may hand out. Network coordinators and operators are appointed
#: by the installation, never by one organisation.
INVITABLE_ROLES = frozenset(
    {
        Role.SECURITY_COORDINATOR,
        Role.RESPONDENT,
        Role.MANAGEMENT_READER,
        Role.DATA_PROTECTION_OFFICER,
        Role.AUDITOR,
    }
)
TOKEN_MIN_DAYS, TOKEN_MAX_DAYS = 1, 365


def _validate_invitation(
    organisation: Organisation,
    email: str,
    role: str,
    org_unit: OrgUnit | None,
    ends_on: datetime.date | None,
) -> None:
    """The rules an invitation must meet beyond its fields' own validation."""
    errors: dict[str, str] = {}
    if role not in INVITABLE_ROLES:
        errors["role"] = _("Choose one of the roles offered.")
    if org_unit is not None and org_unit.organisation_id != organisation.pk:
        errors["org_unit"] = _("Choose a unit of your own organisation.")
    if role == Role.AUDITOR and ends_on is None:
        errors["ends_on"] = _("An auditor's access must have an end date.")
    if ends_on is not None and ends_on < timezone.localdate():
        errors["ends_on"] = _("The end date cannot be in the past.")
    members = Membership.objects.filter(organisation=organisation, role=role).current()
    if members.filter(user__email__iexact=email).exists():
        errors["email"] = _("This person already has this role in the organisation.")
    elif Invitation.objects.filter(
        organisation=organisation,
        email__iexact=email,
        role=role,
        accepted_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        errors["email"] = _("This person already has an open invitation to this role.")
    if errors:
        raise ValidationError(errors)


def _send_invitation(invitation: Invitation, key: str, site_url: str) -> None:
    """E-mail the accept link; the key leaves the server only here."""
    path = reverse("accounts:invitation_accept", kwargs={"key": key})
    context = {"invitation": invitation, "accept_url": site_url.rstrip("/") + path}
    subject = render_to_string("accounts/email/invitation_subject.txt", context)
    body = render_to_string("accounts/email/invitation_message.txt", context)
    send_mail(" ".join(subject.split()), body, None, [invitation.email])


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    role: str,
    org_unit: OrgUnit | None = None,
    ends_on: datetime.date | None = None,
    site_url: str,
) -> tuple[Invitation, str]:
    """Invite a person by e-mail to a role; return the invitation and its (unstored) key."""
    email = email.strip()
    _validate_invitation(organisation, email, role, org_unit, ends_on)
    key = Invitation.new_key()
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        org_unit=org_unit,
        ends_on=ends_on,
        key_digest=digest(key),
        invited_by=actor,
        expires_at=timezone.now() + Invitation.default_expiry(),
    )
    invitation.full_clean()
    invitation.save()
    audit_log(
        actor=actor,
        organisation=organisation,
        action="accounts.invitation.created",
        obj=invitation,
        changes=_invitation_changes(invitation),
    )
    # Sent last, inside the transaction: a mail server failure leaves no invitation behind.
    _send_invitation(invitation, key, site_url)
    return invitation, key


def _invitation_changes(invitation: Invitation) -> dict[str, object]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "org_unit": invitation.org_unit_id,
        "ends_on": invitation.ends_on,
        "expires_at": invitation.expires_at,
    }


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an open invitation into a membership for the person it was sent to."""
    with organisation_scope(invitation.organisation_id):
        locked = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation.pk, accepted_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if locked is None:
            raise ValidationError(_("This invitation has already been used or has expired."))
        if locked.email.lower() != user.email.lower():
            raise ValidationError(_("This invitation was sent to another e-mail address."))
        membership = membership_create(
            actor=user,
            organisation=locked.organisation,
            user=user,
            role=locked.role,
            org_unit=locked.org_unit,
            ends_on=locked.ends_on,
        )
        locked.accepted_at, locked.accepted_by = timezone.now(), user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit_log(
            actor=user,
            organisation=locked.organisation,
            action="accounts.invitation.accepted",
            obj=locked,
            changes={"membership": membership.pk},
        )
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Withdraw an open invitation; its link stops working."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been accepted."))
    audit_log(
        actor=actor,
        organisation=invitation.organisation,
        action="accounts.invitation.revoked",
        obj=invitation,
        changes=_invitation_changes(invitation),
    )
    invitation.delete()


@transaction.atomic
def token_create(
    *, actor: User | None, organisation: Organisation, user: User, name: str, days: int
) -> tuple[ApiToken, str]:
    """Create an API token for a member; return it and its secret, which is never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": _("Give the token a name of at most 100 characters.")})
    if not TOKEN_MIN_DAYS <= days <= TOKEN_MAX_DAYS:
        raise ValidationError({"days": _("A token must expire in 1 to 365 days.")})
    if not Membership.objects.filter(organisation=organisation, user=user).current().exists():
        raise ValidationError(_("The user is not a member of this organisation."))
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        organisation=organisation,
        user=user,
        name=name,
        prefix=secret[:12],
        key_digest=digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit_log(
        actor=actor,
        organisation=organisation,
        action="accounts.token.created",
        obj=token,
        changes={
            "user": user.pk,
            "name": name,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke an API token at once."""
    if token.revoked_at is not None:
        raise ValidationError(_("This token has already been revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log(
        actor=actor,
        organisation=token.organisation,
        action="accounts.token.revoked",
        obj=token,
        changes={"user": token.user_id, "prefix": token.prefix, "revoked_at": token.revoked_at},
    )
    return token
