"""Helpers shared by the office tests: sign a browser session in, build spreadsheets in memory."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook, load_workbook


def sign_in(client, user) -> None:
    """A browser session for `user`, without going through the login form.

    The test app keeps one app context for the whole test, so `g` (where Flask-Login caches the
    user of the request) outlives requests; forget the cached user so the next request loads this one."""
    from conftest import login_session_id
    from flask import g
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session["_user_id"] = login_session_id(user)
        session["_fresh"] = True


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
