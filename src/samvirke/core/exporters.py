"""Tabular exports: a report yields a header and rows; one renderer makes CSV or XLSX of it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook

Cell = str | int | float | bool | date | datetime | None

# Spreadsheet programs execute cells that start with these characters (CSV/formula injection).
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


class TableExport:
    """Subclasses set `filename` and `title` and implement `header` and `rows`."""

    filename = "export"
    title = "Export"

    def header(self) -> Sequence[str]:
        """Column titles, already translated."""
        raise NotImplementedError

    def rows(self) -> Iterable[Sequence[Cell]]:
        """The data rows."""
        raise NotImplementedError


def safe_cell(value: Cell) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


def render_csv(export: TableExport) -> HttpResponse:
    """The export as UTF-8 CSV with a BOM (so spreadsheet programs read æøå right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.header())
    for row in export.rows():
        writer.writerow([safe_cell(value) for value in row])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}.csv"'
    return response


def build_xlsx(export: TableExport) -> bytes:
    """The export as an XLSX workbook with one sheet."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=export.title[:31])
    sheet.append(list(export.header()))
    for row in export.rows():
        sheet.append([safe_cell(value) for value in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def render_xlsx(export: TableExport) -> HttpResponse:
    """The export as an XLSX download."""
    response = HttpResponse(
        build_xlsx(export),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}.xlsx"'
    return response
