"""Shared PDF building blocks (reportlab) for 督办函, 通报 and 红黑榜."""

from . import _reportlab  # noqa: F401  (process-wide reportlab settings, before any document is built)
from .atomic import write_atomically
from .fonts import FontSet, register_fonts
from .official import (
    PHOTO_MISSING,
    PHOTO_NONE,
    TEXT_WIDTH,
    body_paragraph,
    build_official_pdf,
    build_pdf,
    data_table,
    format_cn_date,
    kv_paragraph,
    section_heading,
    thumbnail_flowable,
)

__all__ = [
    "PHOTO_MISSING",
    "PHOTO_NONE",
    "TEXT_WIDTH",
    "FontSet",
    "body_paragraph",
    "build_official_pdf",
    "build_pdf",
    "data_table",
    "format_cn_date",
    "kv_paragraph",
    "register_fonts",
    "section_heading",
    "thumbnail_flowable",
    "write_atomically",
]
