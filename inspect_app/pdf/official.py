"""Reportlab building blocks shared by official documents (see render.py for the documents themselves).

Page: A4, 版心 156 mm x 225 mm (top 37 mm, left 28 mm, right 26 mm, bottom 35 mm), body in 3号
(~16 pt) with 28 characters a line and 22 lines a page, page numbers "— 1 —" under the 版心.

Strings passed to these helpers are plain text (XML-escaped here); pass a ready Flowable (e.g. a
Paragraph) to use reportlab markup.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from ._reportlab import CellParagraph
from .fonts import FontSet, drawable, register_fonts

log = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_TOP = 37 * mm
MARGIN_LEFT = 28 * mm
MARGIN_RIGHT = 26 * mm
MARGIN_BOTTOM = 35 * mm
TEXT_WIDTH = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT  # 156 mm
TEXT_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM  # 225 mm

RED = colors.HexColor("#E60012")
HEADER_GREY = colors.HexColor("#D9D9D9")

BODY_SIZE = 15.79  # 3号 (16 pt), shrunk a hair so exactly 28 CJK characters fit the 156 mm line
BODY_LEADING = TEXT_HEIGHT / 22  # 22 lines a page (~29 pt)
TITLE_SIZE = 22.0  # 2号
NOTE_SIZE = 14.0  # 4号: 版记, page numbers
TABLE_SIZE = 10.5  # 五号

PHOTO_MISSING = "（照片缺失）"  # a stored photo whose file cannot be read
PHOTO_NONE = "（无照片）"  # a problem filed without one (a 上级测评反馈 entered by hand)
_MAX_PASSTHROUGH_PX = 1600  # larger images are downscaled instead of embedded verbatim


def format_cn_date(d: date) -> str:
    """成文日期 in Arabic numerals without zero padding: 2026年11月28日."""
    return f"{d.year}年{d.month}月{d.day}日"


def _text(value: object) -> str:
    """Plain text -> Paragraph markup, without the characters no face can draw (fonts.drawable)."""
    return escape(drawable("" if value is None else str(value))).replace("\n", "<br/>")


@lru_cache(maxsize=16)
def make_styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    """Paragraph styles of the official document for the given fonts (cached, do not mutate)."""
    body = ParagraphStyle(
        "body",
        fontName=fonts.body,
        fontSize=BODY_SIZE,
        leading=BODY_LEADING,
        firstLineIndent=2 * BODY_SIZE,
        alignment=TA_JUSTIFY,
        wordWrap="CJK",
    )
    return {
        "body": body,
        "body_flush": ParagraphStyle("body_flush", parent=body, firstLineIndent=0, alignment=TA_LEFT),
        "doc_number": ParagraphStyle("doc_number", parent=body, firstLineIndent=0, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title",
            fontName=fonts.heading,
            fontSize=TITLE_SIZE,
            leading=TITLE_SIZE * 1.5,
            alignment=TA_CENTER,
            wordWrap="CJK",
        ),
        "h1": ParagraphStyle("h1", parent=body, fontName=fonts.heading, alignment=TA_LEFT, keepWithNext=1),
        "h2": ParagraphStyle("h2", parent=body, alignment=TA_LEFT, keepWithNext=1),
        "note": ParagraphStyle(
            "note", fontName=fonts.body, fontSize=NOTE_SIZE, leading=NOTE_SIZE * 1.45, wordWrap="CJK"
        ),
        "note_right": ParagraphStyle(
            "note_right", fontName=fonts.body, fontSize=NOTE_SIZE, leading=NOTE_SIZE * 1.45, alignment=TA_RIGHT
        ),
        "cell": ParagraphStyle(
            "cell", fontName=fonts.body, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.35, wordWrap="CJK"
        ),
        "cell_head": ParagraphStyle(
            "cell_head",
            fontName=fonts.heading,
            fontSize=TABLE_SIZE,
            leading=TABLE_SIZE * 1.35,
            alignment=TA_CENTER,
            wordWrap="CJK",
        ),
        "photo_missing": ParagraphStyle(
            "photo_missing",
            fontName=fonts.body,
            fontSize=8,
            leading=10,
            alignment=TA_CENTER,
            textColor=colors.HexColor("#888888"),
        ),
    }


def _fonts(fonts: FontSet | None) -> FontSet:
    return fonts or register_fonts()


# ---------------------------------------------------------------------------------------------
# Small flowables
# ---------------------------------------------------------------------------------------------


class AtPageBottom(Flowable):
    """Places its content at the bottom of the current frame (or of the next one if it won't fit).

    Used for the 版记 (抄送/印发) that closes the last page. Must be the last flowable.
    """

    def __init__(self, content: Flowable) -> None:
        super().__init__()
        self.content = content

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        _, h = self.content.wrap(availWidth, availHeight)
        self.width, self.height = availWidth, max(h, availHeight)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return []  # never split: move to the next page as a whole

    def draw(self) -> None:
        self.content.drawOn(self.canv, 0, 0)


class ToEvenPage(Flowable):
    """Goes before the 版记 (an :class:`AtPageBottom`) and moves on a page when it would land on an odd page:
    GB/T 9704 §7.4 puts the 版记 on the last even page, the back of the last sheet. A body ending on an odd page
    has the 版记 over the leaf; one ending on an even page without room for it, a blank page before it (noted in
    ``blank_pages``: the page templates number neither that page nor the 版记's, §7.5). ``slack`` is the room a
    page may have used (a spacer) and still count as blank."""

    def __init__(self, content: Flowable, blank_pages: set[int], slack: float = 0) -> None:
        super().__init__()
        self.content, self.blank_pages, self.slack = content, blank_pages, slack
        self._blank = False

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        _, needed = self.content.wrap(availWidth, availHeight)
        page = self.canv.getPageNumber()
        turn = (page if needed <= availHeight else page + 1) % 2 == 1
        empty = availHeight >= getattr(self._frame, "_aH", math.inf) - self.slack - 0.01
        self._blank = turn and empty
        self.width = availWidth
        # on a page with content: too tall, so the frame moves on and asks again on the next page; on an empty
        # odd page: all of it, left blank
        self.height = 0 if not turn else availHeight if empty else availHeight + 1
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return []  # never split: ask again on the next page

    def draw(self) -> None:
        if self._blank:
            self.blank_pages.add(self.canv.getPageNumber())


class _JpegReader(ImageReader):
    """ImageReader for JPEG bytes that reportlab embeds verbatim (DCTDecode, no recompression).

    reportlab's canvas names image XObjects by hashing ``getRGBData()``, which would decode the
    whole image; for a JPEG the encoded bytes identify it just as well and cost nothing.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__(BytesIO(data))
        self._jpeg = data
        self._dataA = None

    def getRGBData(self) -> bytes:  # only used for the XObject name; pixels are never needed
        return self._jpeg


class ImageBox(Flowable):
    """An image drawn at a fixed size (points)."""

    def __init__(self, reader: ImageReader, width: float, height: float, *, hAlign: str = "CENTER") -> None:
        super().__init__()
        self.reader, self.width, self.height, self.hAlign = reader, width, height, hAlign

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if availWidth < self.width:  # e.g. a table column narrower than max_w_mm: shrink, keep aspect
            self.height *= availWidth / self.width
            self.width = availWidth
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(self.reader, 0, 0, self.width, self.height, mask=None)


def _is_complete_jpeg(data: bytes) -> bool:
    return data.rstrip(b"\0").endswith(b"\xff\xd9")


def _jpeg_reader(data: bytes) -> tuple[_JpegReader, tuple[int, int]]:
    """JPEG bytes ready for embedding and their pixel size; raises if the image is unreadable.

    Intact, upright, reasonably sized RGB/grey/CMYK JPEGs are passed through untouched (only the
    header is parsed). Anything else (PNG, EXIF-rotated, truncated, huge) is decoded now, so that
    errors surface here rather than during the document build, and re-encoded as JPEG.
    """
    with PILImage.open(BytesIO(data)) as im:
        orientation = im.getexif().get(0x0112, 1)
        if (
            im.format == "JPEG"
            and orientation == 1
            and im.mode in ("L", "RGB", "CMYK")
            and max(im.size) <= _MAX_PASSTHROUGH_PX
            and _is_complete_jpeg(data)
        ):
            return _JpegReader(data), im.size
        if im.format == "JPEG":
            im.draft("RGB", (_MAX_PASSTHROUGH_PX, _MAX_PASSTHROUGH_PX))  # fast DCT downscale
        im.thumbnail((_MAX_PASSTHROUGH_PX, _MAX_PASSTHROUGH_PX))
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            im = PILImage.new("RGB", rgba.size, "white")
            im.paste(rgba, mask=rgba.getchannel("A"))
        elif im.mode not in ("L", "RGB"):
            im = im.convert("RGB")
        buf = BytesIO()
        im.save(buf, "JPEG", quality=85)
        return _JpegReader(buf.getvalue()), im.size


def thumbnail_flowable(
    src: str | os.PathLike[str] | bytes,
    max_w_mm: float = 30,
    max_h_mm: float = 22.5,
    *,
    fonts: FontSet | None = None,
) -> Flowable:
    """An image scaled (aspect kept) to fit max_w_mm x max_h_mm.

    ``src`` is a file path or the image bytes (JPEG preferred: embedded without re-encoding).
    A missing or unreadable image yields a small "（照片缺失）" paragraph instead.
    """
    try:
        data = bytes(src) if isinstance(src, (bytes, bytearray, memoryview)) else Path(src).read_bytes()
        reader, (px_w, px_h) = _jpeg_reader(data)
    except Exception as exc:
        shown = "<bytes>" if isinstance(src, (bytes, bytearray, memoryview)) else os.fspath(src)
        log.warning("PDF photo %s unusable: %s", shown, exc)
        return Paragraph(PHOTO_MISSING, make_styles(_fonts(fonts))["photo_missing"])
    scale = min(max_w_mm * mm / px_w, max_h_mm * mm / px_h)
    return ImageBox(reader, px_w * scale, px_h * scale)


# ---------------------------------------------------------------------------------------------
# Paragraph helpers
# ---------------------------------------------------------------------------------------------


def body_paragraph(text: str, fonts: FontSet | None = None, *, indent: bool = True) -> Paragraph:
    """A body paragraph (plain text) with a two-character first-line indent."""
    styles = make_styles(_fonts(fonts))
    return Paragraph(_text(text), styles["body" if indent else "body_flush"])


def section_heading(text: str, fonts: FontSet | None = None, *, level: int = 1) -> Paragraph:
    """结构层次标题: level 1 ("一、…") in the heading (黑体-like) face, level 2 ("（一）…") in the body face."""
    styles = make_styles(_fonts(fonts))
    return Paragraph(_text(text), styles["h1" if level <= 1 else "h2"])


def kv_paragraph(key: str, value: str, fonts: FontSet | None = None, *, indent: bool = True) -> Paragraph:
    """A "键：值" body paragraph with the key in the heading face, e.g. 整改时限：2026年12月10日前."""
    f = _fonts(fonts)
    style = make_styles(f)["body" if indent else "body_flush"]
    return Paragraph(f'<font name="{f.heading}">{_text(key)}：</font>{_text(value)}', style)


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------

Cell = str | Flowable | Sequence[Flowable] | None


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    col_widths: Sequence[float] | None = None,
    fonts: FontSet | None = None,
    *,
    total_width: float = TEXT_WIDTH,
    center_cols: Sequence[int] = (),
) -> Table:
    """A grid table with wrapped cells and a grey header row repeated on every page.

    ``col_widths`` are in points (default: ``total_width`` split evenly). String cells become
    wrapped paragraphs; Flowables (e.g. ``thumbnail_flowable``) are placed as they are.
    ``center_cols`` lists column indexes whose content is centred.
    """
    styles = make_styles(_fonts(fonts))
    ncols = len(header)
    if col_widths is None:
        col_widths = [total_width / ncols] * ncols
    if len(col_widths) != ncols:
        raise ValueError("col_widths must have one width per header column")
    cell_style = styles["cell"]
    centred = ParagraphStyle("cell_center", parent=cell_style, alignment=TA_CENTER)
    col_styles = [centred if i in center_cols else cell_style for i in range(ncols)]

    def cell(value: Cell, style: ParagraphStyle) -> Flowable | Sequence[Flowable] | str:
        if value is None:
            return ""
        if isinstance(value, (Flowable, list, tuple)):
            return value
        return CellParagraph(_text(value), style)

    data: list[list[object]] = [[Paragraph(_text(h), styles["cell_head"]) for h in header]]
    for row in rows:
        if len(row) != ncols:
            raise ValueError(f"row has {len(row)} cells, header has {ncols}")
        data.append([cell(v, col_styles[i]) for i, v in enumerate(row)])

    table = Table(data, colWidths=list(col_widths), repeatRows=1, hAlign="CENTER",
                  spaceBefore=BODY_LEADING * 0.2, spaceAfter=BODY_LEADING * 0.4)
    # FONT: else the table's plain-string cells reference Helvetica
    table.setStyle(grid_style(styles["cell"].fontName, TABLE_SIZE))
    return table


def grid_style(font_name: str, size: float, leading: float | None = None) -> TableStyle:
    """The documents' table look: thin black grid, grey header row, centred cells, 3 pt padding."""
    return TableStyle([
        ("FONT", (0, 0), (-1, -1), font_name, size, leading or size * 1.2),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ])


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def hanging_slack(flowable: Flowable) -> float:
    """How far ``flowable``'s last line box may reach below the frame with its glyphs still inside: half of
    what the leading adds to the font size (a paragraph's), or what the flowable says (``hang_slack``)."""
    if hasattr(flowable, "hang_slack"):
        return max(0.0, flowable.hang_slack)
    style = getattr(flowable, "style", None)
    if style is None:
        return 0.0
    return max(0.0, (style.leading - style.fontSize) / 2)


class _HangingLines(Flowable):
    """A paragraph at the foot of a page whose last line box may reach below the frame by ``slack``.

    A line's box is its leading; the glyphs fill only ``fontSize`` of it, so the half of the rest that lies
    under them (``(leading - fontSize) / 2``) may hang past the frame's bottom and the text still ends inside
    the 版心. This matters on page 1, whose body is not on the 22-line grid: after a two-line title it ends
    with 2.95 lines of room, where a heading and two lines miss by 1.4 pt. Split, the first part hangs the
    same way and the rest is a plain paragraph on the next page. Any flowable whose last line is set that way
    may hang (the 落款's date line: ``hang_slack``).
    """

    def __init__(self, content: Flowable) -> None:
        super().__init__()
        self.content = content
        self.slack = hanging_slack(content)
        self._over = 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        w, h = self.content.wrap(availWidth, availHeight)
        self._over = h - availHeight if 0 < h - availHeight <= self.slack else 0.0
        self.width, self.height = w, h - self._over
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        parts = self.content.split(availWidth, availHeight + self.slack)
        return [_HangingLines(parts[0]), *parts[1:]] if parts else []

    def getSpaceBefore(self) -> float:
        return self.content.getSpaceBefore()

    def getSpaceAfter(self) -> float:
        return self.content.getSpaceAfter()

    def draw(self) -> None:
        self.content.drawOn(self.canv, 0, -self._over)


class _KeepWithNext(KeepTogether):
    """keepWithNext group (a heading and what follows) that keeps the heading off a page's last line
    without wasting the page.

    Plain KeepTogether moves the whole group to the next page whenever it does not fit, which for a
    heading followed by a long paragraph or a multi-page table leaves much of a page blank. Here the
    group stays and its last item splits when the leading items fit with the start of it:

    - a paragraph: at least its first two lines (or all of it), the last line box allowed to hang below
      the frame as far as its glyphs stay inside (:class:`_HangingLines`);
    - a table: ~3 lines of room, and the table really does split there (a table whose next row does not
      fit would leave the heading alone).

    Otherwise the group moves on whole, so a heading never ends a page.
    """

    min_lines = 2  # a paragraph's lines that stay with the heading
    min_tail = 3 * BODY_LEADING  # a table's room under the heading

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        *head, last = self._content
        if head and self._H > aH:
            head_h = sum(f.wrapOn(self.canv, aW, aH)[1] + f.getSpaceAfter() for f in head)
            room = aH - head_h - last.getSpaceBefore()
            if isinstance(last, Paragraph) and self._starts_here(last, aW, room):
                return [*head, _HangingLines(last)]
            if isinstance(last, Table) and head_h + self.min_tail <= aH and last.split(aW, room):
                return list(self._content)
        return super().split(aW, aH)

    def _starts_here(self, para: Paragraph, aW: float, room: float) -> bool:
        """Whether `para` fits in `room`, or its first ``min_lines`` lines do (with the hanging allowance)."""
        if room <= 0:
            return False
        probe = _HangingLines(para)
        if probe.wrap(aW, room)[1] <= room:
            return True
        parts = para.split(aW, room + probe.slack)
        return len(parts) > 1 and parts[0].height >= self.min_lines * para.style.leading - 1e-6


class KeepClosing(KeepTogether):
    """The document's end kept together, and only as much of it as must be: the 落款 (署名, 成文日期 and the
    seal's room), with the 附件说明 before it and the 附注 after it, never starts a page without body text
    (GB/T 9704 practice), so it goes with the end of the body, and only with its last lines.

    ``flowables`` are: headings that end the body (kept with what follows them), the body's last paragraph or
    table (the one before a closing sentence of one line such as 特此函告。, which cannot be split: render.story
    puts it among the closing items, so the 落款 never takes it alone to a page), then the closing items. When all of it does not fit, the paragraph is split as any body paragraph is
    (two lines at least end a page, reportlab's orphan rule) and as many lines as fit stay: the rest, at least
    its last ``tail_lines``, go on with the 落款; a table keeps its last row with it. What stays ends the page,
    hanging as :class:`_HangingLines` does, and a heading before it keeps at least ``_KeepWithNext.min_lines``
    lines. The 落款's last line may hang the same way (``hang_slack``), and its seal's room may close up by its
    ``squeeze`` (``tighten``) first: GB/T 9704 §7.3.5.4 fits a 落款 short of room by closing up the spacing, and
    the seal's top need only be within a line of the text. Only when nothing can stay (a paragraph
    of one or two lines, a table of one row, too little room) does the whole move, which then is no more than the
    落款 and the text it needs. Plain KeepTogether moved the whole last paragraph, however long,
    and left a third of a page blank.
    """

    tail_lines = 1

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        content = list(self._content)
        over = self._H - aH
        slack = hanging_slack(content[-1])
        give = sum(getattr(f, "squeeze", 0.0) for f in content)
        if over <= slack + give:  # fits: the seal's room closes up, then the last line box hangs
            over -= slack - 0.01  # a hundredth of a point in hand: the frame's sums differ in the last digits
            for f in content:
                if over > 0 and getattr(f, "squeeze", 0.0):
                    over -= f.tighten(over)
            if self._H > aH:
                content[-1] = _HangingLines(content[-1])
            return content
        lead = [f for f in itertools.takewhile(lambda f: f.getKeepWithNext(), content)]
        if len(lead) < len(content) - 1:
            text, rest = content[len(lead)], content[len(lead) + 1:]
            lead_h = sum(f.wrapOn(self.canv, aW, aH)[1] + f.getSpaceAfter() for f in lead)
            parts = self._leave(text, aW, aH - lead_h - text.getSpaceBefore(), bool(lead))
            if parts:
                head, tail = parts
                return [*lead, head, KeepClosing([tail, *rest])]
        return super().split(aW, aH)

    def _leave(self, text: Flowable, aW: float, room: float, after_heading: bool) -> tuple[Flowable, Flowable] | None:
        """``text`` as (what stays in ``room``, what goes on with the 落款), or None when it cannot be split."""
        if room <= 0:
            return None
        if isinstance(text, Paragraph):
            leading = text.style.leading
            text.wrap(aW, 1e6)
            lines = len(text.blPara.lines)
            here = min(lines - self.tail_lines, int((room + hanging_slack(text) + 1e-6) // leading))
            if here < (_KeepWithNext.min_lines if after_heading else 1):
                return None
            parts = text.split(aW, here * leading + 1e-6)
            return (_HangingLines(parts[0]), parts[1]) if len(parts) == 2 else None
        if isinstance(text, Table):
            text.wrap(aW, room)
            heights = text._rowHeights
            cut = min(room, sum(heights) - heights[-1] - 0.01)  # the last row at least goes on
            parts = text.split(aW, cut) if cut > 0 else []
            return (parts[0], parts[1]) if len(parts) == 2 else None
        return None


def _page_number_drawer(fonts: FontSet):
    def draw(canv, doc) -> None:
        # 页码: 4号 "— 1 —", 7 mm under the 版心; odd pages right, even pages left, one character in
        label = f"— {doc.page} —"
        width = stringWidth(label, fonts.role("song"), NOTE_SIZE)
        x = MARGIN_LEFT + TEXT_WIDTH - NOTE_SIZE - width if doc.page % 2 else MARGIN_LEFT + NOTE_SIZE
        canv.saveState()
        canv.setFont(fonts.role("song"), NOTE_SIZE)
        canv.drawString(x, MARGIN_BOTTOM - 7 * mm - NOTE_SIZE * 0.35, label)
        canv.restoreState()

    return draw


def build_pdf(
    out: str | os.PathLike[str] | BinaryIO,
    story: list[Flowable],
    *,
    title: str = "",
    author: str = "",
    fonts: FontSet | None = None,
) -> None:
    """Lay ``story`` out on GB/T 9704 A4 pages with "— n —" page numbers and write the PDF."""
    fonts = _fonts(fonts)
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    doc = BaseDocTemplate(
        target,
        pagesize=A4,
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        creator="文明城市督查整改系统",
        initialFontName=fonts.body,  # avoid an unused, non-embedded Helvetica resource
    )
    doc.keepTogetherClass = _KeepWithNext
    frame = Frame(
        MARGIN_LEFT, MARGIN_BOTTOM, TEXT_WIDTH, TEXT_HEIGHT,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_page_number_drawer(fonts))])
    doc.build(story)


def build_official_pdf(
    out: str | os.PathLike[str] | BinaryIO,
    *,
    banner: str,
    doc_number: str | None,
    title: str,
    recipient: str | None,
    body: Sequence[Flowable | str],
    signoff_office: str,
    signoff_date: date,
    cc: str | None = None,
    printed_by: str | None = None,
    printed_date: date | None = None,
    fonts: FontSet | None = None,
) -> None:
    """Write a 文件格式 document (GB/T 9704-2012) without seal as PDF to ``out``: a shortcut to
    :func:`.render.render_document` for callers that have flowables rather than document blocks.

    ``body`` items that are strings become body paragraphs (one per line, plain text); Flowables
    (tables, ``section_heading``, ``kv_paragraph`` ...) are used as they are. The 版记 at the bottom of
    the last page has a 抄送 row if ``cc`` and a 印发 row if ``printed_by``/``printed_date``.
    """
    from .document import Form, OfficialDocument, Raw
    from .render import render_document

    doc = OfficialDocument(
        form=Form.FILE,
        issuer_mark=banner,
        doc_number=doc_number,
        title=title,
        recipients=[recipient] if recipient else [],
        body=[item if isinstance(item, str) else Raw([item]) for item in body],
        signatory=signoff_office,
        date=signoff_date,
        seal_space=False,
        cc=[cc] if cc else [],
        printer=printed_by or "",
        print_date=printed_date if (printed_by or printed_date) else None,
    )
    render_document(doc, out, fonts=_fonts(fonts))
