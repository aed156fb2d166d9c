"""The streaming .xlsx writer: a package that openpyxl (and LibreOffice, checked by hand) reads back exactly."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from inspect_app.common.errors import ServiceError
from inspect_app.office import spreadsheets
from inspect_app.office.spreadsheets import EXCEL_MAX_TEXT, write_xlsx


def test_cells_keep_their_types_and_text_is_safe():
    rows = [["2026-000001", "牛皮癣 <&> \"引号\"", None, " 前后空格 ", 3.5, True, 12, "=cmd|' /C calc'!A0",
             "😀𠀀", "a\x01b\x0bc", "x" * (EXCEL_MAX_TEXT + 10), "-5", "+1 800"]]
    headers = [f"列{n}" for n in range(len(rows[0]))]
    with write_xlsx(headers, iter(rows), title="问题清单", widths=[14, 20],
                    notes=[["列名", "说明"], ["a", "b"]]) as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert book.sheetnames == ["问题清单", "填写说明"]
    sheet = book["问题清单"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 14 and sheet.column_dimensions["B"].width == 20
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    values = [c.value for c in sheet[2]]
    assert values[:10] == ["2026-000001", "牛皮癣 <&> \"引号\"", None, " 前后空格 ", 3.5, True, 12,
                           "'=cmd|' /C calc'!A0", "😀𠀀", "abc"]
    assert len(values[10]) == EXCEL_MAX_TEXT
    assert values[11] == "-5" and sheet.cell(2, 12).data_type == "s"  # text that looks like a number stays text
    assert values[12] == "'+1 800"
    assert all(c.data_type != "f" for c in sheet[2])
    assert [[c.value for c in row] for row in book["填写说明"].iter_rows()] == [["列名", "说明"], ["a", "b"]]


def test_rows_stream_into_the_zip_and_are_read_back_in_order():
    with write_xlsx(["n", "text"], ([n, f"第{n}行"] for n in range(25_000))) as handle:
        data = handle.read()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.getinfo("xl/worksheets/sheet1.xml").compress_type == zipfile.ZIP_DEFLATED
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert len(rows) == 25_001 and rows[1] == (0, "第0行") and rows[-1] == (24_999, "第24999行")


def test_more_rows_than_a_sheet_holds_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(spreadsheets, "EXCEL_MAX_ROWS", 3)
    with pytest.raises(ServiceError) as refused:
        write_xlsx(["n"], ([n] for n in range(5)))
    assert refused.value.status == 413 and "CSV" in refused.value.message
