"""The PDF of one supervision letter (督办函), GB/T 9704-2012 style, from what the letter recorded."""
from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from ..common.timeutil import fmt, local
from ..pdf import (
    PHOTO_MISSING,
    build_official_pdf,
    data_table,
    format_cn_date,
    kv_paragraph,
    register_fonts,
    section_heading,
    thumbnail_flowable,
)
from ..photos.storage import PhotoStore, is_valid_key
from .models import Letter
from .settings import banner, level_text, setting

HEADER = ["序号", "问题编号", "类别", "地点", "发现时间", "原整改时限", "超期天数", "照片"]
WIDTHS_MM = [10, 24.5, 16, 26.5, 21.5, 21.5, 12, 24]  # 156 mm, the width of the 版心; numbers and dates fit a line
THUMB_MM = (21, 16)


class PlainCell(Flowable):
    """Short fixed text (numbers, dates) centred on one or more given lines. Table cells of plain
    Paragraphs with CJK line breaking cost most of a long letter's build time; these need no breaking."""

    def __init__(self, text: str, font: str, size: float = 10.5, leading: float = 10.5 * 1.35):
        super().__init__()
        self.lines = text.split("\n")
        self.font, self.size, self.leading = font, size, leading
        self.widths = [stringWidth(line, font, size) for line in self.lines]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = self.leading * len(self.lines)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setFont(self.font, self.size)
        descent = (self.leading - self.size) / 2 + self.size * 0.12
        for index, line in enumerate(self.lines):
            y = self.height - (index + 1) * self.leading + descent
            canvas.drawCentredString(self.width / 2, y, line)


def _fill(text: str, **values: str) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _when(value) -> str:
    return fmt(value, "%Y-%m-%d\n%H:%M")


def build_letter_pdf(letter: Letter, out: BinaryIO) -> None:
    config = current_app.config
    fonts = register_fonts(setting("LETTER_FONT_PATH") or None)
    wording = level_text(letter.level)
    issued = local(letter.issued_at)
    reply_by = format_cn_date(local(letter.reply_by).date())
    values = {"reply_by": reply_by, "count": str(len(letter.items)), "unit": letter.unit.name,
              "as_of": f"{format_cn_date(issued.date())}{issued.hour}时"}
    store = PhotoStore(config["UPLOAD_FOLDER"])

    rows = []
    for item in letter.items:
        if item.photo_key and is_valid_key(item.photo_key):
            photo = thumbnail_flowable(store.path(item.photo_key, thumb=True), *THUMB_MM, fonts=fonts)
        else:
            photo = PHOTO_MISSING
        def plain(text: str) -> PlainCell:
            return PlainCell(text, fonts.body)

        rows.append([plain(str(item.position)), plain(item.ticket_number), item.category_name, item.place,
                     plain(_when(item.reported_at)), plain(_when(item.original_deadline)),
                     plain(f"{item.days_overdue}天"), photo])

    closing = "特此通知。" if letter.level >= 3 else "特此函告。"
    body: list = [
        f"截至{values['as_of']}，" + _fill(wording["intro"], **values),
        kv_paragraph("督办类型", wording["kind"], fonts),
        section_heading(f"一、督办事项（共{len(letter.items)}件）", fonts),
        data_table(HEADER, rows, [w * mm for w in WIDTHS_MM], fonts, center_cols=(2, 7)),
        section_heading("二、整改要求", fonts),
        _fill(wording["demand"], **values),
        kv_paragraph("整改时限", f"{reply_by}前", fonts),
        section_heading("三、反馈方式", fonts),
        "请登录文明城市督查整改系统签收本函，并在相应问题中上传整改后照片、填写整改说明；"
        "经文明办核查通过后视为整改完成。",
    ]
    contact = setting("LETTER_CONTACT")
    if contact:
        body.append(contact)
    body.append(closing)

    build_official_pdf(
        out,
        banner=banner(),
        doc_number=letter.number,
        title=wording["title"],
        recipient=letter.unit.name,
        body=body,
        signoff_office=config["OFFICE_NAME"],
        signoff_date=issued.date(),
        cc=wording.get("cc") or None,
        printed_by=config["OFFICE_SHORT_NAME"],
        printed_date=issued.date(),
        fonts=fonts,
    )
