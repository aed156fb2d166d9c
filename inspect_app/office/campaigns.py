"""Special campaigns (专项整治行动): editing them and their figures. Membership is
tickets.campaigns.campaign_condition; the ticket list filters with ?campaign_id=. Callers commit."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import func, select

from ..common.errors import Invalid
from ..common.ids import row_id
from ..common.timeutil import local
from ..common.sql import count_where
from ..extensions import db
from ..tickets.campaigns import Campaign, campaign_condition
from ..tickets.models import Ticket
from ..tickets.rules import ACTIVE_STATUSES, STATUS_LABELS, overdue_condition
from ..units.models import Category, Segment, Unit
from . import fields


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc())))


def _date(value, label: str) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise Invalid(f"{label}格式应为 YYYY-MM-DD。", code="invalid_date") from None


def save_campaign(data: Mapping, category_ids: list, district_names: list, now: datetime,
                  campaign: Campaign | None = None) -> Campaign:
    name = fields.text(data.get("name"), "行动名称", 100, required=True)
    start, end = _date(data.get("start_date"), "开始日期"), _date(data.get("end_date"), "结束日期")
    if end < start:
        raise Invalid("结束日期不能早于开始日期。", code="invalid_date")
    if (end - start).days > 366:
        raise Invalid("一次专项行动最长一年。", code="invalid_date")
    ids = {row_id(i) for i in category_ids} - {None}
    categories = list(db.session.scalars(select(Category).where(Category.id.in_(ids)))) if ids else []
    if not categories or len(categories) != len(ids):
        raise Invalid("请至少选择一个问题类别。", code="categories_required")
    own_id = campaign.id if campaign is not None else -1
    if db.session.scalar(select(Campaign.id).where(Campaign.name == name, Campaign.id != own_id)):
        raise Invalid(f"已有名为“{name}”的专项行动。", code="duplicate_name")
    if campaign is None:
        campaign = Campaign(created_at=now)
        db.session.add(campaign)
    campaign.name, campaign.start_date, campaign.end_date = name, start, end
    campaign.note = fields.text(data.get("note"), "说明", 500)
    campaign.categories = categories
    campaign.districts = [str(d) for d in district_names]
    db.session.flush()
    return campaign


def delete_campaign(campaign: Campaign) -> None:
    """Campaigns only tag by query, so deleting one loses no ticket data."""
    db.session.delete(campaign)


def figures(campaign: Campaign, now: datetime) -> dict:
    """Totals, by status, on time, overdue; and the same split by category, unit and district."""
    member = campaign_condition(campaign)
    on_time = (Ticket.rectified_at.is_not(None)) & (Ticket.deadline.is_not(None)) & (Ticket.rectified_at <= Ticket.deadline)
    measures = (
        func.count(Ticket.id),
        count_where(Ticket.status == "closed"),
        count_where(Ticket.status.in_(("closed", "rectified")) & on_time),
        count_where(overdue_condition(now)),
        count_where(Ticket.status.in_(ACTIVE_STATUSES)),
    )

    def shape(row) -> dict:
        total, closed, timely, overdue, open_ = (int(v or 0) for v in row)
        return {"total": total, "closed": closed, "on_time": timely, "overdue": overdue, "open": open_,
                "closed_rate": round(closed / total * 100, 1) if total else None,
                "on_time_rate": round(timely / total * 100, 1) if total else None}

    summary = shape(db.session.execute(select(*measures).where(member)).one())
    by_status = {status: n for status, n in db.session.execute(
        select(Ticket.status, func.count(Ticket.id)).where(member).group_by(Ticket.status))}
    summary["by_status"] = [{"status": s, "label": STATUS_LABELS[s], "count": by_status.get(s, 0)}
                            for s in STATUS_LABELS]

    def split(label_column, empty: str, *joins) -> list[dict]:
        query = select(label_column, *measures).select_from(Ticket)
        for target, on in joins:
            query = query.outerjoin(target, on)
        rows = db.session.execute(query.where(member).group_by(label_column).order_by(func.count(Ticket.id).desc()))
        return [{"name": label or empty, **shape(rest)} for label, *rest in rows]

    summary["by_category"] = split(Category.name, "", (Category, Category.id == Ticket.category_id))
    summary["by_unit"] = split(Unit.name, "（未派遣）", (Unit, Unit.id == Ticket.unit_id))
    summary["by_district"] = split(Segment.district, "（无路段）", (Segment, Segment.id == Ticket.segment_id))
    summary["status"] = campaign.status(local(now).date())
    return summary
