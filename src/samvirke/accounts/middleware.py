"""Enforce MFA for roles that require it when SAMVIRKE_REQUIRE_MFA is on."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from samvirke.tenancy.roles import MFA_REQUIRED_ROLES

# Paths a user without MFA may still reach besides allauth's own pages (login, logout, MFA
# set-up, password and e-mail management): static files and the language switch. The API
# authenticates by token, not by session.
ALLOWED_PREFIXES = ("/static/", "/i18n/", "/api/")


def _is_allauth_page(path: str) -> bool:
    """Whether a path is one of allauth's views (our own /accounts/ pages are not)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func.__module__.startswith("allauth.")


class RequireMfaMiddleware:
    """Send coordinators and operators without TOTP to MFA set-up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SAMVIRKE_REQUIRE_MFA and self._needs_mfa(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _needs_mfa(self, request: HttpRequest) -> bool:
        # During allauth's login stages (password done, TOTP pending) the user is still
        # anonymous, so the MFA authenticate page is never intercepted.
        if not request.user.is_authenticated or request.path.startswith(ALLOWED_PREFIXES):
            return False
        roles = {m.role for m in getattr(request, "all_memberships", [])}
        if not roles & MFA_REQUIRED_ROLES or _is_allauth_page(request.path_info):
            return False
        return not Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
