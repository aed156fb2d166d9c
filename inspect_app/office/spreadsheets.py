"""Reading uploaded tables (.xlsx, .csv) and writing them (.xlsx, streamed; .csv in GB18030 or UTF-8).

Reading is defensive: an upload may be anything, and each problem gets a Chinese message rather than a 500.
An .xlsx is never loaded whole: the first sheet's XML is streamed (lxml iterparse, no DTD, no entities) and every
row, column and cell read is counted against the SPREADSHEET_MAX_* settings; the first excess stops the read
(413). The <dimension> element is ignored: only the cells actually present count.
A .csv is read as UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312).
Writing streams: .xlsx rows through zlib into a temporary file (write_xlsx), or CSV chunks from a generator.
"""
from __future__ import annotations

import csv
import difflib
import io
import logging
import posixpath
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Iterable, Iterator
from xml.sax.saxutils import quoteattr

from flask import current_app
from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from ..common.errors import BadRequest, ServiceError

log = logging.getLogger(__name__)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


class SpreadsheetError(ServiceError):
    """The file itself is unusable (not a table, wrong columns, too many rows, formulas, merged cells)."""
    status, code = 422, "invalid_file"
    cells_read: int | None = None  # how far a streaming read got before it stopped (for logs and tests)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number as the user sees it, cells)
    unknown: list[str] = field(default_factory=list)  # headers that are none of the columns: their data is not read
    # columns with data under an empty header, named as the user sees them ("第H列（无列名）"): not read either
    unnamed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """What one upload may make the server read; the SPREADSHEET_* settings by default."""
    rows: int = 20_000          # rows present in the sheet (blank ones too), and the highest row number
    columns: int = 100          # the highest column a cell may sit in (A = 1)
    cells: int = 200_000        # cells present (empty ones too): the work a parser does
    unpacked_bytes: int = 50 * 1024 * 1024  # the parts of an .xlsx, unzipped

    @classmethod
    def from_config(cls) -> "Limits":
        config = current_app.config
        return cls(rows=config["SPREADSHEET_MAX_ROWS"], columns=config["SPREADSHEET_MAX_COLUMNS"],
                   cells=config["SPREADSHEET_MAX_CELLS"],
                   unpacked_bytes=config["SPREADSHEET_MAX_UNPACKED_MB"] * 1024 * 1024)


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
               limits: Limits | None = None, aliases: dict[str, str] | None = None,
               extra_columns: bool = False) -> Table:
    """Parse an upload into rows keyed by the known column names; `aliases` maps other names a source uses for
    a column (a 12345 export's 工单号 for 工单编号) onto it.

    A header that is none of the columns is refused (unknown_columns, 422): in a file made from our template it is
    a misspelt column (上级单位编玛), whose data would otherwise be dropped without a word. `extra_columns` lets
    them through, listed in Table.unknown for the preview to name: another system's export (the 12345 hotline's)
    carries columns of its own.

    The format is taken from the content (an .xlsx is a zip), not from the name alone."""
    if not data:
        raise SpreadsheetError("上传的文件是空的。", code="empty_file")
    limits = limits or Limits.from_config()
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        grid = xlsx_rows(data, max_rows, limits)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SpreadsheetError("这是旧版 Excel（.xls）文件或加密的 Excel 文件，请在 Excel 中“另存为”不加密的 .xlsx "
                               "或 .csv 后再上传。", code="unsupported_file", status=415)
    elif name.endswith((".xlsx", ".xlsm")):
        raise SpreadsheetError("文件扩展名是 .xlsx，但内容不是有效的 Excel 文件（可能已损坏）。",
                               code="not_a_spreadsheet", status=415)
    else:
        grid = _csv_rows(data, max_rows, limits)
    table = _to_table(grid, columns, required, max_rows, aliases or {})
    if table.unnamed and not extra_columns:
        raise SpreadsheetError(f"表头不符合模板：{'、'.join(table.unnamed)}有数据但没有列名，其中的数据无法导入。"
                               "请在表头填写列名（本导入的列为："
                               f"{'、'.join(columns)}），或删除这些列后重新上传。", code="unknown_columns")
    if table.unknown and not extra_columns:
        raise _unknown_columns(table.unknown, columns)
    return table


def _unknown_columns(unknown: list[str], columns: list[str]) -> SpreadsheetError:
    def named(header: str) -> str:  # with the expected column it most resembles: 上级单位编玛 → 上级单位编码
        close = difflib.get_close_matches(header, columns, 1, 0.6)
        return f"“{header}”" + (f"（应为“{close[0]}”？）" if close else "")

    listed = "、".join(named(h) for h in unknown[:10]) + (f"等{len(unknown)}列" if len(unknown) > 10 else "")
    return SpreadsheetError(f"表头不符合模板：{listed}不是本导入的列（可能是列名写错了），其中的数据无法导入。"
                            f"本导入的列为：{'、'.join(columns)}。请改正列名，或删除多余的列后重新上传。",
                            code="unknown_columns")


# Rows a file may carry above its header: an export from the 12345 platform or a bureau's system often starts
# with a title ("临江市12345政务服务便民热线工单明细（2026年11月）", merged across the columns) and a line such as
# "导出时间：…" before the row of column names.
TITLE_ROWS = 3


def _too_many(max_rows: int) -> SpreadsheetError:
    return SpreadsheetError(f"文件行数超过上限：一次最多导入 {max_rows} 行，请拆分成多个文件。",
                            code="too_many_rows", status=413)


def _too_large(what: str, cells_read: int) -> SpreadsheetError:
    error = SpreadsheetError(f"表格超出读取上限：{what}。请只保留要导入的数据（删除多余的行、列和格式）后再上传。",
                             code="sheet_too_large", status=413)
    error.cells_read = cells_read
    return error


# ----------------------------------------------------------------------------- .xlsx, streamed

_NOT_EXCEL = "无法读取该 Excel 文件：文件不是有效的 .xlsx（可能已损坏或加密）。"
_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_WORKSHEET = "/worksheet"
_REL_SHARED_STRINGS = "/sharedStrings"
_REL_STYLES = "/styles"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
# Built-in number formats that show a date (14-22, 45-47) or, in Chinese and other East Asian Excel, a local date
# (27-36, 50-58): a number in such a cell is a date serial.
_DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))


class _Unreadable(Exception):
    """The package is not a readable .xlsx (any structural problem); answered as 415."""


def _local(tag, _cache: dict = {}) -> str:  # noqa: B006  (a cache on purpose: a sheet repeats a few tags)
    try:
        return _cache[tag]
    except KeyError:
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_cache) < 256:
            _cache[tag] = name
        return name
    except TypeError:  # comments and processing instructions have a function as their tag
        return ""


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


class _Package:
    """The zip of an .xlsx: parts read with a size budget, XML parsed without DTDs or entities."""

    def __init__(self, data: bytes, limits: Limits):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            raise _Unreadable from None
        self.names = {info.filename.lstrip("/"): info for info in infos}
        unpacked = sum(info.file_size for info in infos)
        if unpacked > limits.unpacked_bytes:
            raise _too_large(f"解压后 {unpacked // (1024 * 1024)} MB，上限 {limits.unpacked_bytes // (1024 * 1024)} MB", 0)

    def open(self, name: str):
        info = self.names.get(name.lstrip("/"))
        if info is None:
            raise _Unreadable
        return self.zip.open(info)

    def has(self, name: str) -> bool:
        return name.lstrip("/") in self.names

    def events(self, name: str, events=("end",), tags=None):
        """(event, element) pairs of one part, streamed (only `tags`, if given, e.g. ("{*}row",)). A DOCTYPE (the
        way into entity bombs) is refused before anything else is read."""
        source = self.open(name)
        head = source.peek(4096)[:4096] if hasattr(source, "peek") else b""
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise _Unreadable
        context = etree.iterparse(source, events=events, tag=tags, resolve_entities=False, load_dtd=False,
                                  no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
        checked = False
        for event, element in context:
            if not checked:
                info = element.getroottree().docinfo
                if info.doctype or info.internalDTD is not None:
                    raise _Unreadable
                checked = True
            yield event, element

    def small_xml(self, name: str, limit: int = 2 * 1024 * 1024):
        info = self.names.get(name.lstrip("/"))
        if info is None or info.file_size > limit:
            raise _Unreadable
        root = None
        for _event, element in self.events(name, ("end",)):
            root = element
        return root

    def relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part) of a part's relationships, targets resolved to package paths."""
        folder, base = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", base + ".rels")
        if not self.has(rels):
            return []
        found = []
        for element in self.small_xml(rels).iter():
            if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
                target = element.get("Target") or ""
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(folder, target))
                found.append((element.get("Id") or "", element.get("Type") or "", path))
        return found


def xlsx_rows(data: bytes, max_rows: int, limits: Limits) -> list[tuple[int, list]]:
    """The first worksheet's non-blank rows as (row number, values), streamed under `limits`."""
    try:
        return _SheetReader(_Package(data, limits), max_rows, limits).read()
    except SpreadsheetError:
        raise
    except Exception:  # an uploaded file may break the parser in any way
        log.info("unreadable .xlsx upload", exc_info=True)
        raise SpreadsheetError(_NOT_EXCEL, code="not_a_spreadsheet", status=415) from None


class _SheetReader:
    def __init__(self, package: _Package, max_rows: int, limits: Limits):
        self.package, self.max_rows, self.limits = package, max_rows, limits
        self.cells = 0
        workbook = next((target for _id, kind, target in package.relationships("")
                         if kind.endswith(_REL_OFFICE_DOCUMENT)), "xl/workbook.xml")
        relations = package.relationships(workbook)
        by_id = {rid: (kind, target) for rid, kind, target in relations}
        self.sheet = None
        for element in package.small_xml(workbook).iter():
            if _local(element.tag) == "sheet":
                rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                kind, target = by_id.get(rid, ("", ""))
                if kind.endswith(_REL_WORKSHEET):
                    self.sheet = target
                    break
        if self.sheet is None or not package.has(self.sheet):
            raise _Unreadable
        strings = next((t for _i, k, t in relations if k.endswith(_REL_SHARED_STRINGS) and package.has(t)), None)
        styles = next((t for _i, k, t in relations if k.endswith(_REL_STYLES) and package.has(t)), None)
        self.strings = self._shared_strings(strings) if strings else []
        self.date_styles = self._date_styles(styles) if styles else set()

    def _shared_strings(self, part: str) -> list[str]:
        strings: list[str] = []
        for _event, element in self.package.events(part, tags=("{*}si",)):
            strings.append(_rich_text(element))
            if len(strings) > self.limits.cells:
                raise _too_large(f"共享字符串超过 {self.limits.cells} 个", 0)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
        return strings

    def _date_styles(self, part: str) -> set[int]:
        root = self.package.small_xml(part, limit=8 * 1024 * 1024)
        custom = {}
        for element in root.iter():
            if _local(element.tag) == "numFmt":
                try:
                    custom[int(element.get("numFmtId"))] = element.get("formatCode") or ""
                except (TypeError, ValueError):
                    pass
        dates = set()
        for xfs in root:
            if _local(xfs.tag) != "cellXfs":
                continue
            for index, xf in enumerate(x for x in xfs if _local(x.tag) == "xf"):
                try:
                    number_format = int(xf.get("numFmtId") or 0)
                except ValueError:
                    continue
                code = custom.get(number_format, BUILTIN_FORMATS.get(number_format))
                if number_format in _DATE_FORMAT_IDS or (code and is_date_format(code)):
                    dates.add(index)
        return dates

    def read(self) -> list[tuple[int, list]]:
        limits = self.limits
        grid: list[tuple[int, list]] = []
        formulas: list[str] = []
        merged: list[str] = []
        rows_seen, row_number, values = 0, 0, {}
        in_data = False
        tags = ("{*}sheetData", "{*}row", "{*}c", "{*}mergeCell")
        for event, element in self.package.events(self.sheet, ("start", "end"), tags):
            name = _local(element.tag)
            if event == "start":
                if name == "sheetData":
                    in_data = True
                elif name == "row" and in_data:
                    rows_seen += 1
                    number = element.get("r")
                    row_number = int(number) if number and number.isdigit() else row_number + 1
                    if rows_seen > limits.rows or row_number > limits.rows:
                        raise _too_large(f"行号超过 {limits.rows}", self.cells)
                    values, column = {}, 0
                elif name == "c" and in_data:
                    self.cells += 1
                    if self.cells > limits.cells:
                        raise _too_large(f"单元格超过 {limits.cells} 个", self.cells - 1)
                    match = _CELL_REF.match(element.get("r") or "")
                    column = _column_number(match.group(1)) if match else column + 1
                continue
            if name == "c" and in_data:
                value, formula = self._value(element)
                if formula:
                    formulas.append(element.get("r") or f"第{row_number}行")
                if value not in (None, "") or formula:
                    if column > limits.columns:
                        raise _too_large(f"第{row_number}行第{column}列有数据，上限 {limits.columns} 列", self.cells)
                    values[column] = value
                element.clear()
                while element.getprevious() is not None:  # a row of many cells stays small too
                    del element.getparent()[0]
            elif name == "row" and in_data:
                if values:
                    width = max(values)
                    grid.append((row_number, [values.get(i) for i in range(1, width + 1)]))
                    if len(grid) > self.max_rows + 1 + TITLE_ROWS:
                        raise _too_many(self.max_rows)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            elif name == "sheetData":
                in_data = False
            elif name == "mergeCell":
                merged.append(element.get("ref") or "")
                if len(merged) >= 5:
                    break
        merged = [ref for ref in merged if not _title_merge(ref, grid)]
        if merged:
            raise SpreadsheetError(f"表格中有合并单元格（{'、'.join(merged[:5])}），请取消合并后再导入。",
                                   code="merged_cells")
        if formulas:
            raise SpreadsheetError(f"表格中含有公式（{'、'.join(formulas[:5])}），请复制后“选择性粘贴为数值”再导入。",
                                   code="formulas")
        return grid

    def _value(self, cell) -> tuple[object, bool]:
        kind = cell.get("t") or "n"
        raw, formula, inline = None, False, None
        for child in cell:
            local = _local(child.tag)
            if local == "v":
                raw = child.text
            elif local == "f":
                formula = True
            elif local == "is":
                inline = child
        if kind == "inlineStr":
            return (_rich_text(inline) if inline is not None else None), formula
        if raw is None:
            return None, formula
        if kind == "s":
            try:
                return self.strings[int(raw)], formula
            except (ValueError, IndexError):
                raise _Unreadable from None
        if kind == "b":
            return raw.strip() in ("1", "true"), formula
        if kind in ("str", "e", "d"):
            return raw, formula
        try:
            number = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            raise _Unreadable from None
        style = cell.get("s")
        if style and style.isdigit() and int(style) in self.date_styles:
            try:
                return from_excel(number), formula
            except (ValueError, OverflowError):
                return number, formula
        return number, formula


def _rich_text(element) -> str:
    """The text of a string item: its <t> runs, without phonetic guides (<rPh>)."""
    parts = []
    for node in element.iter():
        if _local(node.tag) == "t" and node.text:
            parent = node.getparent()
            if parent is None or _local(parent.tag) != "rPh":
                parts.append(node.text)
    return "".join(parts)


# ----------------------------------------------------------------------------- .csv

def decode_text(data: bytes) -> str:
    """Uploaded text as Excel and WPS save it: UTF-8 (with or without BOM), else GB18030 (covers GBK, GB2312)."""
    if b"\x00" in data[:4096]:
        raise SpreadsheetError("无法识别的文件：请上传 .xlsx 或 .csv 表格文件。", code="not_a_spreadsheet", status=415)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK（GB18030）编码。", code="bad_encoding",
                           status=415)


def _csv_rows(data: bytes, max_rows: int, limits: Limits) -> list[tuple[int, list]]:
    text = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    cells = 0

    def lines():
        # A line is split into a list of fields at once: refuse one that would be a huge list before it is built.
        for line in io.StringIO(text, newline=""):
            if line.count(delimiter) >= limits.cells - cells:
                raise _too_large(f"单元格超过 {limits.cells} 个", cells)
            yield line

    grid = []
    try:
        for number, values in enumerate(csv.reader(lines(), delimiter=delimiter), start=1):
            if number > limits.rows:
                raise _too_large(f"行数超过 {limits.rows}", cells)
            cells += len(values)
            if cells > limits.cells:
                raise _too_large(f"单元格超过 {limits.cells} 个", cells)
            if any(v.strip() for v in values):
                last = max(i for i, v in enumerate(values, start=1) if v.strip())
                if last > limits.columns:
                    raise _too_large(f"第{number}行有第{last}列的数据，上限 {limits.columns} 列", cells)
                grid.append((number, values[:last]))
                if len(grid) > max_rows + 1 + TITLE_ROWS:
                    raise _too_many(max_rows)
    except csv.Error:
        raise SpreadsheetError("CSV 文件格式不正确（引号不配对或含有非法字符）。", code="not_a_spreadsheet") from None
    formulas = [f"第{n}行" for n, values in grid[1:] for v in values if str(v).strip().startswith("=")]
    if formulas:
        raise SpreadsheetError(f"CSV 中有以“=”开头的公式（{'、'.join(formulas[:5])}），请改为数值或文字。",
                               code="formulas")
    return grid


def _title_merge(ref: str, grid: list[tuple[int, list]]) -> bool:
    """A merged range that is a title above the table: within one of the first TITLE_ROWS rows, on a row that
    holds nothing but its one text. Any other merge would shift values away from their column's name."""
    match = _MERGE_REF.match(ref)
    if not match or match.group(2) != match.group(4) or int(match.group(2)) > TITLE_ROWS:
        return False
    row = int(match.group(2))
    values = next((values for number, values in grid if number == row), [])
    return sum(1 for v in values if cell_text(v)) <= 1


_MERGE_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)$")


def _headers(values: list, columns: list[str], aliases: dict[str, str]) -> list[str]:
    headers = [normalize_header(h) for h in values]
    return [aliases.get(h, h) if h not in columns else h for h in headers]


def _to_table(grid: list[tuple[int, list]], columns: list[str], required: list[str], max_rows: int,
              aliases: dict[str, str]) -> Table:
    grid = [(n, values) for n, values in grid if any(cell_text(v) for v in values)]
    if not grid:
        raise SpreadsheetError("文件中没有数据。", code="empty_file")
    # The header is the first row that names every required column, among the first few: title lines above it
    # are skipped. When none does, the first row is taken as the header and the error names what it lacks.
    at = next((k for k, (_n, values) in enumerate(grid[:TITLE_ROWS + 1])
               if all(c in _headers(values, columns, aliases) for c in required)), 0)
    header_row, raw_headers = grid[at]
    grid = grid[at:]
    headers = _headers(raw_headers, columns, aliases)
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
    unknown = list(dict.fromkeys(h for h in headers if h and h not in columns))
    table = Table(headers=[h for h in headers if h in columns], unknown=unknown)
    unnamed: set[int] = set()  # columns with data and no header (a clerk's notes typed beside the table)
    for number, values in grid[1:]:
        cells = {c: cell_text(values[i]) if i < len(values) else "" for c, i in positions.items()}
        table.rows.append((number, cells))
        unnamed.update(i for i, value in enumerate(values) if (i >= len(headers) or not headers[i])
                       and i not in unnamed and cell_text(value))
    table.unnamed = [f"第{get_column_letter(i + 1)}列（无列名）" for i in sorted(unnamed)]
    if not table.rows:
        raise SpreadsheetError("文件只有表头，没有数据行。", code="empty_file")
    return table


# ----------------------------------------------------------------------------- writing

EXCEL_MAX_ROWS = 1_048_576  # one sheet, header included
EXCEL_MAX_TEXT = 32_767  # characters in one cell
# Characters XML 1.0 cannot carry (a description holding one would make Excel call the file corrupt), and the
# three that must be escaped in text.
_XML_CARE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (_XML_HEAD + f'<styleSheet xmlns="{_MAIN_NS}">'
           '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
           '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill>'
           '<fill><patternFill patternType="gray125"/></fill></fills>'
           '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>')


def _xml_text(value: str) -> str:
    if len(value) > EXCEL_MAX_TEXT:
        value = value[:EXCEL_MAX_TEXT]
    if _XML_CARE.search(value):
        value = _XML_ILLEGAL.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


class _SheetWriter:
    """One worksheet's XML, streamed into the zip a thousand rows at a time."""

    def __init__(self, stream, widths: list[int] | None, frozen_header: bool):
        self.stream, self.rows, self.pending = stream, 0, []
        head = [_XML_HEAD, f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">']
        if frozen_header:
            head.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView>'
                        '</sheetViews>')
        else:
            head.append('<sheetViews><sheetView workbookViewId="0"/></sheetViews>')
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        if widths:
            head.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                           for i, w in enumerate(widths, start=1)) + "</cols>")
        head.append("<sheetData>")
        stream.write("".join(head).encode("utf-8"))
        self.letters: list[str] = []

    def _letter(self, column: int) -> str:
        while len(self.letters) <= column:
            from openpyxl.utils import get_column_letter
            self.letters.append(get_column_letter(len(self.letters) + 1))
        return self.letters[column]

    def row(self, values, style: int = 0) -> None:
        self.rows += 1
        number = self.rows
        if number > EXCEL_MAX_ROWS:
            raise ServiceError(f"超过 Excel 单个工作表的上限（{EXCEL_MAX_ROWS - 1:,} 行），请缩小筛选范围或导出 CSV。",
                               code="too_many_rows", status=413)
        letters = self.letters
        cells = [f'<row r="{number}">']
        s = f' s="{style}"' if style else ""
        for column, value in enumerate(values):
            if value is None or value == "":
                continue
            letter = letters[column] if column < len(letters) else self._letter(column)
            kind = type(value)
            if kind is str:
                if value[:1] in _FORMULA_START:
                    value = safe_cell(value)
                cells.append(f'<c r="{letter}{number}"{s} t="inlineStr"><is>{_xml_text(value)}</is></c>')
            elif kind is bool:
                cells.append(f'<c r="{letter}{number}"{s} t="b"><v>{int(value)}</v></c>')
            elif kind is int or (kind is float and value == value and value not in (float("inf"), float("-inf"))):
                cells.append(f'<c r="{letter}{number}"{s}><v>{value!r}</v></c>')
            else:
                cells.append(f'<c r="{letter}{number}"{s} t="inlineStr"><is>{_xml_text(cell_text(value))}</is></c>')
        cells.append("</row>")
        self.pending.append("".join(cells))
        if len(self.pending) >= 1000:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.stream.write("".join(self.pending).encode("utf-8"))
            self.pending.clear()

    def close(self) -> None:
        self.flush()
        self.stream.write(b"</sheetData></worksheet>")


def write_xlsx(headers: list[str], rows: Iterable[list], title: str = "Sheet1",
               widths: list[int] | None = None, notes: list[list[str]] | None = None,
               target: IO[bytes] | None = None) -> IO[bytes]:
    """Rows into an .xlsx in `target` or a temporary file; returns it rewound.

    Streaming: each thousand rows go through zlib into the file as they come, so memory stays flat whatever the
    row count. The package is the minimal SpreadsheetML one (workbook, styles, one sheet per table, cells as inline
    strings), which Excel, WPS, LibreOffice and openpyxl read. Written here rather than with XlsxWriter or
    openpyxl because both spend 25-35 µs per cell in Python on this class of machine (100,000 rows: 45-60 s,
    over the 15 s target); this writes the same cells about six times faster (benchmarks/bench_export.py).

    Cells are written by type: text stays text (never a formula), numbers stay numbers, None is left empty. Text
    that a spreadsheet would read as a formula is also prefixed with a quote mark, for when it is copied out."""
    handle = target if target is not None else tempfile.TemporaryFile(suffix=".xlsx")
    sheets = [sheet_title(title)] + (["填写说明"] if notes else [])
    try:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            _package_parts(package, sheets)
            with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as stream:
                sheet = _SheetWriter(stream, widths, frozen_header=True)
                sheet.row(headers, style=1)
                for row in rows:
                    sheet.row(row)
                sheet.close()
            if notes:
                with package.open("xl/worksheets/sheet2.xml", "w") as stream:
                    sheet = _SheetWriter(stream, [18, 90], frozen_header=False)
                    for line in notes:
                        sheet.row(line)
                    sheet.close()
    except BaseException:
        if target is None:
            handle.close()
        raise
    handle.seek(0)
    return handle


_SHEET_NAME_REFUSED = re.compile(r"[\\/:?*\[\]]")


def sheet_title(title: str) -> str:
    """A sheet name Excel accepts from any text (a survey's title names its sheets): none of \\ / : ? * [ ]
    (each becomes _, as Excel's own rename refuses them), no control characters, not starting or ending with an
    apostrophe, 1-31 characters. A name Excel refuses makes it report the workbook damaged, and openpyxl will not
    open it at all."""
    name = _SHEET_NAME_REFUSED.sub("_", _XML_ILLEGAL.sub("", title or ""))[:31].strip("'").strip()
    return name or "Sheet1"


def _package_parts(package: zipfile.ZipFile, sheets: list[str]) -> None:
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>'
                        for i in range(1, len(sheets) + 1))
    package.writestr("[Content_Types].xml", _XML_HEAD +
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.spreadsheetml.sheet.main+xml"/>'
                     '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.spreadsheetml.styles+xml"/>' + overrides + "</Types>")
    package.writestr("_rels/.rels", _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
                     f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
                     "</Relationships>")
    names = "".join(f'<sheet name={quoteattr(_XML_ILLEGAL.sub("", name))} sheetId="{i}" r:id="rId{i}"/>'
                    for i, name in enumerate(sheets, start=1))
    package.writestr("xl/workbook.xml", _XML_HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                     f"<bookViews><workbookView/></bookViews><sheets>{names}</sheets></workbook>")
    links = "".join(f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, len(sheets) + 1))
    package.writestr("xl/_rels/workbook.xml.rels", _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">{links}'
                     f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
                     "</Relationships>")
    package.writestr("xl/styles.xml", _STYLES)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in _FORMULA_START and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- CSV encodings

CSV_DEFAULT_ENCODING = "gb18030"
# GB18030 is what Excel on Chinese Windows reads, and unlike GBK it encodes every Unicode character (emoji, rare
# characters), so nothing turns into "?". GBK and GB2312 are subsets: asking for them gets GB18030.
CSV_ENCODINGS = {"gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030",
                 "utf-8": "utf-8", "utf8": "utf-8"}


def csv_encoding(value: str | None) -> str:
    """The codec for a requested CSV encoding (blank: GB18030); anything else is a 400."""
    key = (value or "").strip().lower()
    if not key:
        return CSV_DEFAULT_ENCODING
    if key not in CSV_ENCODINGS:
        raise BadRequest("encoding 只能是 gb18030（或 gbk）或 utf-8。", code="invalid_encoding")
    return CSV_ENCODINGS[key]


def csv_content_type(codec: str) -> str:
    return f"{CSV_MIME}; charset={codec}"


def csv_chunks(headers: list[str], rows: Iterable[list], encoding: str = CSV_DEFAULT_ENCODING,
               rows_per_chunk: int = 500) -> Iterator[bytes]:
    """CSV bytes, a few hundred rows at a time, in GB18030 (the default) or UTF-8 with a BOM (Excel recognises
    both). `encoding` is a codec from csv_encoding()."""
    codec = csv_encoding(encoding)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    prefix = "\ufeff" if codec == "utf-8" else ""
    count = 0
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
        count += 1
        if count % rows_per_chunk == 0:
            yield (prefix + buffer.getvalue()).encode(codec, errors="replace")  # only a lone surrogate is replaced
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
