"""Entering the organisation scope: the only sanctioned ways to do it."""

from collections.abc import Iterator
from contextlib import contextmanager

from django_scopes import scope

from samvirke.core.models import SCOPE

#: Scope value that matches no organisation (for requests without an active organisation).
NO_ORGANISATION: list[int] = []


@contextmanager
def organisation_scope(organisation_id: int | None) -> Iterator[None]:
    """Enter the scope of one organisation; None enters a scope that matches nothing."""
    value: int | list[int] = NO_ORGANISATION if organisation_id is None else organisation_id
    with scope(**{SCOPE: value}):
        yield
