"""Who is acting and from where, for the audit entries written during one request or command."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class AuditContext:
    """The origin of the writes in progress."""

    ip: str | None = None
    via: str = "system"  # page, api, cli, import, system


_current: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def current_context() -> AuditContext:
    """Return the origin of the writes in progress."""
    return _current.get() or AuditContext()


@contextmanager
def audit_context(*, ip: str | None, via: str) -> Iterator[None]:
    """Mark writes inside the block as coming from an address and a channel."""
    token = _current.set(AuditContext(ip=ip, via=via))
    try:
        yield
    finally:
        _current.reset(token)
