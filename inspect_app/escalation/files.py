"""Serving the files of replies and 约谈 records, only to people who may read them (pages and the API use these).
A unit reads the files of its own replies (and of its 辖区's: services.reader_units); the office and leaders all of them; 约谈 records are the office's and
leaders'. PDFs are sent as downloads (never rendered in our origin), photos as JPEG."""
from __future__ import annotations

from datetime import datetime
from io import BytesIO

from flask import send_file

from ..common.errors import NotFound
from ..extensions import db
from ..http import content_disposition
from ..photos.service import send_stored
from ..policy import LEADERSHIP, UNITS, has_role
from .models import SERIES, EscalationFile, Interview, Letter, LetterReply
from .services import reader_units
from .uploads import pdf_file

MISSING = "附件不存在或无权查看。"


def letter_pdf_response(letter: Letter, now: datetime):
    """A letter's PDF, shown in the browser: an issued letter's stored file; a draft's built afresh each time
    (marked 草稿, no number)."""
    from ..http import pdf_file as send_pdf
    from .sweep import ensure_pdf

    # the plain name's word says the number's series (a draft's: the one 签发 will take): 临江文明督〔2026〕1号 and
    # 临江文明通〔2026〕1号 were both letter-2026-1.pdf
    series = SERIES.get(letter.kind, "letter") if letter.status == "draft" else letter.series
    stem = "bulletin" if series == "bulletin" else "letter"
    if letter.status == "draft":
        from .letters_pdf import build_letter_pdf

        out = BytesIO()
        build_letter_pdf(letter, out, now)
        out.seek(0)
        return send_pdf(out, f"草稿-{letter.id}.pdf", stem=stem)
    return send_pdf(ensure_pdf(letter, now), f"{letter.number}.pdf", stem=stem)


def send_row(row: EscalationFile, thumb: bool):
    """One attached file, to someone the caller has checked may read it."""
    if row.kind == "photo":
        return send_stored(row.photo_key, thumb, "附件文件缺失。", "file_missing")
    path = pdf_file(row)
    if path is None:
        raise NotFound("附件文件缺失。", code="file_missing")
    name = row.name or "附件.pdf"
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name,
                         conditional=True)
    response.headers["Content-Disposition"] = content_disposition("attachment", name, f"attachment-{row.id}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def reply_file_response(user, letter: Letter, file_id: int, thumb: bool = False):
    row = db.session.get(EscalationFile, file_id)
    reply = db.session.get(LetterReply, row.reply_id) if row is not None and row.reply_id else None
    if reply is None or reply.letter_id != letter.id:
        raise NotFound(MISSING)
    if has_role(user, UNITS) and reply.unit_id not in reader_units(user):
        raise NotFound(MISSING)
    return send_row(row, thumb)


def interview_file_response(user, interview: Interview, file_id: int, thumb: bool = False):
    row = db.session.get(EscalationFile, file_id)
    if row is None or row.interview_id != interview.id or not has_role(user, LEADERSHIP):
        raise NotFound(MISSING)
    return send_row(row, thumb)
