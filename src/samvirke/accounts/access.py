"""`access_<noun>` helpers for accounts objects: 404 for missing and foreign alike."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from samvirke.accounts.models import ApiToken, Invitation
from samvirke.accounts.queries import pending_invitations, user_tokens
from samvirke.core.access import access_in
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.roles import Perm


def _require(request: OrgRequest, permission: str) -> None:
    if permission not in request.permissions:
        raise PermissionDenied


def access_token(request: OrgRequest, token_id: Any) -> ApiToken:
    """One of the user's own API tokens in the active organisation."""
    organisation = active_organisation(request)
    _require(request, Perm.TOKEN_MANAGE)
    return access_in(user_tokens(organisation, request.user), token_id)


def access_invitation(request: OrgRequest, invitation_id: Any) -> Invitation:
    """One pending invitation of the active organisation."""
    organisation = active_organisation(request)
    _require(request, Perm.MEMBER_CHANGE)
    return access_in(pending_invitations(organisation), invitation_id)
