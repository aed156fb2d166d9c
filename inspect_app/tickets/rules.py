"""Ticket rules defined once and imported everywhere: which statuses are open, what overdue means, how days
overdue are counted, the names of the escalation levels. Dashboards, rankings, the sweep, exports and the ticket
pages all use these, so a change here changes them all."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_

from ..common.sql import consts

STATUSES = ("pending", "assigned", "rectified", "closed", "disputed", "cancelled")
STATUS_LABELS = {
    "pending": "待派遣",
    "assigned": "待整改",
    "rectified": "待核查",
    "closed": "已结案",
    "disputed": "退单待审",
    "cancelled": "已作废",
}
OPEN_STATUSES = ("pending", "assigned", "disputed")  # the unit (or the office) still owes action
ACTIVE_STATUSES = OPEN_STATUSES + ("rectified",)     # 在办: neither closed nor cancelled

# Where a problem came from (API.md `source`). Findings of 暗访, 媒体曝光 and 模拟测评 weigh more in rankings.
SOURCES = {
    "daily": "日常督查",
    "undercover": "暗访",
    "mock_assessment": "模拟测评",
    "spot_check": "随机抽查",
    "leader": "领导督导",
    "joint": "部门联查",
    "citizen": "市民随手拍",
    "hotline": "12345热线",
    # a problem a leader handed to the office to have put right (entered on /intake/entry), told apart from what
    # leaders found on their own inspections (leader, 领导督导)
    "leader_assigned": "领导交办",
    "media": "媒体曝光",
    "superior": "上级测评反馈",  # problems the national or provincial assessors found and sent back to the city
}
DEFAULT_SOURCE = "daily"
# Whoever reported a problem from these sources is told how it went (intake/services.progress: a citizen's receipt,
# the hotline's export, a feedback list's 整改情况), and so is one merged into any problem: the 作废 reason, and the
# lead's 整改说明 once verified, reach them. The ticket's forms say so.
TOLD_BACK = ("citizen", "hotline", "superior")
# The ways of checking an inspector chooses among when filing from the street (the filing page's 督查方式); 模拟测评
# findings come from a round's checklist, and the outside sources through the office's intake.
FIELD_SOURCES = ("daily", "undercover", "spot_check", "leader", "joint")
# A source told apart from another after schemes had weighed it as that one: a ranking scheme that names the new
# source weighs it on its own; one written before weighs it as it did (rankings/schemes.Scheme.found_points).
SPLIT_SOURCES = {"leader_assigned": "leader"}


def source_family(source: str) -> tuple[str, ...]:
    """A source with the sources split from it (SPLIT_SOURCES): a list filtered by API.md's `leader` (领导督导/交办)
    keeps the 领导交办 problems (`leader_assigned`) too; `leader_assigned` keeps those alone."""
    return (source, *(split for split, parent in SPLIT_SOURCES.items() if parent == source))


# A list's filter by source, as its menu names each: one that takes the sources split from it says so
SOURCE_FILTER_LABELS = {code: label + (f"（含{'、'.join(SOURCES[s] for s in source_family(code)[1:])}）"
                                       if len(source_family(code)) > 1 else "")
                        for code, label in SOURCES.items()}

# A ticket's parts (ticket_units): the lead unit (主办) and assisting units (协办), each with its own state.
PART_ROLES = ("lead", "assist")
PART_ROLE_LABELS = {"lead": "主办", "assist": "协办"}
PART_STATUSES = ("open", "rectified", "closed", "cancelled")
PART_STATUS_LABELS = {"open": "待整改", "rectified": "已整改", "closed": "已结案", "cancelled": "已作废"}
# A part is owed while it is open and its ticket is still with the units (not pending, rectified, closed...).
PART_OWED_TICKET_STATUSES = ("assigned", "disputed")
# What a decision still pending about a problem says when the problem is voided (作废) and the request or
# proposal is withdrawn with it: the lead's and the assisting units' extension and 退出协办 requests, its 督办建议
VOIDED_NOTE = "问题已作废"
# A unit's 待整改: its part open on a ticket given to it to rectify, not one in 退单 (its list's 退单中 tab)
UNIT_TODO_TICKET_STATUS = "assigned"
# Due soon (即将到期, 24小时内到期): the deadline within this much from now, not yet passed
DUE_SOON = timedelta(hours=24)

MAX_LEVEL = 3
LEVEL_NAMES = {0: "", 1: "督办", 2: "挂牌督办", 3: "约谈"}


def is_overdue(status: str, deadline: datetime | None, now: datetime) -> bool:
    """Past the deadline and not yet rectified (a rectification waiting for verification is not overdue)."""
    return status in OPEN_STATUSES and deadline is not None and deadline < now


def overdue_condition(now: datetime):
    """`is_overdue` as an SQL condition on the tickets table (overdue is computed, never stored)."""
    from .models import Ticket  # the model imports this module's vocabulary

    return Ticket.status.in_(consts(OPEN_STATUSES)) & (Ticket.deadline < now)


def not_rectified_by_deadline():
    """Not rectified (nor closed) by its deadline: rectified after it, or not yet. With the deadline passed, a
    problem 超期 (未按期整改) in the 红黑榜's count, whether or not it has been put right since."""
    from .models import Ticket

    done_at = func.coalesce(Ticket.rectified_at, Ticket.closed_at)
    return or_(done_at.is_(None), done_at > Ticket.deadline)


def late_condition(now: datetime, cancelled="cancelled"):
    """超期 as the 红黑榜 counts it: the deadline has passed and the problem was not rectified by it, not 作废.
    `cancelled`: the status as the statement takes it (a kept statement writes it in: common.sql.const)."""
    from .models import Ticket

    return (Ticket.status != cancelled) & (Ticket.deadline < now) & not_rectified_by_deadline()


def is_part_overdue(part_status: str, deadline: datetime | None, ticket_status: str, now: datetime) -> bool:
    """A unit's part past its deadline and not yet rectified, on a ticket still with the units."""
    return (part_status == "open" and ticket_status in PART_OWED_TICKET_STATUSES and deadline is not None
            and deadline < now)


def days_overdue(deadline: datetime | None, until: datetime | None) -> int:
    """Whole days past the deadline by `until` (now, or when it was rectified, or a letter's 签发): 0 within the
    first day, 1 from 24 hours on — the days overdue_span says, so a letter's item, its page, its PDF and the API
    give one figure (days begun gave the API 35 where the letter said 34天)."""
    if deadline is None or until is None or until <= deadline:
        return 0
    return int((until - deadline).total_seconds() // 86400)


def overdue_span(deadline: datetime | None, until: datetime | None) -> str:
    """How long `until` is past the deadline, as a letter or a list states it: '40分钟' or '5小时' within the
    first day (a 2-hour 乱停乱放 three hours late is not '1天' late), then whole days ('1天' from 24 hours on,
    '2天' from 48); '' when it is not past."""
    if deadline is None or until is None or until <= deadline:
        return ""
    minutes = int((until - deadline).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)}分钟"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时"
    return f"{days_overdue(deadline, until)}天"
