"""Writing audit entries: called inside the transaction of the change it records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from samvirke.audit.context import current_context
from samvirke.audit.models import AuditChain, AuditEntry, chain_key_for

if TYPE_CHECKING:
    from samvirke.accounts.models import User
    from samvirke.tenancy.models import Organisation


def model_changes(
    instance: models.Model, before: dict[str, Any] | None, fields: list[str]
) -> dict[str, Any]:
    """Return {field: [old, new]} for the fields that differ (all of them for a new object)."""
    changes: dict[str, Any] = {}
    for name in fields:
        new = getattr(instance, name)
        new = new.pk if isinstance(new, models.Model) else new
        old = None if before is None else before.get(name)
        if before is None or old != new:
            changes[name] = [old, new]
    return changes


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The current values of some fields, for `model_changes` after an edit."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(instance, name)
        values[name] = value.pk if isinstance(value, models.Model) else value
    return values


@transaction.atomic(savepoint=False)
def audit_log(
    *,
    actor: User | None,
    organisation: Organisation | None,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the organisation's chain (the installation's when None)."""
    key = chain_key_for(organisation.pk if organisation is not None else None)
    # No savepoint: the entry belongs to the caller's transaction and fails with it. The chain
    # head is locked in one query when it exists, created first only for a new chain.
    chain = AuditChain.objects.select_for_update().filter(key=key).first()
    if chain is None:
        AuditChain.objects.get_or_create(key=key)
        chain = AuditChain.objects.select_for_update().get(key=key)
    context = current_context()
    entry = AuditEntry(
        organisation=organisation,
        chain_key=key,
        seq=chain.last_seq + 1,
        created_at=timezone.now(),
        actor=actor,
        actor_label=_actor_label(actor),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        changes=changes or {},
        ip=context.ip,
        via=context.via,
        prev_hash=chain.last_hash,
    )
    entry.hash = entry.compute_hash()
    entry.save()
    AuditChain.objects.filter(pk=chain.pk).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "system"
    return f"{actor.pk}:{actor.get_username()}"
