"""The NinjaAPI subclass: JSON bodies only, translated validation messages, JSON errors only."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.types import DictStrAny

from samvirke.api.errors import BodyNotJson, input_error_message, json_errors, unknown_path


class JsonParser(Parser):
    """Parse a request body as JSON, and only when it is declared as JSON."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise BodyNotJson(content_type)
        return super().parse_body(request)


class SamvirkeAPI(NinjaAPI):
    """NinjaAPI whose every answer, including unknown paths and methods, is JSON."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(parser=JsonParser(), **kwargs)

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        """Word each error in the request's language while the rejected value is still known."""
        messages = [
            input_error_message(cast(dict[str, Any], error), error.get("input"))
            for context in error_contexts
            for error in context.pydantic_validation_error.errors(include_url=False)
        ]
        result = super().validation_error_from_error_contexts(error_contexts)
        for error, message in zip(result.errors, messages, strict=True):
            error["samvirke_message"] = message
        return result

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The function's name: operations are named `<noun>_<verb>` and unique across apps."""
        return operation.view_func.__name__

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = json_errors(pattern.callback)
        urls.append(re_path(r"^.*$", json_errors(unknown_path)))
        return urls
