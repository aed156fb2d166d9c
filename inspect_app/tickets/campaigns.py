"""Special campaigns (专项整治行动): a date range, some categories, optionally some districts.

A ticket belongs to a campaign when it was filed within the range (Shanghai days, inclusive), in one of
its categories and, when districts are given, on a segment in one of them. Membership is a query, not a
stored tag, so a campaign edited later tags exactly the tickets that fit it now.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Column, Date, ForeignKey, String, Table, Text, and_, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..common.types import UTCDateTime
from ..common.timeutil import local_midnight
from ..extensions import db
from ..units.models import Category, Segment
from .models import Ticket

campaign_categories = Table(
    "campaign_categories", db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    districts_json: Mapped[str] = mapped_column(Text, default="[]")  # [] means the whole city
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    categories = relationship(Category, secondary=campaign_categories, lazy="selectin", order_by=Category.sort_order)

    @property
    def districts(self) -> list[str]:
        return json.loads(self.districts_json or "[]")

    @districts.setter
    def districts(self, names: list[str]) -> None:
        self.districts_json = json.dumps(sorted({n.strip() for n in names if n and n.strip()}), ensure_ascii=False)

    def status(self, today: date) -> str:
        if today < self.start_date:
            return "未开始"
        if today > self.end_date:
            return "已结束"
        return "进行中"


def campaign_condition(campaign: Campaign | None):
    """SQL condition: the ticket belongs to the campaign."""
    if campaign is None:
        return false()
    return campaign_window(*campaign_values(campaign))


def campaign_values(campaign: Campaign) -> tuple[datetime, datetime, int, list[str]]:
    """What campaign_window asks: the range in UTC (Shanghai days, inclusive), the id, the districts ([]: all)."""
    return (local_midnight(campaign.start_date), local_midnight(campaign.end_date + timedelta(days=1)), campaign.id,
            campaign.districts)


def campaign_window(start, end, campaign_id, districts):
    """The membership condition; each argument a value or a bindparam (`districts`: an expanding one, or empty
    for the whole city)."""
    condition = and_(
        Ticket.reported_at >= start,
        Ticket.reported_at < end,
        Ticket.category_id.in_(select(campaign_categories.c.category_id)
                               .where(campaign_categories.c.campaign_id == campaign_id)),
    )
    if districts is not None and (not isinstance(districts, list) or districts):
        condition = and_(condition, Ticket.segment_id.in_(select(Segment.id).where(Segment.district.in_(districts))))
    return condition


def belongs(campaign: Campaign, ticket: Ticket) -> bool:
    """The same rule as campaign_condition, for one ticket already loaded."""
    if ticket.reported_at is None:
        return False
    if not (local_midnight(campaign.start_date) <= ticket.reported_at
            < local_midnight(campaign.end_date + timedelta(days=1))):
        return False
    if ticket.category_id not in {c.id for c in campaign.categories}:
        return False
    return not campaign.districts or (ticket.segment is not None and ticket.segment.district in campaign.districts)


def campaigns_of(ticket: Ticket) -> list[Campaign]:
    """The campaigns a ticket belongs to (tags on its page)."""
    return [c for c in db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc())) if belongs(c, ticket)]
