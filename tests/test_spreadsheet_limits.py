"""Uploaded spreadsheets cost bounded work: rows, columns and cells are counted while streaming and the first
excess stops the read (issue 11, item 7: a 381 KB .xlsx declaring 12 M cells took 465 s and 6 GB).

Each bomb here is small on disk (a few KB to a few MB zipped) and built in memory. The tests assert on the answer
and on how many cells were read before the reader stopped; a generous alarm only turns a regression (the old
reader would work for minutes) into a failure instead of a hung suite."""
from __future__ import annotations

import io
import signal
import zipfile
from contextlib import contextmanager

import pytest
from office_helpers import csv_bytes, xlsx_bytes

from inspect_app.office.spreadsheets import Limits, SpreadsheetError, read_table, xlsx_rows

UNIT_HEAD = ["单位编码", "单位名称", "类型", "上级单位编码", "联系人", "联系电话", "状态"]
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging if the reader does unbounded work (not a timing assertion)."""
    def expired(signum, frame):
        raise TimeoutError(f"the spreadsheet check took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def with_sheet(sheet_xml: bytes, shared_strings: bytes | None = None) -> bytes:
    """A real workbook (openpyxl's parts) whose first sheet's XML is replaced."""
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([UNIT_HEAD[:3], ["A", "B", "街道"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            elif info.filename == "xl/_rels/workbook.xml.rels" and shared_strings is not None:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rId9" Target="sharedStrings.xml" '
                                    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                    b'sharedStrings"/></Relationships>')
            bomb.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
        if shared_strings is not None:
            bomb.writestr("xl/sharedStrings.xml", shared_strings, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def sheet(rows: bytes, dimension: bytes = b"A1:C2") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b'><dimension ref="' + dimension
            + b'"/><sheetData>' + rows + b"</sheetData></worksheet>")


def twelve_million_cells() -> bytes:
    """12,000,000 empty cells (120,000 rows of 100), 48 MB of XML: under the unpacked-size cap, ~50 KB zipped."""
    row = b"<row>" + b"<c/>" * 100 + b"</row>"
    return with_sheet(sheet(row * 120_000, b"A1:CV120000"))


def upload(api, user, data: bytes, filename: str):
    return api.post("/api/v1/admin/import/units", user, data={"file": (io.BytesIO(data), filename), "dry_run": "1"},
                    content_type="multipart/form-data")


def test_twelve_million_cells_stop_at_the_cell_cap(app, api, city):
    data = twelve_million_cells()
    assert len(data) < 1_000_000
    limits = Limits.from_config()
    with deadline(30):  # the reader before the fix was still busy after 60 s (and ~6 GB at full size)
        with pytest.raises(SpreadsheetError) as refused:
            xlsx_rows(data, 5000, limits)
        response = upload(api, city.admin, data, "bomb.xlsx")
    assert refused.value.code == "sheet_too_large" and refused.value.status == 413
    assert refused.value.cells_read == limits.cells  # stopped at the first cell past the cap, not after
    assert response.status_code == 413
    body = response.get_json()["error"]
    assert body["code"] == "sheet_too_large" and "单元格超过" in body["message"]


def test_a_row_number_past_the_cap_stops_at_once(app):
    data = with_sheet(sheet(b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                            b'<row r="1048576"><c r="A1048576"/></row>', b"A1:A1048576"))
    with deadline(20), pytest.raises(SpreadsheetError) as refused:
        xlsx_rows(data, 5000, Limits.from_config())
    assert refused.value.code == "sheet_too_large" and "行号超过" in refused.value.message
    assert refused.value.cells_read == 1


def test_data_past_the_column_cap_is_refused_but_empty_styled_cells_are_not(app):
    far = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="XFD1" t="inlineStr"><is><t>y</t></is></c></row>'
    with pytest.raises(SpreadsheetError) as refused:
        xlsx_rows(with_sheet(sheet(far, b"A1:XFD1")), 5000, Limits.from_config())
    assert "第16384列" in refused.value.message and refused.value.cells_read == 2
    # An empty, formatted cell far out (Excel writes those) costs one cell and is no reason to refuse.
    styled = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="XFD1" s="0"/></row>'
    assert xlsx_rows(with_sheet(sheet(styled, b"A1:XFD1")), 5000, Limits.from_config()) == [(1, ["x"])]


def test_the_dimension_element_is_not_trusted(app):
    """A sheet declaring A1:XFD1048576 with two real rows is read as two rows, cheaply."""
    rows = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
            b'<row r="2"><c r="A2"><v>13800138000</v></c><c r="B2" t="b"><v>1</v></c></row>')
    with deadline(20):
        assert xlsx_rows(with_sheet(sheet(rows, b"A1:XFD1048576")), 5000, Limits.from_config()) == \
            [(1, ["a"]), (2, [13800138000, True])]


def test_a_million_shared_strings_are_refused(app):
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b">" + b"<si><t>x</t></si>" * 1_000_000
               + b"</sst>")
    with deadline(60), pytest.raises(SpreadsheetError) as refused:
        xlsx_rows(with_sheet(sheet(b""), strings), 5000, Limits.from_config())
    assert refused.value.code == "sheet_too_large" and "共享字符串" in refused.value.message
    # and a few shared strings are read as such
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b'><si><t>a</t></si><si><r><t>b</t></r>'
               b'<r><t>c</t></r></si></sst>')
    rows = b'<row r="1"><c r="A1" t="s"><v>1</v></c><c r="B1" t="s"><v>0</v></c></row>'
    assert xlsx_rows(with_sheet(sheet(rows), strings), 5000, Limits.from_config()) == [(1, ["bc", "a"])]


def test_unpacked_size_is_capped(app):
    huge = sheet(b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"x" * (60 * 1024 * 1024) + b"</t></is></c></row>")
    with pytest.raises(SpreadsheetError) as refused:
        xlsx_rows(with_sheet(huge), 5000, Limits.from_config())
    assert refused.value.code == "sheet_too_large" and "解压后" in refused.value.message


def test_a_csv_line_of_ten_million_commas_is_refused_before_it_is_split(app, api, city):
    data = "单位编码,单位名称,类型\n".encode() + b"," * 10_000_000 + b"\n"
    with deadline(30), pytest.raises(SpreadsheetError) as refused:
        read_table("u.csv", data, UNIT_HEAD, UNIT_HEAD[:3], 5000)
    assert refused.value.code == "sheet_too_large" and refused.value.cells_read == 3
    assert upload(api, city.admin, data, "u.csv").status_code == 413


def test_csv_rows_and_columns_are_capped(app):
    limits = Limits(rows=100, columns=10, cells=10_000)
    with pytest.raises(SpreadsheetError) as refused:
        read_table("u.csv", csv_bytes([UNIT_HEAD[:3]] + [[""]] * 200), UNIT_HEAD, UNIT_HEAD[:3], 5000, limits)
    assert "行数超过 100" in refused.value.message
    wide = [UNIT_HEAD[:3] + [""] * 20 + ["x"]]
    with pytest.raises(SpreadsheetError) as refused:
        read_table("u.csv", csv_bytes(wide), UNIT_HEAD, UNIT_HEAD[:3], 5000, limits)
    assert "第24列" in refused.value.message
    # trailing empty fields (Excel's CSV pads rows to the used range) are no data and no reason to refuse
    table = read_table("u.csv", csv_bytes([UNIT_HEAD[:3] + [""] * 20, ["A", "B", "街道"] + [""] * 20]),
                       UNIT_HEAD, UNIT_HEAD[:3], 5000, limits)
    assert table.rows == [(2, {"单位编码": "A", "单位名称": "B", "类型": "街道"})]


def test_limits_come_from_the_settings(app):
    app.config.update(SPREADSHEET_MAX_CELLS=10)
    data = xlsx_bytes([UNIT_HEAD] + [["A", "B", "街道", "", "", "", ""]] * 3)
    with pytest.raises(SpreadsheetError) as refused:
        read_table("u.xlsx", data, UNIT_HEAD, UNIT_HEAD[:3], 5000)
    assert "单元格超过 10 个" in refused.value.message


def test_ordinary_workbooks_read_as_before(app):
    """Types as the user typed them: shared and inline strings, rich text without phonetic guides, numbers,
    booleans, dates from a date format; blank rows skipped; the sheet named first in the workbook."""
    from datetime import datetime

    from openpyxl import Workbook
    book = Workbook()
    first = book.active
    first.title = "数据"
    first.append(["名称", "日期", "数量", "是否"])
    first.append(["人民路", datetime(2026, 11, 25, 9, 30), 3.5, False])
    first.append([])
    first.append(["解放路", datetime(2026, 11, 26), 13800138000, True])
    book.create_sheet("其他").append(["不读"])
    out = io.BytesIO()
    book.save(out)
    rows = xlsx_rows(out.getvalue(), 5000, Limits.from_config())
    assert rows == [(1, ["名称", "日期", "数量", "是否"]), (2, ["人民路", datetime(2026, 11, 25, 9, 30), 3.5, False]),
                    (4, ["解放路", datetime(2026, 11, 26), 13800138000, True])]
    rich = with_sheet(sheet('<row r="1"><c r="A1" t="inlineStr"><is><r><t>人民</t></r><r><t>路</t></r>'
                            '<rPh sb="0" eb="1"><t>renmin</t></rPh></is></c></row>'.encode()))
    assert xlsx_rows(rich, 5000, Limits.from_config()) == [(1, ["人民路"])]
