"""Load the demo city into an empty (or partly filled) database; safe to run again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..auth.models import User
from ..auth.services import create_user
from ..extensions import db
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
    from .assessment import seed_reference
    assessment = seed_reference(now, password)
    added["units"] += assessment.pop("units")
    added["users"] += assessment.pop("users")
    added.update(assessment)
    return added


DEMO_LOGIN_HELP = """\
演示账号（密码均为 {password}）：
  文明办管理员  admin
  督查员        inspector1 … inspector5
  领导          leader
  责任单位      单位编码小写，例如 sz01（市城市管理局）、sz03（交警支队）、jd0101（江城区解放街道）、qy01（中国移动）
"""
