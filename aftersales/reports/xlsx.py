"""Rows to an XLSX workbook (STYLE rule 11: rows, then renderers).

Whatever a customer wrote stays inert text: a cell whose text begins with
``=``, ``+``, ``-`` or ``@`` (also after leading spaces, or with a tab or
carriage return first) is stored as a string with Excel's quote prefix,
never as a formula, so opening or editing it cannot run anything.
"""

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

# Excel's own limit for the text of one cell.
MAX_CELL_TEXT = 32767
_FORMULA_START = re.compile(r"^[\s]*[=+\-@]|^[\t\r]")
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def looks_like_formula(text: str) -> bool:
    """True for text a spreadsheet would read as a formula (or as the start of one)."""
    return bool(_FORMULA_START.match(text))


def _cell(sheet, value, *, bold: bool = False) -> WriteOnlyCell:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = _DATE_FORMAT
    elif value is None or isinstance(value, bool | int | float):
        cell = WriteOnlyCell(sheet, value=value)
    else:
        # Control characters are not allowed in the file format; they go,
        # and the text is cut at Excel's limit.
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_CELL_TEXT]
        cell = WriteOnlyCell(sheet, value=text)
        # openpyxl turns any text starting with "=" into a formula; this
        # makes every text cell a plain string.
        cell.data_type = "s"
        if looks_like_formula(text):
            cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    return cell


def render_xlsx(
    *, header: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Sheet1"
) -> bytes:
    """An XLSX file: a bold header row, then ``rows``. Rows are consumed one
    at a time (write-only mode), so a long iterator is not held in memory."""
    workbook = Workbook(write_only=True)
    # Sheet names may not hold []:*?/\ and are at most 31 characters.
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Sheet1")
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, title, bold=True) for title in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
