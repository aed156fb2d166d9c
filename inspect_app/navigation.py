"""The menu, in one list. Who sees an entry is decided by the entry's route itself (its `policy.requires`), so the
menu and the routes cannot disagree; entries whose page is not registered are skipped. A feature may register a
count for its entry (what waits for this user), shown beside the label."""
from __future__ import annotations

from collections.abc import Callable

from flask import url_for

from .policy import may_open

# (endpoint, label), in menu order
NAV = [
    ("tickets.new", "上报问题"),
    ("tickets.mine", "我的上报"),
    ("tickets.unit_list", "本单位问题"),
    ("tickets.verify_queue", "待核查"),
    ("tickets.office_list", "全部问题"),
    ("tickets.office_work", "待办事项"),
    ("assessment.tasks", "测评任务"),
    ("assessment.unit_results", "测评结果"),
    ("assessment.rounds", "文明测评"),
    ("escalation.proposals", "督办建议"),
    ("escalation.sign_queue", "待签发"),
    ("escalation.letters", "督办函"),
    ("escalation.rechecks", "回头看"),
    ("rankings.index", "红黑榜"),
    ("dashboard.index", "领导看板"),
    ("office.home", "基础数据"),
]


BADGES: dict[str, Callable] = {}  # endpoint -> count(user): a number shown beside the entry (0: none)


def register_badge(endpoint: str, count: Callable) -> None:
    BADGES[endpoint] = count


def nav_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [{"endpoint": e, "label": label, "url": url_for(e), "count": BADGES[e](user) if e in BADGES else 0}
            for e, label in NAV if may_open(user, e)]
