"""The XLSX renderer: rows in, a workbook out, every text inert."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from aftersales.reports.xlsx import MAX_CELL_TEXT, looks_like_formula, render_xlsx


def read(content: bytes):
    return load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize(
    "text",
    ["=1+2", "+1", "-1", "@SUM(A1)", " =cmd", "\t=1", "\r=1", "\n-3", '=HYPERLINK("x","y")'],
)
def test_text_that_would_be_a_formula_is_stored_as_text(text):
    sheet = read(render_xlsx(header=["a"], rows=[[text]]))

    cell = sheet["A2"]
    # XML reads a carriage return back as a line feed.
    assert cell.value == text.replace("\r", "\n")
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_plain_text_numbers_and_dates_keep_their_types():
    sheet = read(
        render_xlsx(
            header=["text", "int", "float", "date", "none"],
            rows=[["退货 a-b", 3, 1.5, date(2026, 3, 1), None]],
        )
    )

    text, number, fraction, day, empty = next(sheet.iter_rows(min_row=2))
    assert (text.value, text.data_type, text.quotePrefix) == ("退货 a-b", "s", False)
    assert (number.value, fraction.value) == (3, 1.5)
    assert day.value == datetime(2026, 3, 1)
    assert day.number_format == "yyyy-mm-dd"
    assert empty.value is None


def test_an_aware_datetime_is_written_in_local_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    sheet = read(render_xlsx(header=["at"], rows=[[datetime(2026, 1, 1, 0, 30, tzinfo=UTC)]]))
    assert sheet["A2"].value == datetime(2026, 1, 1, 8, 30)


def test_control_characters_are_dropped_and_long_text_is_cut():
    sheet = read(render_xlsx(header=["a", "b"], rows=[["a\x00b\x1bc", "长" * (MAX_CELL_TEXT + 5)]]))
    assert sheet["A2"].value == "abc"
    assert len(sheet["B2"].value) == MAX_CELL_TEXT


def test_the_header_is_bold_and_the_sheet_name_is_made_legal():
    content = render_xlsx(header=["=x"], rows=[], sheet_title="a/b:c*" + "x" * 40)
    sheet = read(content)
    assert sheet["A1"].font.b
    assert sheet["A1"].data_type == "s"
    assert sheet.title == ("a b c " + "x" * 40)[:31]


def test_what_counts_as_a_formula():
    assert looks_like_formula("  +1")
    assert not looks_like_formula("a=1")
    assert not looks_like_formula("")
