"""Render an :class:`~.document.OfficialDocument` to PDF in the layout of GB/T 9704-2012 (党政机关公文格式).

Page: A4; 天头 37 mm, 订口 28 mm, 版心 156 x 225 mm; body 3号 (16 pt, here 15.79 pt so that exactly 28
characters fill a line) on a grid of 22 lines a page (one 行 = 225 mm / 22).

文件格式 (§7): the 发文机关标志 (red, 小标宋) with its top 35 mm below the 版心's; the 发文字号 centred two
lines under it; a red rule 4 mm under that; the title two lines under the rule; 主送 one line under the
title; page numbers "— 1 —" in 4号, 7 mm under the 版心, odd pages right and even pages left (one
character in); the 版记 (报, 抄送, 印发) between rules at the foot of the last page.

信函格式 (§10.1): the mark 30 mm from the top edge; a red double rule (thick over thin) 4 mm under it and a
second one (thin over thick) 20 mm above the bottom edge, both 170 mm; the 发文字号 flush right under the
first rule at 7/8 of a 3号 character; the title two lines under it; no page number on page 1; a 版记 of
报/抄送 lines only, without rules or 印发.

落款 (§7.3.5): with a seal (or room for a wet one) the 成文日期 stands four characters in from the right,
the 署名 centred over it, the seal centred on the date with 署名 and date below its centre and its top
within one line of the body; without (``seal_space=False``) 署名 two characters in from the right and the
date under it, starting two characters further right. A 署名 longer than the 版心 less two characters is broken
between words into balanced lines (centred, or flush right without a seal), the date under the last.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from . import text as textmod
from ._reportlab import CellParagraph
from .document import (
    Attachment,
    Block,
    Column,
    DataTable,
    Form,
    Heading,
    OfficialDocument,
    Para,
    Photo,
    Raw,
    Seal,
)
from .fonts import FontSet, document_fonts, draw_string, markup, runs, string_width
from .official import (
    BODY_LEADING,
    BODY_SIZE,
    HEADER_GREY,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_TOP,
    NOTE_SIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PHOTO_NONE,
    RED,
    TEXT_HEIGHT,
    TEXT_WIDTH,
    TITLE_SIZE,
    AtPageBottom,
    KeepClosing,
    ToEvenPage,
    _KeepWithNext,
    format_cn_date,
    thumbnail_flowable,
)

log = logging.getLogger(__name__)

LINE = BODY_LEADING  # one 行 of the 22-line grid (~10.2 mm)
CHAR = BODY_SIZE  # one 字 of body text
TEXT_RIGHT = MARGIN_LEFT + TEXT_WIDTH
TEXT_CENTRE = MARGIN_LEFT + TEXT_WIDTH / 2
TITLE_LEADING = TITLE_SIZE * 1.5
SEVEN_EIGHTHS = 16 * 7 / 8  # 3号汉字高度的7/8, in points

# 文件格式 mark: at most 22 mm high and 15 mm wide a character (§7.2.4); condensed further to fit the 版心.
FILE_MARK_TOP = MARGIN_TOP + 35 * mm
FILE_MARK_SIZE = 62.0
FILE_MARK_HSCALE = 0.68
FILE_RULE = 1.5  # pt

# 信函格式 mark and rules.
LETTER_MARK_TOP = 30 * mm
LETTER_MARK_SIZE = 30.0
LETTER_RULE_LENGTH = 170 * mm
LETTER_RULE_THICK, LETTER_RULE_THIN, LETTER_RULE_GAP = 2.0, 0.75, 1.5  # pt
LETTER_BOTTOM_RULE = 20 * mm  # from the bottom edge

FAUX_BOLD = 0.035  # stroke width as a share of the size, for a light stand-in title face
TABLE_GROUP_BG = colors.HexColor("#F2F2F2")
DRAFT_GREY = colors.Color(0.5, 0.5, 0.5, alpha=0.25)


# ============================================================================================ styles

@lru_cache(maxsize=16)
def styles(fonts: FontSet) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("d_body", fontName=fonts.body, fontSize=BODY_SIZE, leading=LINE,
                          firstLineIndent=2 * CHAR, alignment=TA_JUSTIFY, wordWrap="CJK")
    return {
        "body": body,
        "flush": ParagraphStyle("d_flush", parent=body, firstLineIndent=0, alignment=TA_LEFT),
        # headings are indented two characters like the paragraphs (GB/T 9704 §7.3.3)
        "h1": ParagraphStyle("d_h1", parent=body, fontName=fonts.hei, alignment=TA_LEFT, keepWithNext=1),
        "h2": ParagraphStyle("d_h2", parent=body, fontName=fonts.role("kai"), alignment=TA_LEFT, keepWithNext=1),
        "h3": ParagraphStyle("d_h3", parent=body, alignment=TA_LEFT, keepWithNext=1),
        "attach_label": ParagraphStyle("d_attach_label", parent=body, fontName=fonts.hei, firstLineIndent=0,
                                       alignment=TA_LEFT),
        "note": ParagraphStyle("d_note", fontName=fonts.body, fontSize=NOTE_SIZE, leading=NOTE_SIZE * 1.5,
                               wordWrap="CJK"),
    }


@lru_cache(maxsize=64)
def cell_styles(fonts: FontSet, size: float) -> dict[str, ParagraphStyle]:
    cell = ParagraphStyle("d_cell", fontName=fonts.role("song"), fontSize=size, leading=size * 1.35,
                          wordWrap="CJK")
    return {
        "cell": cell,
        "head": ParagraphStyle("d_head", parent=cell, fontName=fonts.hei, alignment=TA_CENTER),
        "group": ParagraphStyle("d_group", parent=cell, fontName=fonts.hei, alignment=TA_LEFT),
        "missing": ParagraphStyle("d_missing", parent=cell, fontSize=min(size, 8), leading=min(size, 8) * 1.3,
                                  alignment=TA_CENTER, textColor=colors.HexColor("#888888")),
        "caption": ParagraphStyle("d_caption", parent=cell, fontName=fonts.hei, fontSize=size + 1.5,
                                  leading=(size + 1.5) * 1.6, alignment=TA_CENTER, keepWithNext=1),
    }


# ============================================================================================ flowables

class PlainLines(Flowable):
    """Centred short lines (numbers, dates, labels) without a line breaker: cheap for long tables. A line
    wider than the cell is set smaller to fit; the lines split across pages like a paragraph."""

    def __init__(self, lines: Sequence[str], font: str, size: float, leading: float | None = None,
                 align: str = "CENTER") -> None:
        super().__init__()
        self.lines = list(lines) or [""]
        self.font, self.size = font, size
        self.leading = leading or size * 1.35
        self.align = align

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = self.leading * len(self.lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        fit = int(availHeight // self.leading)
        if fit <= 0 or fit >= len(self.lines):
            return []
        return [PlainLines(self.lines[:fit], self.font, self.size, self.leading, self.align),
                PlainLines(self.lines[fit:], self.font, self.size, self.leading, self.align)]

    def draw(self) -> None:
        canv = self.canv
        for index, line in enumerate(self.lines):
            size = self.size
            w = string_width(line, self.font, size)
            if w > self.width > 0:
                size = max(4.0, size * self.width / w)
                w = string_width(line, self.font, size)
            y = self.height - (index + 1) * self.leading + (self.leading - size) / 2 + size * 0.14
            x = (self.width - w) / 2 if self.align == "CENTER" else 0
            draw_string(canv, x, y, line, self.font, size)


class GridTable(Table):
    """A table that splits between rows, and inside a row only when that row is taller than a whole page
    (a row that fits a page moves to the next page whole rather than being cut)."""

    page_height = TEXT_HEIGHT

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self._calc(availWidth, availHeight)
        if self._width > availWidth + 0.5:
            return []
        result = self._splitRows(availHeight, doInRowSplit=0)
        if result:
            return result
        head = self.repeatRows if isinstance(self.repeatRows, int) else len(self.repeatRows)
        heights = self._rowHeights
        if head < len(heights) and sum(heights[:head]) + heights[head] <= self.page_height \
                and availHeight < self.page_height - 1:
            return []  # the next row fits on a fresh page: go there whole
        return self._splitRows(availHeight, doInRowSplit=1)


class TitleBlock(Flowable):
    """The title's lines (already broken), centred, in the title face; splits between lines only."""

    def __init__(self, lines: Sequence[str], fonts: FontSet) -> None:
        super().__init__()
        self.lines, self.fonts = list(lines), fonts

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = availWidth, TITLE_LEADING * len(self.lines)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        fit = int(availHeight // TITLE_LEADING)
        if fit <= 0 or fit >= len(self.lines):
            return []
        return [TitleBlock(self.lines[:fit], self.fonts), TitleBlock(self.lines[fit:], self.fonts)]

    def draw(self) -> None:
        canv, font, size = self.canv, self.fonts.title, TITLE_SIZE
        canv.saveState()
        if self.fonts.title_faux_bold:
            canv.setLineWidth(size * FAUX_BOLD)
            canv.setLineJoin(1)
            canv.addLiteral("2 Tr")
        for i, line in enumerate(self.lines):
            w = string_width(line, font, size)
            if w > self.width:
                size_i = size * self.width / w
                w = self.width
            else:
                size_i = size
            y = self.height - (i + 1) * TITLE_LEADING + (TITLE_LEADING - size_i) / 2 + size_i * 0.14
            draw_string(canv, (self.width - w) / 2, y, line, font, size_i)
        canv.restoreState()


class SignOff(Flowable):
    """发文机关署名, 成文日期 and the seal (or the room for one); see the module docstring. A 署名 too long for one
    line (more than the 版心 less two characters) is broken between words into balanced lines, centred over the
    date with a seal and flush right two characters in without one; the date goes under its last line."""

    def __init__(self, doc: OfficialDocument, fonts: FontSet, seal: ImageReader | None) -> None:
        super().__init__()
        self.office = textmod.one_line(doc.signatory, 100)
        self.date_text = format_cn_date(doc.date) if doc.date else ""
        self.fonts, self.seal = fonts, seal
        self.sealed = seal is not None or doc.seal_space
        self.diameter = (doc.seal.diameter_mm if doc.seal else 42.0) * mm
        radius = self.diameter / 2
        # name top sits 0.2 line below the seal's centre; the seal's top 0.5 line under the text above
        self.gap = radius + 0.3 * LINE if self.sealed else LINE
        # where room is short (official.KeepClosing) the seal's top may come up to the text above: GB/T 9704 asks
        # only that it be within a line of it; the unsealed 署名 keeps its blank line
        self.squeeze = 0.5 * LINE if self.sealed else 0.0
        self._break_name(TEXT_WIDTH)

    def _break_name(self, width: float) -> None:
        """The 署名's lines for a frame ``width`` wide, and what the date's line box may hang below the frame."""
        self.broken_for = width
        font, ch = self.fonts.body, CHAR
        room = max(ch, width - 2 * ch)  # 右空二字: the 署名 never comes nearer the right edge
        self.names = textmod.balanced_lines(self.office, room, lambda s: string_width(s, font, ch), em=ch) or [""]
        # the date's line box may hang below the 版心 as a paragraph's does (official.hanging_slack), less what
        # the seal already reaches below it (its centre is 0.2 line above the first name line's top)
        radius = self.diameter / 2
        below = max(0.0, radius - (len(self.names) + 0.8) * LINE) if self.sealed else 0.0
        self.hang_slack = max(0.0, (LINE - ch) / 2 - below)

    def tighten(self, wanted: float) -> float:
        """Close up the room above by up to ``wanted`` (at most ``squeeze``); what it gave."""
        given = min(wanted, self.squeeze)
        self.gap -= given
        self.squeeze -= given
        return given

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if availWidth != self.broken_for:
            self._break_name(availWidth)
        self.width, self.height = availWidth, self.gap + (len(self.names) + 1) * LINE
        return self.width, self.height

    def _name_width(self) -> float:
        return max(string_width(line, self.fonts.body, CHAR) for line in self.names)

    def positions(self) -> tuple[float, float, float]:
        """x of the 署名's left edge (its widest line's), x of the date, x of the seal's centre (in the
        flowable's coordinates)."""
        ch = CHAR
        name_w = self._name_width()
        date_w = string_width(self.date_text, self.fonts.body, ch)
        right = self.width
        if self.sealed:
            centre = right - 4 * ch - date_w / 2
            if centre + name_w / 2 > right - 2 * ch:  # a long name: keep it two characters in
                centre = right - 2 * ch - name_w / 2
            centre = max(centre, name_w / 2, date_w / 2)
            return centre - name_w / 2, centre - date_w / 2, centre
        name_x = right - 2 * ch - name_w
        date_x = name_x + 2 * ch
        if date_x + date_w > right - 2 * ch:
            date_x = right - 2 * ch - date_w
            name_x = date_x - 2 * ch
        return max(0.0, name_x), max(0.0, date_x), 0.0

    def draw(self) -> None:
        canv, font, ch = self.canv, self.fonts.body, CHAR
        name_x, date_x, centre = self.positions()
        name_w = self._name_width()
        base = (LINE - ch) / 2 + ch * 0.14
        lines = len(self.names)
        for i, line in enumerate(self.names):
            w = string_width(line, font, ch)
            # each line centred over the date (sealed) or flush right with the widest (unsealed)
            x = centre - w / 2 if self.sealed else name_x + name_w - w
            draw_string(canv, x, (lines - i) * LINE + base, line, font, ch)
        draw_string(canv, date_x, base, self.date_text, font, ch)
        if self.seal is not None:
            cy = (lines + 1) * LINE - 0.2 * LINE
            d = self.diameter
            iw, ih = self.seal.getSize()
            h = d * ih / iw
            canv.saveState()
            canv.setBlendMode("Multiply")  # text under the seal stays readable, as with ink
            canv.drawImage(self.seal, centre - d / 2, cy - h / 2, d, h, mask="auto")
            canv.restoreState()


# ============================================================================================ helpers

def _seal_reader(seal: Seal | None) -> ImageReader | None:
    if seal is None:
        return None
    try:
        data = bytes(seal.image) if isinstance(seal.image, (bytes, bytearray)) else Path(seal.image).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in _seals:
            _seals.clear()  # one office, one seal: keep the last only
            _seals[digest] = _prepare_seal(data)
        return ImageReader(BytesIO(_seals[digest]))
    except Exception as exc:  # a missing or broken seal file must not stop the document
        log.warning("seal image unusable (%s); leaving the space for a wet seal", exc)
        return None


_seals: dict[str, bytes] = {}


def _prepare_seal(data: bytes) -> bytes:
    """The seal as an RGBA PNG cropped to its ink; white becomes transparent when the file has no alpha."""
    with PILImage.open(BytesIO(data)) as im:
        im.load()
        if max(im.size) > 4000:
            raise ValueError(f"seal image too large ({im.size[0]}x{im.size[1]})")
        has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
        rgba = im.convert("RGBA")
    if not has_alpha:
        grey = rgba.convert("L")
        alpha = grey.point(lambda v: 0 if v > 235 else 255 - v)
        rgba.putalpha(alpha)
    box = rgba.getchannel("A").getbbox()
    if box is None:
        raise ValueError("seal image is empty (fully transparent)")
    rgba = rgba.crop(box)
    rgba.thumbnail((800, 800))
    buf = BytesIO()
    rgba.save(buf, "PNG")
    return buf.getvalue()


def _cell(value, column: Column, fonts: FontSet, size: float, width: float) -> list[Flowable]:
    st = cell_styles(fonts, size)
    inner = max(1.0, width - 6)  # padding 3 pt each side
    if isinstance(value, Flowable):  # escape hatch: a ready paragraph with markup
        return [value]
    if column.kind == "photo":
        photos = value if isinstance(value, (list, tuple)) else [value]
        out: list[Flowable] = []
        for photo in photos:
            if isinstance(photo, Photo) and photo.source is not None:
                out.append(thumbnail_flowable(photo.source, min(photo.max_w_mm, inner / mm), photo.max_h_mm,
                                              fonts=fonts))
            elif isinstance(photo, str) and photo:
                out.append(Paragraph(markup(textmod.one_line(photo), st["missing"].fontName), st["missing"]))
            else:
                out.append(Paragraph(PHOTO_NONE, st["missing"]))
        return out
    if value is None:
        return []
    if column.kind == "plain":
        lines = [textmod.one_line(line, 200) for line in str(value).split("\n")]
        return [PlainLines(lines, fonts.role("song"), size)]
    if column.kind == "label":
        text = textmod.one_line(value)
        if not text:
            return []
        if len(text) <= 40:
            return [PlainLines(textmod.label_lines(text, inner, fonts.role("song"), size), fonts.role("song"), size)]
    # a text cell's lines: "\n" starts a new one (a site's name, then its type); blank lines are dropped, and the
    # cell holds ONE_LINE_LIMIT characters at most, as a one-line cell does
    lines: list[str] = []
    room = textmod.ONE_LINE_LIMIT
    for part in str(value).split("\n"):
        line = textmod.one_line(part, room)
        if line:
            lines.append(line)
            room -= len(line)
            if room <= 0:
                break
    if not lines:
        return []
    font = st["cell"].fontName
    return [CellParagraph("<br/>".join(markup(line, font) for line in lines), st["cell"])]


def _height(flows: Sequence[Flowable], width: float) -> float:
    total = 0.0
    for f in flows:
        if isinstance(f, Paragraph) and len(f.text) < 120:  # short text: one or two lines, no need to measure
            total += f.style.leading * 3
            continue
        total += f.wrap(width, 1e6)[1]
    return total


def _chop(flows: list[Flowable], width: float, limit: float) -> list[list[Flowable]]:
    """A cell's flowables in parts no taller than ``limit`` (paragraphs and line blocks split between lines)."""
    parts: list[list[Flowable]] = []
    current: list[Flowable] = []
    used = 0.0
    queue = list(flows)
    while queue:
        f = queue.pop(0)
        h = f.wrap(width, limit)[1]
        if used + h <= limit:
            current.append(f)
            used += h
            continue
        pieces = f.split(width, limit - used) if limit - used > 0 else []
        if len(pieces) >= 2:
            current.append(pieces[0])
            queue[0:0] = pieces[1:]
        elif current:
            queue.insert(0, f)
        else:
            current.append(f)  # cannot be split: left to the table's own in-row split
        parts.append(current)
        current, used = [], 0.0
    if current:
        parts.append(current)
    return parts


def _chop_row(cells: list[list[Flowable]], widths: Sequence[float], limit: float) -> list[list]:
    """A row whose cells would be taller than ``limit`` (what a page holds of a row) becomes the row plus
    continuation rows carrying the rest of the tall cells; a row that fits stays whole (GridTable moves it to the
    next page whole). (reportlab's own in-row split keeps the whole row's height on every page and leaves blank
    pages behind.)"""
    if all(_height(c, w) <= limit for c, w in zip(cells, widths)):
        return [cells]
    chopped = [_chop(list(c), w, limit) if c else [[]] for c, w in zip(cells, widths)]
    rows = max(len(parts) for parts in chopped)
    return [[parts[i] if i < len(parts) else [] for parts in chopped] for i in range(rows)]


def _row_height(cells: Sequence[Flowable], widths: Sequence[float]) -> float:
    """A one-flowable-a-cell row's height with the cells' padding (3 pt above and below)."""
    return max(cell.wrap(w, 1e6)[1] for cell, w in zip(cells, widths)) + 6


def data_table(block: DataTable, fonts: FontSet) -> list[Flowable]:
    """A :class:`DataTable` as flowables (the caption, then the table)."""
    size = block.font_size
    st = cell_styles(fonts, size)
    widths = [c.width_mm * mm for c in block.columns]
    total = sum(widths)
    if total > TEXT_WIDTH + 0.5:
        widths = [w * TEXT_WIDTH / total for w in widths]
    ncols = len(block.columns)
    data: list[list] = [[Paragraph("<br/>".join(markup(textmod.one_line(part, 40), fonts.hei)
                                                 for part in c.title.split("\n")), st["head"])
                         for c in block.columns]]
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), fonts.role("song"), size, size * 1.35),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]

    inner = [w - 6 for w in widths]
    # what a page holds of a row: the page under the repeated header, less a group line kept with a group's first
    # row (NOSPLIT below), the row's padding (6 pt) and 1 pt to spare; only a taller row is cut (a 200-character
    # place, three quarters of a page, was cut past 45% of one: a row and a ruled continuation, pages half empty)
    limit = GridTable.page_height - _row_height(data[0], inner) - 7
    if block.groups:
        limit -= _row_height([Paragraph("组", st["group"])], [sum(inner)])

    def continued(value) -> list[Flowable]:
        """A continuation row's first cell, "3（续）" under a 序号: the row going on, not a new one."""
        lead = textmod.one_line(value, 10) if block.columns[0].kind == "plain" and isinstance(value, str) else ""
        return [PlainLines([lead, "（续）"] if lead else ["（续）"], fonts.role("song"), size)]

    def add_rows(rows) -> None:
        for row in rows:
            cells = list(row)[:ncols] + [None] * max(0, ncols - len(row))
            built = [_cell(v, c, fonts, size, w) for v, c, w in zip(cells, block.columns, widths)]
            parts = _chop_row(built, inner, limit)
            for part in parts[1:]:
                part[0] = part[0] or continued(cells[0])
            data.extend(parts)

    if block.groups:
        for group in block.groups:
            r = len(data)
            data.append([[Paragraph(markup(textmod.one_line(group.label), fonts.hei), st["group"])]]
                        + [""] * (ncols - 1))
            commands += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), TABLE_GROUP_BG)]
            if group.rows:
                commands.append(("NOSPLIT", (0, r), (-1, r + 1)))  # a group line never ends a page
            add_rows(group.rows)
    add_rows(block.rows)
    table = GridTable(data, colWidths=widths, repeatRows=1, hAlign="CENTER", splitInRow=1,
                      spaceBefore=LINE * 0.2, spaceAfter=LINE * 0.4)
    table.setStyle(TableStyle(commands))
    out: list[Flowable] = []
    if block.caption:
        out.append(Paragraph(markup(textmod.one_line(block.caption), fonts.hei), st["caption"]))
    out.append(table)
    return out


def _blocks(blocks: Sequence[Block], fonts: FontSet) -> list[Flowable]:
    st = styles(fonts)
    out: list[Flowable] = []
    for block in blocks:
        if isinstance(block, str):
            block = Para(block)
        if isinstance(block, Para):
            lead_font = {1: fonts.hei, 2: fonts.role("kai")}.get(block.lead_level, fonts.body)
            for i, para in enumerate(textmod.paragraphs(block.text) or [""]):
                html = markup(para, fonts.body)
                if i == 0 and block.lead:
                    lead = textmod.one_line(block.lead)
                    html = f'<font name="{lead_font}">{markup(lead, lead_font)}</font>' + html
                if html:
                    out.append(Paragraph(html, st["body" if block.indent else "flush"]))
        elif isinstance(block, Heading):
            style = st["h1"] if block.level <= 1 else st["h2"] if block.level == 2 else st["h3"]
            text = textmod.one_line(block.text)
            out.append(Paragraph(markup(text, style.fontName), style))
        elif isinstance(block, DataTable):
            out += data_table(block, fonts)
        elif isinstance(block, Raw):
            items = list(block.flowables)
            if block.keep_together:
                out.append(KeepTogether(items))
            else:
                out += items
        else:
            raise TypeError(f"not a document block: {block!r}")
    return out


def _hanging(label: str, text: str, style: ParagraphStyle, font: str) -> Paragraph:
    """"label" + text, continuation lines aligned with the text after the label."""
    label_w = string_width(label, font, style.fontSize)
    hanging = ParagraphStyle(style.name + "_hang", parent=style, leftIndent=style.leftIndent + label_w,
                             firstLineIndent=-label_w)
    return Paragraph(markup(label, font) + markup(text, font), hanging)


def _attachment_note(attachments: Sequence[Attachment], fonts: FontSet) -> list[Flowable]:
    """附件说明: 正文下空一行，左空二字 "附件：", several numbered and aligned."""
    if not attachments:
        return []
    st = styles(fonts)
    base = ParagraphStyle("d_attach", parent=st["flush"], leftIndent=2 * CHAR)
    titles = [textmod.one_line(a.title, 100).rstrip("。.；;，,") for a in attachments]
    out: list[Flowable] = [Spacer(1, LINE)]
    if len(titles) == 1:
        out.append(_hanging("附件：", titles[0], base, fonts.body))
        return out
    label_w = string_width("附件：", fonts.body, BODY_SIZE)
    for i, title in enumerate(titles, start=1):
        style = base if i == 1 else ParagraphStyle("d_attach_n", parent=base, leftIndent=base.leftIndent + label_w)
        out.append(_hanging(("附件：" if i == 1 else "") + f"{i}．", title, style, fonts.body))
    return out


def _joined(items: Sequence[str]) -> str:
    return "，".join(t for t in (textmod.one_line(i, 300) for i in items) if t)


def _colophon(doc: OfficialDocument, fonts: FontSet) -> Flowable | None:
    """版记 at the foot of the last page: 报 and 抄送 (and in 文件格式 印发 between rules)."""
    st = styles(fonts)
    note = st["note"]
    ch = NOTE_SIZE
    rows: list[list] = []
    for label, items in (("报：", doc.report_to), ("抄送：", doc.cc)):
        text = _joined(items)
        if text:
            text = text.rstrip("。，,.;；") + "。"
            rows.append([_hanging(label, text, note, fonts.body), ""])
    file_form = doc.form is Form.FILE
    if file_form and (doc.printer or doc.print_date):
        when = doc.print_date or doc.date
        right = ParagraphStyle("d_note_r", parent=note, alignment=2)
        rows.append([Paragraph(markup(textmod.one_line(doc.printer, 100), fonts.body), note),
                     Paragraph(markup(f"{format_cn_date(when)}印发" if when else "", fonts.body), right)])
    if not rows:
        return None
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), fonts.body, ch),  # else the empty spanned cells reference Helvetica
        ("LEFTPADDING", (0, 0), (-1, -1), ch),  # 左右各空一字
        ("RIGHTPADDING", (0, 0), (-1, -1), ch),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for r, row in enumerate(rows):
        if row[1] == "":
            commands.append(("SPAN", (0, r), (1, r)))
    if file_form:
        commands += [("LINEABOVE", (0, 0), (-1, 0), 1.0, colors.black),  # 0.35 mm
                     ("LINEBELOW", (0, -1), (-1, -1), 1.0, colors.black)]
        if len(rows) > 1:
            commands.append(("LINEABOVE", (0, -1), (-1, -1), 0.7, colors.black))  # 0.25 mm, above 印发
    return Table(rows, colWidths=[TEXT_WIDTH * 0.55, TEXT_WIDTH * 0.45], style=TableStyle(commands))


# ============================================================================================ pages

class _Doc(BaseDocTemplate):
    def __init__(self, target, doc: OfficialDocument, fonts: FontSet, **kw) -> None:
        super().__init__(target, **kw)
        self.odoc, self.fonts = doc, fonts
        self.blank_pages: set[int] = set()  # left blank before the 版记 (ToEvenPage)


@dataclass(frozen=True)
class _Header:
    """Page 1's 版头, measured once: the frame starts where the title goes, the page template draws the rest.
    Distances in points from the page's top edge."""

    mark: str
    mark_top: float
    mark_size: float
    mark_hscale: float
    number_top: float  # the 发文字号's box (3号)
    rule_top: float  # the red rule (文件格式) or the first double rule (信函格式)
    title_top: float  # where the title's first line box starts


def _fit_mark(text: str, font: str, size: float, hscale: float) -> tuple[float, float]:
    """Size and horizontal scale that fit the mark into the 版心's width (condensed to half, then smaller)."""
    natural = string_width(text, font, size)
    if natural * hscale > TEXT_WIDTH:
        hscale = max(0.5, TEXT_WIDTH / natural)
        if natural * hscale > TEXT_WIDTH:
            size = size * TEXT_WIDTH / (natural * hscale)
    return size, hscale


def _title_frame_top(title_top: float) -> float:
    """Frame top that puts the first title line's text box at ``title_top`` (see TitleBlock.draw)."""
    return title_top - ((TITLE_LEADING - TITLE_SIZE) / 2 - 0.02 * TITLE_SIZE)


def _header(doc: OfficialDocument, fonts: FontSet) -> _Header:
    mark = textmod.one_line(doc.issuer_mark, 60)
    if doc.form is Form.LETTER:
        size, hscale = _fit_mark(mark, fonts.title, LETTER_MARK_SIZE, 1.0)
        mark_bottom = LETTER_MARK_TOP + size
        rule_top = mark_bottom + 4 * mm  # 发文机关标志下4 mm
        rule_bottom = rule_top + LETTER_RULE_THICK + LETTER_RULE_GAP + LETTER_RULE_THIN
        number_top = rule_bottom + SEVEN_EIGHTHS  # 与该线的距离为3号汉字高度的7/8
        title_top = number_top + BODY_SIZE + 2 * LINE  # 标题与其上最后一个要素相距二行
        return _Header(mark, LETTER_MARK_TOP, size, hscale, number_top, rule_top, title_top)
    size, hscale = _fit_mark(mark, fonts.title, FILE_MARK_SIZE, FILE_MARK_HSCALE)
    number_top = FILE_MARK_TOP + size + 2 * LINE  # 发文机关标志下空二行
    rule_top = number_top + BODY_SIZE + 4 * mm  # 发文字号之下4 mm
    title_top = rule_top + FILE_RULE + 2 * LINE  # 红色分隔线下空二行
    return _Header(mark, FILE_MARK_TOP, size, hscale, number_top, rule_top, title_top)


def _draw_mark(canv, h: _Header, font: str, faux_bold: bool) -> None:
    """The red 发文机关标志, centred on the 版心, its box's top at ``h.mark_top``."""
    width = string_width(h.mark, font, h.mark_size) * h.mark_hscale
    baseline = PAGE_HEIGHT - h.mark_top - h.mark_size * 0.88
    canv.saveState()
    canv.setFillColor(RED)
    canv.setStrokeColor(RED)
    x = TEXT_CENTRE - width / 2
    for face, part in runs(h.mark, font):
        t = canv.beginText(x, baseline)
        t.setFont(face, h.mark_size)
        t.setHorizScale(h.mark_hscale * 100)
        if faux_bold:
            canv.setLineWidth(h.mark_size * 0.025)
            t.setTextRenderMode(2)
        t.textOut(part)
        canv.drawText(t)
        x += string_width(part, face, h.mark_size) * h.mark_hscale
    canv.restoreState()


def _page_number(canv, doc: _Doc) -> None:
    n = doc.page
    label = f"— {n} —"
    font = doc.fonts.role("song")
    w = string_width(label, font, NOTE_SIZE)
    y = MARGIN_BOTTOM - 7 * mm - NOTE_SIZE * 0.35  # the dashes 7 mm under the 版心
    x = TEXT_RIGHT - NOTE_SIZE - w if n % 2 else MARGIN_LEFT + NOTE_SIZE  # odd right, even left, one 字 in
    canv.saveState()
    draw_string(canv, x, y, label, font, NOTE_SIZE)
    canv.restoreState()


def _draft_marks(canv, doc: _Doc) -> None:
    canv.saveState()
    canv.setFillColor(DRAFT_GREY)
    canv.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canv.rotate(45)
    canv.setFont(doc.fonts.hei, 150)
    canv.drawCentredString(0, -50, "草稿")
    canv.restoreState()
    canv.saveState()
    canv.setFillColor(RED)
    draw_string(canv, MARGIN_LEFT, PAGE_HEIGHT - 15 * mm, "草稿 · 未签发，无文号，不作为正式公文使用", doc.fonts.hei, 11)
    canv.restoreState()


def _double_rule(canv, y: float, thick_on_top: bool) -> None:
    """A red double rule (武文线) 170 mm long, centred on the 版心; ``y`` is its top edge from the page top."""
    x0 = TEXT_CENTRE - LETTER_RULE_LENGTH / 2
    x1 = x0 + LETTER_RULE_LENGTH
    first, second = (LETTER_RULE_THICK, LETTER_RULE_THIN) if thick_on_top else (LETTER_RULE_THIN, LETTER_RULE_THICK)
    canv.saveState()
    canv.setStrokeColor(RED)
    top = PAGE_HEIGHT - y
    canv.setLineWidth(first)
    canv.line(x0, top - first / 2, x1, top - first / 2)
    canv.setLineWidth(second)
    y2 = top - first - LETTER_RULE_GAP - second / 2
    canv.line(x0, y2, x1, y2)
    canv.restoreState()


def _draw_number(canv, doc: OfficialDocument, fonts: FontSet, h: _Header, *, centred: bool) -> None:
    if doc.doc_number and not doc.draft:
        number = textmod.one_line(doc.doc_number, 60)
        w = string_width(number, fonts.body, BODY_SIZE)
        x = TEXT_CENTRE - w / 2 if centred else TEXT_RIGHT - w
        draw_string(canv, x, PAGE_HEIGHT - h.number_top - BODY_SIZE * 0.88, number, fonts.body, BODY_SIZE)


def _first_page_letter(canv, doc: _Doc, h: _Header) -> None:
    d, fonts = doc.odoc, doc.fonts
    _draw_mark(canv, h, fonts.title, fonts.title_faux_bold)
    _double_rule(canv, h.rule_top, thick_on_top=True)
    _draw_number(canv, d, fonts, h, centred=False)
    _double_rule(canv, PAGE_HEIGHT - LETTER_BOTTOM_RULE - (LETTER_RULE_THICK + LETTER_RULE_GAP + LETTER_RULE_THIN),
                 thick_on_top=False)


def _first_page_file(canv, doc: _Doc, h: _Header) -> None:
    d, fonts = doc.odoc, doc.fonts
    _draw_mark(canv, h, fonts.title, fonts.title_faux_bold)
    _draw_number(canv, d, fonts, h, centred=True)
    canv.saveState()
    canv.setStrokeColor(RED)
    canv.setLineWidth(FILE_RULE)
    y = PAGE_HEIGHT - h.rule_top - FILE_RULE / 2
    canv.line(MARGIN_LEFT, y, TEXT_RIGHT, y)
    canv.restoreState()


def _templates(doc: _Doc) -> list[PageTemplate]:
    d = doc.odoc
    h = _header(d, doc.fonts)
    later_frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, TEXT_WIDTH, TEXT_HEIGHT, leftPadding=0, rightPadding=0,
                        topPadding=0, bottomPadding=0, id="body")
    top = _title_frame_top(h.title_top)
    if d.form is Form.LETTER:
        # page 1's text may run down to 7/8 of a 3号 character above the second double rule
        bottom = LETTER_BOTTOM_RULE + LETTER_RULE_THICK + LETTER_RULE_GAP + LETTER_RULE_THIN + SEVEN_EIGHTHS
    else:
        bottom = MARGIN_BOTTOM
    first_frame = Frame(MARGIN_LEFT, bottom, TEXT_WIDTH, PAGE_HEIGHT - top - bottom, leftPadding=0,
                        rightPadding=0, topPadding=0, bottomPadding=0, id="first")

    def on_first(canv, bdoc) -> None:
        if d.draft:
            _draft_marks(canv, bdoc)
        if d.form is Form.LETTER:
            _first_page_letter(canv, bdoc, h)  # no page number on page 1
        else:
            _first_page_file(canv, bdoc, h)
            _page_number(canv, bdoc)

    def on_later(canv, bdoc) -> None:
        if d.draft:
            _draft_marks(canv, bdoc)

    def number_later(canv, bdoc) -> None:
        # at the page's end, when it is known whether it was left blank before the 版记: "版记页前有空白页的，
        # 空白页和版记页均可不编排页码" (§7.5), and neither is numbered
        if not {bdoc.page, bdoc.page - 1} & bdoc.blank_pages:
            _page_number(canv, bdoc)

    return [PageTemplate(id="first", frames=[first_frame], onPage=on_first, autoNextPageTemplate="later"),
            PageTemplate(id="later", frames=[later_frame], onPage=on_later, onPageEnd=number_later)]


# ============================================================================================ story

def _title_lines(doc: OfficialDocument, fonts: FontSet) -> list[str]:
    if doc.title_breaks:
        return [t for t in (textmod.one_line(x, 200) for x in doc.title_breaks) if t]
    title = textmod.one_line(doc.title, 300)
    keep = [textmod.one_line(k, 100) for k in (*doc.title_keep, *doc.recipients)]
    return textmod.balanced_lines(title, TEXT_WIDTH, lambda s: string_width(s, fonts.title, TITLE_SIZE),
                                  keep=[k for k in keep if k], em=TITLE_SIZE)


def story(doc: OfficialDocument, fonts: FontSet, blank_pages: set[int] | None = None) -> list[Flowable]:
    """The flowables of ``doc`` (the first page's header is drawn by the page template). Pages left blank
    before the 版记 are added to ``blank_pages`` as they are laid out."""
    blank_pages = set() if blank_pages is None else blank_pages
    st = styles(fonts)
    out: list[Flowable] = [NextPageTemplate("later"), TitleBlock(_title_lines(doc, fonts), fonts)]
    recipients = [r for r in (textmod.one_line(x, 200) for x in doc.recipients) if r]
    if recipients:
        out.append(Spacer(1, LINE - (TITLE_LEADING - LINE) / 2))  # 标题下空一行
        # broken between names, each line flush left (§7.3.2: 回行时仍顶格), a name too long for a line between its
        # words: a name of 28 characters hung its "：" past the 版心's right edge, and a list of many units was
        # filled greedily, cutting names across lines
        lines = textmod.recipient_lines(recipients, TEXT_WIDTH, fonts.body, BODY_SIZE)
        out.append(Paragraph("<br/>".join(markup(line, fonts.body) for line in lines), st["flush"]))
    else:
        out.append(Spacer(1, LINE * 0.5))
    body = _blocks(doc.body, fonts)
    closing: list[Flowable] = []
    closing += _attachment_note(doc.attachments, fonts)
    seal = None if doc.draft else _seal_reader(doc.seal)
    if doc.signatory or doc.date:
        closing.append(SignOff(doc, fonts, seal))
    if doc.note:
        closing.append(Paragraph(markup(f"（{textmod.one_line(doc.note, 300).strip('（）()')}）", fonts.body),
                                 ParagraphStyle("d_fuzhu", parent=st["flush"], leftIndent=2 * CHAR)))
    if closing and body and isinstance(body[-1], (Paragraph, Table)):
        # never leave the 落款 alone on a page: it goes with the end of the last paragraph or table, and the
        # headings right before that stay with it (KeepClosing splits it; a heading never ends a page)
        closing.insert(0, body.pop())
        if body and isinstance(body[-1], (Paragraph, Table)) and _one_line(closing[0]):
            # a closing sentence of one line (特此函告。) cannot be split, so it would take the 落款 to a page of
            # their own: the body's last lines go with it (KeepClosing splits the paragraph before it)
            closing.insert(0, body.pop())
        while body and body[-1].getKeepWithNext():
            closing.insert(0, body.pop())
    out += body
    if closing:
        out.append(KeepClosing(closing))
    for number, attachment in enumerate(doc.attachments, start=1):
        label = "附件" if len(doc.attachments) == 1 else f"附件{number}"
        out += [PageBreak(), Paragraph(label, st["attach_label"]), Spacer(1, LINE),
                TitleBlock(textmod.balanced_lines(textmod.one_line(attachment.title, 200), TEXT_WIDTH,
                                                  lambda s: string_width(s, fonts.title, TITLE_SIZE),
                                                  em=TITLE_SIZE), fonts),
                Spacer(1, LINE * 0.5)]
        out += _blocks(attachment.blocks, fonts)
    colophon = _colophon(doc, fonts)
    if colophon is not None:
        out.append(Spacer(1, LINE * 0.5))
        if doc.form is Form.FILE:  # the 版记 on the last even page (§7.4), a blank page before it if need be
            out.append(ToEvenPage(colophon, blank_pages, slack=LINE * 0.5))
        out.append(AtPageBottom(colophon))
    return out


def _one_line(flowable: Flowable) -> bool:
    """Whether ``flowable`` is a paragraph of one line on the 版心's width (it cannot be split across pages)."""
    if not isinstance(flowable, Paragraph):
        return False
    return flowable.wrap(TEXT_WIDTH, 1e6)[1] <= flowable.style.leading + 1e-6


def render_document(doc: OfficialDocument, out: str | os.PathLike[str] | BinaryIO, *,
                    fonts: FontSet | None = None) -> None:
    """Write ``doc`` as PDF to ``out`` (a path or a binary file object; see ``write_atomically``).

    ``fonts`` default to :func:`.fonts.document_fonts` of the current app's settings (or the defaults).
    """
    if fonts is None:
        fonts = _default_fonts()
    target = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
    title = textmod.one_line(doc.title, 300)
    pdf = _Doc(target, doc, fonts, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=PAGE_WIDTH - TEXT_RIGHT,
               topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
               title=("【草稿】" if doc.draft else "") + title, author=doc.author or doc.signatory,
               subject=(doc.doc_number or "") if not doc.draft else "草稿",
               creator="文明城市督查整改系统", initialFontName=fonts.body)
    pdf.keepTogetherClass = _KeepWithNext
    pdf.addPageTemplates(_templates(pdf))
    pdf.build(story(doc, fonts, pdf.blank_pages))


def _default_fonts() -> FontSet:
    try:
        from flask import current_app

        return document_fonts(current_app.config)
    except RuntimeError:  # outside an application context
        return document_fonts()

