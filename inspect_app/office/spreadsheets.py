"""Reading uploaded tables (.xlsx, .csv in UTF-8 or GBK) and writing them (.xlsx, .csv), with openpyxl.

Reading is defensive: an upload may be anything, and each problem gets a Chinese message rather than a 500.
Writing streams: openpyxl's write-only mode into a temporary file, or CSV chunks from a generator.
"""
from __future__ import annotations

import csv
import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Iterable, Iterator

from openpyxl import Workbook, load_workbook

from ..common.errors import ServiceError

log = logging.getLogger(__name__)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
# A spreadsheet that expands past this is refused before openpyxl builds it in memory.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024


class SpreadsheetError(ServiceError):
    """The file itself is unusable (not a table, wrong columns, too many rows, formulas, merged cells)."""
    status, code = 422, "invalid_file"


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number as the user sees it, cells)


def normalize_header(value) -> str:
    text = "" if value is None else str(value)
    for junk in ("*", "＊", "（必填）", "(必填)", "\ufeff", "\u3000", " ", "\t", "\n"):
        text = text.replace(junk, "")
    return text.strip()


def cell_text(value) -> str:
    """A cell as the text the user typed: 13800138000 not 13800138000.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != datetime.min.time() \
            else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the quote our own exports put before formula-like text
    return text


def read_table(filename: str, data: bytes, columns: list[str], required: list[str], max_rows: int,
               aliases: dict[str, str] | None = None) -> Table:
    """Parse an upload into rows keyed by the known column names; `aliases` maps other names a source uses for
    a column (a 12345 export's 工单号 for 工单编号) onto it.

    The format is taken from the content (an .xlsx is a zip), not from the name alone."""
    if not data:
        raise SpreadsheetError("上传的文件是空的。", code="empty_file")
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        grid = _xlsx_rows(data, max_rows)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SpreadsheetError("这是旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 .csv 后再上传。",
                               code="unsupported_file", status=415)
    elif name.endswith((".xlsx", ".xlsm")):
        raise SpreadsheetError("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件（可能已损坏）。",
                               code="not_a_spreadsheet", status=415)
    else:
        grid = _csv_rows(data, max_rows)
    return _to_table(grid, columns, required, max_rows, aliases or {})


def _too_many(max_rows: int) -> SpreadsheetError:
    return SpreadsheetError(f"文件行数超过上限：一次最多导入 {max_rows} 行，请拆分成多个文件。",
                            code="too_many_rows", status=413)


def _xlsx_rows(data: bytes, max_rows: int) -> list[tuple[int, list]]:
    not_excel = SpreadsheetError("无法读取该 Excel 文件：文件不是有效的 .xlsx（可能已损坏或加密）。",
                                 code="not_a_spreadsheet", status=415)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise not_excel from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_many(max_rows)
    # Pass 1, streaming: count rows without building the sheet, so a huge file is refused cheaply.
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            filled = 0
            for values in book.worksheets[0].iter_rows(values_only=True):
                if any(v not in (None, "") for v in values):
                    filled += 1
                    if filled > max_rows + 1:
                        raise _too_many(max_rows)
        finally:
            book.close()
        # Pass 2: the whole (now known to be small) sheet, which is how merged cells become visible.
        book = load_workbook(io.BytesIO(data), data_only=False)
    except SpreadsheetError:
        raise
    except Exception:  # an uploaded file may break the parser in any way (defusedxml refusals included)
        log.info("unreadable .xlsx upload", exc_info=True)
        raise not_excel from None
    sheet = book.worksheets[0]
    merged = [str(r) for r in sheet.merged_cells.ranges]
    if merged:
        raise SpreadsheetError(f"表格中有合并单元格（{'、'.join(merged[:5])}），请取消合并后再导入。",
                               code="merged_cells")
    grid, formulas = [], []
    for number, row in enumerate(sheet.iter_rows(), start=1):
        values = []
        for cell in row:
            if cell.data_type == "f":
                formulas.append(cell.coordinate)
            values.append(cell.value)
        grid.append((number, values))
    if formulas:
        raise SpreadsheetError(f"表格中含有公式（{'、'.join(formulas[:5])}），请复制后“选择性粘贴为数值”再导入。",
                               code="formulas")
    return grid


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise SpreadsheetError("无法识别的文件：请上传 .xlsx 或 .csv 表格文件。", code="not_a_spreadsheet", status=415)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK 编码。", code="bad_encoding", status=415)


def _csv_rows(data: bytes, max_rows: int) -> list[tuple[int, list]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    grid = []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if any(v.strip() for v in values):
                grid.append((number, values))
                if len(grid) > max_rows + 1:
                    raise _too_many(max_rows)
    except csv.Error:
        raise SpreadsheetError("CSV 文件格式不正确（引号不配对或含有非法字符）。", code="not_a_spreadsheet") from None
    formulas = [f"第{n}行" for n, values in grid[1:] for v in values if str(v).strip().startswith("=")]
    if formulas:
        raise SpreadsheetError(f"CSV 中有以“=”开头的公式（{'、'.join(formulas[:5])}），请改为数值或文字。",
                               code="formulas")
    return grid


def _to_table(grid: list[tuple[int, list]], columns: list[str], required: list[str], max_rows: int,
              aliases: dict[str, str]) -> Table:
    grid = [(n, values) for n, values in grid if any(cell_text(v) for v in values)]
    if not grid:
        raise SpreadsheetError("文件中没有数据。", code="empty_file")
    header_row, raw_headers = grid[0]
    headers = [normalize_header(h) for h in raw_headers]
    headers = [aliases.get(h, h) if h not in columns else h for h in headers]
    missing = [c for c in required if c not in headers]
    if missing:
        found = "、".join(h for h in headers if h) or "（空）"
        raise SpreadsheetError(f"表头不符合模板：缺少“{'、'.join(missing)}”列。文件第{header_row}行的表头是：{found}。"
                               "请下载导入模板，按模板的列填写。", code="wrong_columns")
    seen = [h for h in headers if h]
    duplicated = sorted({h for h in seen if seen.count(h) > 1 and h in columns})
    if duplicated:
        raise SpreadsheetError(f"表头中“{'、'.join(duplicated)}”列重复出现。", code="wrong_columns")
    if len(grid) - 1 > max_rows:
        raise _too_many(max_rows)
    positions = {h: i for i, h in enumerate(headers) if h in columns}
    table = Table(headers=[h for h in headers if h in columns])
    for number, values in grid[1:]:
        cells = {c: cell_text(values[i]) if i < len(values) else "" for c, i in positions.items()}
        table.rows.append((number, cells))
    if not table.rows:
        raise SpreadsheetError("文件只有表头，没有数据行。", code="empty_file")
    return table


# ----------------------------------------------------------------------------- writing

def write_xlsx(headers: list[str], rows: Iterable[list], title: str = "Sheet1",
               widths: list[int] | None = None, notes: list[list[str]] | None = None) -> IO[bytes]:
    """Rows into an .xlsx in a temporary file (write-only mode keeps memory flat); returns it rewound.

    Text that Excel would read as a formula is prefixed with a quote mark."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for index, width in enumerate(widths or [], start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(headers)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    if notes:
        help_sheet = book.create_sheet("填写说明")
        help_sheet.column_dimensions["A"].width = 18
        help_sheet.column_dimensions["B"].width = 90
        for line in notes:
            help_sheet.append(line)
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    book.save(handle)
    handle.seek(0)
    return handle


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index)


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def csv_chunks(headers: list[str], rows: Iterable[list], encoding: str = "gbk",
               rows_per_chunk: int = 500) -> Iterator[bytes]:
    """CSV bytes, a few hundred rows at a time. GBK (what Excel on Chinese Windows expects) by default;
    characters GBK lacks become '?'. 'utf-8' gives UTF-8 with a BOM, which Excel also recognises."""
    codec = "gbk" if encoding.lower() in ("gbk", "gb2312", "cp936") else "utf-8"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    prefix = "\ufeff" if codec == "utf-8" else ""
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
        count += 1
        if count % rows_per_chunk == 0:
            yield (prefix + buffer.getvalue()).encode(codec, errors="replace")
            prefix = ""
            buffer.seek(0)
            buffer.truncate()
    yield (prefix + buffer.getvalue()).encode(codec, errors="replace")


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
