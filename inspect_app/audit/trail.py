"""What goes into the 操作日志, and from where.

- Changes to the audited tables (accounts, units, segments, categories, sites and their kinds, the 红黑榜's scoring
  schemes and groups, holidays, campaigns, the letters' wording, the units' group robots, the 门前四包 register) are
  found at each flush, whatever made them: a page, the API, an import, a command. One entry per row added, changed
  or deleted, naming the fields that changed with their old and new values (a password only as 已更改). Made in
  the same transaction as the change, so an entry stands exactly for what was kept. (Units placed in a 红黑榜
  group by hand are recorded by rankings.services, which replaces those rows.)
- Sign-ins (and failed ones), sign-outs, API tokens, spreadsheet exports, 红黑榜 publications and 测评 督查通报
  issued (each takes a 文号 for good), a 督办函 draft deleted (a draft leaves no other trace), a 测评 round ended, a 测评 site's results withdrawn by the office (with
  the reason) and a 回头看 task 改派 to another inspector are recorded by the code that does them, with `record`.
- Refused requests (403: a role or a unit asking for what is not theirs) are recorded by the error handler
  (`refused`), in a transaction of their own, once per person and address a quarter of an hour, so a script
  hammering one page cannot flood the log.
The actor is the request's user (the API's token user or the signed-in person) and its address; outside a
request, a background job's owner (ACTING), 命令行 for a command and 系统 for the scheduler.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask import has_request_context, request
from sqlalchemy import event, insert, inspect, select

from ..auth.models import ROLE_LABELS, User
from ..common.errors import DATABASE_REFUSALS, will_not_write
from ..common.timeutil import utcnow
from ..escalation.models import KIND_LABELS, LetterTemplate
from ..extensions import db
from ..frontages.models import Frontage, FrontageNotice
from ..outbox.models import UnitRobot
from ..patrols.models import REQUEST_STATES, AbsenceRequest, PatrolAbsence, PatrolArea, PatrolCycle
from ..rankings.models import RankingGroup, RankingScheme
from ..sites.models import Site, SiteKind
from ..tickets.campaigns import Campaign
from ..units.models import Category, Segment, Unit
from ..workdays.models import Holiday
from .models import AuditEntry

log = logging.getLogger(__name__)

KINDS = {"login": "登录", "account": "账号与权限", "reference": "基础数据", "data": "数据导出", "access": "越权访问",
         "document": "发文", "assessment": "文明测评", "escalation": "督办跟进"}
ACTIONS = {"login": "登录", "login_failed": "登录失败", "logout": "退出登录", "token": "接口登录",
           "create": "新增", "update": "修改", "delete": "删除", "export": "导出", "refused": "拒绝访问",
           "publish": "发布", "withdraw": "撤回", "reassign": "改派", "close": "结束", "issue": "印发"}
REFUSED_QUIET = timedelta(minutes=15)  # one entry per person and address and target within it
COMMAND_LINE, SCHEDULER = "命令行", "系统"


@dataclass(frozen=True)
class Audited:
    label: str                       # what the office calls a row: 账号, 责任单位 ...
    kind: str                        # KINDS
    name: Callable[[object], str]    # the row, as the office names it
    fields: dict[str, str]           # attribute -> its label; changes to other attributes are not recorded
    deleted: str = ""                # what deleting a row means, when it is not plain 删除 (the entry's detail)


def _unit_name(unit_id) -> str:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit is not None else ("无" if not unit_id else f"单位 {unit_id}")


def _scheme_name(code) -> str:
    from ..rankings.schemes import SHIPPED

    if not code:
        return "现行方案"
    with db.session.no_autoflush:  # read while the session flushes the group
        name = db.session.scalar(select(RankingScheme.name).where(RankingScheme.code == code))
    name = name or next((d["name"] for d in SHIPPED if d["code"] == code), None)
    return f"{name}（{code}）" if name else code


def _user_name(user_id) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.username if user is not None else f"账号 {user_id}"


# recorded as changed, never their value: a password's hash; a group robot's address (its key is in it) and secret
SECRET = {"password_hash", "url", "secret"}
# a line's points, an area, a spot, a scoring scheme's document, a letter's body: recorded as changed, not printed
UNPRINTED = {"coords_json", "area_json", "lat", "lon", "document_json", "body"}
UNITS = {"unit_id", "parent_id", "owner_unit_id", "adopting_unit_id", "territorial_unit_id", "sector_unit_id",
         "operator_unit_id", "street_unit_id", "signed_with_unit_id"}
# foreign keys often set through their relationship (user.unit = …, frontage.segment = …): written only at the flush
THROUGH_RELATIONSHIP = UNITS | {"segment_id"}

AUDITED: dict[type, Audited] = {
    User: Audited("账号", "account", lambda u: u.username,
                  {"username": "用户名", "display_name": "姓名", "role": "角色", "unit_id": "单位", "phone": "手机号码",
                   "active": "状态", "password_hash": "密码"}),
    Unit: Audited("责任单位", "reference", lambda u: u.name,
                  {"code": "编码", "name": "名称", "kind": "类型", "parent_id": "上级单位", "contact_person": "联系人",
                   "contact_phone": "联系电话", "active": "状态"}),
    Segment: Audited("责任路段", "reference", lambda s: f"{s.district}{s.name}",
                     {"name": "名称", "district": "区县", "kind": "类型", "unit_id": "属地单位",
                      "adopting_unit_id": "包抓单位", "coords_json": "路段坐标", "active": "状态"}),
    Category: Audited("问题类别", "reference", lambda c: c.name,
                      {"code": "编码", "name": "名称", "group": "分组", "deadline_hours": "整改时限（小时）",
                       "deadline_workdays": "整改时限（工作日）", "rework_hours": "返工时限（小时）",
                       "rework_workdays": "返工时限（工作日）", "urgent": "紧急", "owner_unit_id": "责任单位",
                       "route": "派遣方式", "active": "状态"}),
    Site: Audited("点位", "reference", lambda s: s.name,
                  {"code": "编码", "name": "名称", "district": "区县", "street": "街道", "address": "地址",
                   "territorial_unit_id": "属地单位", "sector_unit_id": "行业主管部门", "operator_unit_id": "管理主体",
                   "lat": "位置", "area_json": "范围", "active": "状态"}),
    RankingScheme: Audited("评分方案", "reference", lambda r: r.name,
                           {"name": "名称", "document_json": "评分规则", "in_force": "在用"}),
    RankingGroup: Audited("排名分组", "reference", lambda g: g.name,
                          {"name": "名称", "unit_kinds": "按单位类型", "red_size": "红榜名额",
                           "red_floor": "红榜最低分", "black_size": "黑榜名额", "black_below": "黑榜分数线",
                           "territorial": "按辖区（属地）汇总", "scheme_code": "评分方案"}),
    SiteKind: Audited("点位类型", "reference", lambda k: k.name,
                      {"name": "名称", "sort_order": "排序", "active": "状态"}),
    LetterTemplate: Audited("文书模板", "reference", lambda t: KIND_LABELS.get(t.kind, t.kind),
                            {"title": "标题", "body": "正文", "report_to": "报送", "cc": "抄送"},
                            deleted="恢复为系统内置措辞"),
    # Where a unit's news is posted: an address changed to someone else's group would carry it outside.
    UnitRobot: Audited("单位群机器人", "reference", lambda r: _unit_name(r.unit_id),
                       {"url": "群机器人地址", "secret": "加签密钥", "enabled": "推送"}),
    Holiday: Audited("节假日", "reference", lambda h: h.day.isoformat(),
                     {"kind": "类型", "name": "名称"}),
    Campaign: Audited("专项整治行动", "reference", lambda c: c.name,
                      {"name": "名称", "start_date": "开始日期", "end_date": "结束日期", "districts_json": "区县",
                       "note": "说明"}),
    # who answers for a frontage, and which street enforces it: moved, a shop's problems go to another street office
    # how often each kind of segment is to be walked: shortened or dropped, a road leaves the overdue list
    PatrolCycle: Audited("巡查周期", "reference", lambda c: c.kind, {"days": "天数"}, deleted="不作要求"),
    # who answers for walking a district: taken off, its roads fall to nobody
    PatrolArea: Audited("督查片区", "reference", lambda a: f"{_user_name(a.user_id)} · {a.district}", {},
                        deleted="不再负责"),
    # a day off the streets recorded: the 巡查月历 stops asking about it
    PatrolAbsence: Audited("请假外出登记", "reference",
                           lambda a: f"{_user_name(a.user_id)} · {a.first_day.isoformat()}至{a.last_day.isoformat()} "
                                     f"{a.kind_label}", {"note": "说明"}, deleted="撤销"),
    # an inspector's request and the office's answer (an agreement makes the record above as well)
    AbsenceRequest: Audited("请假外出申请", "reference",
                            lambda a: f"{_user_name(a.user_id)} · {a.first_day.isoformat()}至{a.last_day.isoformat()} "
                                      f"{a.kind_label}", {"state": "状态", "reply": "答复"}, deleted="撤回"),
    # a notice handed to a shop: the street office's enforcement, on the record
    FrontageNotice: Audited("门前四包整改通知书", "reference", lambda n: f"{n.number} · {n.frontage.name}",
                            {"due_on": "整改期限", "delivered_on": "送达日期", "received_by": "签收人"}),
    Frontage: Audited("门前四包责任商户", "reference", lambda f: f.name,
                      {"code": "责任书编号", "name": "名称", "kind": "类型", "address": "地址",
                       "street_unit_id": "属地街道", "segment_id": "所在路段", "signed_on": "责任书签订日期",
                       "signed_with_unit_id": "责任书签订街道", "contact_person": "联系人", "contact_phone": "联系电话", "note": "备注", "active": "状态"}),
}


def shown(key: str, value) -> str:
    """A field's value as the office reads it."""
    if key == "scheme_code":  # a ranking group's own scheme, by its name; none: the one in force
        return _scheme_name(value)
    if value is None or value == "":
        return "无"
    if key in UNITS:
        return value.name if isinstance(value, Unit) else _unit_name(value)
    if key == "segment_id":
        segment = value if isinstance(value, Segment) else db.session.get(Segment, value)
        return f"{segment.district}{segment.name}" if segment is not None else f"路段 {value}"
    if key == "role":
        return ROLE_LABELS.get(value, value)
    if key == "active":
        return "启用" if value else "停用"
    if key == "kind" and value in ("holiday", "workday"):
        return "放假" if value == "holiday" else "调休上班"
    if key == "state" and value in REQUEST_STATES:
        return REQUEST_STATES[value]
    if key == "districts_json":
        return "、".join(json.loads(value)) or "全市"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


# Who acts outside a request: a background job's owner (an import an admin confirmed), set by the job runner.
ACTING: ContextVar[User | None] = ContextVar("audit_acting", default=None)


def actor() -> tuple[int | None, str, str]:
    """(user id, name, address) of whoever is acting now."""
    if (user := ACTING.get()) is not None:
        return user.id, user.username, "后台任务"
    if has_request_context():
        from ..policy import current_actor

        user = current_actor()
        address = request.remote_addr or ""
        return (user.id, user.username, address) if user is not None else (None, "", address)
    return None, COMMAND_LINE if click.get_current_context(silent=True) is not None else SCHEDULER, ""


def _values(kind: str, action: str, target: str, detail: str, ok: bool, user: User | None, username: str | None,
            now: datetime | None) -> dict:
    user_id, name, address = actor()
    if user is not None:
        user_id, name = user.id, user.username
    elif username is not None:
        user_id, name = None, username
    return {"at": now or utcnow(), "actor_id": user_id, "actor": (name or "匿名")[:64], "address": address[:64],
            "kind": kind, "action": action, "target": target[:200], "detail": detail, "ok": ok}


def record(kind: str, action: str, target: str = "", detail: str = "", *, ok: bool = True,
           user: User | None = None, username: str | None = None, now: datetime | None = None) -> None:
    """Add one entry to this transaction. `user`: who acted, when it is not the request's user (a sign-in);
    `username`: the name typed, for a sign-in that found nobody."""
    db.session.add(AuditEntry(**_values(kind, action, target, detail, ok, user, username, now)))


def record_apart(kind: str, action: str, target: str = "", detail: str = "", *, ok: bool = True,
                 quiet: timedelta | None = None) -> None:
    """Add one entry at once, in a transaction of its own: for a download, whose rows are read while the response
    streams, after the request's transaction (a commit of the entry with it would expire the rows being read), and
    for a refused request, whose own transaction is rolled back. With `quiet`, nothing is added when the same
    person from the same address had the same entry that recently (read through the index on actor and time)."""
    values = _values(kind, action, target, detail, ok, None, None, None)
    try:
        with db.engine.begin() as conn:
            if quiet is not None and conn.execute(select(AuditEntry.id).where(
                    AuditEntry.actor == values["actor"], AuditEntry.at > values["at"] - quiet,
                    AuditEntry.action == action, AuditEntry.target == values["target"],
                    AuditEntry.address == values["address"]).limit(1)).first() is not None:
                return
            conn.execute(insert(AuditEntry), values)
    except DATABASE_REFUSALS as error:
        if not will_not_write(error):
            raise
        # A database that only reads (a standby after a fail-over) still serves reads: the entry goes to the log.
        log.warning("audit entry not saved (%s): %s", error, values)


def refused(message: str) -> None:
    """A request refused with 403, or answered 404 for another unit's record (a probe): who asked for what (method
    and path, never the query's values) and why."""
    record_apart("access", "refused", f"{request.method} {request.path}", message, ok=False, quiet=REFUSED_QUIET)


def _change(state, key: str) -> tuple[object, object] | None:
    """(old, new) of an attribute changed since loaded, or None. A unit is often set through its relationship
    (user.unit = …), whose foreign key is only written at the flush: the key still holds the old id then."""
    history = state.attrs[key].history
    if history.has_changes():
        return history.deleted[0] if history.deleted else None, history.added[0] if history.added else None
    if key in THROUGH_RELATIONSHIP and key[:-3] in state.attrs:
        related = state.attrs[key[:-3]].history
        if related.has_changes():
            return state.dict.get(key), related.added[0] if related.added else None
    return None


# What a change means, said by the code that makes it, where the values cannot say it: a password set by the
# office (a reset) or by its owner reads the same as a hash (密码已更改). Kept on the row until its next flush.
NOTES = "_audit_notes"


def describe_change(row, key: str, text: str) -> None:
    """The entry for `row`'s next change of `key` says `text` instead of its values (or 已更改)."""
    row.__dict__.setdefault(NOTES, {})[key] = text


def _changes(row, audited: Audited) -> list[str]:
    state = inspect(row)
    notes = row.__dict__.pop(NOTES, {})
    found = []
    for key, label in audited.fields.items():
        change = _change(state, key)
        if change is None:
            continue
        old, new = change
        if getattr(new, "id", new) == old:
            continue
        if key in notes:
            found.append(notes[key])
        elif key in SECRET or key in UNPRINTED:
            found.append(f"{label}已更改")
        else:
            found.append(f"{label}：{shown(key, old)} → {shown(key, new)}")
    return found


def _value(row, key: str):
    """What a new row holds: a unit or segment set through its relationship has no foreign key before the flush."""
    value = getattr(row, key)
    return getattr(row, key[:-3], None) if value is None and key in THROUGH_RELATIONSHIP else value


def _created(row, audited: Audited) -> str:
    return "；".join(f"{label}：{shown(key, _value(row, key))}" for key, label in audited.fields.items()
                    if key not in SECRET | UNPRINTED and _value(row, key) not in (None, "")
                    and key not in ("name", "username", "active"))  # a new row is active; its name is the target


def _before_flush(session, _context, _instances) -> None:
    entries = []
    for row in session.new:
        if (audited := AUDITED.get(type(row))) is not None:
            entries.append((audited, "create", row, _created(row, audited)))
    for row in session.dirty:
        if (audited := AUDITED.get(type(row))) is not None and (changes := _changes(row, audited)):
            entries.append((audited, "update", row, "；".join(changes)))
    for row in session.deleted:
        if (audited := AUDITED.get(type(row))) is not None:
            entries.append((audited, "delete", row, audited.deleted))
    if entries:
        now = utcnow()
        for audited, action, row, detail in entries:
            record(audited.kind, action, f"{audited.label} {audited.name(row)}", detail, now=now)


def listen() -> None:
    if not event.contains(db.session, "before_flush", _before_flush):
        event.listen(db.session, "before_flush", _before_flush)
