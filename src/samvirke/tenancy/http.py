"""The request as the tenancy middleware leaves it, for typed views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from samvirke.accounts.models import ApiToken, User
    from samvirke.tenancy.models import Membership, Organisation


class OrgRequest(HttpRequest):
    """A request with the caller's active organisation, memberships and permissions resolved."""

    user: User
    organisation: Organisation | None
    all_memberships: list[Membership]
    memberships: list[Membership]
    permissions: frozenset[str]
    api_token: ApiToken | None
