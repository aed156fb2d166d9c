"""The office's wording: templates per kind of letter (stored, editable on a page; the built-in wording of
settings.py until the office saves its own), a letter's body as paragraphs and headings, and the values its
placeholders take."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from ..common.errors import BadRequest, Forbidden
from ..common.models import lock_setting
from ..common.text import clean_text
from ..common.timeutil import local
from ..extensions import db
from ..pdf import format_cn_date
from ..pdf.document import Heading, Para
from ..policy import OFFICE, has_role
from .models import KIND_LABELS, LetterTemplate
from .settings import default_template, fill

MAX_TITLE = 200
MAX_BODY = 10000
MAX_LINE = 300  # 报 and 抄送

_HEADING_1 = re.compile(r"^[一二三四五六七八九十]{1,3}、\S")
_HEADING_2 = re.compile(r"^（[一二三四五六七八九十]{1,3}）\S")
_SENTENCE_END = ("。", "；", "：", "！", "？")


def template_for(kind: str) -> dict[str, str]:
    """The wording a new draft of this kind starts from: the office's saved template, else the built-in one."""
    row = db.session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))
    if row is None:
        return default_template(kind)
    return {"title": row.title, "body": row.body, "report_to": row.report_to, "cc": row.cc}


def all_templates() -> list[dict]:
    saved = {row.kind: row for row in db.session.scalars(select(LetterTemplate))}
    result = []
    for kind, label in KIND_LABELS.items():
        row = saved.get(kind)
        result.append({"kind": kind, "label": label, **template_for(kind), "saved": row,
                       "default": default_template(kind)})
    return result


def clean_title(value) -> str:
    title = clean_text(value, "标题", MAX_TITLE)
    if not title:
        raise BadRequest("请填写标题。", code="title_required")
    return title


def clean_body(value) -> str:
    body = clean_text(value, "正文", MAX_BODY, multiline=True)
    if not body.strip():
        raise BadRequest("请填写正文。", code="body_required")
    return body


def clean_line(value, what: str) -> str:
    return clean_text(value, what, MAX_LINE)


def save_template(user, kind: str, fields, now: datetime) -> LetterTemplate:
    """The office saves its wording for one kind; `reset` puts the built-in wording back."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以修改文书模板。")
    if kind not in KIND_LABELS:
        raise BadRequest("没有这种文书。", code="invalid_kind")
    lock_setting(f"letter-template:{kind}")
    row = db.session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind))
    if fields.get("reset"):
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        return None
    values = {"title": clean_title(fields.get("title")), "body": clean_body(fields.get("body")),
              "report_to": clean_line(fields.get("report_to"), "报送"), "cc": clean_line(fields.get("cc"), "抄送")}
    if row is None:
        row = LetterTemplate(kind=kind, updated_at=now, updated_by_id=user.id, **values)
        db.session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at, row.updated_by_id = now, user.id
    db.session.flush()
    return row


# ----------------------------------------------------------------------------- printing

def fill_values(*, count: int, reply_by: datetime | None, units: list[str], as_of: datetime) -> dict[str, str]:
    when = local(as_of)
    return {
        "count": str(count),
        "reply_by": format_cn_date(local(reply_by).date()) if reply_by else "",
        "you": "你单位" if len(units) <= 1 else "各有关单位",
        "units": "、".join(units),
        "unit": units[0] if units else "",
        "as_of": f"{format_cn_date(when.date())}{when.hour}时",
    }


def body_blocks(body: str, values: dict[str, str]) -> list:
    """One block per non-empty line: "一、……" headings in 黑体, "（一）……" in 楷体 (short lines without a sentence's
    end), everything else a paragraph."""
    blocks: list = []
    for raw in (body or "").split("\n"):
        line = fill(raw.strip(), values)
        if not line:
            continue
        short = len(line) <= 30 and not line.endswith(_SENTENCE_END)
        if short and _HEADING_1.match(line):
            blocks.append(Heading(line, 1))
        elif short and _HEADING_2.match(line):
            blocks.append(Heading(line, 2))
        else:
            blocks.append(Para(line))
    return blocks


def split_line(value: str | None) -> list[str]:
    """报 / 抄送 as printed: the office's text as one line (names separated by 、 or ，)."""
    value = (value or "").strip()
    return [value] if value else []
