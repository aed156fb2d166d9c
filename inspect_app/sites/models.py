"""Site types (the office's list) and sites (点位): a point or an area (polygon), with district, street and the
units that answer for it."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.geo import reach_m
from ..common.types import UTCDateTime
from ..extensions import db

# The answering roles of API.md, in the order a site lists them.
ROLES = ("territorial", "sector", "operator")
ROLE_LABELS = {"territorial": "属地", "sector": "行业主管", "operator": "管理主体"}

# The national assessment's 实地考察 site types (DOMAIN.md); the office edits the list (SiteKind rows).
DEFAULT_KINDS = ("主次干道", "商业大街", "背街小巷", "农贸市场", "公共厕所", "学校周边", "居民小区", "医院",
                 "车站/公交站点", "广场/公园", "窗口单位", "文化场馆", "建筑工地", "城乡结合部")


class SiteKind(db.Model):
    __tablename__ = "site_kinds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (Index("ix_sites_kind_district", "kind_id", "district"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind_id: Mapped[int] = mapped_column(ForeignKey("site_kinds.id"))
    district: Mapped[str] = mapped_column(String(32), index=True)
    street: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # A point (lat, lon), or an area: its outline as JSON [[lon, lat], ...] (WGS-84); lat/lon is then its centre.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_json: Mapped[str] = mapped_column(Text, default="")
    # How far the site reaches from lat/lon in metres (an area's farthest vertex, 0 for a point): the search for
    # sites near a problem widens its box by it. place() keeps it right.
    reach_m: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    territorial_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    sector_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    operator_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    kind = relationship("SiteKind", lazy="joined")
    territorial_unit = relationship("Unit", foreign_keys=[territorial_unit_id], lazy="joined")
    sector_unit = relationship("Unit", foreign_keys=[sector_unit_id], lazy="joined")
    operator_unit = relationship("Unit", foreign_keys=[operator_unit_id], lazy="joined")

    @property
    def area(self) -> list[list[float]]:
        return json.loads(self.area_json) if self.area_json else []

    @area.setter
    def area(self, points: list[list[float]] | None) -> None:
        """An outline centred on its vertices' mean; none: a point where the site is."""
        if points:
            self.place(None, None, points)
        else:
            self.place(self.lat, self.lon)

    def place(self, lat: float | None, lon: float | None, area: list[list[float]] | None = None) -> None:
        """Where the site is, set in this one place: a point (lat, lon), or an area, its outline [[lon, lat], ...]
        (kept to 7 decimals) with its centre lat/lon (None: the vertices' mean). The reach follows."""
        points = [[round(float(p_lon), 7), round(float(p_lat), 7)] for p_lon, p_lat in (area or [])]
        if points and (lat is None or lon is None):
            lat = round(sum(p[1] for p in points) / len(points), 7)
            lon = round(sum(p[0] for p in points) / len(points), 7)
        self.area_json = json.dumps(points) if points else ""
        self.lat, self.lon = lat, lon
        self.reach_m = reach_m(lat, lon, points)

    @property
    def is_area(self) -> bool:
        return bool(self.area_json)

    def unit_id_for(self, role: str) -> int | None:
        return {"territorial": self.territorial_unit_id, "sector": self.sector_unit_id,
                "operator": self.operator_unit_id}.get(role)

    def unit_for(self, role: str):
        return {"territorial": self.territorial_unit, "sector": self.sector_unit,
                "operator": self.operator_unit}.get(role)

    @property
    def unit_ids(self) -> dict[str, int | None]:
        return {role: self.unit_id_for(role) for role in ROLES}


Index("uq_sites_upper_code", func.upper(Site.code), unique=True)  # one code in any letter case (common/codes.py)
