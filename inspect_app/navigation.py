"""The menu, in one list. Who sees an entry is decided by the entry's route itself (its `policy.requires`), so the
menu and the routes cannot disagree; entries whose page is not registered are skipped."""
from __future__ import annotations

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
    ("escalation.letters", "督办函"),
    ("rankings.index", "红黑榜"),
    ("dashboard.index", "领导看板"),
    ("office.home", "基础数据"),
]


def nav_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [{"endpoint": e, "label": label, "url": url_for(e)} for e, label in NAV if may_open(user, e)]
