"""Bearer-token authentication and named permissions for API operations.

The tenancy middleware checks the token (valid, not revoked or expired, user still a member) and
enters the organisation's scope; here we only accept requests it authenticated by token. A
logged-in browser session is not enough: the API takes no cookies, so it needs no CSRF checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer

from samvirke.core.permissions import has_permission

if TYPE_CHECKING:
    from samvirke.accounts.models import ApiToken


class ApiTokenAuth(HttpBearer):
    """Accept a request the middleware authenticated by API token; optionally require any one
    of a set of named permissions (`permission`, read by the cross-tenant suite).

    The permission is checked here, before the body is read, so a caller without it learns
    nothing from validation errors.
    """

    def __init__(self, permission: frozenset[str] | None = None) -> None:
        super().__init__()
        self.permission = permission

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        token: ApiToken | None = getattr(request, "api_token", None)
        if token is None:
            return None
        if self.permission is not None and not any(
            has_permission(request, name) for name in self.permission
        ):
            raise PermissionDenied
        return token

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """Unused: the middleware has already matched the secret against the stored digests."""
        return self(request)


def requires(permission: str) -> ApiTokenAuth:
    """Token authentication plus a named permission: `@router.get(..., auth=requires(Perm.X))`."""
    return ApiTokenAuth(frozenset({permission}))


def requires_any(*permissions: str) -> ApiTokenAuth:
    """Token authentication plus any one of several named permissions."""
    return ApiTokenAuth(frozenset(permissions))
