"""Named permissions declared on views and checked against the active memberships."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views import View

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def has_permission(request: HttpRequest, permission: str) -> bool:
    """Whether the active memberships grant a named permission."""
    return permission in getattr(request, "permissions", frozenset())


def check_permission(request: HttpRequest, permission: str | None) -> HttpResponse | None:
    """Redirect anonymous users to login; refuse users without the permission (403)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if permission is not None and not has_permission(request, permission):
        raise PermissionDenied
    return None


class PermissionRequiredMixin(View):
    """A class-based view that declares `permission = "app.noun.verb"`."""

    permission: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = check_permission(request, self.permission)
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)


def permission_required(permission: str | None) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a function view with a named permission (None: any logged-in member)."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            refused = check_permission(request, permission)
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
