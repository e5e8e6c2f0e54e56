"""API operations about the caller: who they are, and their API tokens (never the secrets)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from samvirke.accounts.access import access_token
from samvirke.accounts.models import ApiToken, User
from samvirke.accounts.queries import user_tokens
from samvirke.accounts.services import token_revoke
from samvirke.api.auth import requires
from samvirke.api.errors import ApiError
from samvirke.api.schemas import ERRORS, INPUT_ERRORS, ErrorOut, Pagination
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership
from samvirke.tenancy.roles import Perm

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    """One of the caller's current roles."""

    organisation_code: str
    organisation_name: str
    role: str
    org_unit_id: int | None
    ends_on: datetime.date | None

    @staticmethod
    def resolve_organisation_code(membership: Membership) -> str:
        return membership.organisation.code

    @staticmethod
    def resolve_organisation_name(membership: Membership) -> str:
        return membership.organisation.name


class MeOut(Schema):
    """The caller and their current memberships in every organisation."""

    id: int
    username: str
    name: str
    email: str
    language: str | None
    memberships: list[MembershipOut]


class TokenOut(Schema):
    """An API token of the caller's; the secret is shown once, at creation, and never again."""

    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None
    is_usable: bool


@router.get("/me", response={200: MeOut, **ERRORS})
def me_get(request: OrgRequest) -> dict[str, object]:
    """The caller, and their roles in every organisation they belong to today."""
    user: User = request.user
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "email": user.email,
        "language": user.preferred_language or None,
        "memberships": request.all_memberships,
    }


@router.get(
    "/tokens",
    response={200: list[TokenOut], **INPUT_ERRORS},
    auth=requires(Perm.TOKEN_MANAGE),
)
@paginate(Pagination)
def token_list(request: OrgRequest) -> QuerySet[ApiToken]:
    """The caller's tokens for this organisation, newest first, revoked and expired ones too."""
    organisation = active_organisation(request)
    return user_tokens(organisation, request.user).order_by("-created_at", "-pk")


@router.delete(
    "/tokens/{int:token_id}",
    response={204: None, **ERRORS, 409: ErrorOut},
    auth=requires(Perm.TOKEN_MANAGE),
)
def token_delete(request: OrgRequest, token_id: int) -> Status[None]:
    """Revoke one of the caller's tokens (the one in use too)."""
    token = access_token(request, token_id)
    try:
        token_revoke(actor=request.user, token=token)
    except ValidationError as error:
        raise ApiError(409, "conflict", " ".join(error.messages)) from error
    return Status(204, None)
