"""Fetching one object for a user: the same 404 for "does not exist" and "not yours"."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404

M = TypeVar("M", bound=models.Model)


def parse_id(raw: Any) -> int:
    """An object id from a URL or body; anything but a positive integer is simply not found."""
    if isinstance(raw, bool):
        raise Http404
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise Http404 from None
    if value <= 0 or value > 2**63 - 1:
        raise Http404
    return value


def access_in(queryset: models.QuerySet[M], raw_id: Any) -> M:
    """Return the object with this id from an already tenant-filtered queryset, or raise 404."""
    obj = queryset.filter(pk=parse_id(raw_id)).first()
    if obj is None:
        raise Http404
    return obj
