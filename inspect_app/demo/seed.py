"""Load the demo city into an empty (or partly filled) database; safe to run again."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..auth.models import User
from ..auth.services import create_user
from ..common.timeutil import local
from ..extensions import db
from ..tickets.campaigns import Campaign
from ..units.models import Category, Segment, Unit
from . import data

DEFAULT_PASSWORD = "demo2026"


def seed_demo(now: datetime, password: str = DEFAULT_PASSWORD) -> dict:
    """Adds what is missing (matched by code, name or username); returns counts of rows added."""
    added = {"units": 0, "segments": 0, "categories": 0, "users": 0}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    for row in data.units():
        if row["code"] not in units:
            unit = Unit(code=row["code"], name=row["name"], kind=row["kind"], created_at=now,
                        contact_person="联络员", contact_phone="0731-8888" + row["code"][-4:].replace("Q", "0"))
            units[row["code"]] = unit
            db.session.add(unit)
            added["units"] += 1
    db.session.flush()
    for row in data.units():
        if row["parent"]:
            units[row["code"]].parent_id = units[row["parent"]].id

    existing_segments = {s.name: s for s in db.session.scalars(select(Segment))}
    for row in data.segments():
        segment = existing_segments.get(row["name"])
        if segment is not None:
            if segment.adopting_unit_id is None:  # a demo city loaded before 包抓 existed gets its departments
                segment.adopting_unit = units[row["adopting"]]
            continue
        segment = Segment(name=row["name"], district=row["district"], kind=row["kind"], unit=units[row["unit"]],
                          adopting_unit=units[row["adopting"]])
        segment.coords = row["coords"]
        db.session.add(segment)
        added["segments"] += 1

    categories = set(db.session.scalars(select(Category.code)))
    for order, (code, name, group, hours, workdays, urgent, common, owner) in enumerate(data.CATEGORIES):
        if code in categories:
            continue
        route = data.CATEGORY_ROUTES.get(code, "own" if owner else "territorial")
        db.session.add(Category(code=code, name=name, group=group, deadline_hours=hours, deadline_workdays=workdays,
                                urgent=urgent, common=common, sort_order=order, route=route,
                                owner_unit=units[owner] if owner else None,
                                owner_choices=[units[c] for c in data.OWNER_CHOICES.get(code, [])]))
        added["categories"] += 1

    usernames = set(db.session.scalars(select(User.username)))
    for row in data.accounts():
        if row["username"] in usernames:
            continue
        create_user(row["username"], row["role"], password, now, unit=units.get(row.get("unit")),
                    display_name=row["name"], check_strength=False)
        added["users"] += 1
    db.session.flush()
    added["campaigns"] = _seed_campaigns(now)
    from .assessment import seed_reference
    assessment = seed_reference(now, password)
    added["units"] += assessment.pop("units")
    added["users"] += assessment.pop("users")
    added.update(assessment)
    return added


# The seed report's 专项整治行动: two running through the demo's six weeks, one over a district, one ended
CAMPAIGNS = [
    ("牛皮癣集中清理专项行动", ["niupixuan"], [], -45, 30, "全市清理乱贴乱画、喷涂小广告，重点是背街小巷和老旧小区。"),
    ("“蜘蛛网”整治专项行动", ["spider_web"], [], -45, 60,
     "通信、广电线缆入管入槽，废弃线缆拆除，牵头：市工信局，协办：各运营商。"),
    ("江城区乱停乱放整治月", ["illegal_parking", "bike_parking"], ["江城区"], -40, -10, "主次干道、学校和医院周边。"),
]


def _seed_campaigns(now: datetime) -> int:
    """The demo's special campaigns, dated around `now` (matched by name: a campaign that exists is kept)."""
    today = local(now).date()
    names = set(db.session.scalars(select(Campaign.name)))
    categories = {c.code: c for c in db.session.scalars(select(Category))}
    added = 0
    for name, codes, districts, start, end, note in CAMPAIGNS:
        if name in names:
            continue
        campaign = Campaign(name=name, start_date=today + timedelta(days=start), end_date=today + timedelta(days=end),
                            note=note, created_at=now, categories=[categories[c] for c in codes])
        campaign.districts = districts
        db.session.add(campaign)
        added += 1
    db.session.flush()
    return added


DEMO_ACCOUNTS = """\
  文明办管理员  admin
  督查员        inspector1 … inspector5
  领导          leader
  责任单位      单位编码小写，例如 sz01（市城市管理局）、sz03（交警支队）、jd0101（江城区解放街道）、qy01（中国移动）
"""
DEMO_LOGIN_HELP = "演示账号（密码均为 {password}）：\n" + DEMO_ACCOUNTS
# seed-demo again on a database that has the demo: its accounts were made before and keep their passwords
DEMO_LOGINS_KEPT = "演示城市此前已加载，演示账号沿用原有密码（本次未改动）：\n" + DEMO_ACCOUNTS


def demo_accounts_present() -> int:
    """How many of the demo's accounts the database already has (0: a first load makes them all)."""
    names = [row["username"] for row in data.accounts()]
    return db.session.scalar(select(func.count(User.id)).where(User.username.in_(names))) or 0
