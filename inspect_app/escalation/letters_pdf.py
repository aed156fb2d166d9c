"""The PDF of one supervision letter, from what the letter recorded, as a GB/T 9704-2012 document.

督办 and 挂牌督办 are 函 in 信函格式; 约谈 is a 通知 in 文件格式. The overdue problems go into the 附件 问题清单
(a table on its own pages); the wording is the office's (settings.LEVEL_TEXT, ESCALATION_LEVEL_TEXT).
"""
from __future__ import annotations

from typing import BinaryIO

from flask import current_app

from ..common.timeutil import local
from ..pdf import format_cn_date
from ..pdf.document import Attachment, Form, Heading, OfficialDocument, Para, Seal
from ..pdf.fonts import document_fonts
from ..pdf.problems import ProblemItem, problem_table
from ..pdf.render import render_document
from ..photos.storage import PhotoStore, is_valid_key
from .models import Letter
from .settings import banner, level_text, setting


def _fill(text: str, **values: str) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _photo(store: PhotoStore, key: str | None) -> str | None:
    if key and is_valid_key(key):
        return str(store.display_path(key))  # the stamped copy: when, where, who
    return None


def letter_document(letter: Letter) -> OfficialDocument:
    """The letter as an official document (reads the app's settings and the letter's stored items)."""
    config = current_app.config
    wording = level_text(letter.level)
    issued = local(letter.issued_at)
    reply_by = format_cn_date(local(letter.reply_by).date())
    values = {"reply_by": reply_by, "count": str(len(letter.items)), "unit": letter.unit.name,
              "as_of": f"{format_cn_date(issued.date())}{issued.hour}时"}
    store = PhotoStore(config["UPLOAD_FOLDER"])
    items = [ProblemItem(number=item.ticket_number, category=item.category_name, place=item.place,
                         found_at=item.reported_at, deadline=item.original_deadline, days_overdue=item.days_overdue,
                         photo=_photo(store, item.photo_key))
             for item in letter.items]

    summons = letter.level >= 3
    this = "本通知" if summons else "本函"
    body: list = [
        Para(f"截至{values['as_of']}，" + _fill(wording["intro"], **values)),
        Heading("一、整改要求"),
        Para(_fill(wording["demand"], **values)),
        Heading("二、反馈方式"),
        Para(f"请登录文明城市督查整改系统签收{this}，并在相应问题中上传整改后照片、填写整改说明；"
             "经市文明办核查通过后视为整改完成。"),
        Para("特此通知。" if summons else "特此函告。"),
    ]
    mark = banner()
    if summons and not mark.endswith("文件"):
        mark += "文件"
    seal_path = config.get("PDF_SEAL_IMAGE")
    return OfficialDocument(
        form=Form.FILE if summons else Form.LETTER,
        issuer_mark=mark,
        doc_number=letter.number,
        title=_fill(wording["title"], **values),
        recipients=[letter.unit.name],
        body=body,
        attachments=[Attachment("问题清单", [problem_table([(letter.unit.name, items)])])],
        signatory=config["OFFICE_NAME"],
        date=issued.date(),
        seal=Seal(seal_path, float(config["PDF_SEAL_DIAMETER_MM"])) if seal_path else None,
        note=setting("LETTER_CONTACT") or "",
        report_to=[wording.get("report") or ""],
        cc=[wording.get("cc") or ""],
        printer=config["OFFICE_SHORT_NAME"],
        print_date=issued.date(),
        title_keep=[letter.unit.name],
    )


def build_letter_pdf(letter: Letter, out: BinaryIO) -> None:
    fonts = document_fonts(current_app.config, body=setting("LETTER_FONT_PATH") or None)
    render_document(letter_document(letter), out, fonts=fonts)
