"""django-allauth adapter: no open sign-up; people join by invitation."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Sign-up is open only to someone holding a valid invitation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(request.session.get("invitation_key"))
