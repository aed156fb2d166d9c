"""The menu, per role, in one list. Entries whose page is not registered are skipped."""
from __future__ import annotations

from flask import current_app, url_for

# (endpoint, label, roles)
NAV = [
    ("tickets.new", "上报问题", {"inspector", "admin"}),
    ("tickets.mine", "我的上报", {"inspector"}),
    ("tickets.unit_list", "本单位问题", {"unit"}),
    ("tickets.verify_queue", "待核查", {"inspector", "admin"}),
    ("tickets.office_list", "全部问题", {"admin", "leader", "inspector"}),
    ("tickets.office_work", "待办事项", {"admin"}),
    ("escalation.letters", "督办函", {"admin", "leader", "unit"}),
    ("rankings.index", "红黑榜", {"admin", "leader", "inspector", "unit"}),
    ("dashboard.index", "领导看板", {"admin", "leader"}),
    ("office.home", "基础数据", {"admin"}),
]


def nav_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    views = current_app.view_functions
    return [{"endpoint": e, "label": label, "url": url_for(e)} for e, label, roles in NAV
            if user.role in roles and e in views]
