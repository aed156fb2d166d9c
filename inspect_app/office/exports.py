"""Exports: the ticket list with its filters (streamed), and units, segments and accounts in the same
columns as their import templates, so an export can be edited and imported back."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import IO, Iterator

from sqlalchemy import DateTime, and_, func, select, type_coerce
from sqlalchemy.orm import aliased

from ..auth.models import ROLE_LABELS, User
from ..common.coords import WGS84, format_polyline
from ..common.sql import by_code_point, const
from ..common.timeutil import fmt
from ..extensions import db
from ..intake.models import IntakeItem
from ..policy import UNITS, has_role
from ..tickets.models import Ticket, TicketUnit
from ..tickets.rules import (LEVEL_NAMES as ESCALATION_LABELS, OPEN_STATUSES, PART_ROLE_LABELS, PART_STATUS_LABELS,
                             SOURCES, STATUS_LABELS)
from ..tickets.queries import TicketFilter, filtered_query
from ..units.models import Category, Segment, Unit
from .imports import SPECS, spec_for
from .spreadsheets import CSV_DEFAULT_ENCODING, csv_chunks, write_xlsx

# The columns stay in this order (spreadsheets read them by position); new ones go at the end. 责任单位 and the
# figures after it (整改期限, 督办级别, 返工次数...) are the lead's (主办); the units sharing the problem follow: its
# 协办 units and its segment's 包抓 unit (the one when it was filed, Ticket.adopting_unit_id), and, in a unit's own
# export, what the unit itself answers for (本单位职责: 主办, 协办 or 包抓) with its own part's state, deadline and
# 督办 level (an assisting unit's are its own).
TICKET_COLUMNS = ["问题编号", "状态", "问题类别", "类别分组", "责任单位", "责任路段", "区县", "地址", "问题描述",
                  "上报人", "上报时间", "派遣时间", "整改期限", "整改反馈时间", "结案时间", "超期天数", "督办级别",
                  "返工次数", "延期次数", "协办单位", "包抓单位"]
TICKET_WIDTHS = [14, 10, 14, 10, 24, 18, 10, 24, 40, 10, 17, 17, 17, 17, 17, 9, 10, 9, 9, 30, 24]
OWN_COLUMNS = ["本单位职责", "本单位整改状态", "本单位整改期限", "本单位督办级别"]
OWN_WIDTHS = [10, 12, 17, 12]
# Last in every export (a unit's too, after its own columns): where the problem came from, and for a 12345 one the
# hotline's case numbers (the one it was filed from and any merged into it), so a month's sheet counts and filters
# the 12345 problems without reading the descriptions.
ORIGIN_COLUMNS = ["来源", "12345工单编号"]
ORIGIN_WIDTHS = [12, 20]
BATCH = 1000


def _own_unit(user) -> int | None:
    """The unit whose export this is (its own columns follow), or None for a citywide reader's."""
    return user.unit_id if has_role(user, UNITS) and user.unit_id else None


def ticket_columns(user) -> tuple[list[str], list[int]]:
    """The export's columns and widths for this user: a unit's has its own responsibility's columns too."""
    if _own_unit(user) is None:
        return TICKET_COLUMNS + ORIGIN_COLUMNS, TICKET_WIDTHS + ORIGIN_WIDTHS
    return TICKET_COLUMNS + OWN_COLUMNS + ORIGIN_COLUMNS, TICKET_WIDTHS + OWN_WIDTHS + ORIGIN_WIDTHS


def overdue_days(status: str, deadline: datetime | None, rectified_at: datetime | None,
                 now: datetime) -> float | None:
    """Days past the deadline, one decimal: still open → until now; rectified or closed → until the
    rectification was reported. Blank when on time, not dispatched, or cancelled. All aware, or all naive UTC."""
    if deadline is None or status == "cancelled":
        return None
    end = now if status in OPEN_STATUSES else rectified_at
    if end is None or end <= deadline:
        return None
    return round((end - deadline).total_seconds() / 86400, 1)


# Asia/Shanghai has kept UTC+8 all year since 1991: a ticket's naive UTC time plus eight hours is its local time.
# Done by hand for the 500,000 timestamps of a 100,000-row export, where zoneinfo and strftime cost seconds.
SHANGHAI_OFFSET = timedelta(hours=8)
SHANGHAI_FIXED_SINCE = datetime(1991, 9, 15)


def _local_text(utc_naive: datetime | None) -> str | None:
    if utc_naive is None:
        return None
    if utc_naive < SHANGHAI_FIXED_SINCE:
        return fmt(utc_naive.replace(tzinfo=timezone.utc))
    return (utc_naive + SHANGHAI_OFFSET).isoformat(" ", "minutes")


def _raw(column):
    """The column as the driver gives it (naive UTC), skipping UTCDateTime's per-value conversion."""
    return type_coerce(column, DateTime())


def ticket_rows(user, flt: TicketFilter, now: datetime) -> Iterator[list]:
    """The filtered list as rows: one Core select, read in batches of BATCH through a server-side cursor
    (PostgreSQL) or the driver's cursor (SQLite), tuples and never ORM objects, so memory stays flat."""
    reporter, adopting, assisting = aliased(User), aliased(Unit), aliased(Unit)
    own_unit = _own_unit(user)
    # the assisting units' names, one correlated lookup per row on ticket_units' (ticket_id, unit_id) key
    assists = (select(func.aggregate_strings(assisting.name, "、")).select_from(TicketUnit)
               .join(assisting, assisting.id == TicketUnit.unit_id)
               .where(TicketUnit.ticket_id == Ticket.id, TicketUnit.role == const("assist")).scalar_subquery())
    # its 12345 case numbers, by intake_items (ticket_id)
    cases = (select(func.aggregate_strings(IntakeItem.case_number, "、")).select_from(IntakeItem)
             .where(IntakeItem.ticket_id == Ticket.id, IntakeItem.source == const("hotline"),
                    IntakeItem.case_number.is_not(None)).scalar_subquery())
    columns = [Ticket.number, Ticket.status, Category.name, Category.group, Unit.name, Segment.name,
               Segment.district, Ticket.address, Ticket.description, reporter.display_name, reporter.username,
               _raw(Ticket.reported_at), _raw(Ticket.assigned_at), _raw(Ticket.deadline), _raw(Ticket.rectified_at),
               _raw(Ticket.closed_at), Ticket.escalation_level, Ticket.rework_count, Ticket.extension_count,
               assists, adopting.name, Ticket.source, cases]
    own = aliased(TicketUnit)
    if own_unit is not None:
        columns += [own.role, own.status, _raw(own.deadline), own.escalation_level, Ticket.adopting_unit_id]
    query = (filtered_query(user, flt, now)
             .with_only_columns(*columns, maintain_column_froms=False)
             .select_from(Ticket)
             .join(Category, Category.id == Ticket.category_id)
             .outerjoin(Unit, Unit.id == Ticket.unit_id)
             .outerjoin(Segment, Segment.id == Ticket.segment_id)
             .outerjoin(adopting, adopting.id == Ticket.adopting_unit_id)
             .outerjoin(reporter, reporter.id == Ticket.reporter_id)
             .order_by(Ticket.id))
    if own_unit is not None:
        query = query.outerjoin(own, and_(own.ticket_id == Ticket.id, own.unit_id == own_unit))
    now_naive = now.astimezone(timezone.utc).replace(tzinfo=None)
    status_labels, level_labels, source_labels = STATUS_LABELS, ESCALATION_LABELS, SOURCES
    # Options on the statement, not the connection (Connection.execution_options() would change the session's
    # connection for every later statement).
    result = db.session.connection().execute(query.execution_options(stream_results=True, max_row_buffer=BATCH))
    try:
        for (number, status, category, group, unit, segment, district, address, description, reporter_name,
             reporter_username, reported, assigned, deadline, rectified, closed, level, rework,
             extensions, assisted_by, adopted_by, source, case_numbers, *mine) in result:
            # None, not "", for blanks: the xlsx writer then skips the cell.
            row = [number, status_labels.get(status, status), category, group, unit, segment, district,
                   address or None, description or None, reporter_name or reporter_username, _local_text(reported),
                   _local_text(assigned), _local_text(deadline), _local_text(rectified), _local_text(closed),
                   overdue_days(status, deadline, rectified, now_naive),
                   level_labels.get(level or 0) or None, rework or 0, extensions or 0, assisted_by or None,
                   adopted_by or None]
            if own_unit is not None:
                row += _own_cells(own_unit, level, *mine)
            row += [source_labels.get(source, source), case_numbers or None]
            yield row
    finally:
        result.close()


def _own_cells(unit_id: int, lead_level, role, part_status, part_deadline, part_level, adopting_id) -> list:
    """本单位职责 and its part's state, deadline and 督办 level (TicketUnit.level: the lead's is the ticket's); a
    problem on a segment the unit adopts (包抓) without a part of its own has no state of its own."""
    if role is None:
        return ["包抓" if adopting_id == unit_id else None, None, None, None]
    own_level = lead_level if role == "lead" else part_level
    return [PART_ROLE_LABELS.get(role, role), PART_STATUS_LABELS.get(part_status, part_status),
            _local_text(part_deadline), ESCALATION_LABELS.get(own_level or 0) or None]


def count_tickets(user, flt: TicketFilter, now: datetime) -> int:
    """How many rows the export would have (decides between streaming now and a background job)."""
    query = filtered_query(user, flt, now).with_only_columns(Ticket.id, maintain_column_froms=False)
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def tickets_xlsx(user, flt: TicketFilter, now: datetime, rows: Iterator[list] | None = None,
                 target: IO[bytes] | None = None) -> IO[bytes]:
    columns, widths = ticket_columns(user)
    return write_xlsx(columns, ticket_rows(user, flt, now) if rows is None else rows, title="问题清单",
                      widths=widths, target=target)


def tickets_csv(user, flt: TicketFilter, now: datetime, encoding: str = CSV_DEFAULT_ENCODING,
                rows: Iterator[list] | None = None) -> Iterator[bytes]:
    return csv_chunks(ticket_columns(user)[0], ticket_rows(user, flt, now) if rows is None else rows,
                      encoding=encoding)


def export_filename(kind: str, now: datetime, suffix: str) -> str:
    label = {"tickets": "问题清单", **{k: s.label for k, s in SPECS.items()}}[kind]
    return f"{label}_{fmt(now, '%Y%m%d_%H%M')}.{suffix}"


# ----------------------------------------------------------------------------- reference data

def _status(active: bool) -> str:
    return "在用" if active else "停用"


def reference_rows(kind: str) -> Iterator[list]:
    if kind == "units":
        parent = aliased(Unit)
        query = (select(Unit.code, Unit.name, Unit.kind, parent.code, Unit.contact_person, Unit.contact_phone,
                        Unit.active).outerjoin(parent, parent.id == Unit.parent_id).order_by(Unit.code))
        for code, name, kind_, parent_code, person, phone, active in db.session.execute(query):
            yield [code, name, kind_, parent_code or "", person or "", phone or "", _status(active)]
    elif kind == "segments":
        adopting = aliased(Unit)
        query = (select(Segment.name, Segment.district, Segment.kind, Unit.code, adopting.code, Segment.coords_json,
                        Segment.active)
                 .join(Unit, Unit.id == Segment.unit_id).outerjoin(adopting, adopting.id == Segment.adopting_unit_id)
                 .order_by(by_code_point(Segment.district), by_code_point(Segment.name))
                 .execution_options(yield_per=BATCH))
        for name, district, kind_, code, adopting_code, coords_json, active in db.session.execute(query):
            points = json.loads(coords_json or "[]")
            yield [name, district, kind_, code, adopting_code or "", format_polyline(points, WGS84), WGS84,
                   _status(active)]
    elif kind == "accounts":
        query = (select(User.username, User.display_name, User.role, Unit.code, User.phone, User.active)
                 .outerjoin(Unit, Unit.id == User.unit_id).order_by(User.role, User.username))
        for username, name, role, code, phone, active in db.session.execute(query):
            yield [username, name or "", ROLE_LABELS.get(role, role), code or "", phone or "", _status(active), ""]
    elif kind == "frontages":
        from ..frontages.imports import export_rows
        yield from export_rows()
    elif kind == "keytasks":
        from ..keytasks.exports import export_rows as task_rows
        yield from task_rows()


def template_notes(kind: str) -> list[list[str]]:
    spec = spec_for(kind)
    notes = [["列名", "说明"]] + [[c + ("（必填）" if c in spec.required else ""), spec.help.get(c, "")]
                                  for c in spec.columns]
    notes += [[], ["说明", "第一个工作表第一行是表头，从第二行起每行一条数据。不要合并单元格，不要使用公式。"],
              ["", "也可以另存为 CSV（UTF-8 或 GBK/GB18030 编码均可）再导入。导入前会先预览，全部无误才会写入。"]]
    return notes


def reference_xlsx(kind: str, template: bool = False) -> IO[bytes]:
    spec = spec_for(kind)
    rows = [] if template else reference_rows(kind)
    return write_xlsx(spec.columns, rows, title=spec.label, widths=spec.widths, notes=template_notes(kind))


def reference_csv(kind: str, template: bool = False, encoding: str = CSV_DEFAULT_ENCODING) -> Iterator[bytes]:
    spec = spec_for(kind)
    return csv_chunks(spec.columns, [] if template else reference_rows(kind), encoding=encoding)
