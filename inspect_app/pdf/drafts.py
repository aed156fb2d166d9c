"""A 通报 drafted from figures, for the leaders to approve: 文件格式, 草稿 on every page, no number and no seal; the
issuing mark, the signature, the 报 and 抄送 lines and the 印发 line from the office's settings. The year's result
(rankings/annual_pdf.py) and the month's key tasks (keytasks/bulletin.py) are drafted this way."""
from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from flask import current_app, has_app_context

from ..config import Config
from .document import Attachment, Block, Form, OfficialDocument
from .fonts import document_fonts
from .render import render_document


def setting(name: str):
    """The office's setting (the app's, else the default)."""
    if has_app_context() and current_app.config.get(name) is not None:
        return current_app.config[name]
    return getattr(Config, name)


def circular_draft(title: str, recipients: list[str], body: Sequence[Block], attachments: Sequence[Attachment],
                   today: date) -> OfficialDocument:
    office = setting("OFFICE_NAME")
    return OfficialDocument(
        form=Form.FILE,
        issuer_mark=office if office.endswith("文件") else office + "文件",
        title=title,
        recipients=recipients,
        body=list(body),
        attachments=list(attachments),
        signatory=office,
        date=today,
        draft=True,
        report_to=[setting("BULLETIN_REPORT_TO")],
        cc=[setting("BULLETIN_CC")],
        printer=setting("OFFICE_SHORT_NAME"),
        print_date=today,
    )


def render_pdf(document: OfficialDocument) -> bytes:
    out = io.BytesIO()
    render_document(document, out, fonts=document_fonts(current_app.config if has_app_context() else None))
    return out.getvalue()
