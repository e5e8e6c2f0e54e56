"""Opening uploaded XLSX workbooks safely, for every importer.

An upload is checked as a zip container before any XML parser sees it (size, type, declared
unpacked size and compression ratio: a zip bomb is refused without inflating anything), opened
only with defusedxml in place, and read within fixed bounds whatever dimensions its sheets claim.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import openpyxl.xml
from django.utils.translation import gettext as _

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100


class XlsxRefused(Exception):
    """The upload is not a workbook we open; the message says why in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def container_refusal(data: bytes) -> str | None:
    """Why the bytes are not a plausible XLSX file (None if they are), without unpacking them."""
    if len(data) > MAX_UPLOAD_BYTES:
        return _("The file is larger than 5 MB.")
    not_xlsx = _("The file is not an Excel workbook (.xlsx).")
    if not data.startswith(b"PK\x03\x04"):
        return not_xlsx
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        return not_xlsx
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return not_xlsx
    # The declared sizes bound what zipfile will inflate (it stops at file_size), so checking
    # them is enough to refuse a bomb without inflating anything.
    unpacked = sum(info.file_size for info in infos)
    packed_badly = any(
        info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) for info in infos
    )
    if unpacked > MAX_UNPACKED_BYTES or packed_badly:
        return _("The file unpacks to too much data; refused.")
    return None


def open_workbook(data: bytes) -> Any:
    """The uploaded workbook, read-only with cell values (not formulas); else XlsxRefused."""
    if not openpyxl.xml.DEFUSEDXML:  # fail closed: never parse uploaded XML without defusedxml
        raise XlsxRefused(_("XLSX import is not available."))
    refusal = container_refusal(data)
    if refusal is not None:
        raise XlsxRefused(refusal)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file; all mean the same
        raise XlsxRefused(_("The workbook cannot be read.")) from error


def bounded_rows(
    sheet: Any, *, max_rows: int, max_columns: int
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Rows 1 to max_rows + 1 of a read-only sheet, numbered; a row past max_rows means too many.

    A sheet's declared size is the uploader's claim: a few kilobytes can declare 16,384 columns
    by a million rows, which read-only openpyxl would pad out cell by cell. Read within bounds.
    """
    sheet.reset_dimensions()
    rows = sheet.iter_rows(max_col=max_columns, max_row=max_rows + 1, values_only=True)
    yield from enumerate(rows, start=1)
