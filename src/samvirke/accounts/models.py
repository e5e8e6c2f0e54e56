"""People, their invitations and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samvirke.core.models import DigestLookupManager, OrganisationOwnedModel
from samvirke.tenancy.roles import Role

TOKEN_PREFIX = "smv_"


def digest(secret: str) -> str:
    """SHA-256 of a secret: tokens and invitation keys are stored only as digests."""
    return hashlib.sha256(secret.encode()).hexdigest()


class User(AbstractUser):
    """A person who logs in; their roles live in memberships, per organisation."""

    email = models.EmailField(_("e-mail address"), unique=True)
    preferred_language = models.CharField(_("language"), max_length=5, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(OrganisationOwnedModel):
    """A bearer token for the API, tied to one user and one organisation, stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    by_key = DigestLookupManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_secret() -> str:
        """A fresh random secret with a recognisable prefix."""
        return TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        """Whether the token still authenticates."""
        return self.revoked_at is None and self.expires_at > timezone.now()


class Invitation(OrganisationOwnedModel):
    """An invitation to join an organisation in a role; the key is sent by e-mail once."""

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(
        "tenancy.OrgUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
    )
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    by_key = DigestLookupManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @staticmethod
    def default_expiry() -> timedelta:
        """How long an invitation stays open."""
        return timedelta(days=14)

    @staticmethod
    def new_key() -> str:
        """A fresh random key for the accept link; only its digest is stored."""
        return secrets.token_urlsafe(32)

    @property
    def is_pending(self) -> bool:
        """Whether the invitation can still be accepted."""
        return self.accepted_at is None and self.expires_at > timezone.now()
