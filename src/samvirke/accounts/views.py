"""Account pages of our own: invitations and API tokens (allauth serves login, MFA, reset)."""

from __future__ import annotations

import logging
import smtplib

from allauth.account.adapter import get_adapter
from allauth.account.utils import filter_users_by_email
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from samvirke.accounts.access import access_invitation, access_token
from samvirke.accounts.adapters import INVITATION_SESSION_KEY
from samvirke.accounts.forms import InvitationForm, TokenForm
from samvirke.accounts.models import Invitation
from samvirke.accounts.queries import pending_invitation, pending_invitations, user_tokens
from samvirke.accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    token_create,
    token_revoke,
)
from samvirke.core.permissions import permission_required
from samvirke.tenancy.access import active_organisation
from samvirke.tenancy.http import OrgRequest
from samvirke.tenancy.middleware import SESSION_KEY as ACTIVE_ORGANISATION_KEY
from samvirke.tenancy.roles import Perm

logger = logging.getLogger(__name__)


def _status(form: Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@permission_required(Perm.MEMBER_CHANGE)
def invitation_list(request: OrgRequest) -> HttpResponse:
    """The organisation's open invitations."""
    invitations = pending_invitations(active_organisation(request))
    return render(request, "accounts/invitation_list.html", {"invitations": invitations})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.MEMBER_CHANGE)
def invitation_create_view(request: OrgRequest) -> HttpResponse:
    """Invite a person by e-mail."""
    organisation = active_organisation(request)
    form = InvitationForm(request.POST or None, organisation=organisation)
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _key = invitation_create(
                actor=request.user,
                organisation=organisation,
                site_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except (smtplib.SMTPException, OSError):
            logger.exception("Invitation e-mail could not be sent")
            form.add_error(None, _("The e-mail could not be sent. Try again later."))
            status = 503
        else:
            messages.success(
                request, _("An invitation was sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("accounts:invitation_list")
    context = {"form": form}
    return render(request, "accounts/invitation_form.html", context, status=status or _status(form))


@require_POST
@permission_required(Perm.MEMBER_CHANGE)
def invitation_revoke_view(request: OrgRequest, invitation_id: int) -> HttpResponse:
    """Withdraw an open invitation."""
    invitation = access_invitation(request, invitation_id)
    invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("accounts:invitation_list")


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: OrgRequest, key: str) -> HttpResponse:
    """Follow an invitation link: accept, sign up, or log in first."""
    invitation = pending_invitation(key)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        return _invitation_for_visitor(request, invitation, key)
    context = {"invitation": invitation}
    if request.user.email.lower() != invitation.email.lower():
        return render(request, "accounts/invitation_wrong_user.html", context, status=403)
    if request.method == "POST":
        try:
            invitation_accept(invitation=invitation, user=request.user)
        except ValidationError:
            return render(request, "accounts/invitation_invalid.html", status=404)
        request.session[ACTIVE_ORGANISATION_KEY] = invitation.organisation_id
        messages.success(
            request, _("You are now a member of %(name)s.") % {"name": invitation.organisation}
        )
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", context)


def _invitation_for_visitor(request: OrgRequest, invitation: Invitation, key: str) -> HttpResponse:
    """Send a visitor to sign-up, or to login when an account with the address exists."""
    if filter_users_by_email(invitation.email):
        context = {"invitation": invitation, "next": request.get_full_path()}
        return render(request, "accounts/invitation_login.html", context)
    request.session[INVITATION_SESSION_KEY] = key
    # allauth pre-fills the sign-up form with a stashed address; the adapter then locks it.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return redirect("account_signup")


@require_http_methods(["GET"])
@permission_required(Perm.TOKEN_MANAGE)
def token_list(request: OrgRequest) -> HttpResponse:
    """The user's API tokens in the active organisation and a form for a new one."""
    return _render_tokens(request, TokenForm())


def _render_tokens(request: OrgRequest, form: TokenForm) -> HttpResponse:
    tokens = user_tokens(active_organisation(request), request.user)
    context = {"tokens": tokens, "form": form}
    return render(request, "accounts/token_list.html", context, status=_status(form))


@require_POST
@permission_required(Perm.TOKEN_MANAGE)
def token_create_view(request: OrgRequest) -> HttpResponse:
    """Create a token and show its secret this once."""
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = token_create(
                actor=request.user,
                organisation=active_organisation(request),
                user=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            context = {"token": token, "secret": secret}
            response = render(
                request,
                "accounts/token_created.html",
                context,
            )
            response["Cache-Control"] = "no-store"
            return response
    return _render_tokens(request, form)


@require_POST
@permission_required(Perm.TOKEN_MANAGE)
def token_revoke_view(request: OrgRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's tokens."""
    token = access_token(request, token_id)
    try:
        token_revoke(actor=request.user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:token_list")
