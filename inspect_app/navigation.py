"""The menu, in one list. Who sees an entry is decided by the entry's route itself (its `policy.requires`), so the
menu and the routes cannot disagree; entries whose page is not registered are skipped. A feature may add a
count shown on its entry (register_badge: what waits for this user, or unread news) or hide an entry from users
it has nothing for (WHEN) — never show one its route refuses."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from flask import g, url_for
from sqlalchemy import select

from .extensions import db
from .policy import may_open

# (endpoint, label), in menu order
NAV = [
    ("tickets.new", "上报问题"),
    ("patrols.checkin", "巡查打卡"),
    ("tickets.mine", "我的上报"),
    ("tickets.unit_list", "本单位问题"),
    ("territory.overview", "辖区概况"),
    ("tickets.verify_queue", "待核查"),
    ("tickets.office_list", "全部问题"),
    ("tickets.office_work", "待办事项"),
    ("assessment.tasks", "测评任务"),
    ("assessment.unit_results", "测评结果"),
    ("assessment.rounds", "文明测评"),
    ("surveys.index", "问卷调查"),
    ("patrols.index", "路段巡查"),
    ("keytasks.index", "创建任务"),
    ("campaigns.index", "专项行动"),
    ("escalation.proposals", "督办建议"),
    ("escalation.sign_queue", "待签发"),
    ("intake.queue", "市民来件"),
    ("notices.inbox", "消息"),
    ("escalation.letters", "督办函"),
    ("escalation.rechecks", "回头看"),
    ("rankings.index", "红黑榜"),
    ("frontages.index", "门前四包"),
    ("dashboard.index", "领导看板"),
    ("office.home", "基础数据"),
]

# A role whose own entries come first, in this order, the rest after as NAV has them: on a phone the menu is one
# scrolling row, and a unit's 消息 and 督办函 (with their badges: letters to sign for) sat off its right edge.
ROLE_FIRST: dict[str, tuple[str, ...]] = {
    "unit": ("tickets.unit_list", "territory.overview", "notices.inbox", "escalation.letters"),
}


@dataclass(frozen=True)
class Count:
    """A badge's count not run yet: a SELECT of one count, built once, and its parameters. nav_for sends every
    Count of the menu in one statement (each page an office user opens showed three or four), so parameters
    share one namespace: "now" is the request's clock, "user_id" the user, "unit_id" the user's unit."""
    statement: object
    params: dict = field(default_factory=dict)


# endpoint -> count(user) shown on the entry (0: none; an int, or a Count), and what the count is (for screen
# readers); endpoint -> when(user): show the entry at all (a bool, or a Count: shown when it is not 0, counted in
# the menu's one statement)
BADGES: dict[str, Callable[[object], int | Count]] = {}
BADGE_WHAT: dict[str, str] = {}
# endpoint -> the arguments of its page's list of what the badge counts: with a count, the entry opens that list
BADGE_ARGS: dict[str, dict] = {}
WHEN: dict[str, Callable[[object], bool | Count]] = {}


def register_badge(endpoint: str, count: Callable[[object], int], what: str = "项待办",
                   opens: dict | None = None) -> None:
    """`opens`: the page's arguments that list what the badge counts (unacknowledged=1), opened while it shows one."""
    BADGES[endpoint] = count
    BADGE_WHAT[endpoint] = what
    if opens:
        BADGE_ARGS[endpoint] = opens


def _menu(user) -> list[dict]:
    """The user's entries, their counts and WHEN not run yet (a Count) where a feature gave one."""
    items = []
    for endpoint, label in NAV:
        if not may_open(user, endpoint):
            continue
        shown = WHEN[endpoint](user) if endpoint in WHEN else True
        if not shown:
            continue
        badge = BADGES[endpoint](user) if endpoint in BADGES else 0
        items.append({"endpoint": endpoint, "label": label, "url": url_for(endpoint), "badge": badge,
                      "badge_what": BADGE_WHAT.get(endpoint, "项待办"), "shown": shown})
    first = ROLE_FIRST.get(getattr(user, "role", None), ())
    if first:
        items.sort(key=lambda item: first.index(item["endpoint"]) if item["endpoint"] in first else len(first))
    return items


def nav_for(user) -> list[dict]:
    if not getattr(user, "is_authenticated", False):
        return []
    items = _menu(user)
    waiting = [(item, key) for item in items for key in ("shown", "badge") if isinstance(item[key], Count)]
    if waiting:
        for (item, key), value in zip(waiting, run_counts([item[key] for item, key in waiting])):
            item[key] = value or 0
    for item in items:
        if item["badge"] and item["endpoint"] in BADGE_ARGS:
            item["url"] = url_for(item["endpoint"], **BADGE_ARGS[item["endpoint"]])
    return [item for item in items if item.pop("shown")]


def _key(count: Count) -> tuple:
    return count.statement, tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                                         for name, value in count.params.items()))


def remember(count: Count, value: int) -> None:
    """A count this request knows already (a page's list of those very rows): the menu shows it without asking."""
    g.menu_counts = {**g.get("menu_counts", {}), _key(count): value}


def count_with_menu(user, counts: list[Count]) -> tuple:
    """The values of counts a page shows itself, sent in one statement with those of the user's menu (which then
    takes them from here): such a page costs no statement more than its menu did."""
    menu = [value for item in _menu(user) for value in (item["shown"], item["badge"]) if isinstance(value, Count)]
    everything = [*counts, *menu]
    values = run_counts(everything)
    g.menu_counts = {**g.get("menu_counts", {}), **{_key(c): v for c, v in zip(everything, values)}}
    return values[:len(counts)]


def run_counts(counts: list[Count]) -> tuple:
    """The counts' values, in one statement; one this request knows already (remember, count_with_menu) is not
    sent again, nor one asked twice."""
    known = g.get("menu_counts", {})
    keys = [_key(count) for count in counts]
    missing: dict = {}
    for key, count in zip(keys, counts):
        if key not in known:
            missing.setdefault(key, count)
    if missing:
        params: dict = {}
        for count in missing.values():
            for name, value in count.params.items():
                if params.setdefault(name, value) != value:
                    raise ValueError(f"menu counts disagree on the parameter {name!r}")
        values = db.session.execute(_together(tuple(count.statement for count in missing.values())), params).one()
        known = {**known, **dict(zip(missing, values))}
    return tuple(known[key] for key in keys)


@lru_cache(maxsize=64)
def _together(statements: tuple):
    return select(*(statement.scalar_subquery() for statement in statements))
