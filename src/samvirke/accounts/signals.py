"""Receivers for allauth and Django authentication signals: login audit and invitation sign-up."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from samvirke.accounts.adapters import INVITATION_SESSION_KEY, invitation_for
from samvirke.accounts.models import User
from samvirke.accounts.services import invitation_accept
from samvirke.audit.services import audit_log

logger = logging.getLogger(__name__)


def audit_login(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """Record a successful login in the installation chain."""
    audit_log(actor=user, organisation=None, action="accounts.login.succeeded", obj=user)


def audit_logout(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    """Record a logout (of a logged-in user) in the installation chain."""
    if user is not None and user.is_authenticated:
        audit_log(actor=user, organisation=None, action="accounts.logout", obj=user)


def audit_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    """Record a failed login; name the account only if it exists.

    An unknown login is not written down: people type their password in the login field.
    """
    login = credentials.get("email") or credentials.get("username") or ""
    target = None
    if isinstance(login, str) and login:
        target = User.objects.filter(email__iexact=login).first()
        target = target or User.objects.filter(username__iexact=login).first()
    audit_log(actor=None, organisation=None, action="accounts.login.failed", obj=target)


def accept_invitation_on_signup(
    sender: Any, request: HttpRequest, user: User, **kwargs: Any
) -> None:
    """A person who signed up through an invitation becomes a member straight away."""
    invitation = invitation_for(request)
    request.session.pop(INVITATION_SESSION_KEY, None)
    if invitation is None:
        return
    try:
        invitation_accept(invitation=invitation, user=user)
    except ValidationError:
        # The account stays; the person sees no membership and can ask for a new invitation.
        logger.warning("Invitation %s could not be accepted after sign-up", invitation.pk)


def connect() -> None:
    """Connect the receivers (called once from AccountsConfig.ready)."""
    user_logged_in.connect(audit_login, dispatch_uid="samvirke.accounts.audit_login")
    user_logged_out.connect(audit_logout, dispatch_uid="samvirke.accounts.audit_logout")
    user_login_failed.connect(
        audit_login_failed, dispatch_uid="samvirke.accounts.audit_login_failed"
    )
    user_signed_up.connect(
        accept_invitation_on_signup, dispatch_uid="samvirke.accounts.accept_invitation"
    )
