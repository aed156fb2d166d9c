"""Special campaigns (专项整治行动): editing them. Membership is tickets.campaigns.campaign_condition; the ticket
list filters with ?campaign_id=; their figures and pages are the campaigns package's. Callers commit."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select

from ..common.errors import Invalid
from ..common.ids import row_id
from ..common.timeutil import iso_day, local
from ..common.unique import unique_write
from ..extensions import db
from ..tickets.campaigns import Campaign
from ..units.models import Category
from . import fields, reference


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc())))


def _date(value, label: str) -> date:
    try:
        return iso_day(str(value or ""))
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
    today = local(now).date()
    if abs((start - today).days) > 366:  # 1990-01-01 was taken (a slip of the date picker)
        raise Invalid("开始日期应在今天前后一年以内。", code="invalid_date")
    ids = {row_id(i) for i in category_ids} - {None}
    categories = list(db.session.scalars(select(Category).where(Category.id.in_(ids)))) if ids else []
    if not categories or len(categories) != len(ids):
        raise Invalid("请至少选择一个问题类别。", code="categories_required")
    own_id = campaign.id if campaign is not None else -1
    _refuse_name_taken(name, own_id)
    with unique_write(lambda: _refuse_name_taken(name, own_id)):
        if campaign is None:
            campaign = Campaign(created_at=now)
            db.session.add(campaign)
        campaign.name, campaign.start_date, campaign.end_date = name, start, end
        campaign.note = fields.text(data.get("note"), "说明", 500)
        campaign.categories = categories
        known = set(reference.districts())  # its query flushes the campaign: inside the block
        unknown = sorted({str(d).strip() for d in district_names if str(d).strip()} - known)
        if unknown:  # the form offers the segments' districts; another name matches no problem
            raise Invalid(f"没有这个区县：{'、'.join(unknown)}。", code="invalid_district")
        campaign.districts = [str(d) for d in district_names]
    return campaign


def _refuse_name_taken(name: str, own_id: int) -> None:
    if db.session.scalar(select(Campaign.id).where(Campaign.name == name, Campaign.id != own_id)):
        raise Invalid(f"已有名为“{name}”的专项行动。", code="duplicate_name")


def delete_campaign(campaign: Campaign) -> None:
    """Campaigns only tag by query, so deleting one loses no ticket data."""
    db.session.delete(campaign)
