"""Reads of invitations and tokens."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from samvirke.accounts.models import ApiToken, Invitation, User, digest
from samvirke.tenancy.models import Organisation


def pending_invitation(key: str) -> Invitation | None:
    """The open invitation a key belongs to; None for unknown, used and expired keys alike."""
    if not key or len(key) > 200:
        return None
    found: Invitation | None = Invitation.by_key.by_digest(
        digest(key), accepted_at__isnull=True, expires_at__gt=timezone.now()
    )
    return found


def pending_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    """An organisation's invitations that can still be accepted, newest first."""
    return (
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("org_unit", "invited_by")
        .order_by("-created_at")
    )


def user_tokens(organisation: Organisation, user: User) -> QuerySet[ApiToken]:
    """One user's API tokens in one organisation, newest first."""
    return ApiToken.objects.filter(organisation=organisation, user=user).order_by("-created_at")
