"""The questionnaire's A4 poster (张贴海报): the office's name, the survey's title and 卷首语, its QR code about
11 cm wide, and the link beneath, for community notice boards, service halls and shop counters."""
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

RED, GREY = colors.HexColor("#c8161d"), colors.HexColor("#555555")
QR_SIDE = 110 * mm
MARGIN = 25 * mm


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


def poster_pdf(title: str, intro: str, link: str, office: str, day: date, fonts: FontSet) -> bytes:
    def style(name, font, size, **more):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": size, "leading": size * 1.45,
                                       "alignment": TA_CENTER, "wordWrap": "CJK", **more})

    def para(text, paragraph_style):
        return Paragraph(markup(text, paragraph_style.fontName), paragraph_style)

    story = [
        para(office, style("office", fonts.heading, 20, textColor=RED)),
        Spacer(1, 8 * mm),
        para(title, style("title", fonts.heading, _title_size(title))),
        Spacer(1, 6 * mm),
    ]
    if intro:
        story += [para(intro, style("intro", fonts.body, 14, alignment=TA_JUSTIFY)), Spacer(1, 8 * mm)]
    story += [
        QrCode(link, QR_SIDE),
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
    SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                      bottomMargin=20 * mm, title=title, author=office, creator="文明城市督查整改系统",
                      initialFontName=fonts.body).build(story)
    return out.getvalue()
