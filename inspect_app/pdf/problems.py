"""The 问题清单 (list of problems) attached to a 督办函, 约谈通知 or 通报: a table grouped by unit.

Plain data in, a :class:`~.document.DataTable` out, so a letter row, a draft being edited or a batch of
proposals all print the same list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..common.timeutil import fmt
from .document import Column, DataTable, Photo, RowGroup

# Widths (mm) add up to the 版心's 156: numbers and dates fit one line at 五号, a four-character category
# ("乱停乱放", "占道经营") fits without breaking, longer ones break between words ("公益广告/缺失破损").
COLUMNS = (
    Column("序号", 10, "plain"),
    Column("问题编号", 23, "plain"),
    Column("类别", 18.5, "label"),
    Column("地点", 25.5, "text"),
    Column("发现时间", 21, "plain"),
    Column("原整改时限", 21, "plain"),
    Column("超期\n时长", 13, "plain"),
    Column("照片", 24, "photo"),
)
THUMB_MM = (21.0, 16.0)


@dataclass(frozen=True)
class ProblemItem:
    number: str
    category: str
    place: str
    found_at: datetime | None
    deadline: datetime | None
    overdue: str  # how long past the deadline when the letter was issued: "5小时", "3天"
    photo: str | bytes | None = None  # a thumbnail's path or bytes; None prints （无照片）


def _when(value: datetime | None) -> str:
    return fmt(value, "%Y-%m-%d\n%H:%M") if value else "—"


def problem_table(groups: Sequence[tuple[str, Sequence[ProblemItem]]], *, group_rows: bool | None = None) -> DataTable:
    """The table of problems, numbered on through the groups; ``groups`` are (unit name, items).

    Group lines ("市城市管理局（3件）") are printed when there is more than one group, or when
    ``group_rows`` says so.
    """
    show_groups = len(groups) > 1 if group_rows is None else group_rows
    counter = 0
    out: list[RowGroup] = []
    for unit, items in groups:
        rows = []
        for item in items:
            counter += 1
            rows.append([str(counter), item.number, item.category, item.place, _when(item.found_at),
                         _when(item.deadline), item.overdue or "—",
                         Photo(item.photo, *THUMB_MM)])
        out.append(RowGroup(f"{unit}（{len(items)}件）", rows))
    if show_groups:
        return DataTable(COLUMNS, groups=out)
    return DataTable(COLUMNS, rows=[row for group in out for row in group.rows])
