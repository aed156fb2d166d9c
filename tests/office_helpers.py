"""Helpers shared by the office tests: build and read spreadsheets in memory; the demo city's names."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook


def xlsx_bytes(rows: list[list], merge: str | None = None) -> bytes:
    book = Workbook(write_only=merge is None and len(rows) > 1000)  # big sheets: the fast writer
    if book.write_only:
        sheet = book.create_sheet()
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def read_csv(data: bytes, encoding: str = "gbk") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


def demo_city_names() -> list[str]:
    """The demo city's own names (临江, its districts, its street offices): no example a new city reads uses them."""
    from inspect_app.demo import data
    return ([data.CITY, data.CITY.removesuffix("市")] + [district for district, *_ in data.DISTRICTS]
            + [f"{street}街道" for *_, streets in data.DISTRICTS for street in streets])
