"""Reference data: responsible units, road segments, problem categories."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, event, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

UNIT_KINDS = ("市直单位", "区县", "街道", "社区", "企业")
SEGMENT_KINDS = ("主次干道", "背街小巷", "商业大街", "集贸市场周边", "学校周边", "社区", "广场", "公交站点")

# Whom a category's problems go to (DOMAIN.md "包抓 and 属地"). Dispatch (tickets/dispatch.py) follows the rule and,
# when the rule finds nobody (no 包抓 unit on the segment, no owner picked), falls back to the segment's 属地 unit.
ROUTES = {
    "territorial": "属地单位（路段所属街道、区县）",
    "adopting": "包抓单位（认领路段的市直部门）",
    "sector": "行业主管部门（点位的主管部门）",
    "own": "本类别的责任单位",
    "owner": "产权单位（上报时由督查员选择，可多家）",
    "frontage": "门前四包责任商户所在街道",
}
ROUTE_SHORT = {"territorial": "属地", "adopting": "包抓", "sector": "行业主管", "own": "指定单位",
               "owner": "产权单位", "frontage": "门前四包"}
DEFAULT_ROUTE = "territorial"


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="市直单位")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    contact_person: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent = relationship("Unit", remote_side=[id])


# A code is one code in any letter case (common/codes.py): the database refuses QR00 beside qr00 too, so two saves at
# the same moment cannot both pass the service's check (common/unique.py). upper() as same_code compares.
Index("uq_units_upper_code", func.upper(Unit.code), unique=True)


class Segment(db.Model):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="主次干道")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # 属地: the street office or district
    # 包抓: the city department that adopts the segment and answers for it (may be none)
    adopting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # WGS-84 polyline as JSON [[lon, lat], ...]; the bounding box makes "near this point" an indexed query.
    coords_json: Mapped[str] = mapped_column(Text, default="[]")
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit = relationship("Unit", lazy="joined", foreign_keys=[unit_id])
    adopting_unit = relationship("Unit", lazy="select", foreign_keys=[adopting_unit_id])

    @property
    def unit_label(self) -> str:
        """The 属地 unit's name as the filing page shows it beside the district: without the district in front
        (临江区 · 银盆岭街道办事处, not 临江区 · 临江区银盆岭街道办事处), which a phone's picker would cut off."""
        name = self.unit.name if self.unit else ""
        district = self.district or ""
        return name[len(district):] if district and name.startswith(district) and name != district else name

    @property
    def coords(self) -> list[list[float]]:
        return json.loads(self.coords_json or "[]")

    @coords.setter
    def coords(self, points: list[list[float]]) -> None:
        points = [[float(lon), float(lat)] for lon, lat in points]
        self.coords_json = json.dumps(points)
        if points:
            lons = [p[0] for p in points]
            lats = [p[1] for p in points]
            self.min_lon, self.max_lon = min(lons), max(lons)
            self.min_lat, self.max_lat = min(lats), max(lats)
        else:
            self.min_lon = self.max_lon = self.min_lat = self.max_lat = None


# The units an inspector may pick as a category's 产权 owners (route "owner"), e.g. the carriers for 蜘蛛网.
category_owner_choices = Table(
    "category_owner_choices", db.metadata,
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(32))
    deadline_hours: Mapped[int | None] = mapped_column(Integer)
    deadline_workdays: Mapped[int | None] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    common: Mapped[bool] = mapped_column(Boolean, default=False)  # shown first, as big buttons
    sort_order: Mapped[int] = mapped_column(default=100)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # ROUTES: whom its problems go to. "own" uses owner_unit; "owner" the units picked at filing (from owner_choices).
    route: Mapped[str] = mapped_column(String(16), server_default=DEFAULT_ROUTE)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 返工 time: a ticket sent back gets at least this long from the rejection (the later of that and its original
    # deadline). Both empty: the REWORK_DEADLINE_* settings.
    rework_hours: Mapped[int | None] = mapped_column(Integer)
    rework_workdays: Mapped[int | None] = mapped_column(Integer)

    owner_unit = relationship("Unit", lazy="joined")
    owner_choices = relationship("Unit", secondary=category_owner_choices, lazy="select", order_by="Unit.code")

    @property
    def route_label(self) -> str:
        return ROUTE_SHORT.get(self.route, self.route)

    @property
    def own_rework_rule(self) -> dict | None:
        if self.rework_workdays:
            return {"workdays": self.rework_workdays}
        if self.rework_hours:
            return {"hours": self.rework_hours}
        return None

    @property
    def rework_label(self) -> str:
        rule = self.own_rework_rule
        if rule is None:
            return "默认"
        return f"{rule['workdays']}个工作日" if "workdays" in rule else f"{rule['hours']}小时"

    @property
    def deadline_rule(self) -> dict:
        if self.deadline_workdays:
            return {"workdays": self.deadline_workdays}
        return {"hours": self.deadline_hours or 24}

    @property
    def deadline_label(self) -> str:
        if self.deadline_workdays:
            return f"{self.deadline_workdays}个工作日"
        return f"{self.deadline_hours or 24}小时"


Index("uq_categories_upper_code", func.upper(Category.code), unique=True)  # Niupixuan is niupixuan, as units' codes
# One category in use of a name (its letter case aside: LED屏 is led屏), so two admins saving the same new name at
# the same moment cannot both pass the service's check (office/reference.py, common/unique.py). Names are stored
# normalised (reference.category_name). A retired one may share it: retiring never deletes, and its successor
# takes the name.
Index("uq_categories_active_upper_name", func.upper(Category.name), unique=True,
      sqlite_where=text("active = 1"), postgresql_where=text("active"))


@event.listens_for(Category, "before_insert")
def _default_route(_mapper, _connection, category: Category) -> None:
    """A category made without a rule keeps the rule of API.md: its own unit if it has one, else the segment's."""
    if not category.route:
        category.route = "own" if (category.owner_unit_id or category.owner_unit is not None) else DEFAULT_ROUTE
