"""Font registration for PDF output.

The bundled WenQuanYi Micro Hei (TrueType, Apache-2.0 / GPLv3 with font exception, see
fonts/LICENSE-wqy-microhei.txt) is always available, so PDFs render on machines without any
Chinese fonts: reportlab embeds a subset of every TrueType face it uses (FontFile2).

An office may configure its own TrueType body face (e.g. a 仿宋 .ttf). CFF/OpenType-PS fonts
(Noto CJK, Source Han) cannot be embedded by reportlab and are rejected with a warning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT_PATH = FONT_DIR / "wqy-microhei.ttc"
BUNDLED_FONT_NAME = "WQYMicroHei"

# A configured body face must at least cover these to be usable for official documents.
_REQUIRED_CHARS = "的一国文明整改督办函年月日，。：（）"


@dataclass(frozen=True)
class FontSet:
    """Registered reportlab font names for the three roles of an official document."""

    heading: str
    body: str
    banner: str


_lock = threading.Lock()
_cache: dict[str | None, FontSet] = {}


def _register_ttf(name: str, path: str | Path) -> TTFont:
    font = TTFont(name, str(path), subfontIndex=0)
    pdfmetrics.registerFont(font)
    # Map <b>/<i> markup onto the same face so Paragraph markup never fails.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return font


def _register_bundled() -> str:
    if BUNDLED_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        _register_ttf(BUNDLED_FONT_NAME, BUNDLED_FONT_PATH)
    return BUNDLED_FONT_NAME


def _register_configured(path: str) -> str | None:
    """Register an office-configured TrueType face; None (and a warning) if unusable."""
    real = os.path.realpath(path)
    name = "OfficeBody-" + hashlib.sha1(real.encode("utf-8")).hexdigest()[:10]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    if not os.path.isfile(real) or not os.access(real, os.R_OK):
        log.warning("PDF body font %r is missing or unreadable; using bundled %s", path, BUNDLED_FONT_NAME)
        return None
    try:
        font = TTFont(name, real, subfontIndex=0)
    except Exception as exc:  # TTFError for CFF outlines, corrupt files, ...
        log.warning("PDF body font %r cannot be embedded (%s); using bundled %s", path, exc, BUNDLED_FONT_NAME)
        return None
    missing = [ch for ch in _REQUIRED_CHARS if ord(ch) not in font.face.charToGlyph]
    if missing:
        log.warning(
            "PDF body font %r lacks Chinese glyphs (%s); using bundled %s", path, "".join(missing), BUNDLED_FONT_NAME
        )
        return None
    pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name


def register_fonts(body_font_path: str | os.PathLike[str] | None = None) -> FontSet:
    """Register the PDF fonts (idempotent, thread-safe) and return their names.

    ``body_font_path`` is an optional office-configured TrueType (.ttf/.ttc, first face) used
    for body text; if it is missing or unusable the bundled face is used and a warning logged
    (once per path per process). Registering the bundled face takes ~0.25 s the first time.
    """
    key = os.fspath(body_font_path) if body_font_path else None
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        bundled = _register_bundled()
        body = (_register_configured(key) if key else None) or bundled
        fonts = FontSet(heading=bundled, body=body, banner=bundled)
        _cache[key] = fonts
        return fonts
