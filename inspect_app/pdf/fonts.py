"""Fonts for PDF output: the five faces of a GB/T 9704 document, each embedded (TrueType subsets).

Roles (the standard's faces, and what stands in for them when the office has not configured its own):

    title  小标宋 (方正小标宋简体)  titles, 发文机关标志      stand-in: AR PL UMing (Ming/Song), emboldened
    body   仿宋 (仿宋_GB2312)       body text, 署名, 版记      stand-in: AR PL UMing
    hei    黑体                     "一、" headings, 附件 label  stand-in: WenQuanYi Micro Hei (bundled)
    kai    楷体 (楷体_GB2312)       "（一）" headings           stand-in: AR PL UKai
    song   宋体                     tables, page numbers       stand-in: AR PL UMing

The office points ``PDF_FONT_TITLE`` … ``PDF_FONT_SONG`` at its licensed TrueType files; the Debian
packages named in ``PDF_SYSTEM_FONTS`` (fonts-arphic-uming, fonts-arphic-ukai) give the stand-ins; the
bundled WenQuanYi Micro Hei (Apache-2.0 / GPLv3 with font exception, see fonts/LICENSE-wqy-microhei.txt)
covers every role when neither is present, so a PDF always renders. reportlab embeds TrueType (glyf)
outlines only: CFF-flavoured OpenType (Noto CJK, Source Han) is refused with a warning, as is a face
lacking common Chinese characters. A character a face lacks (仿宋_GB2312 covers GB 2312 only; names
often use rarer ones) is drawn in the first fallback face that has it: see :func:`markup`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
BUNDLED_FONT_PATH = FONT_DIR / "wqy-microhei.ttc"
BUNDLED_FONT_NAME = "WQYMicroHei"

ROLES = ("title", "body", "hei", "kai", "song")

# A configured face must at least cover these to be usable for official documents.
_REQUIRED_CHARS = "的一国文明整改督办函年月日，。：（）"


@dataclass(frozen=True)
class FontSet:
    """Registered reportlab font names for the roles of an official document.

    ``heading`` and ``banner`` are the names earlier code used for the 黑体 and 标志 roles.
    ``title_faux_bold``: the title face is a light stand-in (not the office's 小标宋) and is drawn
    emboldened (fill plus a thin stroke of the same colour).
    """

    heading: str
    body: str
    banner: str
    kai: str = ""
    song: str = ""
    title_faux_bold: bool = True

    @property
    def title(self) -> str:
        return self.banner

    @property
    def hei(self) -> str:
        return self.heading

    def role(self, role: str) -> str:
        return {"title": self.banner, "body": self.body, "hei": self.heading,
                "kai": self.kai or self.body, "song": self.song or self.body}[role]


_lock = threading.Lock()
_cache: dict[object, FontSet] = {}
_coverage: dict[str, frozenset[int]] = {}  # registered name -> code points it has glyphs for
_fallbacks: list[str] = []  # registered names tried, in order, for characters a face lacks
_by_path: dict[tuple[str, int], str | None] = {}  # (real path, subfont) -> registered name, None if unusable


def _register(name: str, font: TTFont) -> str:
    pdfmetrics.registerFont(font)
    # Map <b>/<i> markup onto the same face so Paragraph markup never fails.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    _coverage[name] = frozenset(font.face.charToGlyph)
    return name


def _register_bundled() -> str:
    if BUNDLED_FONT_NAME not in _coverage:
        _register(BUNDLED_FONT_NAME, TTFont(BUNDLED_FONT_NAME, str(BUNDLED_FONT_PATH), subfontIndex=0))
        _fallbacks.insert(0, BUNDLED_FONT_NAME)
    return BUNDLED_FONT_NAME


def _split_spec(spec: str) -> tuple[str, int]:
    """"/path/font.ttc#2" -> ("/path/font.ttc", 2); the face index of a collection defaults to 0."""
    path, sep, index = spec.rpartition("#")
    if sep and index.isdigit():
        return path, int(index)
    return spec, 0


def _register_file(spec: str | os.PathLike[str], *, quiet: bool = False) -> str | None:
    """Register a TrueType file (``path`` or ``path#face``); None (and a warning) if it is unusable."""
    path, index = _split_spec(os.fspath(spec))
    real = os.path.realpath(path)
    key = (real, index)
    if key in _by_path:
        return _by_path[key]
    name = None
    if not os.path.isfile(real) or not os.access(real, os.R_OK):
        if not quiet:
            log.warning("PDF font %r is missing or unreadable; using a stand-in face", os.fspath(spec))
    else:
        candidate = "Face-" + hashlib.sha1(f"{real}#{index}".encode()).hexdigest()[:10]
        try:
            font = TTFont(candidate, real, subfontIndex=index)
        except Exception as exc:  # TTFError for CFF outlines, corrupt files, a missing face index ...
            log.warning("PDF font %r cannot be embedded (%s); using a stand-in face", os.fspath(spec), exc)
        else:
            missing = [ch for ch in _REQUIRED_CHARS if ord(ch) not in font.face.charToGlyph]
            if missing:
                log.warning("PDF font %r lacks Chinese glyphs (%s); using a stand-in face", os.fspath(spec),
                            "".join(missing))
            else:
                name = _register(candidate, font)
    _by_path[key] = name
    return name


def _first_usable(specs: Iterable[str], *, quiet: bool) -> str | None:
    for spec in specs:
        if spec:
            name = _register_file(spec, quiet=quiet)
            if name:
                return name
    return None


def register_fonts(body_font_path: str | os.PathLike[str] | None = None) -> FontSet:
    """The bundled face in every role (idempotent, thread-safe), optionally with an office body face.

    ``body_font_path`` is an optional office-configured TrueType (.ttf/.ttc, first face) used for
    body text; if it is missing or unusable the bundled face is used and a warning logged (once per
    path per process). Registering the bundled face takes ~0.2 s the first time. Documents normally
    use :func:`document_fonts`, which also looks for the office's and Debian's faces.
    """
    key = ("bundled", os.fspath(body_font_path) if body_font_path else None)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        bundled = _register_bundled()
        body = (_register_file(key[1]) if key[1] else None) or bundled
        fonts = FontSet(heading=bundled, body=body, banner=bundled, kai=bundled, song=bundled)
        _cache[key] = fonts
        return fonts


def _config_value(config: Mapping | None, name: str):
    if config is not None and config.get(name) is not None:
        return config.get(name)
    from ..config import Config

    return getattr(Config, name)


def document_fonts(config: Mapping | None = None, *, body: str | os.PathLike[str] | None = None) -> FontSet:
    """The faces for official documents from settings (``config``: an app.config; default: ``Config``).

    Per role: the office's file (``PDF_FONT_<ROLE>``), else the first present file of
    ``PDF_SYSTEM_FONTS[role]`` (Debian packages), else the bundled face. ``body`` overrides the
    office body face (the older ``LETTER_FONT_PATH`` setting). A configured file that is missing or
    unusable is logged once and skipped. Cached per distinct set of paths.
    """
    office = {role: os.fspath(_config_value(config, f"PDF_FONT_{role.upper()}") or "") for role in ROLES}
    if body:
        office["body"] = os.fspath(body)
    system = _config_value(config, "PDF_SYSTEM_FONTS") or {}
    key = ("document", tuple(office[r] for r in ROLES), tuple((r, tuple(system.get(r, ()))) for r in ROLES))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        bundled = _register_bundled()
        # Every usable system face also serves as a fallback for glyphs a chosen face lacks.
        for role in ROLES:
            for spec in system.get(role, ()):
                name = _register_file(spec, quiet=True)
                if name and name not in _fallbacks:
                    _fallbacks.append(name)
        chosen: dict[str, str] = {}
        office_title = False
        for role in ROLES:
            name = _first_usable([office[role]], quiet=False) if office[role] else None
            if role == "title":
                office_title = name is not None
            chosen[role] = name or _first_usable(system.get(role, ()), quiet=True) or bundled
        fonts = FontSet(heading=chosen["hei"], body=chosen["body"], banner=chosen["title"], kai=chosen["kai"],
                        song=chosen["song"], title_faux_bold=not office_title)
        _cache[key] = fonts
        return fonts


def coverage(name: str) -> frozenset[int]:
    """Code points the registered face ``name`` has glyphs for (empty for faces not registered here)."""
    return _coverage.get(name, frozenset())


# joiners and variation selectors: they only bind emoji together, and some faces have an (empty) glyph for them
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")


# Chinese characters (CJK Unified Ideographs, Extensions A to I, compatibility ideographs): one no face has is part
# of a name or a place, and is printed as the printer's mark for a missing character instead of vanishing
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF), (0x2EBF0, 0x2EE5F))
MISSING_HAN = "□"
_told: set[str] = set()  # characters already logged (once per process)


def _is_han(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _HAN)


def _missing(ch: str, faces: list[frozenset[int]]) -> str:
    """What stands for a character no face has: □ for a Chinese character (logged once: 𠮷 and 㐀 vanished
    and a name printed wrong without a trace), nothing for the rest (emoji)."""
    if not _is_han(ch) or not any(ord(MISSING_HAN) in have for have in faces):
        return ""
    if ch not in _told:
        _told.add(ch)
        log.warning("PDF: no installed face has %s (U+%04X); printed as %s. Set PDF_FONT_* to a TrueType face that "
                    "has it", ch, ord(ch), MISSING_HAN)
    return MISSING_HAN


def drawable(text: str, font: str | None = None) -> str:
    """``text`` without the characters no registered face can draw (emoji such as 🍔, and the joiners and
    variation selectors between them), which would print as an empty box; ASCII always stays. A Chinese character
    no face has becomes □ (:data:`MISSING_HAN`), logged. ``font`` first, then the fallbacks; without any face
    registered the text is left as it is."""
    faces = [_coverage[f] for f in ([font] if font in _coverage else []) + _fallbacks]
    if not faces or all(ord(ch) < 0x80 or (ord(ch) in faces[0] and ch not in _EMOJI_GLUE) for ch in text):
        return text
    return "".join(ch if ord(ch) < 0x80 or (ch not in _EMOJI_GLUE and any(ord(ch) in have for have in faces))
                   else "" if ch in _EMOJI_GLUE else _missing(ch, faces) for ch in text)


def runs(text: str, font: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font name, text) runs: characters ``font`` lacks go to the first fallback
    face that has them; those no face has are left out, or printed as □ (:func:`drawable`). Every PDF's text is drawn,
    measured or marked up through here."""
    have = _coverage.get(font)
    if not text or have is None:
        return [(font, text)] if text else []
    text = drawable(text, font)
    out: list[tuple[str, str]] = []
    current, start = font, 0
    for i, ch in enumerate(text):
        code = ord(ch)
        face = font
        if code not in have and code > 0x7F:
            face = next((f for f in _fallbacks if f != font and code in _coverage[f]), font)
        if face != current:
            if i > start:
                out.append((current, text[start:i]))
            current, start = face, i
    if text:
        out.append((current, text[start:]))
    return out


def markup(text: str, font: str) -> str:
    """Plain text as Paragraph markup for a paragraph set in ``font``: XML-escaped, with characters the
    face lacks wrapped in ``<font name=…>`` of a face that has them."""
    have = _coverage.get(font)
    if have is None or all(ord(ch) in have or ord(ch) < 0x80 for ch in text):
        return escape(text)
    return "".join(escape(part) if face == font else f'<font name="{face}">{escape(part)}</font>'
                   for face, part in runs(text, font))


def string_width(text: str, font: str, size: float) -> float:
    """Width of ``text`` as drawn with fallbacks (see :func:`runs`)."""
    return sum(pdfmetrics.stringWidth(part, face, size) for face, part in runs(text, font))


def draw_string(canvas, x: float, y: float, text: str, font: str, size: float) -> float:
    """Draw ``text`` at (x, y) with per-character fallbacks; returns the width drawn."""
    start = x
    for face, part in runs(text, font):
        canvas.setFont(face, size)
        canvas.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, face, size)
    return x - start
