"""The request path: find who is asking and for which organisation, then enter its scope."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from samvirke.accounts.models import ApiToken, digest
from samvirke.audit.context import audit_context
from samvirke.core.scoping import organisation_scope
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.models import Membership, Organisation

SESSION_KEY = "active_organisation_id"
API_PREFIX = "/api/"


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, read as allauth reads it for rate limits (trusted proxies only)."""
    try:
        return str(get_adapter(request).get_client_ip(request))
    except (PermissionDenied, ImproperlyConfigured):
        # No usable address, or a forwarded header shorter than the configured proxy chain.
        return request.META.get("REMOTE_ADDR") or None


def _bearer_secret(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def _authenticate_token(request: OrgRequest) -> None:
    """Attach the token's user and organisation when the token and its user are still valid."""
    secret = _bearer_secret(request)
    if secret is None:
        return
    token = ApiToken.by_key.by_digest(
        digest(secret), revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    if token is None or not token.user.is_active:
        return
    memberships = Membership.of_user.for_user(token.user).filter(organisation=token.organisation_id)
    if not memberships.exists():
        return
    request.user = token.user
    request.api_token = token
    with organisation_scope(token.organisation_id):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def _choose(request: OrgRequest, memberships: list[Membership]) -> Organisation | None:
    token = request.api_token
    if token is not None:
        return token.organisation
    wanted = request.session.get(SESSION_KEY)
    organisations = {m.organisation_id: m.organisation for m in memberships}
    if wanted in organisations:
        return organisations[wanted]
    return memberships[0].organisation if memberships else None


class ActiveOrganisationMiddleware:
    """Resolve the active organisation and run the rest of the request inside its scope."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: OrgRequest) -> HttpResponse:
        request.api_token = None
        via = "page"
        if request.path.startswith(API_PREFIX):
            via = "api"
            _authenticate_token(request)
        memberships: list[Membership] = []
        if request.user.is_authenticated:
            memberships = list(Membership.of_user.for_user(request.user))
        organisation = _choose(request, memberships)
        request.organisation = organisation
        request.all_memberships = memberships
        active_id = organisation.pk if organisation else None
        request.memberships = [m for m in memberships if m.organisation_id == active_id]
        request.permissions = frozenset().union(*(m.permissions for m in request.memberships))
        with (
            organisation_scope(organisation.pk if organisation else None),
            audit_context(ip=client_ip(request), via=via),
        ):
            return self.get_response(request)
