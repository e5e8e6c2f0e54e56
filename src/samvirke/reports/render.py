"""Reports in their formats: an HTML document, a tagged PDF and a workbook, in any language.

`render(kind, subject, fmt, language)` builds the report's `Document` (reports.documents) in the
report's own language and writes it out: the HTML page and the PDF render the same templates
(print CSS, charts drawn as SVG by vl-convert from the same Vega-Lite specifications as the
pages); the workbook writes the same tables, one sheet each. So a number the page hides cannot
appear in the PDF or the workbook (export parity, AT-15).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vl_convert
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

from samvirke.baseline.models import Assessment
from samvirke.benchmarking import charts
from samvirke.core.exporters import safe_cell
from samvirke.core.xlsx import XLSX_CONTENT_TYPE
from samvirke.reports.data import UnitsData
from samvirke.reports.documents import (
    KINDS,
    Document,
    ReportChart,
    Table,
    department_document,
    document,
)
from samvirke.tenancy.models import OrgUnit

FORMATS = ("html", "pdf", "xlsx")
LANGUAGES = ("da", "nb", "en")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": XLSX_CONTENT_TYPE,
}
STYLESHEET = Path(__file__).parent / "static" / "reports" / "report.css"
#: The font the PDF and its charts use: shipped by Debian (fonts-dejavu-core), never fetched.
CHART_FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Rendered:
    """A rendered report: the bytes, a download file name and their content type."""

    content: bytes
    filename: str
    content_type: str


def _check(kind: str, fmt: str | None, language: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown report kind: {kind!r}")
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown report format: {fmt!r}")
    if language not in LANGUAGES:
        raise ValueError(f"unknown report language: {language!r}")


def chart_svg(spec: charts.Spec) -> str:
    """The chart drawn by vl-convert, as a data URI, in the PDF's font."""
    spec = {**spec, "config": {**spec.get("config", {}), "font": CHART_FONT}}
    encoding = spec.get("encoding", {})
    if encoding.get("y", {}).get("type") == "nominal":
        # vl-convert places a vertical axis title as if long labels were shorter than they
        # are, so it overlaps them; the caption and the table's column title name the axis.
        spec["encoding"] = {**encoding, "y": {**encoding["y"], "title": None}}
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _page_counter() -> SafeString:
    """CSS content for "Page X of Y" in the report's language."""
    filled = _("Page %(page)s of %(pages)s") % {"page": "\x00", "pages": "\x01"}
    parts = []
    for part in re.split("(\x00|\x01)", filled):
        if part == "\x00":
            parts.append("counter(page)")
        elif part == "\x01":
            parts.append("counter(pages)")
        elif part:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
            parts.append(f'"{escaped}"')
    return mark_safe(" ".join(parts))  # noqa: S308  # arch: safe-ok (our own text, escaped for CSS)


#: Charts drawn at once: vl-convert draws outside the GIL, beside the PDF being laid out.
CHART_THREADS = 2

Drawing = list[tuple[ReportChart, Future[str]]]


def _start_drawing(pool: ThreadPoolExecutor, doc: Document) -> Drawing:
    """Ask the pool to draw the document's charts that are not drawn yet."""
    return [
        (chart, pool.submit(chart_svg, chart.spec))
        for chart in doc.charts.values()
        if not chart.svg
    ]


def _finish_drawing(drawing: Drawing) -> None:
    for chart, svg in drawing:
        chart.svg = svg.result()


def draw_charts(doc: Document) -> None:
    """Draw every chart of the document as SVG, side by side."""
    if all(chart.svg for chart in doc.charts.values()):
        return
    with ThreadPoolExecutor(CHART_THREADS) as pool:
        _finish_drawing(_start_drawing(pool, doc))


def document_html(doc: Document) -> str:
    """The standalone document: inline styles, charts drawn as SVG, nothing to fetch."""
    draw_charts(doc)
    stylesheet = STYLESHEET.read_text(encoding="utf-8")
    return render_to_string(
        "reports/document.html",
        {"doc": doc, "stylesheet": mark_safe(stylesheet), "page_counter": _page_counter()},  # noqa: S308  # arch: safe-ok (our static file)
    )


def pdf_bytes(html: str) -> bytes:
    """The document as a tagged PDF (PDF/UA-1), fetching nothing but inline data URIs."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    pdf = HTML(string=html, base_url=str(STYLESHEET.parent), url_fetcher=fetcher).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    assert pdf is not None  # write_pdf without a target returns the bytes
    return bytes(pdf)


def sheet_names(tables: Sequence[Table]) -> list[str]:
    """Unique sheet names of at most 31 characters without the characters Excel refuses."""
    names: list[str] = []
    for table in tables:
        base = re.sub(r"[\[\]:*?/\\]", " ", table.sheet).strip()[:31] or "Sheet"
        name, counter = base, 2
        while name.lower() in {n.lower() for n in names}:
            suffix = f" {counter}"
            name, counter = base[: 31 - len(suffix)] + suffix, counter + 1
        names.append(name)
    return names


def xlsx_bytes(doc: Document) -> bytes:
    """One sheet per table: caption in row 1, column titles in row 2, then the rows.

    Numbers are numbers; a hidden cell holds the marker text, as on the page.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    tables = doc.all_tables()
    for table, name in zip(tables, sheet_names(tables), strict=True):
        sheet = workbook.create_sheet(title=name)
        sheet.append([safe_cell(table.caption)])
        sheet.append([safe_cell(title) for title in table.header])
        for cell in (*sheet[1], *sheet[2]):
            cell.font = bold
        for row in table.rows:
            sheet.append([safe_cell(s.value if s.value is not None else s.text) for s in row])
        sheet.column_dimensions["A"].width = 48
    workbook.properties.title = doc.title
    workbook.properties.language = doc.language
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def render(kind: str, subject: Any, fmt: str, language: str) -> Rendered:
    """A report in one format and language, whatever the user's language.

    kind: "organisation" (subject: an assessment), "department" ((assessment, unit)) or
    "network" (a published release); fmt: "html", "pdf" or "xlsx"; language: "da", "nb", "en".
    Raises ValueError for any other kind, format or language. Call inside the organisation's
    scope (the organisation's own data) like the report data.
    """
    _check(kind, fmt, language)
    with translation.override(language):
        doc = document(kind, subject)
        return _written(doc, fmt, language)


def _written(doc: Document, fmt: str, language: str) -> Rendered:
    """The document in one format (in the report's language, active)."""
    if fmt == "xlsx":
        content = xlsx_bytes(doc)
    else:
        html = document_html(doc)
        content = html.encode() if fmt == "html" else pdf_bytes(html)
    return Rendered(content, f"{doc.filename}-{language}.{fmt}", CONTENT_TYPES[fmt])


def render_departments(
    assessment: Assessment, units: Sequence[OrgUnit], fmt: str, language: str
) -> Iterator[Rendered]:
    """Each unit's report of the assessment, in the units' order, as `render` makes it alone.

    Made together: what the reports share is read once (reports.data.UnitsData, a constant
    number of queries), and the charts of later reports are drawn in threads while earlier
    ones are written. Call inside the organisation's scope.
    """
    _check("department", fmt, language)
    with translation.override(language):
        shared = UnitsData.of(assessment)
        docs = [department_document(assessment, unit, shared) for unit in units]
    with ThreadPoolExecutor(CHART_THREADS) as pool:
        drawings = [_start_drawing(pool, doc) if fmt != "xlsx" else [] for doc in docs]
        try:
            for doc, drawing in zip(docs, drawings, strict=True):
                _finish_drawing(drawing)
                with translation.override(language):
                    rendered = _written(doc, fmt, language)
                yield rendered
        finally:  # a consumer that stops early leaves no drawing behind
            for drawing in drawings:
                for _chart, svg in drawing:
                    svg.cancel()


def render_body(kind: str, subject: Any, language: str) -> str:
    """The report's body for a page that extends base.html: charts drawn by vega-embed.

    The body ends with the chart scripts, so the page needs nothing else.
    """
    _check(kind, None, language)
    with translation.override(language):
        doc = document(kind, subject)
        return render_to_string("reports/body.html", {"doc": doc})
