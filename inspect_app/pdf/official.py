"""Reportlab building blocks for GB/T 9704-2012 style official documents (督办函, 通报, 红黑榜).

Page: A4, 版心 156 mm x 225 mm (top 37 mm, left 28 mm, right 26 mm, bottom 35 mm), body in 3号
(~16 pt) with 28 characters a line and 22 lines a page, page numbers "— 1 —" under the 版心.

Strings passed to these helpers are plain text (XML-escaped here); pass a ready Flowable (e.g. a
Paragraph) to use reportlab markup.
"""

from __future__ import annotations

import logging
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
from reportlab.pdfbase.pdfmetrics import getAscent, getDescent, stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .fonts import FontSet, register_fonts

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
BANNER_SIZE = 56.0  # 发文机关标志: glyphs ~15 mm wide (after condensing) and ~20 mm high
BANNER_HSCALE = 0.68
BANNER_TOP_SPACE = 35 * mm  # banner top edge is 35 mm below the 版心 top edge (下行文)

PHOTO_MISSING = "（照片缺失）"
_MAX_PASSTHROUGH_PX = 1600  # larger images are downscaled instead of embedded verbatim


def format_cn_date(d: date) -> str:
    """成文日期 in Arabic numerals without zero padding: 2026年11月28日."""
    return f"{d.year}年{d.month}月{d.day}日"


def _text(value: object) -> str:
    """Plain text -> Paragraph markup."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


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


class BoldParagraph(Paragraph):
    """Paragraph with simulated bold (fill + thin stroke), for faces that have no bold weight."""

    def draw(self) -> None:
        canv = self.canv
        canv.saveState()
        canv.setStrokeColor(self.style.textColor)
        canv.setLineWidth(self.style.fontSize * 0.03)
        canv.addLiteral("2 Tr")  # text render mode: fill then stroke
        super().draw()
        canv.restoreState()


class Banner(Flowable):
    """发文机关标志: one red line of condensed, bold, centred text, shrunk to fit the width."""

    def __init__(self, text: str, font: str, *, size: float = BANNER_SIZE, color: colors.Color = RED) -> None:
        super().__init__()
        self.text, self.font, self.size, self.color = text, font, size, color
        self.hscale = BANNER_HSCALE

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        natural = stringWidth(self.text, self.font, self.size)
        self.hscale = BANNER_HSCALE
        if natural * self.hscale > availWidth:
            self.hscale = max(0.5, availWidth / natural)
            if natural * self.hscale > availWidth:
                self.size = self.size * availWidth / (natural * self.hscale)
        self.width = availWidth
        self.height = getAscent(self.font, self.size) - getDescent(self.font, self.size)
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        width = stringWidth(self.text, self.font, self.size) * self.hscale
        canv.saveState()
        canv.setFillColor(self.color)
        canv.setStrokeColor(self.color)
        canv.setLineWidth(self.size * 0.025)
        t = canv.beginText((self.width - width) / 2, -getDescent(self.font, self.size))
        t.setFont(self.font, self.size)
        t.setHorizScale(self.hscale * 100)
        t.setTextRenderMode(2)
        t.textOut(self.text)
        canv.drawText(t)
        canv.restoreState()


class SignOff(Flowable):
    """发文机关署名 and 成文日期 for a document without a seal (GB/T 9704-2012 7.3.5.2).

    The office name is right-indented two characters; the date goes on the next line, starting
    two characters right of the office name; a date longer than that is right-indented two
    characters and the office name moves left to keep the two-character offset.
    """

    def __init__(self, office: str, when: date, font: str, *, size: float = BODY_SIZE,
                 leading: float = BODY_LEADING) -> None:
        super().__init__()
        self.office, self.date_text = office, format_cn_date(when)
        self.font, self.size, self.leading = font, size, leading

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = availWidth, 2 * self.leading
        return self.width, self.height

    def draw(self) -> None:
        canv, ch = self.canv, self.size
        office_w = stringWidth(self.office, self.font, ch)
        date_w = stringWidth(self.date_text, self.font, ch)
        right = self.width - 2 * ch
        office_x = right - office_w
        date_x = office_x + 2 * ch
        if date_x + date_w > right:
            date_x = right - date_w
            office_x = date_x - 2 * ch
        office_x = max(0.0, office_x)
        base = (self.leading - ch) / 2 - getDescent(self.font, ch)
        canv.setFont(self.font, ch)
        canv.drawString(office_x, self.leading + base, self.office)
        canv.drawString(date_x, base, self.date_text)


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
        return Paragraph(_text(value), style)

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


class _KeepWithNext(KeepTogether):
    """keepWithNext group (e.g. a heading and what follows) that does not waste a page.

    Plain KeepTogether moves the whole group to the next page whenever it does not fit, which
    for a heading followed by a multi-page table leaves most of a page blank. Here, if the
    leading items plus ~3 lines of the last (splittable) item fit, the group stays and the last
    item splits normally.
    """

    min_tail = 3 * BODY_LEADING

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        *head, last = self._content
        if self._H > aH and head and isinstance(last, (Table, Paragraph)):
            head_h = sum(f.wrapOn(self.canv, aW, aH)[1] + f.getSpaceAfter() for f in head)
            if head_h + self.min_tail <= aH:
                return list(self._content)
        return super().split(aW, aH)


def _page_number_drawer(fonts: FontSet):
    def draw(canv, doc) -> None:
        canv.saveState()
        canv.setFont(fonts.body, NOTE_SIZE)
        # 页码: 4号, "— 1 —", about 7 mm below the 版心
        canv.drawCentredString(PAGE_WIDTH / 2, MARGIN_BOTTOM - 7 * mm - NOTE_SIZE, f"— {doc.page} —")
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


def _colophon(cc: str | None, printed_by: str | None, printed_date: date | None, fonts: FontSet) -> Table | None:
    """版记: 抄送 and 印发 rows between rules (thick first and last, thin in between)."""
    styles = make_styles(fonts)
    rows: list[list[object]] = []
    if cc:
        cc_text = cc.rstrip("。") + "。"
        label_w = stringWidth("抄送：", fonts.body, NOTE_SIZE)
        hanging = ParagraphStyle("cc", parent=styles["note"], leftIndent=label_w, firstLineIndent=-label_w)
        rows.append([Paragraph("抄送：" + _text(cc_text), hanging), ""])
    if printed_by or printed_date:
        when = f"{format_cn_date(printed_date)}印发" if printed_date else "印发"
        rows.append([Paragraph(_text(printed_by or ""), styles["note"]), Paragraph(when, styles["note_right"])])
    if not rows:
        return None
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), fonts.body, NOTE_SIZE),
        ("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),
        ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), NOTE_SIZE),
        ("RIGHTPADDING", (0, 0), (-1, -1), NOTE_SIZE),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if cc:
        commands.append(("SPAN", (0, 0), (1, 0)))
    if len(rows) > 1:
        commands.append(("LINEBELOW", (0, 0), (-1, -2), 0.7, colors.black))
    return Table(rows, colWidths=[TEXT_WIDTH * 0.55, TEXT_WIDTH * 0.45], style=TableStyle(commands))


def official_story(
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
) -> list[Flowable]:
    """The flowables of a GB/T 9704 document; see ``build_official_pdf``."""
    fonts = _fonts(fonts)
    styles = make_styles(fonts)
    line = BODY_LEADING
    story: list[Flowable] = [Spacer(1, BANNER_TOP_SPACE), Banner(banner, fonts.banner)]
    if doc_number:
        story += [Spacer(1, line), Paragraph(_text(doc_number), styles["doc_number"])]
    else:
        story.append(Spacer(1, line))
    story.append(HRFlowable(width="100%", thickness=1.5, color=RED, spaceBefore=4 * mm, spaceAfter=line))
    story.append(BoldParagraph(_text(title), styles["title"]))
    story.append(Spacer(1, line * 0.5))
    if recipient:
        story.append(Paragraph(_text(recipient.rstrip("：:") + "："), styles["body_flush"]))

    items: list[Flowable] = []
    for item in body:
        if isinstance(item, str):
            items += [Paragraph(_text(p.strip()), styles["body"]) for p in item.split("\n") if p.strip()]
        else:
            items.append(item)
    closing: list[Flowable] = [Spacer(1, line), SignOff(signoff_office, signoff_date, fonts.body)]
    if items and isinstance(items[-1], Paragraph):
        closing.insert(0, items.pop())  # never leave the sign-off alone on a page
    story += items
    story.append(KeepTogether(closing))

    if printed_by and printed_date is None:
        printed_date = signoff_date
    colophon = _colophon(cc, printed_by, printed_date, fonts)
    if colophon is not None:
        story += [Spacer(1, line * 0.5), AtPageBottom(colophon)]
    return story


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
    """Write a GB/T 9704-2012 style official document (e.g. a 督办函) as PDF to ``out``.

    ``out`` is a path or a binary file object (see ``write_atomically``). ``body`` items that
    are strings become body paragraphs (one per line, plain text); Flowables (tables,
    ``section_heading``, ``kv_paragraph`` ...) are used as they are. The 版记 at the bottom of
    the last page has a 抄送 row if ``cc`` and a 印发 row if ``printed_by``/``printed_date``.
    """
    fonts = _fonts(fonts)
    story = official_story(
        banner=banner,
        doc_number=doc_number,
        title=title,
        recipient=recipient,
        body=body,
        signoff_office=signoff_office,
        signoff_date=signoff_date,
        cc=cc,
        printed_by=printed_by,
        printed_date=printed_date,
        fonts=fonts,
    )
    build_pdf(out, story, title=title, author=signoff_office, fonts=fonts)
