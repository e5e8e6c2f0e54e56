"""Report files as downloads: always attachments the browser never reads as a page of ours."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from samvirke.reports.models import ReportJob
from samvirke.reports.render import Rendered


def download_headers(response: HttpResponse | FileResponse, filename: str) -> None:
    """Attachment under its own name; no sniffing, no caching, no script if opened anyway."""
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"


def rendered_response(rendered: Rendered) -> HttpResponse:
    """A report rendered in the request, as a download."""
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    download_headers(response, rendered.filename)
    return response


def job_file_response(job: ReportJob) -> FileResponse:
    """A finished job's stored file, streamed through the storage API (404 until it exists)."""
    if not job.file:
        raise Http404
    try:
        stream = job.file.storage.open(job.file.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(stream, content_type=job.content_type or "application/octet-stream")
    download_headers(response, job.filename or "report")
    return response
