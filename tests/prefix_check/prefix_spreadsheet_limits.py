"""Item 7 of issue 11, for the code before the fix (8f8bd92): the bombs of tests/test_spreadsheet_limits.py, sent
through the import API (the same route on both versions) instead of to xlsx_rows/read_table with a Limits object,
which 8f8bd92 does not have. The bomb builders are copied unchanged. Each asserts what the fixed code answers (413
sheet_too_large, within a generous alarm); on 8f8bd92 each fails.
"""
from __future__ import annotations

import io
import signal
import zipfile
from contextlib import contextmanager

from office_helpers import xlsx_bytes

UNIT_HEAD = ["单位编码", "单位名称", "类型", "上级单位编码", "联系人", "联系电话", "状态"]
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@contextmanager
def deadline(seconds: int):
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
    row = b"<row>" + b"<c/>" * 100 + b"</row>"
    return with_sheet(sheet(row * 120_000, b"A1:CV120000"))


def upload(api, user, data: bytes, filename: str):
    return api.post("/api/v1/admin/import/units", user, data={"file": (io.BytesIO(data), filename), "dry_run": "1"},
                    content_type="multipart/form-data")


def refused_413(response) -> None:
    assert response.status_code == 413, (response.status_code, response.get_json())
    assert response.get_json()["error"]["code"] == "sheet_too_large"


def test_twelve_million_cells_stop_at_the_cell_cap(app, api, city):
    data = twelve_million_cells()
    assert len(data) < 1_000_000
    with deadline(30):
        refused_413(upload(api, city.admin, data, "bomb.xlsx"))


def test_a_row_number_past_the_cap_stops_at_once(app, api, city):
    data = with_sheet(sheet(b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                            b'<row r="1048576"><c r="A1048576"/></row>', b"A1:A1048576"))
    with deadline(20):
        refused_413(upload(api, city.admin, data, "rows.xlsx"))


def test_a_million_shared_strings_are_refused(app, api, city):
    strings = (b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b">" + b"<si><t>x</t></si>" * 1_000_000
               + b"</sst>")
    with deadline(60):
        refused_413(upload(api, city.admin, with_sheet(sheet(b""), strings), "strings.xlsx"))


def test_a_csv_line_of_ten_million_commas_is_refused_before_it_is_split(app, api, city):
    data = "单位编码,单位名称,类型\n".encode() + b"," * 10_000_000 + b"\n"
    with deadline(30):
        refused_413(upload(api, city.admin, data, "u.csv"))
