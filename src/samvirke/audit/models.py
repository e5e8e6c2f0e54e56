"""Append-only audit entries, chained per organisation by a SHA-256 hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from samvirke.core.models import scoped_manager

INSTALLATION_CHAIN = "installation"
GENESIS_HASH = "0" * 64


def chain_key_for(organisation_id: int | None) -> str:
    """Name the chain an entry belongs to: one per organisation, one for the installation."""
    return INSTALLATION_CHAIN if organisation_id is None else f"organisation:{organisation_id}"


def organisation_of_chain(key: str) -> int | None:
    """The organisation id a chain key names (None for the installation chain)."""
    return None if key == INSTALLATION_CHAIN else int(key.split(":", 1)[1])


class AuditChain(models.Model):
    """The head of one hash chain; locked while an entry is appended so appends serialise."""

    key = models.CharField(max_length=40, unique=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"{self.key} at {self.last_seq}"


class InstallationEntryManager(models.Manager["AuditEntry"]):
    """Entries of the installation chain: they belong to no organisation, so no scope applies."""

    def get_queryset(self) -> models.QuerySet[AuditEntry]:
        return super().get_queryset().filter(organisation__isnull=True)


class AuditEntry(models.Model):
    """One write: who, when, what, in which organisation, from where. Never changed."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    chain_key = models.CharField(max_length=40, editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    via = models.CharField(_("channel"), max_length=20, default="system")
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects: ClassVar[models.Manager[AuditEntry]] = scoped_manager()
    installation = InstallationEntryManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain_key", "seq"], name="audit_unique_seq")
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.chain_key}#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Entries are written once, by `audit_log`, and never updated."""
        if not self._state.adding:
            raise PermissionError("Audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Entries are never deleted."""
        raise PermissionError("Audit entries cannot be deleted")

    def payload(self) -> dict[str, Any]:
        """The fields the hash covers, in a stable form."""
        return {
            "chain": self.chain_key,
            "seq": self.seq,
            "organisation": self.organisation_id,
            "time": self.created_at.isoformat(),
            "actor": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "ip": self.ip,
            "via": self.via,
        }

    def compute_hash(self) -> str:
        """Hash of the previous entry's hash and this entry's payload."""
        body = json.dumps(self.payload(), sort_keys=True, cls=DjangoJSONEncoder, ensure_ascii=True)
        return hashlib.sha256((self.prev_hash + body).encode()).hexdigest()
