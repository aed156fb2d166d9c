"""Six weeks of demo city life: reports, rectifications, disputes, extensions, letters and red/black lists.

`seed_activity(now)` replays, with a fixed random seed, what inspectors, units and the office did in the six
weeks before `now`, through the same services the pages and the API use (create_ticket, rectify, approve, ...),
so every ticket, event, photo, letter and list is one the system itself could have made. Each ticket's life is
a generator yielding the moment of its next step; one clock runs them together with the escalation sweeps
(every working day at 09:00), the office's 督办 (ESCALATION_MODE=propose: on Tuesdays and Fridays at 10:00 the
office compiles the open proposals into one letter per level, the leader signs at 15:00; units sign for them, reply
in writing, the office clears items, holds 约谈, records a 问责 and queues 回头看) and the scheduled 红黑榜
publications, in time order. Nothing happens after `now`: a ticket whose next step would come later simply stays
where it is (open, overdue, awaiting verification).

Whatever day and hour the demo is loaded, it ends with what the README's tour shows (tests/test_demo_activity.py):
- the latest batch (the last Tuesday or Friday) is compiled but not signed: it waits in the leader's 待签发;
- one 约谈 is held and recorded (SZ03's, below), and one is scheduled two working days ahead, not yet held: the
  unit not summoned yet with the most problems still open on its highest letters;
- two 僵尸车 on SZ03's pavements (交警支队, the busiest unit) are sat on: SZ03 leaves every letter listing them
  unsigned for. The first, filed on the first working day, climbs every level the sweep proposes (督办, 挂牌督办,
  约谈通知; the 挂牌督办's time running out with it still open is the demo's 问责), and is dealt with once the 约谈
  is held; the second, filed twelve working days before `now`, leaves SZ03 a letter still to sign for.

Runs only on a database without tickets; a second run adds nothing.
"""
from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Generator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from ..auth.models import User
from ..common.timeutil import as_utc, local, local_midnight
from ..common.errors import ServiceError
from ..escalation import compose, followup, proposals, replies, signing
from ..escalation.jobs import run_sweep
from ..escalation.models import Interview, Letter, LetterItem, Recheck
from ..escalation.settings import mode
from ..extensions import db
from ..photos.processing import ProcessedPhoto, process_image
from ..rankings.models import Ranking
from ..rankings.periods import containing
from ..rankings.services import publish
from ..tickets import parts, services
from ..tickets.models import Ticket
from ..tickets.rules import OPEN_STATUSES, STATUS_LABELS
from ..units.models import Category, Segment, Unit
from ..workdays.calendar import load_calendar

PHOTOS_DIR = Path(__file__).parent / "photos"
DAYS = 42
# Demo photos are stored small: every ticket writes its own files.
PHOTO_LONG_SIDE = 400
THUMB_LONG_SIDE = 200

CATEGORY_WEIGHTS = {
    "niupixuan": 26, "illegal_parking": 16, "bike_parking": 14, "exposed_rubbish": 14, "piled_objects": 7,
    "street_vending": 6, "spider_web": 5, "road_damage": 4, "signboard": 3, "public_ads": 2,
    "illegal_building": 2, "manhole": 1,
}
# What happens to a report after it is dispatched (weights); "cancel" is given to exactly two tickets.
PLANS = {"on_time": 56, "late": 14, "reject": 7, "dispute": 6, "extension": 6, "ignored": 11}
# The problems a unit sits on (see the module's docstring): filed on the first working day of the six weeks, and
# this many working days before `now`.
STUBBORN_CATEGORY = "illegal_parking"  # SZ03's (交警支队)
STUBBORN_DESCRIPTIONS = ["小区出入口僵尸车长期占用人行道，多次督促未拖移", "人行道上僵尸车长期停放，落满灰尘未拖移"]
STUBBORN_LATE_WORKDAYS = 12

DESCRIPTIONS = {
    "niupixuan": ["电线杆上张贴小广告多处", "公交站台立柱喷涂办证电话", "墙面张贴疏通管道小广告", "配电箱表面粘贴牛皮癣"],
    "spider_web": ["通信线缆凌乱垂挂", "架空线缆缠绕成团，影响市容", "弱电线路私拉乱接"],
    "illegal_parking": ["机动车占用人行道停放", "车辆在禁停路段违停", "小区出入口车辆乱停"],
    "road_damage": ["人行道砖松动破损", "路面坑洼积水", "盲道破损中断"],
    "signboard": ["店招破损缺字", "门头广告牌超出规定尺寸", "广告牌匾悬挂不牢固"],
    "bike_parking": ["共享单车堆放占用盲道", "电动车乱停占用人行道", "地铁口非机动车无序停放"],
    "street_vending": ["流动摊贩占道经营", "店外摆摊设点", "水果摊占用人行道"],
    "piled_objects": ["门店外乱堆杂物", "建筑材料堆放在人行道", "废旧家具堆放路边"],
    "exposed_rubbish": ["垃圾桶满溢未及时清运", "绿化带内有暴露垃圾", "路边垃圾堆积"],
    "illegal_building": ["屋顶私搭彩钢棚", "店铺违规外扩搭建"],
    "manhole": ["井盖缺失，存在安全隐患", "雨水井盖破损下陷"],
    "public_ads": ["公益广告牌破损褪色", "围挡公益广告缺失"],
}
RECTIFY_NOTES = ["已清理完毕", "已安排人员整改到位", "已清除并加强巡查", "已联系责任人整改", "已整改，请核查"]
APPROVE_NOTES = ["现场核查已整改到位", "整改到位", "", "已复查，符合要求"]
REJECT_NOTES = ["整改不彻底，仍有残留", "照片与现场不符，请重新整改", "周边仍有同类问题未处理"]
DISPUTE_NOTES = ["该路段不属于我单位包抓范围", "问题属于其他单位职责，申请退单", "该点位已移交，请重新派遣"]
EXTENSION_NOTES = ["需协调产权单位，申请延期", "涉及施工，需采购材料", "天气原因无法施工，申请延期"]
CANCEL_NOTES = ["重复上报，已与其他问题合并", "上报有误，现场无此问题"]


def demo_photos() -> list[ProcessedPhoto]:
    """The shipped demo photos, each processed once (small), for reuse by every ticket."""
    return [process_image(path.read_bytes(), max_long_side=PHOTO_LONG_SIDE, thumb_long_side=THUMB_LONG_SIDE)
            for path in sorted(PHOTOS_DIR.glob("*.jpg"))]


def seed_activity(now: datetime, *, tickets: int = 250, seed: int = 2026) -> dict:
    """Replay about six weeks of reports ending at `now`, if there are no tickets yet.

    Returns counts: tickets, statuses, letters (and per level), rankings, photos, seconds."""
    if db.session.scalar(select(Ticket.id).limit(1)) is not None:
        return {"tickets": 0, "statuses": {}, "letters": 0, "letter_levels": {}, "rankings": 0, "photos": 0,
                "seconds": 0.0}
    started = time.perf_counter()
    _Replay(as_utc(now), random.Random(seed), tickets).run()
    db.session.flush()
    statuses = dict(db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    levels = dict(db.session.execute(select(Letter.level, func.count()).where(Letter.status != "draft")
                                     .group_by(Letter.level)).all())
    from ..photos.models import Photo
    return {"tickets": sum(statuses.values()), "statuses": statuses, "letters": sum(levels.values()),
            "letter_levels": levels, "rankings": db.session.scalar(select(func.count(Ranking.id))),
            "photos": db.session.scalar(select(func.count(Photo.id))),
            "seconds": round(time.perf_counter() - started, 1)}


class _Replay:
    def __init__(self, now: datetime, rng: random.Random, count: int):
        self.now = now
        self.rng = rng
        self.count = count
        self.start = now - timedelta(days=DAYS)
        self.calendar = load_calendar(self.start - timedelta(days=2), days=DAYS + 40)
        self.photos = demo_photos()
        users = list(db.session.scalars(select(User).where(User.active.is_(True))))
        self.inspectors = sorted((u for u in users if u.role == "inspector"), key=lambda u: u.username)
        self.admin = next(u for u in users if u.role == "admin")
        self.leader = next((u for u in users if u.role == "leader"), None)
        self.unit_users = {}
        for user in sorted((u for u in users if u.role == "unit"), key=lambda u: u.username):
            self.unit_users.setdefault(user.unit_id, user)
        self.segments = list(db.session.scalars(select(Segment).where(Segment.active.is_(True)).order_by(Segment.id)))
        categories = {c.code: c for c in db.session.scalars(select(Category))}
        self.categories = [(categories[code], weight) for code, weight in CATEGORY_WEIGHTS.items()
                           if code in categories]
        self.fallback_unit = db.session.scalar(select(Unit).where(Unit.code == "SZ34"))
        if not self.inspectors or not self.segments or not self.categories:
            raise RuntimeError("演示城市未加载：请先运行 seed-demo。")
        self.ignored: dict[int, tuple[float, float]] = {}  # tickets nobody acted on: only a letter moves them
        self.awaiting_check: list[int] = []  # rectified after a letter: the inspector verifies next time
        self.failed_recheck = False  # one 回头看 in the demo finds the problem back
        self.stubborn: set[int] = set()  # problems their unit sits on until its 约谈 (never moved by a letter)
        self._order = itertools.count()
        self._queue: list[tuple[datetime, int, Iterator[datetime]]] = []

    # ------------------------------------------------------------------ clock

    def run(self) -> None:
        for i in range(self.count):
            plan = "cancel" if i in (self.count // 3, (2 * self.count) // 3) else self._weighted(PLANS)
            self._start(self._ticket_life(self._report_time(), plan))
        self._start(self._sweeps())
        if mode() == "propose" and self.leader is not None:
            days = self._workdays()
            first = next((self._at(day, 10 * 60) for day in days if self._at(day, 10 * 60) > self.start), None)
            late = self._at(days[-STUBBORN_LATE_WORKDAYS], 10 * 60) if len(days) > STUBBORN_LATE_WORKDAYS else None
            for number, reported in enumerate((first, late)):
                if reported is not None and reported < self.now - timedelta(minutes=20):
                    self._start(self._stubborn_life(reported, number))
            self._start(self._office_batches())
            self._start(self._follow_ups())
            self._start(self._upcoming_interview())
            self._start(self._rechecks_to_walk())
        self._start(self._rankings())
        while self._queue:
            _, _, life = heapq.heappop(self._queue)
            self._advance(life)

    def _start(self, life: Generator[datetime, None, None]) -> None:
        self._advance(life)

    def _advance(self, life: Iterator[datetime]) -> None:
        """Run the life to its next step; schedule that step unless it falls after `now`."""
        try:
            moment = next(life)
        except StopIteration:
            return
        if moment <= self.now:
            heapq.heappush(self._queue, (moment, next(self._order), life))

    # ------------------------------------------------------------------ time helpers

    def _weighted(self, weights: dict) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _at(self, day: date, minutes: float) -> datetime:
        return local_midnight(day) + timedelta(minutes=minutes)

    def _workdays(self) -> list[date]:
        first, last = local(self.start).date(), local(self.now).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)
                if self.calendar.is_workday(first + timedelta(days=n))]

    def _report_time(self) -> datetime:
        """A moment in working hours (08:30–17:30) on a past working day, before `now`."""
        days = self._workdays()
        while True:
            moment = self._at(self.rng.choice(days), self.rng.uniform(8.5 * 60, 17.5 * 60))
            if self.start < moment < self.now - timedelta(minutes=20):
                return moment

    def _later(self, moment: datetime, hours: float) -> datetime:
        """`hours` after `moment`, moved into the next working hours (08:00–18:00 on a working day)."""
        moment = moment + timedelta(hours=hours)
        day, minute = local(moment).date(), local(moment).hour * 60 + local(moment).minute
        if self.calendar.is_workday(day) and 8 * 60 <= minute < 18 * 60:
            return moment
        if not (self.calendar.is_workday(day) and minute < 8 * 60):
            day += timedelta(days=1)
            while not self.calendar.is_workday(day):
                day += timedelta(days=1)
        return self._at(day, self.rng.uniform(8 * 60 + 20, 10 * 60))

    def _before(self, start: datetime, deadline: datetime) -> datetime:
        """A moment between `start` and `deadline`, in working hours when the deadline leaves room."""
        moment = start + (deadline - start) * self.rng.uniform(0.2, 0.85)
        shifted = self._later(moment, 0)
        return shifted if shifted < deadline - timedelta(minutes=5) else moment

    # ------------------------------------------------------------------ one ticket

    def _point(self, segment: Segment) -> tuple[float, float]:
        """(lat, lon) on the segment's polyline, a few metres off it."""
        coords = segment.coords
        i = self.rng.randrange(len(coords) - 1)
        f = self.rng.random()
        lon = coords[i][0] + (coords[i + 1][0] - coords[i][0]) * f + self.rng.uniform(-0.00003, 0.00003)
        lat = coords[i][1] + (coords[i + 1][1] - coords[i][1]) * f + self.rng.uniform(-0.00003, 0.00003)
        return round(lat, 6), round(lon, 6)

    def _photo(self, moment: datetime, lat: float, lon: float, not_like=None) -> tuple[list[ProcessedPhoto], list[dict]]:
        """A demo photo; for an after-photo (`not_like` the ticket) never one of its before-photos, which the
        system refuses as proof of a rectification."""
        if not_like is not None:
            photo = after_photo(not_like, self.photos, self.rng)
        else:
            photo = self.photos[self.rng.randrange(len(self.photos))]  # the draw random.choice makes
        return [photo], [{"taken_at": moment - timedelta(minutes=self.rng.randint(1, 15)),
                                                 "lat": lat, "lon": lon}]

    def _assists_report(self, ticket, moment: datetime, lat: float, lon: float) -> bool:
        """Each 产权 unit (协办) reports its own part first; True when none is left open, so the lead may report
        the whole."""
        for part in ticket.assist_parts:
            if part.status == "open" and part.unit_id in self.unit_users:
                photos, meta = self._photo(moment, lat, lon, not_like=ticket)
                parts.rectify_part(self.unit_users[part.unit_id], ticket, moment, "已整理本单位线缆", photos, meta)
        return all(part.status != "open" for part in ticket.assist_parts)

    def _ticket_life(self, reported: datetime, plan: str) -> Generator[datetime, None, None]:
        rng = self.rng
        category = rng.choices([c for c, _ in self.categories], weights=[w for _, w in self.categories])[0]
        segment = rng.choice(self.segments)
        inspector = rng.choice(self.inspectors)
        lat, lon = self._point(segment)
        yield reported
        photos, meta = self._photo(reported, lat, lon)
        report = services.NewReport(category=category.code, photos=photos, photo_meta=meta, segment_id=segment.id,
                                    lat=lat, lon=lon, description=rng.choice(DESCRIPTIONS.get(category.code, ["现场发现问题"])),
                                    unit_ids=self._owners(category))
        ticket, _ = services.create_ticket(inspector, report, reported)
        if ticket.unit_id is None:
            return
        moment = reported
        if plan == "cancel":
            moment = self._later(moment, rng.uniform(1, 20))
            yield moment
            services.cancel(self.admin, ticket, moment, rng.choice(CANCEL_NOTES))
            return
        if plan == "extension" and not category.deadline_workdays:
            plan = "on_time"
        if plan == "dispute":
            moment = self._later(moment, rng.uniform(0.3, 4))
            yield moment
            services.dispute(self._unit_user(ticket), ticket, moment, rng.choice(DISPUTE_NOTES))
            moment = self._later(moment, rng.uniform(1, 20))
            yield moment
            target = segment.unit if ticket.unit_id != segment.unit_id else self.fallback_unit
            if target is None or target.id == ticket.unit_id or target.id not in self.unit_users:
                return  # nobody to take it: it waits in the office's queue
            services.reassign(self.admin, ticket, moment, target.id, "经核实，重新派遣至责任单位")
        if plan == "extension":
            moment = self._before(moment, ticket.deadline)
            yield moment
            services.request_extension(self._unit_user(ticket), ticket, moment, workdays=rng.choice((3, 5)),
                                       reason=rng.choice(EXTENSION_NOTES))
            moment = self._later(moment, rng.uniform(1, 24))
            yield moment
            approved = rng.random() < 0.8
            services.decide_extension(self.admin, ticket, moment, approved,
                                      "同意延期，请按期整改" if approved else "不同意延期，请抓紧整改")
        if plan == "ignored":
            self.ignored[ticket.id] = (lat, lon)  # overdue and escalated; a letter may move the unit (_follow_ups)
            return
        rounds = 2 if plan == "reject" else 1
        for round_no in range(rounds):
            if plan == "late" or round_no > 0 or ticket.deadline <= moment:
                moment = self._later(max(moment, ticket.deadline), rng.uniform(2, 24 * (5 if plan == "late" else 2)))
            else:
                moment = self._before(moment, ticket.deadline)
            yield moment
            self._assists_report(ticket, moment, lat, lon)
            photos, meta = self._photo(moment, lat, lon, not_like=ticket)
            services.rectify(self._unit_user(ticket), ticket, moment, rng.choice(RECTIFY_NOTES), photos, meta)
            moment = self._later(moment, rng.uniform(1, 30))
            yield moment
            if round_no + 1 < rounds:
                services.reject(inspector, ticket, moment, rng.choice(REJECT_NOTES))
            else:
                services.approve(inspector, ticket, moment, rng.choice(APPROVE_NOTES))

    def _stubborn_life(self, reported: datetime, number: int) -> Generator[datetime, None, None]:
        """A problem its unit leaves alone, and leaves the letters about it unsigned for, until its 约谈."""
        category = next((c for c, _ in self.categories if c.code == STUBBORN_CATEGORY), None)
        if category is None or category.owner_unit_id not in self.unit_users:
            return
        segment = self.segments[(len(self.segments) // 3) * (number + 1) % len(self.segments)]
        lat, lon = round(segment.coords[0][1], 6), round(segment.coords[0][0], 6)
        yield reported
        photos, meta = self._photo(reported, lat, lon)
        report = services.NewReport(category=category.code, photos=photos, photo_meta=meta, segment_id=segment.id,
                                    lat=lat, lon=lon, description=STUBBORN_DESCRIPTIONS[number])
        ticket, _ = services.create_ticket(self.inspectors[number % len(self.inspectors)], report, reported)
        if ticket.unit_id is not None:
            self.ignored[ticket.id] = (lat, lon)
            self.stubborn.add(ticket.id)

    def _summoned_over(self, ticket: Ticket) -> bool:
        """Whether the unit's 约谈 about this problem (on a 约谈通知 listing it) has been held."""
        return db.session.scalar(
            select(Interview.id).join(LetterItem, LetterItem.letter_id == Interview.letter_id)
            .where(LetterItem.ticket_id == ticket.id, Interview.unit_id == ticket.unit_id,
                   Interview.status == "held").limit(1)) is not None

    def _unit_user(self, ticket: Ticket) -> User:
        return self.unit_users[ticket.unit_id]

    def _owners(self, category: Category) -> list[int]:
        """The 产权 units an inspector names for 蜘蛛网 (one to three carriers on a pole) and 井盖 (its owner)."""
        if category.route != "owner" or not category.owner_choices:
            return []
        choices = [u.id for u in category.owner_choices if u.id in self.unit_users]
        count = self.rng.choice((1, 1, 2, 3)) if category.code == "spider_web" else 1
        return self.rng.sample(choices, min(count, len(choices)))

    # ------------------------------------------------------------------ the office's schedule

    def _sweeps(self) -> Generator[datetime, None, None]:
        """The daily escalation sweep, 09:00 on every working day."""
        for day in self._workdays():
            moment = self._at(day, 9 * 60)
            if moment <= self.start:
                continue
            yield moment
            run_sweep(moment)

    def _office_batches(self) -> Generator[datetime, None, None]:
        """一期督办 twice a week: the office compiles the open proposals at 10:00 (one draft per level, each to every
        unit concerned), takes out what was rectified meanwhile, and the leader signs at 15:00. The latest batch
        waits for the leader: at `now` the office takes out what was dealt with since (compiling what the sweep
        proposed since, should nothing be left), so the leader's 待签发 holds drafts that can be signed."""
        days = [day for day in self._workdays()  # Tuesdays and Fridays
                if day.weekday() in (1, 4) and self.start < self._at(day, 10 * 60) <= self.now]
        for day in days:
            moment = self._at(day, 10 * 60)
            yield moment
            ids = [p.id for p in proposals.open_proposals(moment, include_drafted=False)]
            if not ids:
                continue
            drafts = compose.create_batch(self.admin, moment, {"proposal_ids": ids})
            if day == days[-1]:
                break  # the latest batch: the leader has not signed it yet
            signing_time = self._at(day, 15 * 60)
            yield signing_time
            for draft in self._without_stale(drafts, signing_time):
                signing.sign(self.leader, draft, signing_time)
        yield self.now
        waiting = list(db.session.scalars(select(Letter).where(Letter.status == "draft").order_by(Letter.id)))
        if not self._without_stale(waiting, self.now):
            ids = [p.id for p in proposals.open_proposals(self.now, include_drafted=False)]
            if ids:
                compose.create_batch(self.admin, self.now, {"proposal_ids": ids})

    def _without_stale(self, drafts: list[Letter], moment: datetime) -> list[Letter]:
        """The drafts without their problems dealt with or reassigned since compiling (a draft left with none is
        discarded), as the office readies a batch for 签发."""
        kept = []
        for draft in drafts:
            stale = [item.ticket_id for item in draft.items
                     if item.ticket.status not in OPEN_STATUSES or item.ticket.unit_id not in draft.unit_ids]
            if len(stale) == len(draft.items):
                compose.discard_draft(self.admin, draft, moment)
                continue
            if stale:
                compose.update_draft(self.admin, draft, moment, {"remove_ticket_ids": stale})
            kept.append(draft)
        return kept

    def _follow_ups(self) -> Generator[datetime, None, None]:
        """Every working day at 16:30: units sign for new letters and reply in writing once their problems are
        dealt with (a few late), the office clears what was verified, holds 约谈 for 约谈通知, refers the worst
        case to 纪委监委 once, and queues 回头看 for some letters it closed."""
        referred = False
        for day in self._workdays():
            moment = self._at(day, 16 * 60 + 30)
            if moment <= self.start:
                continue
            yield moment
            for ticket_id in self.awaiting_check:  # rectified after a letter: verified a day later
                ticket = db.session.get(Ticket, ticket_id)
                if ticket.status == "rectified":
                    services.approve(self.rng.choice(self.inspectors), ticket, moment, "复查已整改到位")
            self.awaiting_check = []
            for ticket_id in sorted(self.stubborn):  # its 约谈 held: the unit deals with it at last
                ticket = db.session.get(Ticket, ticket_id)
                if ticket.status == "assigned" and self._summoned_over(ticket):
                    photos, meta = self._photo(moment, *self.ignored[ticket_id], not_like=ticket)
                    services.rectify(self._unit_user(ticket), ticket, moment, "约谈后已组织拖移，落实长效管理", photos,
                                     meta)
                    self.awaiting_check.append(ticket_id)
            letters = list(db.session.scalars(select(Letter).where(Letter.status == "issued").order_by(Letter.id)))
            for letter in letters:
                # a letter moves units: the higher the level, the likelier the problem is dealt with now
                chance = {1: 0.35, 2: 0.55, 3: 0.8}.get(letter.level, 0.3)
                for item in letter.items:
                    ticket = item.ticket
                    if ticket.id in self.ignored and ticket.id not in self.stubborn and ticket.status == "assigned" \
                            and self.rng.random() < chance / 3:
                        clerk = self.unit_users.get(ticket.unit_id)
                        if clerk is not None and self._assists_report(ticket, moment, *self.ignored[ticket.id]):
                            photos, meta = self._photo(moment, *self.ignored[ticket.id], not_like=ticket)
                            services.rectify(clerk, ticket, moment, "收到督办函后已组织整改", photos, meta)
                            self.awaiting_check.append(ticket.id)
                for recipient in letter.recipients:
                    clerk = self.unit_users.get(recipient.unit_id)
                    if clerk is None:
                        continue
                    own = [i.ticket for i in letter.items if i.unit_id == recipient.unit_id]
                    sat_on = [t for t in own if t.id in self.stubborn]
                    if any(t.status == "assigned" for t in sat_on):
                        continue  # neither signed for nor answered while the unit sits on the problem
                    if recipient.acknowledged_at is None and (sat_on or self.rng.random() < 0.8):
                        replies.acknowledge(clerk, letter, moment)
                    dealt = all(t.status in ("rectified", "closed", "cancelled") for t in own)
                    late_ok = moment > letter.reply_by
                    # (a letter may be 办结 already today: its problems cleared in another letter, replies.clear_item)
                    if recipient.replied_at is None and letter.status == "issued" and (dealt or late_ok) \
                            and self.rng.random() < 0.7:
                        text = ("已按要求完成整改，整改后照片已在各问题中上传，并已落实长效巡查。" if dealt else
                                "部分问题涉及多个部门，正在协调整改，预计一周内完成，请予支持。")
                        replies.reply(clerk, letter, moment, text)
                for item in letter.items:
                    if not item.settled and item.ticket.status in ("closed", "cancelled"):
                        replies.clear_item(self.admin, letter, moment, item.ticket_id, True, "核查已整改到位")
                        if letter.status == "done":
                            break
                if letter.kind == "summons" and not db.session.scalar(
                        select(Interview.id).where(Interview.letter_id == letter.id)):
                    when = self._at(local(self.calendar.add_workdays(moment, 2)).date(), 10 * 60)
                    for recipient in letter.recipients:
                        followup.schedule_interview(self.admin, recipient.unit_id, moment, {
                            "scheduled_at": local(when).strftime("%Y-%m-%dT%H:%M"), "place": "市文明办三楼会议室",
                            "attendees": f"{recipient.unit.name}主要负责同志、分管负责同志", "host": "市文明办主任",
                            "letter_id": letter.id})
                still_open = {i.unit_id for i in letter.items if i.ticket.status == "assigned"}
                if not referred and letter.level >= 2 and still_open and letter.status == "issued" \
                        and moment > letter.reply_by + timedelta(days=2):
                    for recipient in [r for r in letter.recipients if r.unit_id in still_open][:1]:
                        followup.refer(self.admin, recipient.unit_id, moment, {
                            "referred_to": "市纪委监委", "letter_id": letter.id,
                            "reason": f"{recipient.unit.name}对{letter.number}所列问题经督办后逾期仍未整改到位，"
                                      "移交市纪委监委依规处理。"})
                        referred = True
            for interview in db.session.scalars(select(Interview).where(Interview.status == "scheduled",
                                                                        Interview.scheduled_at <= moment)):
                followup.record_interview(self.admin, interview, moment, {
                    "record": f"约谈{interview.unit.name}主要负责同志，通报超期未整改问题，要求限期整改到位并书面报告。"})
            # the re-checks due in the last three days wait for the tour (an inspector's 回头看 to walk)
            waiting = moment > self.now - timedelta(days=3)
            for recheck in db.session.scalars(select(Recheck).where(Recheck.status == "open", Recheck.due_at <= moment)
                                              .order_by(Recheck.id)):
                if not waiting and self.rng.random() < 0.6:
                    inspector = self.rng.choice(self.inspectors)
                    if self.failed_recheck or self.rng.random() < 0.85:
                        followup.do_recheck(inspector, recheck, moment, True, "现场整改保持良好")
                    else:
                        old = recheck.ticket
                        photos, meta = self._photo(moment, old.lat, old.lon)
                        followup.do_recheck(inspector, recheck, moment, False, "原点位问题反弹，再次出现同类问题",
                                            photos, meta)
                        self.failed_recheck = True
            done = list(db.session.scalars(select(Letter).where(Letter.status == "done",
                                                                Letter.done_at >= moment - timedelta(days=1))
                                           .order_by(Letter.id)))
            for letter in done:
                if letter.id % 2 == 0 and not db.session.scalar(select(Recheck.id).where(Recheck.letter_id == letter.id)):
                    try:
                        followup.queue_rechecks(self.admin, letter, moment, days=7)
                    except ServiceError:
                        pass

    def _rechecks_to_walk(self) -> Generator[datetime, None, None]:
        """A week before `now`, the office queues a 回头看 of the problems of the latest letter 办结 by then, due
        today: the tour's inspectors have re-checks to walk (the follow-ups leave those of the last days open)."""
        yield self.now - timedelta(days=7)
        moment = self.now - timedelta(days=7)
        letters = db.session.scalars(select(Letter).where(Letter.status == "done", Letter.done_at <= moment)
                                     .order_by(Letter.done_at.desc(), Letter.id.desc()))
        for letter in letters:
            try:
                if followup.queue_rechecks(self.admin, letter, moment, days=7):
                    return
            except ServiceError:
                continue

    def _upcoming_interview(self) -> Generator[datetime, None, None]:
        """At `now`, the office schedules a 约谈 two working days ahead, so the tour shows one 待约谈 (its 记录约谈结果
        form on the unit's page, the unit's 约谈安排 in 消息) beside the 约谈 already held: the unit, of those not
        summoned yet, with the most problems still open on letters of the highest level it has been sent."""
        yield self.now
        summoned = select(Interview.id).where(Interview.unit_id == LetterItem.unit_id).exists()
        rows = db.session.execute(
            select(LetterItem.unit_id, Letter.id, Letter.level, func.count(LetterItem.id))
            .join(Letter, Letter.id == LetterItem.letter_id).join(Ticket, Ticket.id == LetterItem.ticket_id)
            .where(Letter.status == "issued", Ticket.status.in_(OPEN_STATUSES), Ticket.unit_id == LetterItem.unit_id,
                   ~summoned)
            .group_by(LetterItem.unit_id, Letter.id, Letter.level)).all()
        if not rows:
            return
        unit_id, letter_id, _level, _count = max(rows, key=lambda row: (row[2], row[3], -row[1], -row[0]))
        unit = db.session.get(Unit, unit_id)
        when = self._at(local(self.calendar.add_workdays(self.now, 2)).date(), 15 * 60)
        followup.schedule_interview(self.admin, unit_id, self.now, {
            "scheduled_at": local(when).strftime("%Y-%m-%dT%H:%M"), "place": "市文明办三楼会议室",
            "attendees": f"{unit.name}主要负责同志、分管负责同志", "host": "市文明办主任", "letter_id": letter_id})

    def _first_workday(self, period) -> date:
        return self.calendar.first_workday(period.first_day, period.last_day) or period.last_day

    def _rankings(self) -> Generator[datetime, None, None]:
        """Last month's list on the first working day of this month and last week's on the first working day of
        this week, at 09:10 (as the scheduler does), or at `now` if that moment is still to come."""
        this_month, this_week = containing(self.now, "month"), containing(self.now, "week")
        jobs = sorted([(min(self._at(self._first_workday(this_month), 9 * 60 + 10), self.now),
                        this_month.previous(), "monthly"),
                       (min(self._at(self._first_workday(this_week), 9 * 60 + 10), self.now),
                        this_week.previous(), "weekly")],
                      key=lambda job: job[0])
        for moment, period, slot in jobs:
            yield moment
            publish(period, moment, schedule_slot=slot)


def summary_line(result: dict) -> str:
    """One Chinese line for the command line."""
    if not result["tickets"]:
        return "已有问题记录，未再生成演示业务数据。"
    statuses = "，".join(f"{STATUS_LABELS.get(k, k)} {v}" for k, v in sorted(result["statuses"].items(),
                                                                       key=lambda kv: -kv[1]))
    levels = "，".join(f"{level}级 {n}" for level, n in sorted(result["letter_levels"].items()))
    return (f"已生成六周演示业务：问题 {result['tickets']} 件（{statuses}），督办函 {result['letters']} 份（{levels}），"
            f"红黑榜 {result['rankings']} 期，照片 {result['photos']} 张，用时 {result['seconds']} 秒。")


def after_photo(ticket, photos, rng):
    """A demo after-photo that is none of the ticket's before-photos (the system refuses those as proof)."""
    used = {p.sha256 for p in ticket.photos if p.kind == "before"}
    start = rng.randrange(len(photos))  # one draw, as before: the demo stays the same
    for step in range(len(photos)):
        photo = photos[(start + step) % len(photos)]
        if photo.sha256 not in used:
            return photo
    return photos[start]
