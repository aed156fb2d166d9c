"""A year's monthly red/black lists summed up (年度汇总), for the year-end assessment of the units (年度考评).

A year is not scored afresh: a scheme that deducts per problem would take every unit to 0 over twelve months.
The summary reads what was published instead, month by month (each month's newest version): a unit's score
in every month, its average over the months it was ranked in (a month it was not ranked in, or not on the list
at all, does not count), and how often it was on the red and on the black list. Units are ranked by that
average within the group they were in last, ties sharing a place (1, 2, 2, 4).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from ..common.timeutil import isoformat, local
from ..extensions import db
from .models import Ranking, RankingEntry
from .scoring import unranked_all_year

YEARS = (2000, 2100)  # the years ?year= accepts (a year outside: 400)
METHOD = ("全年平均分为该单位参与排名各月月榜得分的算术平均（未参与排名的月份不计）；各月取最新发布的版本；"
          "同一分组内按全年平均分排名，平均分相同的名次并列。")


def first_year(now: datetime) -> int:
    """The earliest year the summary's 上一年 link goes back to: that of the oldest monthly list published (this
    year when none is; never before the years ?year= accepts)."""
    oldest = db.session.scalar(select(func.min(Ranking.period)).where(Ranking.kind == "month"))
    return max(YEARS[0], min(int(oldest[:4]), local(now).year) if oldest else local(now).year)


def latest_year(now: datetime) -> int:
    """The year the summary opens on: that of the newest monthly list published (up to this year). In January,
    until January's list is out, that is last year, whose December list has just come out and whose summary the
    office is compiling; this year when no monthly list exists."""
    this_year = local(now).year
    newest = db.session.scalar(select(func.max(Ranking.period)).where(Ranking.kind == "month"))
    return min(int(newest[:4]), this_year) if newest else this_year


@dataclass
class UnitYear:
    unit_id: int
    name: str
    group: str
    scores: list[float | None] = field(default_factory=lambda: [None] * 12)  # January to December
    lists: list[str | None] = field(default_factory=lambda: [None] * 12)    # "red" | "black" | None
    reasons: list[str | None] = field(default_factory=lambda: [None] * 12)  # why not ranked, as the list stored it
    rank: int | None = None
    found: int = 0  # problems found over the year's lists (a 100 with none found was not examined)

    @property
    def ranked_months(self) -> int:
        return sum(s is not None for s in self.scores)

    @property
    def average(self) -> float | None:
        ranked = [s for s in self.scores if s is not None]
        return round(sum(ranked) / len(ranked), 2) if ranked else None

    @property
    def never_ranked_why(self) -> str | None:
        """Why a unit no month ranked was not ranked, said of the year as the year's 通报 says it (from the reasons
        its monthly lists stored); None for a unit ranked at least once."""
        if self.average is not None:
            return None
        return unranked_all_year([([r for r in self.reasons if r is not None], self.name)])[0][0]

    @property
    def red(self) -> int:
        return self.lists.count("red")

    @property
    def black(self) -> int:
        return self.lists.count("black")


@dataclass
class YearSummary:
    year: int
    rankings: dict[int, Ranking]          # month (1-12) -> the newest version published for it
    groups: list[tuple[str, list[UnitYear]]]
    units_found: dict[int, int] = field(default_factory=dict)  # month -> the sum of its units' found figures

    @property
    def months(self) -> list[int]:
        return sorted(self.rankings)

    @property
    def early(self) -> dict[int, datetime]:
        """{month: the moment its figures stop} for the months whose list (the newest version) came out before the
        month ended (提前发布): the year counts such a month only as far as its list does."""
        return {month: self.rankings[month].as_of for month in self.months
                if self.rankings[month].as_of < self.rankings[month].period_end}

    @property
    def found(self) -> int:
        """Problems found over the year's published months, each problem once: each month's list's total as it
        stored it (a problem several units answer for counted once, services.Computed.summary); a list that
        stored no total (none so far) falls back to the sum of its units' figures. Months do not overlap: a
        problem belongs to the month it was reported in."""
        total = 0
        for month in self.months:
            stored = (self.rankings[month].summary.get("totals") or {}).get("found")
            total += int(stored) if stored is not None else self.units_found.get(month, 0)
        return total


def year_summary(year: int) -> YearSummary:
    newest: dict[int, Ranking] = {}
    for ranking in db.session.scalars(select(Ranking).where(Ranking.kind == "month",
                                                            Ranking.period.like(f"{year:04d}-%"))
                                      .order_by(Ranking.period, Ranking.version.desc())):
        newest.setdefault(int(ranking.period[5:7]), ranking)
    units: dict[int, UnitYear] = {}
    units_found: dict[int, int] = {}
    group_order: dict[str, tuple[int, int]] = {}  # group -> (newest month it is in, first position there)
    month_of = {r.id: month for month, r in newest.items()}
    rows = db.session.execute(
        select(RankingEntry.ranking_id, RankingEntry.unit_id, RankingEntry.unit_name, RankingEntry.group_name,
               RankingEntry.score, RankingEntry.list_name, RankingEntry.insufficient, RankingEntry.position,
               RankingEntry.figures_json, RankingEntry.reason)
        .where(RankingEntry.ranking_id.in_(list(month_of) or [-1])))
    for ranking_id, unit_id, name, group, score, list_name, insufficient, position, figures, reason in sorted(
            rows, key=lambda r: (month_of[r[0]], r[7])):
        month = month_of[ranking_id]
        group = group or "未分组"
        unit = units.setdefault(unit_id, UnitYear(unit_id, name, group))
        unit.name, unit.group = name, group  # as in the newest month (rows come month by month)
        if insufficient:
            unit.reasons[month - 1] = reason
        else:
            unit.scores[month - 1], unit.lists[month - 1] = score, list_name
        found = int(json.loads(figures or "{}").get("found_total") or 0)
        unit.found += found
        units_found[month] = units_found.get(month, 0) + found
        if group not in group_order or group_order[group][0] < month:
            group_order[group] = (month, position)
    groups: dict[str, list[UnitYear]] = {}
    for unit in units.values():
        groups.setdefault(unit.group, []).append(unit)
    ordered = sorted(groups.items(), key=lambda item: (-group_order[item[0]][0], group_order[item[0]][1]))
    for _, members in ordered:
        members.sort(key=lambda u: (u.average is None, -(u.average or 0), -u.ranked_months, u.name))
        place, last = 0, None
        for index, unit in enumerate(members, start=1):
            if unit.average is None:
                continue
            if unit.average != last:
                place, last = index, unit.average
            unit.rank = place
    return YearSummary(year=year, rankings=newest, groups=ordered, units_found=units_found)


COLUMNS = (["分组", "名次", "单位", "参与排名月数", "全年平均分", "全年发现问题", "上红榜次数", "上黑榜次数"]
           + [f"{m}月" for m in range(1, 13)])


def months_text(months: list[int]) -> str:
    """"1月至11月" for a run of months, else "3月、5月、6月"."""
    if not months:
        return ""
    if len(months) > 2 and months == list(range(months[0], months[-1] + 1)):
        return f"{months[0]}月至{months[-1]}月"
    return "、".join(f"{m}月" for m in months)


def scheme_notes(summary: YearSummary) -> list[str]:
    """One line for each group whose months were scored under different schemes (a month's list's scheme, or the
    group's own stored with it: the 区县 given one mid-year), since its average mixes them: "区县1月至11月按“问题
    扣分制（默认方案）”、12月按“区县按辖区综合评价”计分，各月评分方案不同，全年平均分按各月实际得分计算。"."""
    from .services import schemes_used

    used = schemes_used([(month, summary.rankings[month]) for month in summary.months])
    notes = []
    for group, _ in summary.groups:
        if schemes := used.get(group):
            said = "、".join(f"{months_text(months)}按“{name}”" for name, months in
                            sorted(schemes.items(), key=lambda item: item[1][0]))
            notes.append(f"{group}{said}计分，各月评分方案不同，全年平均分按各月实际得分计算。")
    return notes


def moment_text(moment: datetime) -> str:
    """"12月7日 10:00", Shanghai time."""
    moment = local(moment)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def early_text(summary: YearSummary) -> str:
    """What the months published early leave out, for the page and the 通报: "12月的月榜为提前发布，数据截至12月7日
    10:00，此后的情况未计入"; "" when every month's list came out after the month ended."""
    early = summary.early
    if not early:
        return ""
    months = "、".join(f"{m}月" for m in early)
    return (f"{months}的月榜为提前发布，数据{'分别' if len(early) > 1 else ''}截至"
            f"{'、'.join(moment_text(moment) for moment in early.values())}，此后的情况未计入")


def columns(summary: YearSummary) -> list[str]:
    """COLUMNS, a month published early headed with where its figures stop: "12月（截至12月7日 10:00）"."""
    early = summary.early
    return COLUMNS[:8] + [f"{m}月（截至{moment_text(early[m])}）" if m in early else f"{m}月" for m in range(1, 13)]


def sheet_rows(summary: YearSummary) -> list[list]:
    """The summary as spreadsheet rows (COLUMNS): a month without a list, or without the unit ranked, is empty."""
    rows = []
    for group, members in summary.groups:
        for u in members:
            rows.append([group, u.rank or "", u.name, u.ranked_months, u.average if u.average is not None else "",
                         u.found, u.red, u.black] + ["" if s is None else s for s in u.scores])
    return rows


def summary_dict(summary: YearSummary) -> dict:
    """The summary for the API: months published (with their list's id, where its figures stop and whether that
    is before the month's end), and each group's units in order."""
    early = summary.early
    return {"year": summary.year, "method": METHOD, "scheme_notes": scheme_notes(summary),
            "months": [{"month": m, "ranking_id": summary.rankings[m].id, "version": summary.rankings[m].version,
                        "as_of": isoformat(summary.rankings[m].as_of), "early": m in early}
                       for m in summary.months],
            "groups": [{"name": group, "units": [
                {"unit_id": u.unit_id, "name": u.name, "rank": u.rank, "ranked_months": u.ranked_months,
                 "average": u.average, "found": u.found, "red": u.red, "black": u.black, "scores": u.scores,
                 "lists": u.lists} for u in members]} for group, members in summary.groups]}
