"""Excel (.xlsx) files of payment lists and rounds (openpyxl, write-only: a district's list of
tens of thousands of rows streams out without building every cell object first).

Every text cell goes through ``excel_safe``: a value such as ``=HYPERLINK("http://…")`` typed
as a name would otherwise be written as a formula and run when a clerk opens the file
(CSV/formula injection, OWASP). A leading single quote makes Excel show it as plain text.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook

# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"); tab and carriage
# return are added by OWASP too: a cell that starts with them can hide one.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: Any) -> Any:
    """``value`` as it may be written into a cell: text that a spreadsheet would read as a
    formula gets a leading ``'``; numbers, dates and the rest are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def workbook_bytes(*, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                   about: Sequence[tuple[str, Any]] = (), widths: Sequence[int] = ()) -> bytes:
    """One sheet ``title`` with ``header`` and ``rows``, and a sheet 说明 with ``about`` (what
    was exported, by whom, when). Every cell is passed through ``excel_safe``."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=excel_sheet_title(title))
    for i, width in enumerate(widths):
        ws.column_dimensions[_column_letter(i)].width = width
    ws.append([excel_safe(h) for h in header])
    for row in rows:
        ws.append([excel_safe(v) for v in row])
    if about:
        info = wb.create_sheet(title="说明")
        info.column_dimensions["A"].width = 16
        info.column_dimensions["B"].width = 60
        for key, value in about:
            info.append([excel_safe(key), excel_safe(value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def excel_sheet_title(text: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in text).strip()
    return (cleaned or "名单")[:31]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ExportFile:
    """An .xlsx to send as a download."""

    filename: str
    content: bytes
    rows: int


def xlsx_response(file: ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or "attachment"
    response["Cache-Control"] = "no-store"  # personal data: no copies in caches
    return response
