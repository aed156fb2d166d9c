"""门前四包责任书 to print: one A4 page a street office hands a shop (or an institution) to sign. The two parties
(the street office, 甲方, and the shop, 乙方, with its address and 责任书 number), the four duties as the city words
them (models.DUTY_ITEMS), what the street office does, what follows a breach (as the 整改通知书 says: a notice, then
通报曝光), room for both signatures, the seal and the date, and how the register has it (未签订, or signed on a day:
then the copy is a reprint). Built from the register as it stands; nothing is kept."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..pdf import format_cn_date
from ..pdf.fonts import FontSet, markup
from ..pdf.text import one_line
from .models import DUTY_ITEMS

GREY = colors.HexColor("#555555")
MARGIN = 22 * mm
BODY_SIZES = (12.5, 12.0, 11.0, 10.0)  # tried in turn until the page holds everything (a long name or address)


@dataclass(frozen=True)
class Agreement:
    """What the page says, taken from the register (frontages.services) when it is printed."""
    code: str
    name: str
    kind: str            # 商户 or 单位
    address: str
    road: str            # the 责任路段 (district and name), or ""
    street: str          # the street office: 甲方
    contact: str         # the shop's contact and phone, or ""
    signed_on: date | None  # with this street office (甲方); None: not signed with it
    printed_on: date
    signed_before: str = ""  # the street it signed with before it moved here, when it has signed none with this one


def of(frontage, printed_on: date) -> Agreement:
    """The page for a frontage of the register as it stands."""
    segment = frontage.segment
    return Agreement(code=frontage.code, name=frontage.name, kind=frontage.kind, address=frontage.address,
                     road=f"{segment.district}{segment.name}" if segment is not None else "",
                     street=frontage.street_unit.name,
                     contact="　".join(part for part in (frontage.contact_person, frontage.contact_phone) if part),
                     signed_on=frontage.signed_here_on, printed_on=printed_on,
                     signed_before=frontage.signed_with.name if frontage.signed_before and frontage.signed_with else "")


def status_line(agreement: Agreement) -> str:
    """How the register has it, printed under the number (and what the page says beside the link)."""
    if agreement.signed_on is None:  # a shop moved here has signed none with this street office yet
        return "签订状态：未签订" + (f"（原与{agreement.signed_before}签订，迁入后需重新签订）" if agreement.signed_before else "")
    return f"签订状态：已于{format_cn_date(agreement.signed_on)}签订（本件为补打）"


def _story(agreement: Agreement, fonts: FontSet, size: float) -> list[Flowable]:
    def style(name, font, font_size, **more):
        return ParagraphStyle(name, **{"fontName": font, "fontSize": font_size, "leading": font_size * 1.5,
                                       "wordWrap": "CJK", "alignment": TA_JUSTIFY, **more})

    def para(text, paragraph_style):
        return Paragraph(markup(one_line(text), paragraph_style.fontName), paragraph_style)

    body = style("body", fonts.body, size, firstLineIndent=2 * size)
    plain = style("plain", fonts.body, size)
    heading = style("heading", fonts.heading, size, spaceBefore=size * 0.4)
    shop = "乙方"
    place = agreement.address + (f"（{agreement.road}）" if agreement.road else "")
    flowables: list[Flowable] = [
        para("门前四包责任书", style("title", fonts.heading, 22, alignment=TA_CENTER, leading=30)),
        Spacer(1, 2 * mm),
        para(f"编号：{agreement.code}　　{status_line(agreement)}", style("number", fonts.body, 10.5, alignment=TA_RIGHT,
                                                                      textColor=GREY)),
        Spacer(1, 3 * mm),
        para(f"甲方（街道办事处）：{agreement.street}", plain),
        para(f"乙方（{'单位' if agreement.kind == '单位' else '商户'}）：{agreement.name}", plain),
        para(f"门前责任区：{place}门前", plain),
        para(f"负责人及联系电话：{agreement.contact or '＿＿＿＿＿＿＿＿＿＿＿＿'}", plain),
        Spacer(1, 2 * mm),
        para("为巩固文明城市创建成果，落实门前四包责任，根据本市市容和环境卫生责任区管理的有关规定，甲乙双方签订本责任书。"
             f"{shop}门前责任区为其经营（办公）场所门前至道路路沿石之间的区域，包括建筑外立面。", body),
        para(f"一、{shop}责任", heading),
    ]
    for number, (duty, words) in enumerate(DUTY_ITEMS, 1):
        flowables.append(Paragraph(f'{number}．<font name="{fonts.heading}">{markup(duty, fonts.heading)}</font>：'
                                   f"{markup(words, fonts.body)}", body))
    flowables += [
        para("二、甲方责任", heading),
        para("甲方负责门前四包的宣传、指导和日常督查，发现问题及时告知乙方整改，并对乙方落实责任的情况进行检查。", body),
        para("三、责任追究", heading),
        para("乙方未履行上述责任的，甲方发出门前四包责任整改通知书，限期整改；逾期未整改或整改后反复出现的，"
             "予以通报曝光，并依法依规处理。", body),
        para("四、其他", heading),
        para("本责任书一式两份，甲乙双方各执一份，自双方签字（盖章）之日起生效。乙方名称、地址或负责人变更的，"
             "应及时告知甲方。", body),
        Spacer(1, 5 * mm),
        _signatures(agreement, fonts, size),
        Spacer(1, 4 * mm),
        para(f"打印日期：{format_cn_date(agreement.printed_on)}", style("printed", fonts.body, 9, alignment=TA_RIGHT,
                                                                   textColor=GREY)),
    ]
    return flowables


def _signatures(agreement: Agreement, fonts: FontSet, size: float) -> Table:
    """甲方 left, 乙方 right: the party, room for the signature (and the seal), the date to fill in by hand."""
    cell = ParagraphStyle("cell", fontName=fonts.body, fontSize=size, leading=size * 1.5, wordWrap="CJK")

    def para(text):
        return Paragraph(markup(one_line(text), fonts.body), cell)

    blank_date = "日期：　　　　年　　月　　日"
    rows = [
        [para(f"甲方（盖章）：{agreement.street}"), para(f"乙方（签字或盖章）：{agreement.name}")],
        [para("负责人（签字）："), para("负责人（签字）：")],
        [para(blank_date), para(blank_date)],
    ]
    width = A4[0] - 2 * MARGIN - 12
    table = Table(rows, colWidths=[width / 2, width / 2], rowHeights=[None, 24 * mm, None])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm)]))
    return table


def render(agreement: Agreement, fonts: FontSet) -> bytes:
    """One A4 page whatever the name's and the address's length (at most 100 and 200 characters): a long one is
    set smaller, and as a last resort the whole shrinks into the page."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=20 * mm,
                            bottomMargin=18 * mm, title=f"门前四包责任书（{agreement.name}）", author=agreement.street,
                            creator="文明城市督查整改系统", initialFontName=fonts.body)
    width, height = doc.width - 12, doc.height - 12 - 1 * mm  # the frame's 6 pt padding; a hair to spare
    for size in BODY_SIZES:
        flowables = _story(agreement, fonts, size)
        if sum(f.wrap(width, height)[1] + f.getSpaceBefore() for f in flowables) <= height:
            break
    else:
        flowables = [KeepInFrame(width, height, flowables, mode="shrink")]
    doc.build(flowables)
    return out.getvalue()
