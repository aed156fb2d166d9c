"""Reference data: responsible units, road segments, problem categories."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..extensions import db

UNIT_KINDS = ("市直单位", "区县", "街道", "社区", "企业")
SEGMENT_KINDS = ("主次干道", "背街小巷", "商业大街", "集贸市场周边", "学校周边", "社区", "广场", "公交站点")


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


class Segment(db.Model):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="主次干道")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # WGS-84 polyline as JSON [[lon, lat], ...]; the bounding box makes "near this point" an indexed query.
    coords_json: Mapped[str] = mapped_column(Text, default="[]")
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit = relationship("Unit", lazy="joined")

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
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # 返工 time: a ticket sent back gets at least this long from the rejection (the later of that and its original
    # deadline). Both empty: the REWORK_DEADLINE_* settings.
    rework_hours: Mapped[int | None] = mapped_column(Integer)
    rework_workdays: Mapped[int | None] = mapped_column(Integer)

    owner_unit = relationship("Unit", lazy="joined")

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
