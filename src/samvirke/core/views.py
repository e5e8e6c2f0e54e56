"""Pages with no domain of their own: the home page and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from samvirke.core.permissions import permission_required


@permission_required(None)
def home(request: HttpRequest) -> HttpResponse:
    """The start page of the active organisation."""
    return render(request, "core/home.html")


def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """Render an error page in the user's language with the right status."""
    return render(request, f"errors/{status}.html", status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400."""
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403."""
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404."""
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """500."""
    return error_page(request, 500)
