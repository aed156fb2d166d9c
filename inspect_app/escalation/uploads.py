"""Files attached to written replies and 约谈 records: photos and PDFs, told apart by their content.

A file whose first bytes hold the PDF header (%PDF-) and whose end holds the end-of-file marker (%%EOF) is a PDF
(at most LETTER_PDF_MAX_MB; stored as it is, under a random name, UPLOAD_FOLDER/escalation/<year>/<32 hex>.pdf).
Anything else must be a photo: it goes through the photo pipeline (photos.service.read_uploads: decoded within
limits, re-encoded, EXIF dropped; anything it cannot read is refused with 415). What the user called the file is
kept only to show it. Every file written is removed again if the transaction rolls back (boundary).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from ..boundary import delete_on_rollback
from ..common.errors import BadRequest, ServiceError
from ..common.text import one_line
from ..common.timeutil import local
from ..extensions import db
from ..pdf import write_atomically
from ..photos.processing import UNSUPPORTED_IMAGE, ProcessedPhoto
from ..photos.service import read_uploads
from ..photos.service import store as photo_store
from .models import EscalationFile

PDF_HEAD = b"%PDF-"
_PDF_NAME = re.compile(r"escalation/\d{4}/[0-9a-f]{32}\.pdf")


@dataclass
class PdfUpload:
    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Uploads:
    pdfs: list[PdfUpload]
    photos: list[ProcessedPhoto]
    photo_names: list[str]

    def __len__(self) -> int:
        return len(self.pdfs) + len(self.photos)

    def digests(self) -> list[str]:
        """The files' SHA-256, sorted: what EscalationFile.sha256 keeps of each once stored."""
        return sorted([photo.sha256 for photo in self.photos] + [pdf.sha256 for pdf in self.pdfs])


def _display_name(upload, fallback: str) -> str:
    name = one_line(Path(str(upload.filename or "")).name)[:100]
    return name or fallback


def _is_pdf(head: bytes) -> bool:
    return PDF_HEAD in head[:1024]  # the standard lets a little come before the header


def read_files(files, *, now: datetime, user=None) -> Uploads:
    """Validate every uploaded file before anything is written (400 too many, 413 too large, 415 unreadable)."""
    files = [f for f in files if f and (f.filename or f.content_length)]
    limit = int(current_app.config["LETTER_REPLY_MAX_FILES"])
    if len(files) > limit:
        raise BadRequest(f"附件最多{limit}个。", code="too_many_files")
    max_bytes = int(float(current_app.config["LETTER_PDF_MAX_MB"]) * 1024 * 1024)
    pdfs: list[PdfUpload] = []
    photo_files, photo_names, photo_places = [], [], []
    for index, upload in enumerate(files, start=1):
        head = upload.stream.read(1024)
        upload.stream.seek(0)
        if _is_pdf(head):
            data = upload.stream.read(max_bytes + 1)
            name = _display_name(upload, f"附件{index}.pdf")
            if len(data) > max_bytes:
                raise ServiceError(f"“{name}”超过 {current_app.config['LETTER_PDF_MAX_MB']:g} MB，请压缩后再上传。",
                                   code="file_too_large", status=413)
            if b"%%EOF" not in data[-2048:]:
                raise ServiceError(f"“{name}”不是完整的 PDF 文件（可能未上传完整），请重新选择。",
                                   code="unsupported_media_type", status=415)
            pdfs.append(PdfUpload(name if name.lower().endswith(".pdf") else name + ".pdf", data))
        else:
            photo_files.append(upload)
            photo_names.append(_display_name(upload, f"照片{index}.jpg"))
            photo_places.append(index)
    try:
        photos = read_uploads(photo_files, required=False, now=now, user=user) if photo_files else []
    except ServiceError as problem:  # the pipeline's wording names photos alone: a PDF is as welcome here
        message = problem.message.replace(UNSUPPORTED_IMAGE, UNREADABLE_ATTACHMENT)
        # "第2张照片：" counts the photos alone: the attachment's own place among all, and its name
        which = _PHOTO_PREFIX.match(message)
        if which and 0 < int(which[1]) <= len(photo_places):
            n = int(which[1]) - 1
            message = f"第{photo_places[n]}个附件（{photo_names[n]}）：" + message[which.end():]
        elif len(files) > 1 and len(photo_files) == 1:  # one photo among PDFs: which file it is
            message = f"第{photo_places[0]}个附件（{photo_names[0]}）：" + message
        if message == problem.message:
            raise
        raise ServiceError(message, code=problem.code, status=problem.status) from None
    return Uploads(pdfs, photos, photo_names)


_PHOTO_PREFIX = re.compile(r"第(\d+)张照片：")

# What a file neither photo nor PDF is told, on the pages and in the API alike (a letter's reply, a 约谈 record, a key
# task's report)
UNREADABLE_ATTACHMENT = "无法识别的文件格式，请上传照片（JPEG、PNG、WebP 或 HEIC）或 PDF 文件。"


def pdf_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store(uploads: Uploads, now: datetime, *, reply=None, interview=None, key_task_report=None) -> list[EscalationFile]:
    """Write the files and add their rows to the reply, the 约谈 or the key task's report (in the caller's
    transaction)."""
    rows: list[EscalationFile] = []
    photos = photo_store()
    for photo, name in zip(uploads.photos, uploads.photo_names):
        key = photos.save(photo)
        delete_on_rollback(photos.path(key), photos.path(key, thumb=True))
        rows.append(EscalationFile(kind="photo", photo_key=key, name=name, bytes=len(photo.jpeg),
                                   sha256=photo.sha256, width=photo.width, height=photo.height, created_at=now))
    for pdf in uploads.pdfs:
        relative = f"escalation/{local(now).year}/{secrets.token_hex(16)}.pdf"
        path = pdf_root() / relative
        write_atomically(path, lambda out, data=pdf.data: out.write(data))
        delete_on_rollback(path)
        rows.append(EscalationFile(kind="pdf", path=relative, name=pdf.name, bytes=len(pdf.data),
                                   sha256=pdf.sha256, created_at=now))
    for row in rows:
        row.reply_id = reply.id if reply is not None else None
        row.interview_id = interview.id if interview is not None else None
        row.key_task_report_id = key_task_report.id if key_task_report is not None else None
        db.session.add(row)
    return rows


def pdf_file(row: EscalationFile) -> Path | None:
    """The stored PDF's path (only a name this module made is ever opened)."""
    if row.kind != "pdf" or not _PDF_NAME.fullmatch(row.path or ""):
        return None
    path = pdf_root() / row.path
    return path if path.is_file() else None

