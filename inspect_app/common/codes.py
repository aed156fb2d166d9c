"""The codes the office types (单位编码, 点位编码, 门前四包编号, 任务编号, 项目编码, 类别编码): one code whatever the
letter case it is typed in. A clerk's bj-05-021 is the site BJ-05-021, not a second one beside it, in a spreadsheet,
on a form and in a lookup alike, and in full-width letters and digits too (ＢＪ－０５－０２１). Codes are ASCII
(office.fields.CODE_RE), so SQL's upper() agrees with Python's."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func

from .text import narrow


def code_key(code) -> str:
    """The form two codes are compared in: JD0105 and jd0105 (and " jd0105 ", and ＪＤ０１０５ typed on a Chinese input
    method) are one key."""
    return narrow(str(code or "")).strip().upper()


class CodeMap(dict):
    """Rows by code, whatever the case it is typed in (JD0105, jd0105)."""

    @classmethod
    def of(cls, rows: Iterable, code: Callable = lambda row: row.code) -> "CodeMap":
        return cls({code_key(code(row)): row for row in rows})

    def get(self, code, default=None):
        return super().get(code_key(code), default)

    def __contains__(self, code) -> bool:
        return super().__contains__(code_key(code))


def same_code(column, code: str):
    """SQL condition: the column holds this code in any letter case."""
    return func.upper(column) == code_key(code)
