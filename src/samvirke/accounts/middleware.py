"""Enforce MFA for roles that require it when SAMVIRKE_REQUIRE_MFA is on."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from samvirke.tenancy.roles import MFA_REQUIRED_ROLES

# Paths a user without MFA may still reach: to set it up, to log out, static files, language.
ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class RequireMfaMiddleware:
    """Send coordinators and operators without TOTP to MFA set-up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SAMVIRKE_REQUIRE_MFA and self._needs_mfa(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _needs_mfa(self, request: HttpRequest) -> bool:
        if not request.user.is_authenticated or request.path.startswith(ALLOWED_PREFIXES):
            return False
        roles = {m.role for m in getattr(request, "all_memberships", [])}
        if not roles & MFA_REQUIRED_ROLES:
            return False
        from allauth.mfa.models import Authenticator

        return not Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
