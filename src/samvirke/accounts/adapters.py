"""django-allauth adapter: no open sign-up; people join by invitation."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _

from samvirke.accounts.models import Invitation
from samvirke.accounts.queries import pending_invitation

#: Session key holding the key of the invitation a visitor is signing up with.
INVITATION_SESSION_KEY = "invitation_key"


def invitation_for(request: HttpRequest | None) -> Invitation | None:
    """The open invitation whose key this visitor carries in the session, if any."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    key = session.get(INVITATION_SESSION_KEY)
    return pending_invitation(key) if isinstance(key, str) else None


def invitation_in_session() -> Invitation | None:
    """The open invitation of allauth's current request."""
    return invitation_for(context.request)


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is open only to someone holding a valid invitation, with its e-mail address."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return invitation_for(request) is not None

    def clean_email(self, email: str) -> str:
        """During an invitation sign-up, only the invited address is accepted."""
        email = super().clean_email(email)
        invitation = invitation_for(self.request)
        if invitation is not None and invitation.email.lower() != email.lower():
            raise forms.ValidationError(
                _("Sign up with the e-mail address the invitation was sent to: %(email)s")
                % {"email": invitation.email}
            )
        return email

    def is_email_verified(self, request: HttpRequest, email: str) -> bool:
        """Following the invitation link proved the address: no second verification mail."""
        invitation = invitation_for(request)
        if invitation is not None and invitation.email.lower() == email.lower():
            return True
        return bool(super().is_email_verified(request, email))
