"""Checking every audit chain end to end (an operator's task).

Each organisation's chain is read inside that organisation's scope, one chain at a time; the
installation chain through its own manager. Nothing here needs to switch the scope off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from samvirke.audit.models import (
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    AuditChain,
    AuditEntry,
    organisation_of_chain,
)
from samvirke.core.scoping import organisation_scope


@dataclass(frozen=True)
class Break:
    """The first place a chain does not hold."""

    chain_key: str
    entry_id: int | None
    seq: int
    reason: str

    def __str__(self) -> str:
        where = f"entry id {self.entry_id}" if self.entry_id is not None else "chain head"
        return f"{self.chain_key}, seq {self.seq} ({where}): {self.reason}"


def _entries(key: str) -> Iterator[AuditEntry]:
    if key == INSTALLATION_CHAIN:
        entries = AuditEntry.installation.filter(chain_key=key)
    else:
        entries = AuditEntry.objects.filter(chain_key=key)
    return entries.order_by("seq").iterator(chunk_size=2000)


def verify_chain(chain: AuditChain) -> Break | None:
    """Return the first break in one chain, or None when every entry holds."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    for entry in _entries(chain.key):
        if entry.seq != expected_seq:
            return Break(chain.key, entry.id, expected_seq, "an entry is missing before this one")
        if entry.prev_hash != expected_prev:
            return Break(chain.key, entry.id, entry.seq, "the link to the previous entry is broken")
        if entry.compute_hash() != entry.hash:
            return Break(
                chain.key, entry.id, entry.seq, "the entry was changed after it was written"
            )
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    if chain.last_seq != expected_seq - 1 or chain.last_hash != expected_prev:
        return Break(chain.key, None, chain.last_seq, "entries at the end of the chain are missing")
    return None


def verify_all(progress: Callable[[int], object] | None = None) -> list[Break]:
    """Verify every chain; return the first break of each broken chain."""
    breaks: list[Break] = []
    for chain in AuditChain.objects.order_by("key"):
        with organisation_scope(organisation_of_chain(chain.key)):
            found = verify_chain(chain)
        if found is not None:
            breaks.append(found)
        if progress is not None:
            progress(1)
    return breaks
