"""红黑榜 operations shared by the pages, the API, the CLI and the scheduler. Each takes `now`.

counts.py reads the per-unit counts (a few GROUP BYs); schemes.py scores them under the scheme in force;
scoring.py ranks units within their groups and draws the red and black lists. Publishing copies everything —
scheme, groups, counts, scores, reasons, typical cases, the ticket ids behind the figures — into an immutable
snapshot with its own 文号 (models.py).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ..common.models import lock_sequence, lock_setting, next_value
from ..common.text import clean_text, text_value
from ..common.timeutil import isoformat, local
from ..extensions import db
from ..policy import EVERYONE, OFFICE, has_role, sees_citywide
from ..photos.models import Photo
from ..tickets.models import Ticket
from ..tickets.queries import RANKING_FIGURES
from ..tickets.rules import days_overdue, overdue_span
from ..units.models import UNIT_KINDS, Category, Unit
from . import counts as counting
from . import scoring
from .models import Ranking, RankingEntry, RankingGroup, RankingGroupMember, RankingScheme
from .periods import Period, parse_period
from .schemes import DISTRICT_SCHEME, SHIPPED, Scheme

log = logging.getLogger(__name__)

CASES_PER_UNIT = 2
CASES_PER_LIST = 6
flags = counting.flags  # the dashboard's 按期结案率 reads the same conditions

# ----------------------------------------------------------------------------- schemes

def schemes() -> list[RankingScheme]:
    """The office's schemes; the shipped ones stand in (not stored) until the office saves any."""
    rows = list(db.session.scalars(select(RankingScheme).order_by(RankingScheme.id)))
    if rows:
        return rows
    return [RankingScheme(id=None, code=d["code"], name=d["name"], in_force=i == 0,
                          document_json=json.dumps(d, ensure_ascii=False)) for i, d in enumerate(SHIPPED)]


def scheme_in_force() -> Scheme:
    row = next((r for r in schemes() if r.in_force), None)
    return Scheme.from_dict(row.document if row else SHIPPED[0])


def scheme_by_code(code: str) -> Scheme:
    row = next((r for r in schemes() if r.code == code), None)
    if row is None:
        raise NotFound("评分方案不存在。")
    return Scheme.from_dict(row.document)


def _change_schemes() -> None:
    """Queue behind any other change of the schemes (lock_setting), then store the shipped schemes if the office
    has none stored yet. Two saves at once (a double click, two tabs) thus run one after the other, the later one
    winning, instead of both inserting the shipped schemes or the same new code (a unique violation: a 500)."""
    lock_setting("ranking-schemes")
    if db.session.scalar(select(RankingScheme.id).limit(1)) is None:
        for row in schemes():
            db.session.add(row)
        db.session.flush()


def save_scheme(user, document: dict, now: datetime) -> Scheme:
    """Add or replace a scheme (by its code) from the office's JSON document; a bad one is a 422."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以修改评分方案。")
    from ..office import fields

    scheme = Scheme.from_dict(document)
    # the code names the scheme in addresses (启用: /rankings/schemes/<code>/activate): "a/b" saved, then 404'd.
    # Checked as it is saved, not as it is read: a scheme stored before still reads (and scores, if in force).
    fields.code(document.get("code"), "方案编码（code）")
    _change_schemes()
    row = db.session.scalar(select(RankingScheme).where(RankingScheme.code == scheme.code))
    if row is None:
        row = RankingScheme(code=scheme.code, in_force=False)
        db.session.add(row)
    row.name = scheme.name
    row.document_json = json.dumps(scheme.to_dict(), ensure_ascii=False)
    row.updated_at, row.updated_by_id = now, user.id
    db.session.flush()
    return scheme


def activate_scheme(user, code: str, now: datetime) -> Scheme:
    """Put a scheme in force: lists computed and published from now on use it."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以选择评分方案。")
    _change_schemes()
    rows = list(db.session.scalars(select(RankingScheme)))
    target = next((r for r in rows if r.code == code), None)
    if target is None:
        raise NotFound("评分方案不存在。")
    for row in rows:
        row.in_force = row is target
    target.updated_at, target.updated_by_id = now, user.id
    db.session.flush()
    return Scheme.from_dict(target.document)


# ----------------------------------------------------------------------------- groups

DEFAULT_GROUPS = (
    # name, unit kinds, red size, red floor, black size, black below, counted over the territory, own scheme
    ("市直部门", "市直单位", 5, 90.0, 5, 100.0, False, None),
    # a city ranks its districts on everything in their territory, hundreds of problems a month: under a scheme
    # that weighs each lightly and counts how well they are rectified (schemes.DISTRICT_SCHEME)
    ("区县", "区县", 1, 90.0, 1, 100.0, True, DISTRICT_SCHEME["code"]),
    ("街道/乡镇", "街道、社区", 5, 90.0, 5, 100.0, False, None),  # 乡镇 are registered as 街道 (units.models.UNIT_KINDS)
    ("企业", "企业", 1, 90.0, 1, 100.0, False, None),
)
OTHER_GROUP = scoring.OTHER_GROUP  # units whose kind no group lists, ranked under scoring.rule_for's defaults


def groups() -> list[RankingGroup]:
    rows = list(db.session.scalars(select(RankingGroup).order_by(RankingGroup.sort_order, RankingGroup.id)))
    if rows:
        return rows
    return [RankingGroup(id=None, name=n, unit_kinds=k, red_size=rs, red_floor=rf, black_size=bs, black_below=bb,
                         territorial=t, scheme_code=sc, sort_order=i)
            for i, (n, k, rs, rf, bs, bb, t, sc) in enumerate(DEFAULT_GROUPS)]


def group_rules(rows: list[RankingGroup] | None = None) -> list[scoring.GroupRule]:
    """The groups' rules, each with its own scheme's document where it has one (a code no scheme has any more: the
    one in force, as for a group without)."""
    rows = groups() if rows is None else rows
    documents = {r.code: r.document for r in schemes()} if any(g.scheme_code for g in rows) else {}
    return [scoring.GroupRule(g.name, g.red_size, g.red_floor, g.black_size, g.black_below, g.sort_order,
                              territorial=bool(g.territorial), scheme=documents.get(g.scheme_code))
            for g in rows]


def territories(placed: list[tuple[scoring.UnitInfo, str]], rules: list[scoring.GroupRule]
                ) -> dict[int, frozenset[int]]:
    """{unit id: its territory (units/territory.subtree_ids)} for the units of the groups counted over their
    territory (GroupRule.territorial), the hierarchy read once."""
    from ..units.territory import children_by_parent, subtree_ids

    wanted = {rule.name for rule in rules if rule.territorial}
    roots = [unit.id for unit, group in placed if group in wanted]
    if not roots:
        return {}
    children = children_by_parent()
    return {root: subtree_ids(root, children) for root in roots}


def unit_groups(units: list[scoring.UnitInfo], rows: list[RankingGroup] | None = None
                ) -> list[tuple[scoring.UnitInfo, str]]:
    """Each unit with its one group: placed by hand, else the first group listing its kind, else 其他单位."""
    rows = groups() if rows is None else rows
    by_id = {g.id: g.name for g in rows if g.id is not None}
    placed = {uid: by_id.get(gid) for uid, gid in db.session.execute(
        select(RankingGroupMember.unit_id, RankingGroupMember.group_id))}
    by_kind: dict[str, str] = {}
    for g in rows:
        for kind in g.kinds:
            by_kind.setdefault(kind, g.name)
    return [(u, placed.get(u.id) or by_kind.get(u.kind) or OTHER_GROUP) for u in units]


def group_members() -> dict[str, list[scoring.UnitInfo]]:
    """Active units by group name, in code order."""
    units = [scoring.UnitInfo(*r) for r in db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.kind).where(Unit.active.is_(True)).order_by(Unit.code))]
    members: dict[str, list[scoring.UnitInfo]] = {}
    for unit, group in unit_groups(units):
        members.setdefault(group, []).append(unit)
    return members


def group_kinds(value, group: str) -> str:
    """The unit kinds a group takes in, "、"-separated (, and ， as well), each one of UNIT_KINDS: one that is not
    ("企 业", "县区") matches no unit, whose units would drop to 其他单位 unseen."""
    kinds = list(dict.fromkeys(k.strip() for k in text_value(value, f"分组“{group}”的单位类型")
                               .replace(",", "、").replace("，", "、").split("、") if k.strip()))
    unknown = [k for k in kinds if k not in UNIT_KINDS]
    if unknown:
        raise Invalid(f"分组“{group}”的单位类型“{'、'.join(unknown)}”不存在，应为以下类型，多个用“、”分隔："
                      f"{'、'.join(UNIT_KINDS)}。", code="invalid_groups")
    return "、".join(kinds)


def save_groups(user, items: list[dict], placements: dict[int, str], now: datetime) -> None:
    """Replace the groups (name, kinds, list sizes) and the hand placements {unit_id: group name}. An item's `was`
    is the name its group had when the form was drawn, and a placement may name a group by it: a group renamed
    keeps its units placed by hand (the form's choices are the names as drawn)."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以设置排名分组。")
    cleaned, names, renamed, emptied = [], set(), {}, set()
    codes = {row.code: row.name for row in schemes()}
    for i, item in enumerate(items):
        name = clean_text(item.get("name"), "分组名称", 32)  # was cut to 32 without a word
        was = str(item.get("was") or "").strip()
        if not name:
            if was:
                emptied.add(was)
            continue
        if was:
            renamed[was] = name
        if name in names:
            raise Invalid(f"分组名称“{name}”重复。", code="invalid_groups")
        if name == scoring.OTHER_GROUP:  # the units no group takes in are listed under it: two groups of one name
            raise Invalid(f"分组名称不能是“{name}”：类型未归入任何分组的单位已按“{name}”排名，请另取名称。",
                          code="invalid_groups")
        names.add(name)
        try:
            red_size, black_size = int(item.get("red_size")), int(item.get("black_size"))
            red_floor, black_below = float(item.get("red_floor")), float(item.get("black_below"))
        except (TypeError, ValueError):
            raise Invalid(f"分组“{name}”的红黑榜名额和分数线应为数字。", code="invalid_groups") from None
        if not (0 <= red_size <= 100 and 0 <= black_size <= 100 and 0 <= red_floor <= 100
                and 0 <= black_below <= 100):
            raise Invalid(f"分组“{name}”的名额应在0到100之间，分数线应在0到100分之间。", code="invalid_groups")
        kinds = group_kinds(item.get("unit_kinds"), name)
        scheme_code = clean_text(item.get("scheme_code"), f"分组“{name}”的评分方案", 32) or None
        if scheme_code and scheme_code not in codes:
            raise Invalid(f"分组“{name}”的评分方案“{scheme_code}”不存在，应为以下之一："
                          f"{'、'.join(f'{c}（{n}）' for c, n in codes.items())}；留空则按现行方案计分。",
                          code="invalid_groups")
        cleaned.append(dict(name=name, unit_kinds=kinds, red_size=red_size, red_floor=red_floor,
                            black_size=black_size, black_below=black_below, sort_order=i,
                            territorial=bool(item.get("territorial")), scheme_code=scheme_code))
    if not cleaned:
        raise Invalid("至少应有一个分组。", code="invalid_groups")
    # a placement names its group as the form showed it: a group renamed since is found by its former name
    wanted = {unit_id: renamed.get(name, name) for unit_id, name in placements.items() if name}
    dropped = sorted({name for name in wanted.values() if name in emptied and name not in names})
    if dropped:
        raise Invalid(f"分组“{'、'.join(dropped)}”的名称已清空（删除该分组），但仍有单位指定归入该组，"
                      "请先把这些单位改为其他分组或“按类型”。", code="invalid_groups")
    unknown = {name for name in wanted.values() if name not in names}
    if unknown:
        raise Invalid(f"分组“{'、'.join(sorted(unknown))}”不存在。", code="invalid_groups")
    lock_setting("ranking-groups")
    existing = {g.name: g for g in db.session.scalars(select(RankingGroup))}
    # a group renamed keeps its row (the 操作日志 reads 名称：企业 → 国有企业), unless its new name is another
    # group's or its old name is taken again (names are unique: such rows swap their settings instead)
    kept: dict[str, RankingGroup] = {}
    for old, new in renamed.items():
        if new not in existing and new not in kept and old in existing and old not in names:
            kept[new] = existing[old]
    placed_before = {unit_id: name for unit_id, name in db.session.execute(
        select(RankingGroupMember.unit_id, RankingGroup.name).join(RankingGroup))}
    db.session.execute(RankingGroupMember.__table__.delete())
    for name, row in existing.items():
        if name not in names and not any(row is other for other in kept.values()):
            db.session.delete(row)
    db.session.flush()
    rows = {}
    for data in cleaned:
        row = existing.get(data["name"]) or kept.get(data["name"]) or RankingGroup(name=data["name"])
        for key, value in data.items():
            setattr(row, key, value)
        db.session.add(row)
        rows[data["name"]] = row
    db.session.flush()
    known_units = set(db.session.scalars(select(Unit.id)))
    placed = {unit_id: name for unit_id, name in wanted.items() if unit_id in known_units}
    for unit_id, name in placed.items():
        db.session.add(RankingGroupMember(unit_id=unit_id, group_id=rows[name].id))
    db.session.flush()
    _audit_placements(placed_before, placed)


def _audit_placements(before: dict[int, str], after: dict[int, str]) -> None:
    """The 操作日志's entries for units placed in a group by hand, or back by their kind: the rows are replaced
    on every save, so the listener would see every placement each time; only the moves are recorded."""
    from ..audit import trail

    for unit_id in sorted(set(before) | set(after)):
        old, new = before.get(unit_id), after.get(unit_id)
        if old != new:
            unit = db.session.get(Unit, unit_id)
            trail.record("reference", "update", f"排名分组 单位 {unit.name if unit else unit_id}",
                         f"分组：{old or '按单位类型'} → {new or '按单位类型'}")


# ----------------------------------------------------------------------------- computing

@dataclass
class Computed:
    period: Period
    as_of: datetime
    scheme: Scheme
    groups: list[scoring.GroupRule]
    entries: list[scoring.Entry]
    # the period's reports the list leaves out (counts.left_out: voided, undispatched); without them the summary
    # sums the unit figures, as lists published before did
    left_out: dict | None = None
    # the own figures of the units whose entries count their territory (GroupRule.territorial), for the totals
    own: dict | None = None
    territories: dict | None = None  # {unit id: its territory} of those units

    @property
    def red(self) -> list[scoring.Entry]:
        return scoring.red_list(self.entries)

    @property
    def black(self) -> list[scoring.Entry]:
        return scoring.black_list(self.entries)

    @property
    def unranked(self) -> list[scoring.Entry]:
        return [e for e in self.entries if not e.ranked]

    @property
    def quiet(self) -> bool:
        """Nothing happened to any unit in the period: every score would be full and no list has anyone on it."""
        return not any(e.counts.eventful for e in self.entries)

    def summary(self) -> dict:
        """Counts of units and lists per group, and the totals. A problem charged to its 主办 unit, a 协办 unit and a
        包抓 unit is one problem: `totals.found` counts each once, by its 主办 unit (every problem found has exactly
        one), with the reports left out (`voided`: 作废, `undispatched`: not given to a unit) and the sum of the
        units' found figures (`found_by_units`) beside it; due, overdue and rework are the 主办's only, so their sums
        count each problem once already. A group's `found` counts the problems its units lead, so the groups add up
        to the city's. Lists published before stored the sums of their unit figures (no `voided`), and are read as
        stored. 回潮 are per relapse, each charged to one unit: their sum counts each once."""
        ranked = [e for e in self.entries if e.ranked]
        own = self.own or {}
        territorial = self.territories or {}

        def counts(e: scoring.Entry) -> scoring.UnitCounts:
            """A unit's own figures: an entry over its territory counts its units' problems, counted on theirs."""
            return own.get(e.unit.id, scoring.UnitCounts()) if e.unit.id in territorial else e.counts

        by_group: dict[str, dict] = {}
        for e in self.entries:
            g = by_group.setdefault(e.group, {"units": 0, "ranked": 0, "red": 0, "black": 0})
            g["units"] += 1
            g["ranked"] += e.ranked
            if e.list_name:
                g[e.list_name] += 1
        for name, g in by_group.items():  # a tied block left out of a list, for the page and the 通报 to say so
            for list_name, info in scoring.tied_out([e for e in self.entries if e.group == name]).items():
                g[f"{list_name}_tied_out"] = info
        totals = {
            "found": sum(counts(e).found_total for e in self.entries),
            "overdue": sum(counts(e).overdue for e in self.entries),
            "rework": sum(counts(e).rework for e in self.entries),
            "relapse": sum(counts(e).relapse for e in self.entries),
            "due": sum(counts(e).due for e in self.entries),
        }
        if self.left_out is not None:
            totals["found_by_units"] = totals["found"]  # a problem once for every unit answering for it
            totals["found"] = 0
            for e in self.entries:
                led = sum((counts(e).found.get("lead") or {}).values())
                totals["found"] += led
                by_group[e.group]["found"] = by_group[e.group].get("found", 0) + led
            totals.update(self.left_out)
        return {
            "units": len(self.entries), "ranked": len(ranked), "unranked": len(self.unranked),
            "red": len(self.red), "black": len(self.black), "groups": by_group, "totals": totals,
            "mean_score": round(sum(e.score for e in ranked) / len(ranked), 2) if ranked else None,
        }

    def rules_document(self) -> dict:
        """The rules a list is computed under, stored with it: `participation` (who is ranked) only in lists
        published since units nobody examined are left unranked, so an older list never claims it."""
        return {"scheme": self.scheme.to_dict(), "groups": [g.to_dict() for g in self.groups],
                "method": self.scheme.method_lines(), "participation": scoring.PARTICIPATION_RULE,
                "ties": scoring.TIE_RULE}


def _units(counts: dict) -> list[scoring.UnitInfo]:
    """Active units, plus retired ones that still had something in the period."""
    rows = db.session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.active)).all()
    return [scoring.UnitInfo(*row[:4]) for row in rows if row[4] or row[0] in counts]


def compute(period: Period, now: datetime, scheme: Scheme | None = None, scheme_group: str | None = None
            ) -> Computed:
    """The list as of `now`, without storing anything: under `scheme` (a trial) instead of the one in force, or,
    with `scheme_group` (a group's name), the group scored under `scheme` instead of its own or the one in force."""
    rows = groups()
    rules = group_rules(rows)
    if scheme_group:
        rules = _trial_for_group(rules, scheme, scheme_group)
        scheme = None
    scheme = scheme or scheme_in_force()
    assessed = counting.assessment_parts(period, now)
    own = counting.unit_counts(period, now, assessed)
    units = _units(own)
    placed = unit_groups(units, rows)
    # the units of a group counted over their territory (the 区县) take their territory's figures
    territory = territories(placed, rules)
    # a district goes on the black list whatever its score for its own escalation only (scoring.UnitCounts
    # .own_escalated); its streets' 挂牌督办 and 约谈 count in its score
    rolled = {root: replace(c, own_escalated=own.get(root, scoring.UnitCounts()).escalated)
              for root, c in counting.territory_counts(period, now, territory, own, assessed).items()}
    unit_counts = {**own, **rolled}
    responsible = {uid for uid, c in unit_counts.items()
                   if c.found_total or c.due or c.relapse or c.supervised or c.listed or c.interview
                   or c.referral or c.assessed_sites or c.segments or c.sites or c.lead_tasks}
    entries = scoring.rank_groups(placed, unit_counts, responsible, scheme, rules)
    for e in entries:
        e.territory = e.unit.id in territory
    # 其他单位 is ranked under the default rule: stored with the list, so its page and 通报 state it
    set_by_office = {rule.name for rule in rules}
    rules += [scoring.rule_for(name) for name in dict.fromkeys(group for _, group in placed)
              if name not in set_by_office]
    return Computed(period, now, scheme, rules, entries, counting.left_out(period, now), own=own,
                    territories=territory)


def _trial_for_group(rules: list[scoring.GroupRule], scheme: Scheme | None, name: str) -> list[scoring.GroupRule]:
    """The rules with group `name` (one the office set, or 其他单位) scored under `scheme`, for a trial."""
    if scheme is None:
        raise BadRequest("试算某一分组时须选择评分方案。", code="scheme_required")
    if name != OTHER_GROUP and name not in {rule.name for rule in rules}:
        raise NotFound(f"分组“{name}”不存在。", code="group_not_found")
    if name not in {rule.name for rule in rules}:
        rules = [*rules, scoring.rule_for(name)]
    return [replace(rule, scheme=scheme.to_dict()) if rule.name == name else rule for rule in rules]


# ----------------------------------------------------------------------------- typical cases

def _photo_keys(ticket_ids: list[int]) -> dict[int, dict]:
    """First before-photo and last after-photo (key and id) per ticket."""
    keys: dict[int, dict] = {}
    if not ticket_ids:
        return keys
    for photo_id, ticket_id, kind, key in db.session.execute(
            select(Photo.id, Photo.ticket_id, Photo.kind, Photo.key).where(Photo.ticket_id.in_(ticket_ids))
            .order_by(Photo.id)):
        slot = keys.setdefault(ticket_id, {})
        if kind == "before":
            if "before" not in slot:
                slot.update(before=key, before_id=photo_id)
        else:
            slot.update(after=key, after_id=photo_id)
    return keys


def typical_cases(computed: Computed, ids: dict[int, dict[str, list[int]]]) -> list[dict]:
    """Red list: problems found and rectified, with before and after photos. Black list: overdue problems with
    photos, the most escalated and longest overdue first."""
    cases: list[dict] = []
    for list_name, entries, figure in (("red", computed.red, "found"), ("black", computed.black, "overdue")):
        picked = 0
        for entry in entries:
            candidates = ids.get(entry.unit.id, {}).get(figure, [])
            if not candidates or picked >= CASES_PER_LIST:
                continue
            query = (select(Ticket.id, Ticket.number, Ticket.address, Ticket.reported_at, Ticket.deadline,
                            Ticket.rectified_at, Ticket.closed_at, Ticket.escalation_level, Ticket.source,
                            Category.name)
                     .join(Category, Category.id == Ticket.category_id).where(Ticket.id.in_(candidates)))
            if list_name == "red":
                query = query.where(Ticket.status == "closed").order_by(Ticket.closed_at.desc(), Ticket.id)
            else:
                # still open first (what a black list is about), then the most escalated and longest overdue
                query = query.order_by(Ticket.rectified_at.is_not(None), Ticket.escalation_level.desc(),
                                       Ticket.deadline, Ticket.id)
            rows = db.session.execute(query.limit(20)).all()
            photos = _photo_keys([r.id for r in rows])
            taken = 0
            for r in rows:
                keys = photos.get(r.id, {})
                if "before" not in keys or (list_name == "red" and "after" not in keys):
                    continue
                until = r.rectified_at or computed.as_of
                cases.append({
                    "list": list_name, "unit_id": entry.unit.id, "unit_name": entry.unit.name, "group": entry.group,
                    "ticket_id": r.id, "number": r.number, "category": r.name, "address": r.address,
                    "source": r.source,
                    "reported_at": isoformat(r.reported_at), "deadline": isoformat(r.deadline),
                    "rectified_at": isoformat(r.rectified_at), "closed_at": isoformat(r.closed_at),
                    "escalation_level": r.escalation_level,
                    "days_overdue": days_overdue(r.deadline, until) if list_name == "black" else 0,
                    "overdue": overdue_span(r.deadline, until) if list_name == "black" else "",
                    "before": keys.get("before"), "after": keys.get("after"),
                    "before_id": keys.get("before_id"), "after_id": keys.get("after_id"),
                })
                taken += 1
                picked += 1
                if taken >= CASES_PER_UNIT or picked >= CASES_PER_LIST:
                    break
    return cases


# ----------------------------------------------------------------------------- publishing

def _next_version(period_key: str) -> int:
    from sqlalchemy import func
    return (db.session.scalar(select(func.max(Ranking.version)).where(Ranking.period == period_key)) or 0) + 1


def already_scheduled(period_key: str, slot: str) -> bool:
    return db.session.scalar(select(Ranking.id).where(Ranking.period == period_key,
                                                      Ranking.schedule_slot == slot)) is not None


def listed(period: Period) -> bool:
    """Whether `period` has a list counting all of it: one published after it ended, by the schedule or by hand.
    The schedule publishes no other version of it. A list published before the period ended (提前发布) counts only
    part of it: the scheduled one still comes."""
    return db.session.scalar(select(Ranking.id).where(Ranking.period == period.key,
                                                      Ranking.as_of >= Ranking.period_end).limit(1)) is not None


NUMBER_SERIES = "ranking"


def _day_and_time(moment: datetime) -> str:
    moment = local(moment)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def early_notice(period: Period, now: datetime) -> str | None:
    """What publishing `period` at `now` means when the period has not ended (None when it has): it still runs,
    and the list would count only what happened until now."""
    if period.end <= now:
        return None
    last = period.last_day
    return (f"{period.label}的统计周期到{last.month}月{last.day}日才结束，现在发布，数据只统计到"
            f"{_day_and_time(now)}，此后发现和整改的问题都不计入，且发布即占用一个正式文号。")


REPEAT_SECONDS = 60  # a person's publication of a period again within this is the same click, not a new version


def _just_published(period_key: str, user, now: datetime) -> Ranking | None:
    """The version of the period `user` published in the last REPEAT_SECONDS, if any (asked behind the number
    series' lock, so a second request sees the first one's row)."""
    return db.session.scalar(select(Ranking).where(
        Ranking.period == period_key, Ranking.published_by_id == user.id,
        Ranking.published_at >= now - timedelta(seconds=REPEAT_SECONDS)).order_by(Ranking.version.desc()).limit(1))


# How a person chooses to publish a period that has not ended, where they are (the refusal names it): the pages'
# box, the API's field, the command's option
CHOOSE_EARLY = "须明确选择“提前发布”"


def publish(period: Period, now: datetime, user=None, schedule_slot: str | None = None,
            early: bool | None = None, choose_early: str = CHOOSE_EARLY) -> Ranking | None:
    """Compute and store a new immutable version of the period's list with the next 文号 (flushes; the edge
    commits). Publications queue behind each other on the number series, so versions and numbers never collide.
    With `schedule_slot` ("monthly"/"weekly") the publication happens at most once per period, and not at all for a
    period that has its list (`listed`: published by hand after it ended, or by the schedule): a second run — in
    this process or another — or the office publishing the period by hand at the same moment has its row found
    behind the number series' lock, and the run returns None. A scheduled run also returns None, and
    takes no 文号, for a quiet period (`Computed.quiet`: nothing found, due, assessed or at fault anywhere, such as
    a week of 春节 with nobody out inspecting); the office can still publish it by hand.
    A period that has not ended is published only by choice: a person (`user`, or a caller passing `early`)
    must say `early=True`, else 409 period_not_ended, its message saying how (`choose_early`: the page's box, the
    API's "early": true, the command's --early). The scheduler only publishes ended periods.
    """
    if user is not None and not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以发布红黑榜。")
    if early is None:
        early = user is None  # a person must choose; a scheduled run's period has always ended
    if period.start >= now:
        raise Conflict("统计周期尚未开始，不能发布。", code="period_not_started")
    if not early and (notice := early_notice(period, now)):
        raise Conflict(f"{notice}如确需提前发布，{choose_early}。", code="period_not_ended")
    year = local(now).year
    lock_sequence(NUMBER_SERIES, year)
    if schedule_slot and (already_scheduled(period.key, schedule_slot) or listed(period)):
        return None  # asked again here: the scheduler's due_periods asked before the lock (two 文号 for one period)
    if user is not None and (just := _just_published(period.key, user, now)) is not None:
        return just  # the same click twice (a double click, two tabs): the version it made, not a second 文号
    computed = compute(period, now)
    if schedule_slot and computed.quiet:
        log.info("rankings %s %s: nothing happened in the period, not published", schedule_slot, period.key)
        return None
    ids = counting.ticket_ids(period, now)
    if computed.territories:  # the problems an entry over its territory counted
        ids.update(counting.territory_ticket_ids(period, now, computed.territories))
    cases = typical_cases(computed, ids)
    seq = next_value(NUMBER_SERIES, year)
    ranking = Ranking(
        period=period.key, kind=period.kind, period_start=period.start, period_end=period.end,
        version=_next_version(period.key), published_at=now, published_by_id=user.id if user else None,
        schedule_slot=schedule_slot, as_of=now, office=current_app.config["OFFICE_NAME"],
        number=f"{current_app.config['RANKINGS_NUMBER_PREFIX']}〔{year}〕{seq}号", number_year=year,
        number_seq=seq,
        rules_json=json.dumps(computed.rules_document(), ensure_ascii=False),
        formula_text=computed.scheme.method_text,
        cases_json=json.dumps(cases, ensure_ascii=False),
        summary_json=json.dumps(computed.summary(), ensure_ascii=False))
    db.session.add(ranking)
    db.session.flush()
    db.session.add_all(_entry_rows(ranking, computed.entries, ids))
    db.session.flush()
    _audit_publication(ranking, period, user)
    return ranking


def _audit_publication(ranking: Ranking, period: Period, user) -> None:
    """The 操作日志's entry for a list published (发文 · 发布): who took which 文号 for which period, and whether
    by the schedule or before the period ended. In the same transaction as the list."""
    from ..audit import trail

    notes = [f"文号：{ranking.number}"]
    if ranking.schedule_slot:
        notes.append("按计划自动发布")
    if ranking.as_of < period.end:
        notes.append(f"提前发布，数据截至{local(ranking.as_of):%Y-%m-%d %H:%M}")
    trail.record("document", "publish", f"红黑榜 {period.short_label} 第{ranking.version}版", "；".join(notes),
                 user=user)


def _entry_rows(ranking: Ranking, entries: list[scoring.Entry], ids: dict) -> list[RankingEntry]:
    return [RankingEntry(
        ranking_id=ranking.id, position=position, unit_id=e.unit.id, unit_code=e.unit.code,
        unit_name=e.unit.name, unit_kind=e.unit.kind or "", group_name=e.group, rank=e.rank,
        list_name=e.list_name, insufficient=not e.ranked, score=e.score, reason=e.reason,
        figures_json=json.dumps(e.figures(), ensure_ascii=False),
        ticket_ids_json=json.dumps(ids.get(e.unit.id, {})),
    ) for position, e in enumerate(entries, start=1)]


# ----------------------------------------------------------------------------- reading

def ensure_can_read(user) -> None:
    if not has_role(user, EVERYONE):
        raise Forbidden("您的角色无权查看红黑榜。")


def sees_ticket_details(user) -> bool:
    """Citywide readers see the ticket ids behind each figure and the typical cases; units see the list only."""
    return sees_citywide(user)


def list_rankings(user, period: str | None = None) -> list[Ranking]:
    ensure_can_read(user)
    query = select(Ranking).order_by(Ranking.period_start.desc(), Ranking.kind, Ranking.version.desc())
    if period:
        query = query.where(Ranking.period == parse_period(period).key)
    return list(db.session.scalars(query))


def get_ranking(user, ranking_id: int) -> Ranking:
    ensure_can_read(user)
    ranking = db.session.get(Ranking, ranking_id)
    if ranking is None:
        raise NotFound("红黑榜不存在。")
    return ranking


def versions_of(ranking: Ranking) -> list[Ranking]:
    return list(db.session.scalars(select(Ranking).where(Ranking.period == ranking.period)
                                   .order_by(Ranking.version.desc())))


def latest(kind: str | None = None) -> Ranking | None:
    """The newest version of the most recent period (of a kind)."""
    query = select(Ranking).order_by(Ranking.period_start.desc(), Ranking.version.desc()).limit(1)
    if kind:
        query = query.where(Ranking.kind == kind)
    return db.session.scalar(query)


def ranking_summary_dict(ranking: Ranking) -> dict:
    period = parse_period(ranking.period)
    return {"id": ranking.id, "period": ranking.period, "kind": ranking.kind, "period_label": period.label,
            "version": ranking.version, "number": ranking.number, "published_at": isoformat(ranking.published_at),
            "scheduled": ranking.schedule_slot is not None}


def stored_figure_ids(figures: dict, ids: dict, figure: str) -> list[int] | None:
    """The ids a published entry stored for a figure (found, overdue, rework) when they are the problems the figure
    counted, else None. Lists published before 2026-12-06 stored the 主办's 发现问题 only: where the unit also
    answered as 协办 or 包抓 their number is not the figure, and their page links it to the live list instead. 返工
    counts send-backs: its ids are the problems sent back (`reworked`; older lists did not store that number, so
    there are at most as many ids as send-backs, and some when there are any)."""
    stored = ids.get(figure)
    if stored is None:
        return None
    if figure == "rework":
        sent_back = figures.get("rework") or 0
        if "reworked" in figures:
            return stored if len(stored) == figures["reworked"] else None
        return stored if len(stored) <= sent_back and bool(stored) == bool(sent_back) else None
    counted = figures.get("found_total" if figure == "found" else figure)
    return stored if counted is not None and len(stored) == counted else None


def stored_figures(figures: dict, ids: dict) -> list[str]:
    """The figures whose problems a published entry's stored ids are (stored_figure_ids): the ones its page, and the
    领导看板's latest list, link to those ids (ranking_entry_id and ranking_figure)."""
    return [figure for figure in ("found", "overdue", "rework") if stored_figure_ids(figures, ids, figure) is not None]


def stored_figure(entry_id: int, figure: str) -> dict | None:
    """What the ticket list names for ranking_entry_id and ranking_figure: the list and unit the ids were stored
    with, the figure's name and value, how many ids were stored and whether they are the figure's problems (None:
    no such entry)."""
    entry = db.session.get(RankingEntry, entry_id)
    if entry is None:
        return None
    figures, ids = entry.figures, entry.ticket_ids
    value = figures.get("found_total" if figure == "found" else "reworked" if figure == "rework" else figure)
    return {"ranking": entry.ranking, "period_label": parse_period(entry.ranking.period).short_label,
            "unit_name": entry.unit_name, "figure_label": RANKING_FIGURES[figure], "value": value,
            "stored": len(ids.get(figure) or ()), "consistent": stored_figure_ids(figures, ids, figure) is not None}


def entry_dict(entry: RankingEntry | scoring.Entry, details: bool) -> dict:
    if isinstance(entry, scoring.Entry):
        unit = {"id": entry.unit.id, "code": entry.unit.code, "name": entry.unit.name, "kind": entry.unit.kind}
        figures, ids, group, ranked = entry.figures(), entry.ticket_ids, entry.group, entry.ranked
    else:
        unit = {"id": entry.unit_id, "code": entry.unit_code, "name": entry.unit_name, "kind": entry.unit_kind}
        figures, ids, group, ranked = entry.figures, entry.ticket_ids, entry.group_name, not entry.insufficient
    data = {"unit": unit, "group": group, "score": entry.score if ranked else None, "rank": entry.rank,
            "list": entry.list_name, "ranked": ranked, "reason": entry.reason, "figures": figures}
    if details:
        data["ticket_ids"] = ids
        if isinstance(entry, RankingEntry):
            # the ticket list's ranking_entry_id; the figures whose problems it opens as they were counted
            data["entry_id"] = entry.id
            data["stored_figures"] = stored_figures(figures, ids)
    return data


def ranking_dict(ranking: Ranking, user) -> dict:
    """The published list; unit users get the figures without the ticket ids or the typical cases."""
    details = sees_ticket_details(user)
    data = ranking_summary_dict(ranking)
    data.update({
        "as_of": isoformat(ranking.as_of),
        "office": ranking.office,
        "scheme": ranking.rules.get("scheme"),
        # a list published before stored no rule for 其他单位; it was ranked under scoring.rule_for's all the same
        "groups": _with_methods(scoring.stated_rules(ranking.rules.get("groups", []), dict.fromkeys(
            e.group_name for e in ranking.entries))),
        "method": ranking.formula_text,
        "participation": ranking.rules.get("participation"),
        "ties": ranking.rules.get("ties"),  # None: published under the older rule (a tied block at most 2× the size)
        "summary": ranking.summary,
        "entries": [entry_dict(e, details) for e in ranking.entries],
    })
    if details:
        data["cases"] = ranking.cases
    return data


def _with_methods(groups: list[dict]) -> list[dict]:
    """A list's group rules, each one scored under a scheme of its own (its `scheme`) with that scheme's method in
    words (`method`), as the list's own `method` is."""
    return [{**g, "method": Scheme.from_dict(g["scheme"]).method_text} if g.get("scheme") else g for g in groups]


def computed_dict(computed: Computed) -> dict:
    """An unpublished preview, in the same shape as a published list."""
    rules = computed.rules_document()
    return {"id": None, "period": computed.period.key, "kind": computed.period.kind,
            "period_label": computed.period.label, "version": None, "number": None, "published_at": None,
            "as_of": isoformat(computed.as_of), "office": current_app.config["OFFICE_NAME"],
            "scheme": rules["scheme"], "groups": _with_methods(rules["groups"]),
            "method": computed.scheme.method_text, "participation": rules["participation"], "ties": rules["ties"],
            "summary": computed.summary(), "entries": [entry_dict(e, False) for e in computed.entries]}


def trend(unit_ids: list[int] | None = None, kind: str = "month", periods: int = 6) -> dict:
    """Each unit's score and rank in the newest version of the last `periods` published periods of a kind:
    {"periods": [key, ...], "units": {unit_id: {"name", "group", "scores": [score | None, ...]}}}."""
    latest_ids = {}
    for rid, period, version in db.session.execute(
            select(Ranking.id, Ranking.period, Ranking.version).where(Ranking.kind == kind)
            .order_by(Ranking.period_start.desc(), Ranking.version.desc())):
        if period not in latest_ids:
            if len(latest_ids) >= periods:
                break
            latest_ids[period] = rid
    keys = sorted(latest_ids, key=lambda k: parse_period(k).first_day)
    units: dict[int, dict] = {}
    if keys:
        query = (select(RankingEntry.ranking_id, RankingEntry.unit_id, RankingEntry.unit_name,
                        RankingEntry.group_name, RankingEntry.score, RankingEntry.rank, RankingEntry.list_name,
                        RankingEntry.insufficient)
                 .where(RankingEntry.ranking_id.in_(list(latest_ids.values()))))
        if unit_ids is not None:
            query = query.where(RankingEntry.unit_id.in_(unit_ids or [-1]))
        column = {rid: keys.index(p) for p, rid in latest_ids.items()}
        for rid, uid, name, group, score, rank, list_name, unranked in db.session.execute(query):
            row = units.setdefault(uid, {"name": name, "group": group, "scores": [None] * len(keys),
                                         "ranks": [None] * len(keys), "lists": [None] * len(keys)})
            i = column[rid]
            row["name"], row["group"] = name, group or row["group"]
            if not unranked:
                row["scores"][i], row["ranks"][i], row["lists"][i] = score, rank, list_name
    ranges = [(parse_period(k).first_day.isoformat(), parse_period(k).last_day.isoformat()) for k in keys]
    return {"periods": keys, "ranges": ranges, "units": units, "ranking_ids": [latest_ids[k] for k in keys]}


def schemes_used(rankings: list[tuple]) -> dict[str, dict[str, list]]:
    """{group: {scheme name: [label, ...]}} over published lists given as (label, Ranking), in their order, for the
    groups scored under more than one scheme (the group's own stored with the list, else the list's): worth a word
    wherever their scores are read side by side (年度汇总, 考评看板). A list that stored no scheme name (before 0050)
    leaves its groups out."""
    used: dict[str, dict[str, list]] = {}
    for label, ranking in rankings:
        rules = ranking.rules
        listed = (rules.get("scheme") or {}).get("name") or ""
        for group in rules.get("groups") or []:
            name = (group.get("scheme") or {}).get("name") or listed
            used.setdefault(group["name"], {}).setdefault(name, []).append(label)
    return {group: schemes for group, schemes in used.items() if len(schemes) > 1 and all(schemes)}


# ----------------------------------------------------------------------------- PDF

VARIANTS = ("full", "public", "exposure")


def pdf_variant(user, wanted: str | None = None) -> str:
    """full: the 通报 with typical cases; public (units): without other units' problems and photos;
    exposure (曝光版, citywide readers): photos, places and units for the media, no scores."""
    if wanted == "exposure":
        if not sees_ticket_details(user):
            raise Forbidden("曝光版仅供文明办、督查员和领导使用。")
        return "exposure"
    if wanted not in (None, "", "full"):
        raise BadRequest("版本参数应为 full 或 exposure。", code="invalid_variant")
    return "full" if sees_ticket_details(user) else "public"


def pdf_folder() -> Path:
    return Path(current_app.config["RANKINGS_PDF_FOLDER"] or Path(current_app.config["UPLOAD_FOLDER"]) / "rankings")


def pdf_name(ranking, variant: str) -> str:
    """The stored PDF's file name. `ranking`: a Ranking, or a row with its id, period, version and published_at.
    The id alone is not the list's: a restore discards the lists published after its backup, and the next list
    published takes a discarded one's id again (the 2026-12 list read the discarded W49 list's PDF). Period and the
    moment of publication make the name this list's only."""
    stamp = ranking.published_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    return f"ranking-{ranking.id}-{ranking.period}-v{ranking.version}-{stamp}-{variant}.pdf"


def pdf_path(ranking: Ranking, variant: str) -> Path:
    return pdf_folder() / pdf_name(ranking, variant)


def issued_pdf(folder: Path, ranking, variant: str) -> Path | None:
    """The PDF a release before pdf_name stored for this list, under ranking-<id>-v<version>-<variant>.pdf: the
    document as it was issued (a PDF rendered again would read in today's wording), or None. Such a file is this
    list's only if it was written after the list was published: an older one belonged to a list a restore discarded,
    whose id this list took again (those releases left its file in place). `ranking` as for pdf_name."""
    path = folder / f"ranking-{ranking.id}-v{ranking.version}-{variant}.pdf"
    try:
        written = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    except OSError:
        return None
    return path if path.is_file() and written >= ranking.published_at else None


def ensure_pdf(ranking: Ranking, variant: str) -> Path:
    """The snapshot never changes, so its PDF is rendered once and kept (or was kept by an older release under
    the name it gave it: issued_pdf)."""
    from ..pdf import write_atomically
    from .pdf import render_ranking_pdf

    if (issued := issued_pdf(pdf_folder(), ranking, variant)) is not None:  # before any copy rendered since
        return issued
    path = pdf_path(ranking, variant)
    if not path.is_file():
        write_atomically(path, lambda out: render_ranking_pdf(ranking, out, variant=variant,
                                                              photo_root=current_app.config["UPLOAD_FOLDER"]))
    return path


def pdf_for(user, ranking_id: int, wanted: str | None = None) -> tuple[Path, str]:
    """The list's PDF as this user may have it (units without the typical cases), and its file name."""
    ranking = get_ranking(user, ranking_id)
    variant = pdf_variant(user, wanted)
    return ensure_pdf(ranking, variant), pdf_filename(ranking, variant)


# each variant its own download name: the units' copy (no typical cases) is a different document from the full one
VARIANT_SUFFIXES = {"full": "", "public": "-单位版", "exposure": "-曝光版"}


def pdf_filename(ranking: Ranking, variant: str = "full") -> str:
    return f"红黑榜-{ranking.period}-第{ranking.version}版{VARIANT_SUFFIXES.get(variant, '')}.pdf"

