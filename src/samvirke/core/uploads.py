"""Request and upload size limits, enforced before a body is read or written to disk.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count file parts of a multipart body, and an upload
larger than FILE_UPLOAD_MAX_MEMORY_SIZE is streamed to a temporary file whatever its size: both
must be stopped here, not after a form has looked at the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse (413) a request whose declared body is larger than SAMVIRKE_MAX_REQUEST_BYTES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.SAMVIRKE_MAX_REQUEST_BYTES:
            message = _("The request is too large.")
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Stop writing an upload to disk once the whole request passes the limit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.SAMVIRKE_MAX_REQUEST_BYTES:
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)
