"""Load the demo city's assessment data: site types, the operators and sector bodies the sites need (with
accounts), about 180 sites, the checklist, and past rounds (two finished 模拟测评 rounds, the first with its
通报 issued, and an 暗访 round under way) made through the same services the pages and the API use."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..assessment import checklist, services
from ..assessment.models import Round, RoundSite
from ..auth.models import User
from ..auth.services import create_user
from ..extensions import db
from ..sites.models import Site, SiteKind
from ..tickets import services as ticket_services
from ..tickets.models import Ticket
from ..units.models import Category, Unit
from . import assessment_data as data

# Failure rates of the replayed rounds: the second mock assessment is better than the first.
ROUNDS = [
    # (days before now, kind, name, seed, per-district counts, failure rate, close after days, issue)
    (38, "mock_assessment", "第一轮模拟测评", 20261019,
     {"农贸市场": 1, "背街小巷": 2, "公共厕所": 1, "主次干道": 1, "学校周边": 1, "居民小区": 1}, 0.2, 3, True),
    (12, "mock_assessment", "第二轮模拟测评", 20261114,
     {"农贸市场": 1, "背街小巷": 2, "公共厕所": 1, "主次干道": 1, "学校周边": 1, "居民小区": 1}, 0.12, 3, False),
    (1, "undercover", "市文明办暗访（第12期）", 20261128,
     {"农贸市场": 1, "背街小巷": 1, "公共厕所": 1}, 0.25, None, False),
]


def seed_reference(now: datetime, password: str) -> dict:
    """Types, units, accounts, sites and the checklist; what exists already is kept (matched by name or code)."""
    added = {"site_kinds": 0, "sites": 0, "checklist_items": 0, "units": 0, "users": 0}
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind))}
    for order, name in enumerate(data.kinds(), start=1):
        if name not in kinds:
            kinds[name] = SiteKind(name=name, sort_order=order * 10, active=True)
            db.session.add(kinds[name])
            added["site_kinds"] += 1
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    usernames = {u.lower() for u in db.session.scalars(select(User.username))}
    for row in data.extra_units():
        if row["code"] not in units:
            units[row["code"]] = Unit(code=row["code"], name=row["name"], kind=row["kind"], created_at=now,
                                      contact_person="联络员", contact_phone="0731-8899" + row["code"][-2:] + "00")
            db.session.add(units[row["code"]])
            added["units"] += 1
    db.session.flush()
    for row in data.extra_units():
        if row["code"].lower() not in usernames:
            create_user(row["code"].lower(), "unit", password, now, unit=units[row["code"]], display_name=row["name"],
                        check_strength=False)
            added["users"] += 1
    codes = set(db.session.scalars(select(Site.code)))
    for row in data.sites():
        if row["code"] in codes:
            continue
        site = Site(code=row["code"], name=row["name"], kind=kinds[row["kind"]], district=row["district"],
                    street=row["street"], address=row["address"], description=row["description"],
                    territorial_unit=units[row["territorial"]],
                    sector_unit=units.get(row["sector"]) if row["sector"] else None,
                    operator_unit=units.get(row["operator"]) if row["operator"] else None, created_at=now)
        if row["area"]:
            site.place(None, None, row["area"])  # centred on its vertices' mean
        else:
            site.place(row["lat"], row["lon"])
        db.session.add(site)
        added["sites"] += 1
    if checklist.current_version() is None:
        categories = {c.code: c for c in db.session.scalars(select(Category))}
        rows = [{"code": code, "kind": kinds[kind], "text": text, "points": float(points), "answerable_by": role,
                 "deadline": deadline, "category": categories.get(category) if category else None}
                for code, kind, text, points, role, deadline, category in data.CHECKLIST]
        checklist.create_version(rows, now, note="临江市文明城市测评体系（实地考察部分，2026年版）")
        added["checklist_items"] = len(rows)
    db.session.flush()
    return added


def seed_rounds(now: datetime) -> dict:
    """Past rounds, once (only while there are none). Failed items become tickets through the ticket services;
    most tickets of the first round are rectified and closed since."""
    if db.session.scalar(select(func.count(Round.id))) or checklist.current_version() is None:
        return {"rounds": 0, "tickets": 0}
    from .activity import demo_photos

    photos = demo_photos()
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    inspectors = list(db.session.scalars(select(User).where(User.role == "inspector", User.active.is_(True))
                                         .order_by(User.id)))[:5]
    if admin is None or not inspectors:
        return {"rounds": 0, "tickets": 0}
    rng = random.Random(2026)
    made = {"rounds": 0, "tickets": 0}
    for days, kind, name, seed, counts, rate, close_after, issue in ROUNDS:
        start = now - timedelta(days=days)
        data_in = services.RoundInput(kind=kind, name=name, per_kind=counts, per_district=True, seed=seed,
                                      exclude_recent=1, inspector_ids=[u.id for u in inspectors])
        rnd, _ = services.create_round(admin, data_in, start)
        made["rounds"] += 1
        drawn = list(db.session.scalars(select(RoundSite).where(RoundSite.round_id == rnd.id).order_by(RoundSite.id)))
        for index, rs in enumerate(drawn):
            if close_after is None and index % 3 == 2:
                continue  # the round under way: a third still to visit
            moment = start + timedelta(hours=2 + index % 30, minutes=7 * index % 60)
            if moment >= now:
                continue
            items = services.items_for(rs)
            answers = [services.Answer(i.code, rng.random() >= rate,
                                       "" if rng.random() < 0.6 else rng.choice(["现场已拍照", "多处", "较严重"]))
                       for i in items]
            processed = {a.code: [photos[rng.randrange(len(photos))]] for a in answers if not a.passed}
            inspector = db.session.get(User, rs.inspector_id)
            services.submit(inspector, rnd, rs.site_id, answers, None, moment, processed=processed)
            made["tickets"] += len(processed)
        if close_after is not None:
            services.close_round(admin, rnd, start + timedelta(days=close_after))
            if issue:
                from flask import current_app
                services.issue_bulletin(admin, rnd, start + timedelta(days=close_after, hours=2),
                                        current_app.config["ASSESSMENT_BULLETIN_PREFIX"])
    _work_off(now, rng, photos)
    db.session.flush()
    return made


def _work_off(now: datetime, rng: random.Random, photos) -> None:
    """Units rectify most tasks of the first round within their deadline; inspectors close them."""
    from .activity import after_photo

    first = db.session.scalar(select(Round).order_by(Round.created_at).limit(1))
    tickets = list(db.session.scalars(
        select(Ticket).where(Ticket.source == first.kind, Ticket.status == "assigned",
                             Ticket.reported_at < first.created_at + timedelta(days=2)).order_by(Ticket.id)))
    inspector = db.session.scalar(select(User).where(User.role == "inspector").order_by(User.id))
    for ticket in tickets:
        if rng.random() < 0.15:
            continue  # still open: overdue by now
        clerk = db.session.scalar(select(User).where(User.role == "unit", User.unit_id == ticket.unit_id).limit(1))
        if clerk is None:
            continue
        done_at = min(ticket.deadline or now, ticket.reported_at + timedelta(days=2)) - timedelta(hours=1)
        if done_at <= ticket.reported_at or done_at >= now:
            continue
        ticket_services.rectify(clerk, ticket, done_at, "已按测评要求整改到位", [after_photo(ticket, photos, rng)])
        ticket_services.approve(inspector, ticket, done_at + timedelta(hours=3), "复查合格")
