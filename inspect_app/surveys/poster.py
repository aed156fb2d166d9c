"""The questionnaire's A4 poster (张贴海报): the office's name, the survey's title and 卷首语, its QR code 7 to 11 cm
wide, and the link beneath, on one page, for community notice boards, service halls and shop counters."""
from __future__ import annotations

import io
from datetime import date

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from ..pdf import format_cn_date
from ..pdf.fonts import FontSet, markup
from ..pdf.text import paragraphs

RED, GREY = colors.HexColor("#c8161d"), colors.HexColor("#555555")
MARGIN = 25 * mm
# (卷首语 size in pt, QR code side), tried in turn until the page holds everything: the code gives up its spare size
# first, then the text; 12 pt still reads at a notice board, and a 7 cm code still scans from a step away.
LAYOUTS = ((14, 110 * mm), (14, 90 * mm), (13, 80 * mm), (12, 70 * mm))
_PAUSES = "，。；：、！？"
_BACK_TO_PAUSE = 30  # characters: a cut goes back to a pause this near rather than end in the middle of a word


class QrCode(Flowable):
    """A QR code drawn as vector squares (sharp at any print size), centred in the frame."""

    def __init__(self, text: str, side: float):
        super().__init__()
        self.qr = segno.make(text, error="m")
        self.side = side

    def wrap(self, available_width, _available_height):
        self.width = available_width
        return available_width, self.side

    def draw(self):
        modules = self.qr.symbol_size(scale=1, border=0)[0]
        cell = self.side / modules
        left = (self.width - self.side) / 2
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for row_number, row in enumerate(self.qr.matrix):
            y = self.side - (row_number + 1) * cell
            start = None
            for column, dark in enumerate([*row, 0]):  # a run of dark modules is one rectangle
                if dark and start is None:
                    start = column
                elif not dark and start is not None:
                    canvas.rect(left + start * cell, y, (column - start) * cell, cell + 0.05, stroke=0, fill=1)
                    start = None


def _title_size(title: str) -> float:
    """Up to 26 pt, smaller for a longer title so that it stays on one line while it can (down to 18 pt)."""
    return max(18.0, min(26.0, (A4[0] - 2 * MARGIN) / (len(title) + 1)))


def _cut(whole: list[str], chars: int) -> list[str]:
    """The first ``chars`` characters of the 卷首语, whole paragraphs kept, the cut one ended with "……" at the last
    punctuation mark not far back (no half word) — or nothing at all when no character is kept."""
    kept: list[str] = []
    for paragraph in whole:
        if chars >= len(paragraph):
            kept.append(paragraph)
            chars -= len(paragraph)
            continue
        head = paragraph[:chars]
        mark = max(head.rfind(p) for p in _PAUSES)
        if mark >= max(1, chars - _BACK_TO_PAUSE):
            head = head[:mark]
        head = head.rstrip("".join(_PAUSES) + " ")
        if head:
            kept.append(head + "……")
        elif kept:
            kept[-1] = kept[-1].rstrip("".join(_PAUSES) + " ") + "……"
        break
    return kept


def poster_pdf(title: str, intro: str, link: str, office: str, day: date, fonts: FontSet) -> bytes:
    """One A4 page whatever the 卷首语's length: a long one is set smaller beside a smaller QR code (LAYOUTS), and
    what still does not fit is cut with "……" (the questionnaire's page shows it whole). Its paragraphs stay apart."""
    def style(name, font, size, **more):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": size, "leading": size * 1.45,
                                       "alignment": TA_CENTER, "wordWrap": "CJK", **more})

    def para(text, paragraph_style):
        return Paragraph(markup(text, paragraph_style.fontName), paragraph_style)

    def story(intro_paragraphs: list[str], intro_size: float, qr_side: float) -> list[Flowable]:
        flowables = [
            para(office, style("office", fonts.heading, 20, textColor=RED)),
            Spacer(1, 8 * mm),
            para(title, style("title", fonts.heading, _title_size(title))),
            Spacer(1, 6 * mm),
        ]
        if intro_paragraphs:
            intro_style = style("intro", fonts.body, intro_size, alignment=TA_JUSTIFY, firstLineIndent=2 * intro_size)
            flowables += [para(p, intro_style) for p in intro_paragraphs] + [Spacer(1, 8 * mm)]
        return flowables + [
            QrCode(link, qr_side),
            Spacer(1, 6 * mm),
            para("请用手机扫描二维码填写问卷", style("scan", fonts.heading, 20)),
            Spacer(1, 2 * mm),
            para("匿名填写，约需2分钟，每部手机填写一次", style("note", fonts.body, 13, textColor=GREY)),
            Spacer(1, 4 * mm),
            para(link, style("link", fonts.body, 11, textColor=GREY)),
            Spacer(1, 10 * mm),
            para(f"{office}　{format_cn_date(day)}", style("sign", fonts.body, 13)),
        ]

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=20 * mm, title=title, author=office, creator="文明城市督查整改系统",
                            initialFontName=fonts.body)
    width, height = doc.width - 12, doc.height - 12 - 1 * mm  # the frame's 6 pt padding; a hair to spare

    def fits(flowables: list[Flowable]) -> bool:
        return sum(f.wrap(width, height)[1] for f in flowables) <= height

    whole = paragraphs(intro)
    for intro_size, qr_side in LAYOUTS:
        flowables = story(whole, intro_size, qr_side)
        if fits(flowables):
            break
    else:  # the smallest layout, with as much of the 卷首语 as it holds
        low, high = 0, sum(map(len, whole))
        while low < high:
            middle = (low + high + 1) // 2
            if fits(story(_cut(whole, middle), intro_size, qr_side)):
                low = middle
            else:
                high = middle - 1
        flowables = story(_cut(whole, low), intro_size, qr_side)
    doc.build(flowables)
    return out.getvalue()
