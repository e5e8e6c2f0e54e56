"""One JSON error shape for every API error, with messages in the request's language.

`{"error": {"code": ..., "message": ..., "fields": {field: [message, ...]}}}`; `fields` only for
validation errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.errors import AuthenticationError, HttpError, ValidationError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger(__name__)

FieldErrors = dict[str, list[str]]


class ApiError(HttpError):
    """An error an operation raises on purpose, with its code and a translated message."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, message)
        self.code = code


class BodyNotJson(Exception):
    """The request body was sent with a content type other than JSON."""


def error_response(
    status: int, code: str, message: str, fields: FieldErrors | None = None
) -> JsonResponse:
    """The response for one error."""
    detail: dict[str, Any] = {"code": code, "message": str(message)}
    if fields is not None:
        detail["fields"] = fields
    response = JsonResponse({"error": detail}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def not_found_message() -> str:
    """The one message for ids that do not exist and ids that are not the caller's."""
    return _("Nothing was found at this address.")


def _status_defaults(status: int) -> tuple[str, str]:
    """Code and message for an HTTP error raised without our own wording."""
    defaults: dict[int, tuple[str, str]] = {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("unauthorized", _("Authentication with a valid API token is required.")),
        403: ("forbidden", _("You do not have permission to do this.")),
        404: ("not_found", not_found_message()),
        405: ("bad_request", _("This method is not allowed here.")),
        409: ("conflict", _("The request conflicts with the current data.")),
        413: ("bad_request", _("The request body is too large.")),
        415: ("bad_request", _("Send the request body as JSON (Content-Type: application/json).")),
        422: ("validation_error", _("The input is not valid.")),
        429: ("bad_request", _("Too many requests. Try again later.")),
    }
    if status >= 500:
        return "server_error", _("Something went wrong on our side.")
    return defaults.get(status, defaults[400])


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message)
    if isinstance(exc.__cause__, BodyNotJson):
        return error_response(415, *_status_defaults(415))
    if exc.status_code == 400:
        # Ninja raises 400 only when the body cannot be parsed.
        return error_response(400, "bad_request", _("The request body is not valid JSON."))
    return error_response(exc.status_code, *_status_defaults(exc.status_code))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", not_found_message())


def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, *_status_defaults(403))


def _unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(401, *_status_defaults(401))


def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(413, *_status_defaults(413))


def _conflict(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(409, *_status_defaults(409))


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, *_status_defaults(500))


def validation_response(fields: FieldErrors, general: Iterable[str] = ()) -> HttpResponse:
    """422 with messages per field; errors that belong to no field make up the message."""
    message = " ".join(general) or _("The input is not valid.")
    return error_response(422, "validation_error", message, fields)


def _django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if not hasattr(exc, "error_dict"):
        return validation_response({}, exc.messages)
    fields = {name: list(messages) for name, messages in exc.message_dict.items()}
    return validation_response(fields, fields.pop(NON_FIELD_ERRORS, []))


def _ninja_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: FieldErrors = {}
    general: list[str] = []
    for error in exc.errors:
        message = error.get("samvirke_message") or input_error_message(error, None)
        name = field_name(error.get("loc"))
        if name:
            fields.setdefault(name, []).append(message)
        else:
            general.append(message)
    return validation_response(fields, general)


def field_name(loc: Any) -> str:
    """`("body", "payload", "parent")` → `"parent"`; a nested place joins with dots."""
    if not isinstance(loc, (tuple, list)) or not loc:
        return ""
    source, *rest = loc
    if source == "body" and rest and rest[0] == "payload":
        rest = rest[1:]
    return ".".join(str(part) for part in rest) or str(source)


def input_error_message(error: dict[str, Any], value: Any) -> str:
    """A translated message for one pydantic error (pydantic's own are English only)."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind.endswith("_type") and value is None and kind != "none_required":
        return _("This field cannot be null.")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"]).removeprefix("Value error, ")
    if kind == "string_too_long":
        limit = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this value has at most %(limit)d character.",
            "Ensure this value has at most %(limit)d characters.",
            limit,
        ) % {"limit": limit}
    if kind in _BOUNDS:
        return _BOUNDS[kind]() % {"limit_value": next(iter(ctx.values()), "")}
    return _MESSAGES.get(kind, lambda: _("Enter a valid value."))()


_BOUNDS: dict[str, Callable[[], str]] = {
    "greater_than_equal": lambda: _(
        "Ensure this value is greater than or equal to %(limit_value)s."
    ),
    "greater_than": lambda: _("Ensure this value is greater than %(limit_value)s."),
    "less_than_equal": lambda: _("Ensure this value is less than or equal to %(limit_value)s."),
    "less_than": lambda: _("Ensure this value is less than %(limit_value)s."),
}

_MESSAGES: dict[str, Callable[[], str]] = {
    "missing": lambda: _("This field is required."),
    "string_too_short": lambda: _("This field cannot be blank."),
    "string_type": lambda: _("Enter a text."),
    "int_type": lambda: _("Enter a whole number."),
    "int_parsing": lambda: _("Enter a whole number."),
    "int_from_float": lambda: _("Enter a whole number."),
    "bool_type": lambda: _("Enter true or false."),
    "bool_parsing": lambda: _("Enter true or false."),
    "date_type": lambda: _("Enter a valid date."),
    "date_parsing": lambda: _("Enter a valid date."),
    "date_from_datetime_parsing": lambda: _("Enter a valid date."),
    "model_type": lambda: _("Send a JSON object."),
    "model_attributes_type": lambda: _("Send a JSON object."),
    "dict_type": lambda: _("Send a JSON object."),
    "list_type": lambda: _("Send a JSON list."),
    "extra_forbidden": lambda: _("This field is not known."),
    "enum": lambda: _("Select a valid choice."),
    "literal_error": lambda: _("Select a valid choice."),
}


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every exception an operation can raise with the common error shape."""
    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (Exception, _server_error),
        (Http404, _not_found),
        (PermissionDenied, _forbidden),
        (AuthenticationError, _unauthorized),
        (HttpError, _http_error),
        (ValidationError, _ninja_validation_error),
        (DjangoValidationError, _django_validation_error),
        (RequestDataTooBig, _too_big),
        (ProtectedError, _conflict),
        (IntegrityError, _conflict),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give the API's URLs outside any operation (unknown paths, wrong methods) the same shape."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _not_found(request, Http404())
        if response.status_code == 405 and not response.get("Content-Type", "").endswith("json"):
            allowed = response.get("Allow", "")
            response = error_response(405, *_status_defaults(405))
            response["Allow"] = allowed
        return response

    return wrapped


def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Every path under the API prefix that names no operation."""
    raise Http404


unknown_path.csrf_exempt = True  # type: ignore[attr-defined]
