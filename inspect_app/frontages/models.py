"""The 门前四包 register, and the 整改通知书 its street offices give."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, and_, event, Date, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

FRONTAGE_KINDS = ("商户", "单位")  # a shop, or an institution (机关、学校、医院、银行…)
# 门前四包 as the city words it (DOMAIN.md): each duty and what it asks of the shop in front of its door. Every page,
# notice, 通报 and the 责任书 take the words from here.
DUTY_ITEMS = (
    ("包环境卫生", "门前责任区内保持清洁，无暴露垃圾、无污水油渍、无乱扔乱倒，垃圾按规定分类收集、定点投放；"
                  "雨雪天气及时清扫积水积雪。"),
    ("包秩序", "不出店经营、不占道摆卖、不乱堆乱放物品；门前车辆按规定有序停放，劝阻乱停乱放和流动摊贩。"),
    ("包绿化（设施）", "爱护门前绿地、树木和公共设施，不踩踏、不损毁、不侵占，不在树木和设施上晾晒、悬挂物品；"
                     "发现损坏及时报告。"),
    ("包市容", "门前和外立面整洁，无乱张贴、乱涂写、乱悬挂；招牌、广告按规定设置，保持完好、整洁、美观。"),
)
DUTIES = "、".join(name for name, _ in DUTY_ITEMS)  # 包环境卫生、包秩序、包绿化（设施）、包市容


class Frontage(db.Model):
    """A shop or institution that answers for its frontage under a signed 责任书, enforced by its street office."""
    __tablename__ = "frontages"
    __table_args__ = (Index("ix_frontages_street_name", "street_unit_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 责任书编号 / register number, the import's key
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8), default="商户")  # FRONTAGE_KINDS
    address: Mapped[str] = mapped_column(String(200))
    street_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # 属地 street office that enforces it
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"))  # the road it fronts, if known
    signed_on: Mapped[date | None] = mapped_column(Date)  # 责任书签订日期: its latest signing
    # the street office (甲方) that signing was with: a shop moved to another street has signed none with it yet (the
    # old signing stays recorded, shown on its page); signed counts only the street it is with now
    signed_with_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    contact_person: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    street_unit = relationship("Unit", lazy="joined", foreign_keys=[street_unit_id])
    segment = relationship("Segment", lazy="select")
    signed_with = relationship("Unit", lazy="select", foreign_keys=[signed_with_unit_id])

    def signed_by(self, street_id: int | None) -> bool:
        """A 责任书 signed with this street office (its latest signing)."""
        return self.signed_on is not None and street_id is not None and self.signed_with_unit_id == street_id

    @property
    def signed(self) -> bool:
        """Signed with the street it is with now (a shop moved since signing has to sign with its new street)."""
        return self.signed_by(self.street_unit_id)

    @property
    def signed_here_on(self) -> date | None:
        """The date of its 责任书 with the street it is with now; None when it has signed none with it."""
        return self.signed_on if self.signed else None

    @property
    def signed_before(self) -> bool:
        """It signed a 责任书 with a street it was with before a move, and none with its street now."""
        return self.signed_on is not None and not self.signed

    @classmethod
    def signed_here(cls):
        """SQL condition: signed with the street it is with now (signed)."""
        return and_(cls.signed_on.is_not(None), cls.signed_with_unit_id == cls.street_unit_id)


Index("uq_frontages_upper_code", func.upper(Frontage.code), unique=True)  # one number in any letter case


@event.listens_for(Frontage, "before_insert")
@event.listens_for(Frontage, "before_update")
def _signed_with_its_street(_mapper, _connection, frontage: Frontage) -> None:
    """A signing date given without its street (a script, the demo) is a signing with the street it is with."""
    if frontage.signed_on is not None and frontage.signed_with_unit_id is None:
        frontage.signed_with_unit_id = frontage.street_unit_id


class FrontageNotice(db.Model):
    """门前四包责任整改通知书: the street office (or the office) gives a frontage notice of its problems still open
    and a date to put them right, numbered per street and year (门前四包〔2026〕3号). Kept, so the frontage's page
    shows when it was told, and the same notice prints again as it was given: the problems it named, and what it
    said of the frontage and of the street office that day (the register may be edited, a shop moved or renamed,
    the office's contact changed since; a numbered notice handed over does not change with them)."""
    __tablename__ = "frontage_notices"
    __table_args__ = (UniqueConstraint("street_unit_id", "year", "seq"),
                      Index("ix_frontage_notices_frontage", "frontage_id", "issued_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    frontage_id: Mapped[int] = mapped_column(ForeignKey("frontages.id"))
    street_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the issuer: the frontage's street then
    year: Mapped[int]
    seq: Mapped[int]
    due_on: Mapped[date] = mapped_column(Date)  # 整改期限: put right by the end of this day
    ticket_ids: Mapped[str] = mapped_column(Text)  # JSON list: the problems it named, in order
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_on: Mapped[date | None] = mapped_column(Date)  # 送达: the day it was handed over
    received_by: Mapped[str] = mapped_column(String(40), default="")  # who signed for it (or 拒收, 留置送达)
    # as printed, taken from the register and the street office when it was given (issue)
    addressee: Mapped[str] = mapped_column(String(100), default="")  # 主送: the frontage's name
    addressee_kind: Mapped[str] = mapped_column(String(8), default="商户")  # 你店 or 你单位
    address: Mapped[str] = mapped_column(String(200), default="")
    frontage_code: Mapped[str] = mapped_column(String(32), default="")  # 责任书编号
    signed_on: Mapped[date | None] = mapped_column(Date)  # 责任书签订日期; none: not signed then
    issuer_name: Mapped[str] = mapped_column(String(100), default="")  # the banner and the 落款
    contact_person: Mapped[str] = mapped_column(String(64), default="")  # the 附注
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    # JSON list, in the notice's order: each problem as its table printed it (notices.problem_row): its number, when it
    # was found, its category, place and description, the photo shown. A category or road renamed since does not
    # change the problems a notice handed over named
    problems: Mapped[str] = mapped_column(Text, default="[]")

    frontage = relationship("Frontage")
    street_unit = relationship("Unit")
    issuer = relationship("User")

    @property
    def number(self) -> str:
        return f"门前四包〔{self.year}〕{self.seq}号"
