"""The office's 通报 naming the 门前四包 repeat offenders (关于门前四包责任落实不到位商户（单位）的通报), a draft in
the 文件格式 of GB/T 9704-2012 for the leaders to approve, as the year's ranking 通报 is: 草稿 on every page, no
number, no seal. Repeat offenders are named: each shop or institution with its street, how many problems in the
window, how many still open, the 整改通知书 it was given (and whether one is past its date), and a photo of its
latest problem; then what the street offices are to do. Named for 曝光 are only those told in time and still not put
right (a notice recorded as delivered by its date, notices.past_due), each on what binds it as its notice said
(notices.under_agreement: the signing as it stood when the notice was given, not the register today): the 责任书 it
signed, or, with none signed then, the city's 市容和环境卫生 rules (and, still unsigned, it is to sign one); a notice
past its date that was never recorded as delivered is the street office's to serve first.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..pdf.document import Column, DataTable, Heading, OfficialDocument, Para, Photo
from ..pdf.drafts import circular_draft, render_pdf, setting
from ..photos.models import Photo as TicketPhoto
from ..tickets.models import Ticket, TicketUnit
from .models import DUTIES
from .notices import photo_cell
from .services import Offender, held_by_street

COLUMNS = (
    Column("序号", 10, "plain"),
    Column("商户（单位）", 30, "label"),
    Column("地址", 26, "text"),
    Column("所属街道", 24, "label"),
    Column("问题\n次数", 12, "plain"),
    Column("尚未\n办结", 12, "plain"),
    Column("整改\n通知书", 14, "plain"),
    Column("最近一次问题", 28, "photo"),
)
THUMB_MM = (24.0, 17.0)


def _latest_photo(offender: Offender) -> Photo:
    """The first photo of the frontage's latest problem the offender's street follows up (voided ones aside; for
    the street the shop is with now, not one found where it was before a move)."""
    frontage_id, street_id = offender.key
    key = db.session.scalar(
        select(TicketPhoto.key).join(Ticket, Ticket.id == TicketPhoto.ticket_id)
        .join(TicketUnit, held_by_street(street_id))
        .where(Ticket.frontage_id == frontage_id, Ticket.status != "cancelled", TicketPhoto.kind == "before")
        .order_by(Ticket.reported_at.desc(), TicketPhoto.id).limit(1))
    return photo_cell(key, THUMB_MM)


def _notices_cell(key, told: dict, late: set, unserved: set) -> str:
    return f"{told.get(key, 0)}份" + ("\n逾期未改" if key in late else "\n未送达" if key in unserved else "")


def _overdue_line(rows: list[Offender], late: set, unserved: set, bound: set) -> str:
    """Who is named for 曝光 and on what ground (`bound`: held to a signed 责任书 by the notice it did not heed;
    the others by the city's rules, as their notice said), and whose notice is still to be served."""
    all_names = [o.frontage.name for o in rows]

    def names(wanted) -> str:
        # two shops of one name (a chain's on one road) are told apart by their address
        return "、".join(o.frontage.name + (f"（{o.address}）" if all_names.count(o.frontage.name) > 1 else "")
                        for o in rows if wanted(o))

    signed = names(lambda o: o.key in late and o.key in bound)
    unsigned = names(lambda o: o.key in late and o.key not in bound and not o.signed)
    signed_since = names(lambda o: o.key in late and o.key not in bound and o.signed)
    waiting = names(lambda o: o.key in unserved and o.key not in late)
    line = ""
    if signed:
        line += f"其中{signed}已送达整改通知书、逾期仍未整改，要依照门前四包责任书的约定严肃处理，并予以曝光。"
    if unsigned:
        line += (f"{'' if signed else '其中'}{unsigned}未签订门前四包责任书，已送达整改通知书、逾期仍未整改，要依照"
                 "市容和环境卫生管理的有关规定严肃处理，并予以曝光，同时督促其签订门前四包责任书。")
    if signed_since:
        line += (f"{'' if signed or unsigned else '其中'}{signed_since}下达整改通知书时尚未签订门前四包责任书，"
                 "已送达整改通知书、逾期仍未整改，要依照市容和环境卫生管理的有关规定严肃处理，并予以曝光。")
    if waiting:
        line += (f"{waiting}的整改通知书已过整改期限，但未在期限内登记送达，暂不作逾期未整改处理；所在街道要依法送达、"
                 "登记送达情况，重新明确整改期限，到期仍未整改的依规处理。")
    return line


def by_weight(rows: list[Offender]) -> list:
    """The streets the offenders count for, as a director reads a 通报: the one with the most offenders first, then
    the most problems among them, then by unit code."""
    weight: dict[int, list] = {}
    for o in rows:
        street = o.street_unit
        entry = weight.setdefault(street.id, [0, 0, street])
        entry[0] += 1
        entry[1] += o.problems
    return [street for _, _, street in sorted(weight.values(), key=lambda e: (-e[0], -e[1], e[2].code, e[2].id))]


def document(rows: list[Offender], told: dict, late: set, repeat: int, days: int,
             today: date, unserved: set = frozenset(), bound: set = frozenset()) -> OfficialDocument:
    """The draft for the offenders `rows` (at least one), dated `today`, one row a (frontage, street): a shop that
    moved is named under the street its problems were found in. `told`, `late` and `unserved` are keyed by
    Offender.key: `late` those told in time and past their notice's date, `unserved` past a notice's date not
    recorded as delivered by then (notices.past_due), `bound` those of `late` whose notice held them to a signed
    责任书 (notices.under_agreement)."""
    short = setting("OFFICE_SHORT_NAME")
    streets = [street.name for street in by_weight(rows)]
    table = DataTable(COLUMNS, rows=[
        [str(n), o.frontage.name, o.address, o.street_unit.name + ("\n（商户已迁出）" if o.moved else ""),
         str(o.problems), str(o.open), _notices_cell(o.key, told, late, unserved), _latest_photo(o)]
        for n, o in enumerate(rows, 1)])
    body = [
        Para(f"为巩固文明城市创建成果，压实门前四包责任，{short}对各街道门前四包责任落实情况开展了日常督查。经查，"
             f"近{days}天内有{len(rows)}家商户（单位）门前四包问题反复出现，责任落实不到位，现予以通报。"),
        Heading("一、基本情况"),
        # a line between the heading and the table: the heading keeps with what follows it, and a table kept
        # with it would move whole to the next page rather than start under the heading
        Para(f"近{days}天内门前四包问题{repeat}次及以上的商户（单位）如下（问题次数不含作废的重复、无效上报）："),
        table,
        Heading("二、工作要求"),
        Para(f"请{'、'.join(streets)}督促上述商户（单位）于通报之日起5个工作日内整改到位，并将整改情况书面报送"
             f"{short}。" + _overdue_line(rows, late, unserved, bound)),
        Para("各街道办事处要加强对辖区商户（单位）门前四包责任的日常巡查和督促，对反复出现问题的，要约谈负责人、"
             f"限期整改；各商户（单位）要切实履行{DUTIES}责任，防止问题反弹。"),
        Para("特此通报。"),
    ]
    return circular_draft("关于门前四包责任落实不到位商户（单位）的通报", ["各街道办事处"], body, [], today)


def render(rows: list[Offender], told: dict, late: set, repeat: int, days: int, today: date,
           unserved: set = frozenset(), bound: set = frozenset()) -> bytes:
    return render_pdf(document(rows, told, late, repeat, days, today, unserved, bound))
