"""Reading tickets: one ticket as a user may see it, and the filtered, paged lists every page, the API and the
exports show. Visibility comes from tickets/policy.py; overdue from tickets/rules.py."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, column, exists, false, func, literal_column, or_, select, table, true
from sqlalchemy.orm import contains_eager, defaultload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..common.errors import BadRequest, Forbidden
from ..common.sql import any_like, const, consts, fold_letters, has_letters, like_folded, like_pattern, not_indexed
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..http import choice_arg, date_range_args, flag_arg, int_arg, unknown_arg
from ..photos.models import Photo
from ..policy import UNITS, has_role, sees_citywide
from ..units.models import Category, Segment
from ..units.services import find_category
from .campaigns import Campaign, campaign_values, campaign_window
from .models import ExtensionRequest, Ticket, TicketEvent, TicketUnit
from .territory import TERRITORY_ROLES, counted_in_territory, in_territory
from .policy import ensure_readable, ensure_visible, scope_of, territory_scope, unit_tickets
from .rules import (ACTIVE_STATUSES, DEFAULT_SOURCE, DUE_SOON, FIELD_SOURCES, OPEN_STATUSES,
                    PART_OWED_TICKET_STATUSES, SOURCES, SPLIT_SOURCES, STATUSES, late_condition, overdue_condition,
                    source_family)

# Statuses the city has few tickets in at any time: a 退单 waits days at most for the office's decision. A unit's
# list of them starts from these tickets (filter shape "unit_few"), not from every ticket the unit ever had.
FEW_STATUSES = ("disputed",)

# A list's scope besides the user's own (the default): a unit's 辖区问题
SCOPES = ("territory",)

# A list's status may also name a group: "open" every status 在办 (rules.ACTIVE_STATUSES), "valid" every status but
# cancelled (已作废), as the 点位库's 累计 counts them; "dispatched" those too that have a unit (not 未派遣), as the
# 领导看板, the 红黑榜 and the 辖区概况 count 发现 and 应结案 (rankings/counts.py _found and _due).
STATUS_GROUPS = {"open": "未结案", "valid": "不含已作废", "dispatched": "不含已作废和未派遣"}

# The figures of a published 红黑榜 entry whose problems are stored with it (ranking_entries.ticket_ids_json), by
# the name the list and the API give them
RANKING_FIGURES = {"found": "发现问题", "overdue": "超期", "rework": "返工"}

# Lists and a ticket's page show its category, unit, segment and reporter but never those rows' own units, which
# the models' joined loading would otherwise add to every query (three more joins, twice the columns, and on
# PostgreSQL most of the query's planning time). Accessed anyway, they load lazily.
# The units of a page of tickets (主办 and 协办, with their names) and the frontages named come in one query each.
LIST_LOAD = (defaultload(Ticket.category).lazyload(Category.owner_unit),
             defaultload(Ticket.segment).lazyload(Segment.unit),
             defaultload(Ticket.reporter).lazyload(User.unit),
             # an assessment site's name, in one query for the page (none when no ticket has a site)
             selectinload(Ticket.site).lazyload("*"),
             selectinload(Ticket.parts), selectinload(Ticket.frontage))
# get_ticket(detail=True): every event with its photos and every photo, three queries in all instead of one per
# event (and one for the parts' own photos). The ticket's page reads page_ticket below; the API reads rows.
DETAIL_LOAD = LIST_LOAD + (selectinload(Ticket.events).selectinload(TicketEvent.photos),
                           selectinload(Ticket.photos), defaultload(Ticket.parts).selectinload(TicketUnit.photos))


def get_ticket(user, ticket_id: int, detail: bool = False, read_only: bool = False) -> Ticket:
    """The ticket to act on, or 404 when absent or hidden from this user (403 when they only read it, as its
    辖区's overseeing unit: policy.ensure_visible); read_only: to read it (policy.ensure_readable); detail: its
    events and photos loaded too."""
    ticket = db.session.get(Ticket, ticket_id, options=DETAIL_LOAD if detail else ())
    return ensure_readable(user, ticket) if read_only else ensure_visible(user, ticket)


# A ticket's page (tickets/web.py): statements built once, here. Loaded with get_ticket's options instead, the
# ticket took half of the page's time on SQLite, most of it SQLAlchemy walking the loader options to make each
# statement's cache key anew (a statement built once makes its key once), and the selectin loaders sent one
# statement per relationship (parts, events, their photos, photos, the parts' photos). Here the ticket comes with
# its category, unit, segment and reporter (not their own units), then its parts, its events (with their actors,
# not the actors' units) and all its photos in one statement, handed out to the ticket, its events and its parts as
# their loaded relationships (every photo carries its ticket_id). The site and the frontage, when the ticket has
# one, load when the page reads them.
_PAGE_TICKET = (select(Ticket).where(Ticket.id == bindparam("ticket_id"))
                .options(defaultload(Ticket.category).lazyload(Category.owner_unit),
                         defaultload(Ticket.segment).lazyload(Segment.unit),
                         defaultload(Ticket.reporter).lazyload(User.unit), lazyload(Ticket.parts)))
_PAGE_PARTS = (select(TicketUnit).where(TicketUnit.ticket_id == bindparam("ticket_id"))
               .order_by(TicketUnit.role.desc(), TicketUnit.id))
_PAGE_EVENTS = (select(TicketEvent).where(TicketEvent.ticket_id == bindparam("ticket_id"))
                .options(defaultload(TicketEvent.actor).lazyload(User.unit)).order_by(TicketEvent.id))
_PAGE_PHOTOS = select(Photo).where(Photo.ticket_id == bindparam("ticket_id")).order_by(Photo.id)
_PAGE_EXTENSION = (select(ExtensionRequest)
                   .options(lazyload(ExtensionRequest.ticket),
                            defaultload(ExtensionRequest.requester).lazyload(User.unit))
                   .where(ExtensionRequest.ticket_id == bindparam("ticket_id"),
                          ExtensionRequest.status == const("open")))


def page_ticket(user, ticket_id: int) -> Ticket:
    """The ticket for its page, or 404 when absent or hidden from this user (as get_ticket): with its parts,
    events and photos (the ticket's, each event's, each part's) loaded."""
    ticket = db.session.scalar(_PAGE_TICKET, {"ticket_id": ticket_id})
    parts = list(db.session.scalars(_PAGE_PARTS, {"ticket_id": ticket_id})) if ticket is not None else []
    if ticket is not None:
        set_committed_value(ticket, "parts", parts)  # a unit sees the tickets it has a part in
    ensure_readable(user, ticket)
    events = list(db.session.scalars(_PAGE_EVENTS, {"ticket_id": ticket_id}))
    photos = list(db.session.scalars(_PAGE_PHOTOS, {"ticket_id": ticket_id}))
    by_event: dict[int, list] = {}
    by_part: dict[int, list] = {}
    for photo in photos:
        if photo.event_id is not None:
            by_event.setdefault(photo.event_id, []).append(photo)
        if photo.part_id is not None:
            by_part.setdefault(photo.part_id, []).append(photo)
    set_committed_value(ticket, "events", events)
    set_committed_value(ticket, "photos", photos)
    for event in events:
        set_committed_value(event, "ticket", ticket)
        set_committed_value(event, "photos", by_event.get(event.id, []))
    for part in parts:
        set_committed_value(part, "ticket", ticket)
        set_committed_value(part, "photos", by_part.get(part.id, []))
    return ticket


def page_extension(ticket: Ticket) -> ExtensionRequest | None:
    """The open extension request a ticket's page shows: the page shows one, and offers to ask for or decide one
    (lifecycle.py: request_extension and decide_extension), only while the ticket is assigned."""
    if ticket.status != "assigned":
        return None
    return db.session.scalar(_PAGE_EXTENSION, {"ticket_id": ticket.id})


def open_extension(ticket: Ticket) -> ExtensionRequest | None:
    # The ticket is in the session already: joining it again (with all it joins) would only cost planning time.
    return db.session.scalar(select(ExtensionRequest).options(lazyload(ExtensionRequest.ticket))
                             .where(ExtensionRequest.ticket_id == ticket.id, ExtensionRequest.status == const("open")))


def pending_extensions() -> list[ExtensionRequest]:
    return list(db.session.scalars(select(ExtensionRequest).where(ExtensionRequest.status == const("open"))
                                   .order_by(ExtensionRequest.requested_at)))


# An assisting unit's open request on its part, to be taken off (退出协办) or for more time (协办延期): what the
# partial indexes ix_ticket_units_withdraw_open and ix_ticket_units_extension_open hold. The office's lists below and
# their counts (tickets/waiting.py) read them alike.
OPEN_WITHDRAWAL = (TicketUnit.withdraw_requested_at.is_not(None), TicketUnit.withdraw_decided_at.is_(None))
OPEN_PART_EXTENSION = (TicketUnit.extension_requested_at.is_not(None), TicketUnit.extension_decided_at.is_(None))


def part_owed_ticket():
    """The part's ticket is still with the units, compared not_indexed: SQLite, with no statistics, would otherwise
    start from the thousands of open tickets (ix_tickets_open_cover) and probe each one's parts, 20 ms a count at
    1 M tickets, instead of from the few open requests."""
    return not_indexed(Ticket.status).in_(consts(PART_OWED_TICKET_STATUSES))


def pending_withdrawals() -> list[TicketUnit]:
    """The assisting units' open requests to be taken off (申请退出协办), oldest first, each part with its ticket
    and unit, on tickets still with the units: read through the partial index of open requests (ticket_units.
    withdraw_requested_at; a handful of rows), the part's own status checked here so that the planner does not
    prefer the (status, deadline) index and its every open part."""
    found = db.session.scalars(
        select(TicketUnit).join(Ticket, Ticket.id == TicketUnit.ticket_id)
        .options(contains_eager(TicketUnit.ticket))
        .where(*OPEN_WITHDRAWAL, part_owed_ticket())
        .order_by(TicketUnit.withdraw_requested_at, TicketUnit.id))
    return [part for part in found if part.status == "open"]


def pending_part_extensions() -> list[TicketUnit]:
    """The assisting units' open requests for more time on their parts (协办申请延期), oldest first, each part with
    its ticket and unit, on tickets still with the units: read through the partial index of open requests
    (ticket_units.extension_requested_at), the part's own status checked here as for pending_withdrawals."""
    found = db.session.scalars(
        select(TicketUnit).join(Ticket, Ticket.id == TicketUnit.ticket_id)
        .options(contains_eager(TicketUnit.ticket))
        .where(*OPEN_PART_EXTENSION, part_owed_ticket())
        .order_by(TicketUnit.extension_requested_at, TicketUnit.id))
    return [part for part in found if part.status == "open"]


@dataclass
class TicketFilter:
    status: str | None = None
    unit_id: int | None = None
    category: str | None = None     # as given (a code in any case, or an id); parse_filter finds its id
    category_id: int | None = None
    district: str | None = None
    overdue: bool = False
    due_soon: bool = False          # due within 24 hours (rules.DUE_SOON), not yet overdue; a unit's: its own part's
    reporter_id: int | None = None
    q: str | None = None
    campaign_id: int | None = None
    source: str | None = None       # rules.SOURCES
    site_id: int | None = None      # an assessment site (点位)
    site_kind_id: int | None = None  # its site's type (点位类型)
    site_district: str | None = None  # its site's district (a site's problem may have no road segment)
    round_id: int | None = None     # an assessment round (测评轮次): the failures its checklist made tickets of
    segment_id: int | None = None   # a road segment (责任路段): the 领导看板's map links each dot to its problems
    date_from: date | None = None   # reported on or after this Shanghai day
    date_to: date | None = None     # reported on or before this Shanghai day
    my_part: str | None = None      # a unit's lists: the state of its own part (rules.PART_STATUSES)
    repeated: bool = False          # 群众再次反映: an outside report was merged into it (并案), or its 12345 催办
    # 红黑榜's figures: the unit answers for it as 主办, 协办 (a part not 作废) or 包抓 of its segment when found
    # (发现问题); its deadline fell on these Shanghai days (到期问题); 超期 (late: deadline passed, not rectified by
    # it, not 作废); sent back at least once (返工)
    answering_unit_id: int | None = None
    due_from: date | None = None
    due_to: date | None = None
    late: bool = False
    due_passed: bool = False        # the deadline has passed (now): of a running period, the 到期问题 so far
    reworked: bool = False
    # (entry id, figure): the problems a published 红黑榜 entry stored for one of its figures (RANKING_FIGURES), as
    # they were counted, whatever happened to them since (ranking_entry_id and ranking_figure)
    ranking_entry: tuple[int, str] | None = None
    # 辖区问题 (scope "territory"): instead of the unit's own problems, those of its territory (units/territory.py,
    # tickets/territory.py), read only; sub_unit: of that unit of the territory and the units under it
    # (citywide readers name any unit by sub_unit: the 红黑榜's 区县 are counted over their territory); territory_role:
    # only the problems the 红黑榜 counts for the territory (tickets/territory.TERRITORY_ROLES)
    scope: str | None = None
    sub_unit: int | None = None
    territory_role: str | None = None
    page: int = 1
    per_page: int = 20


def parse_filter(args) -> TicketFilter:
    """Build a filter from request args (query string); bad values answer 400."""
    status = choice_arg(args, "status", (*STATUSES, *STATUS_GROUPS), code="invalid_status_filter", label="状态")
    source = choice_arg(args, "source", tuple(SOURCES), code="invalid_source", label="问题来源")
    category = (args.get("category") or "").strip()[:64] or None
    found = find_category(category, include_retired=True) if category else None  # a retired one's problems stay
    if category and found is None:  # a code mistyped listed nothing, as if no such problem had been filed
        raise unknown_arg("category", category, code="invalid_category", label="问题类别")
    date_from, date_to = date_range_args(args)
    due_from, due_to = date_range_args(args, "due_from", "due_to")
    return TicketFilter(
        status=status,
        source=source,
        unit_id=int_arg(args, "unit_id"),
        category=category,
        category_id=found.id if found else None,
        district=(args.get("district") or "").strip()[:64] or None,
        overdue=flag_arg(args, "overdue"),
        due_soon=flag_arg(args, "due_soon"),
        q=(args.get("q") or "").strip()[:100] or None,
        campaign_id=int_arg(args, "campaign_id"),
        site_id=int_arg(args, "site_id"),
        site_kind_id=int_arg(args, "site_kind_id"),
        site_district=(args.get("site_district") or "").strip()[:64] or None,
        round_id=int_arg(args, "round_id"),
        segment_id=int_arg(args, "segment_id"),
        reporter_id=int_arg(args, "reporter_id"),
        repeated=flag_arg(args, "repeated"),
        answering_unit_id=int_arg(args, "answering_unit_id"),
        due_from=due_from,
        due_to=due_to,
        late=flag_arg(args, "late"),
        due_passed=flag_arg(args, "due_passed"),
        reworked=flag_arg(args, "reworked"),
        ranking_entry=_ranking_entry_arg(args),
        scope=choice_arg(args, "scope", SCOPES, code="invalid_scope", label="范围"),
        sub_unit=int_arg(args, "sub_unit"),
        territory_role=choice_arg(args, "territory_role", tuple(TERRITORY_ROLES), code="invalid_territory_role",
                                  label="辖区计法"),
        date_from=date_from,
        date_to=date_to,
        page=int_arg(args, "page", high=100_000, default=1),
        per_page=int_arg(args, "per_page", high=100, default=20),
    )


def _ranking_entry_arg(args) -> tuple[int, str] | None:
    """ranking_entry_id and ranking_figure, given together or not at all."""
    entry_id = int_arg(args, "ranking_entry_id")
    figure = (args.get("ranking_figure") or "").strip() or None
    if entry_id is None and figure is None:
        return None
    if entry_id is None or figure not in RANKING_FIGURES:
        raise BadRequest("红黑榜统计项参数不正确：ranking_entry_id 须与 ranking_figure"
                         "（found、overdue 或 rework）同用。", code="invalid_ranking_figure")
    return entry_id, figure


def filtered_query(user, flt: TicketFilter, now: datetime):
    """The tickets the user may see that pass the filter, newest or in any order the caller gives."""
    shape, params = filter_shape(user, flt, now)
    return select(Ticket).where(filter_condition(shape)).params(params)


def filter_shape(user, flt: TicketFilter, now: datetime) -> tuple[tuple[str, ...], dict]:
    """The filter (and the user's scope) in two halves: which conditions apply, a key whose condition
    filter_condition builds once, and their values, the parameters it names (f_*, and "now" for overdue).

    Built anew on every request, the conditions and the statements around them cost SQLAlchemy more than the
    database spends running them: it walks each new statement to find its compiled SQL (issue 17)."""
    shape: list[str] = []
    params: dict = {}
    unit_id = getattr(user, "unit_id", None) if has_role(user, UNITS) else None
    if flt.scope == "territory" or flt.sub_unit or flt.territory_role:
        # 辖区问题: the territory's problems; its overdue and due soon are each problem's own (the lead's
        # deadline), not the overseeing unit's part, which it mostly has none of
        params["f_territory"] = sorted(territory_scope(user, flt.sub_unit))
        shape.append(f"territory_{flt.territory_role}" if flt.territory_role else "territory")
        unit_id = None
    elif flt.my_part and unit_id:
        shape.append("part")
        params.update(f_scope_unit=unit_id, f_my_part=flt.my_part)
    else:
        scope = scope_of(user)
        shape.append("all" if scope is True else "none" if scope is False else
                     "unit_few" if flt.status in FEW_STATUSES else "unit")
        if shape[-1] in ("unit", "unit_few"):
            params["f_scope_unit"] = scope
    if flt.status in STATUS_GROUPS:
        shape.append(flt.status)
    elif flt.status:  # one of STATUSES (parse_filter refuses any other)
        shape.append(f"status={flt.status}")
    if flt.unit_id:
        shape.append("unit_id")
        params["f_unit_id"] = flt.unit_id
    if flt.category or flt.category_id:
        category_id = flt.category_id
        if category_id is None:  # a filter built in code, with a code
            found = find_category(flt.category, include_retired=True)
            category_id = found.id if found else -1
        shape.append("category")
        params["f_category"] = category_id
    if flt.district:
        shape.append("district")
        params["f_district"] = flt.district
    if flt.overdue and unit_id:
        # a unit's lateness is its own part's (an assisting unit's deadline is not the ticket's)
        shape.append("part_overdue")
        params.update(f_overdue_unit=unit_id, now=now)
    elif flt.overdue:
        shape.append("overdue")
        params["now"] = now
    if flt.due_soon:
        # as overdue: a unit's is its own part's deadline (the 消息 page's 24小时内到期 links here)
        shape.append("part_due_soon" if unit_id else "due_soon")
        params.update(now=now, f_due_soon_until=now + DUE_SOON)
        if unit_id:
            params["f_due_soon_unit"] = unit_id
    if flt.source:  # API.md's `leader` (领导督导/交办) takes 领导交办 too, told apart since (rules.SPLIT_SOURCES)
        if flt.source in SPLIT_SOURCES.values():
            shape.append(f"source_family={flt.source}")
        else:
            shape.append("source")
            params["f_source"] = flt.source
    for name, parameter in _VALUE_FILTERS:
        value = getattr(flt, name)
        if value:
            # within a round, a site's type and district are those it was drawn with (its scores' groups)
            shape.append(f"round_{name}" if flt.round_id and name in ("site_kind_id", "site_district") else name)
            params[parameter] = value
    if flt.repeated:
        shape.append("repeated")
    if flt.q:
        # text without a letter (Chinese, a ticket number) is searched with plain LIKE: nothing to fold; text with
        # one, folded here once (_search_letters)
        letters = has_letters(flt.q)
        shape.append("q" if letters else "q_no_letters")
        params["f_like"] = like_pattern(fold_letters(flt.q) if letters else flt.q)
    if flt.campaign_id:
        campaign = db.session.get(Campaign, flt.campaign_id)
        if campaign is None:
            shape.append("no_campaign")
        else:
            start, end, campaign_id, districts = campaign_values(campaign)
            shape.append("campaign_districts" if districts else "campaign")
            params.update(f_campaign_start=start, f_campaign_end=end, f_campaign_id=campaign_id,
                          f_campaign_districts=districts)
    if flt.due_from:
        shape.append("due_from")
        params["f_due_from"] = local_midnight(flt.due_from)
    if flt.due_to:
        shape.append("due_to")
        params["f_due_to"] = local_midnight(flt.due_to + timedelta(days=1))
    if flt.late:
        shape.append("late")
        params["now"] = now
    if flt.due_passed:
        shape.append("due_passed")
        params["now"] = now
    if flt.reworked:
        shape.append("reworked")
    if flt.ranking_entry:
        # the ids behind a figure are the citywide readers' (rankings.services.sees_ticket_details): a unit would
        # learn which of its problems counted for another unit, or any of them named outside its scope
        if not sees_citywide(user):
            raise Forbidden("只有文明办、领导和督查员可以按红黑榜的统计项查看问题。", code="ranking_figure_forbidden")
        shape.append("ranking_entry")
        params["f_ranking_ids"] = stored_ranking_ids(*flt.ranking_entry)
    if flt.date_from:
        shape.append("from")
        params["f_from"] = local_midnight(flt.date_from)
    if flt.date_to:
        shape.append("to")
        params["f_to"] = local_midnight(flt.date_to + timedelta(days=1))
    return tuple(shape), params


# ranking_entries by name, as intake's (the rankings feature builds on tickets)
_RANKING_ENTRIES = table("ranking_entries", column("id"), column("ticket_ids_json"))


def stored_ranking_ids(entry_id: int, figure: str) -> list[int]:
    """The ticket ids a published 红黑榜 entry stored for a figure: none for an entry that does not exist or a
    figure it did not store (lists published before 2026-12-06 stored the 主办's 发现问题 only; the list's page
    links a figure through them only where they are its problems, rankings.services.stored_figure_ids)."""
    stored = db.session.scalar(select(_RANKING_ENTRIES.c.ticket_ids_json)
                               .where(_RANKING_ENTRIES.c.id == bindparam("entry_id")), {"entry_id": entry_id})
    return [int(i) for i in json.loads(stored or "{}").get(figure) or ()]


# The filters whose value is their condition's one parameter: (TicketFilter field, the parameter _CONDITIONS names)
_VALUE_FILTERS = (("reporter_id", "f_reporter_id"), ("site_id", "f_site_id"),
                  ("site_kind_id", "f_site_kind"), ("site_district", "f_site_district"), ("round_id", "f_round_id"),
                  ("segment_id", "f_segment_id"), ("answering_unit_id", "f_answering_unit"))


def _search(letters: bool = True):
    """The list's search (`q`): its number, address or description holds the text, ASCII letters in any case.

    Text with a letter is looked for in the address and the description alone: a number is digits and a dash
    (2026-000346, services.py), which no such text is in. On PostgreSQL the pattern comes folded (fold_letters) and
    each column is folded under "C" and matched with LIKE (common.sql.like_folded), which finds what ILIKE under
    "C" found. At 1 M tickets, a search that found nothing (zg-01) read three columns of every row with ILIKE:
    1.8 s its count, 4 s its page (the page walks pk_tickets backwards, PostgreSQL expecting matches to stop it
    early, and is not run in parallel); the count now reads two, and a count of none runs no page."""
    if not letters:
        return any_like((Ticket.number, Ticket.address, Ticket.description), bindparam("f_like"), letters=False)
    return or_(*(like_folded(column, bindparam("f_like")) for column in (Ticket.address, Ticket.description)))


def _campaign(districts: bool):
    return campaign_window(bindparam("f_campaign_start"), bindparam("f_campaign_end"), bindparam("f_campaign_id"),
                           bindparam("f_campaign_districts", expanding=True) if districts else None)


# intake_items by name (intake builds on tickets: its model imported here would configure the mappers too early)
_INTAKE = table("intake_items", column("ticket_id"), column("status"), column("followed_up_at"))
# an assessment round's answers by name, as intake's (the assessment feature builds on tickets)
_RESULTS = table("assessment_results", column("ticket_id"), column("round_site_id"))
_ROUND_SITES = table("round_sites", column("id"), column("round_id"), column("site_kind_id"), column("district"))
_SITES = table("sites", column("id"), column("kind_id"), column("district"))

# Each condition of a filter shape, with parameters for its values.
_CONDITIONS = {
    "all": true,
    "none": false,
    "territory": lambda: in_territory(bindparam("f_territory", expanding=True)),
    **{f"territory_{role}": (lambda role=role: counted_in_territory(bindparam("f_territory", expanding=True), role))
       for role in TERRITORY_ROLES},
    "unit": lambda: unit_tickets(bindparam("f_scope_unit")),
    # With a status the city has few of (FEW_STATUSES), the unit's tickets are found from those: a probe of
    # ticket_units (ticket_id, unit_id) each, not the list of every ticket the unit ever had (36 ms at 1 M tickets
    # for a busy unit's 退单中 count, against under 1 ms).
    "unit_few": lambda: exists().where(TicketUnit.ticket_id == Ticket.id,
                                       TicketUnit.unit_id == bindparam("f_scope_unit")),
    # The unit's parts in this state imply its scope: one selective IN on ticket_units (unit_id, status, ...)
    # instead of two, so a unit's 待整改 tab reads its few open parts, not every ticket it ever had.
    "part": lambda: Ticket.id.in_(select(TicketUnit.ticket_id).where(
        TicketUnit.unit_id == bindparam("f_scope_unit"), TicketUnit.status == bindparam("f_my_part"))),
    "open": lambda: Ticket.status.in_(consts(ACTIVE_STATUSES)),
    "valid": lambda: Ticket.status != const("cancelled"),
    "dispatched": lambda: and_(Ticket.status != const("cancelled"), Ticket.unit_id.is_not(None)),
    # The status is written into the SQL (one statement per status): PostgreSQL then keeps one generic plan for
    # each, where `status = $1` was planned again on every run (the office menu's 待核查 count, 2.5-4 ms a page at
    # 1 M tickets) because a generic plan for an unknown status picks the wrong index.
    **{f"status={status}": (lambda status=status: Ticket.status == const(status)) for status in STATUSES},
    "unit_id": lambda: Ticket.unit_id == bindparam("f_unit_id"),
    "category": lambda: Ticket.category_id == bindparam("f_category"),
    "district": lambda: Ticket.segment_id.in_(select(Segment.id).where(Segment.district == bindparam("f_district"))),
    "overdue": lambda: overdue_condition(bindparam("now")),
    "part_overdue": lambda: and_(Ticket.status.in_(consts(PART_OWED_TICKET_STATUSES)), Ticket.id.in_(
        select(TicketUnit.ticket_id).where(TicketUnit.unit_id == bindparam("f_overdue_unit"),
                                           TicketUnit.status == const("open"),
                                           TicketUnit.deadline < bindparam("now")))),
    "due_soon": lambda: and_(Ticket.status.in_(consts(OPEN_STATUSES)), Ticket.deadline > bindparam("now"),
                             Ticket.deadline <= bindparam("f_due_soon_until")),
    "part_due_soon": lambda: and_(Ticket.status.in_(consts(PART_OWED_TICKET_STATUSES)), Ticket.id.in_(
        select(TicketUnit.ticket_id).where(TicketUnit.unit_id == bindparam("f_due_soon_unit"),
                                           TicketUnit.status == const("open"),
                                           TicketUnit.deadline > bindparam("now"),
                                           TicketUnit.deadline <= bindparam("f_due_soon_until")))),
    "reporter_id": lambda: Ticket.reporter_id == bindparam("f_reporter_id"),
    # the merged reports, found through intake_items (status, received_at): few, each naming its ticket
    "repeated": lambda: Ticket.id.in_(select(_INTAKE.c.ticket_id).where(
        or_(_INTAKE.c.status == const("merged"), _INTAKE.c.followed_up_at.is_not(None)))),
    "q": _search,
    "q_no_letters": lambda: _search(letters=False),
    "no_campaign": false,
    "campaign": lambda: _campaign(False),
    "campaign_districts": lambda: _campaign(True),
    "source": lambda: Ticket.source == bindparam("f_source"),
    # a source with those split from it (rules.source_family), written into the SQL as a status is
    **{f"source_family={source}": (lambda source=source: Ticket.source.in_(consts(source_family(source))))
       for source in set(SPLIT_SOURCES.values())},
    "site_id": lambda: Ticket.site_id == bindparam("f_site_id"),
    "segment_id": lambda: Ticket.segment_id == bindparam("f_segment_id"),
    # by the site's type or district (the 考评看板's assessment scores link each row so, with round_id)
    "site_kind_id": lambda: Ticket.site_id.in_(select(_SITES.c.id).where(_SITES.c.kind_id == bindparam("f_site_kind"))),
    "site_district": lambda: Ticket.site_id.in_(select(_SITES.c.id).where(
        _SITES.c.district == bindparam("f_site_district"))),
    # the tickets a round's failed items became: a round's few hundred answers, each naming its ticket
    "round_id": lambda: Ticket.id.in_(select(_RESULTS.c.ticket_id).join(
        _ROUND_SITES, _ROUND_SITES.c.id == _RESULTS.c.round_site_id).where(
        _ROUND_SITES.c.round_id == bindparam("f_round_id"))),
    # with round_id: by the type or district the round drew the site with, as its scores group it (not as edited)
    "round_site_kind_id": lambda: Ticket.id.in_(select(_RESULTS.c.ticket_id).join(
        _ROUND_SITES, _ROUND_SITES.c.id == _RESULTS.c.round_site_id).where(
        _ROUND_SITES.c.round_id == bindparam("f_round_id"), _ROUND_SITES.c.site_kind_id == bindparam("f_site_kind"))),
    "round_site_district": lambda: Ticket.id.in_(select(_RESULTS.c.ticket_id).join(
        _ROUND_SITES, _ROUND_SITES.c.id == _RESULTS.c.round_site_id).where(
        _ROUND_SITES.c.round_id == bindparam("f_round_id"),
        _ROUND_SITES.c.district == bindparam("f_site_district"))),
    # the units a problem is charged to in 红黑榜 (rankings/counts.py): its 主办, a 协办 whose part is not 作废, and its
    # segment's 包抓 unit when other than the 主办 (the one recorded when it was filed, ix_tickets_adopting_reported);
    # dispatched problems only
    "answering_unit_id": lambda: and_(Ticket.unit_id.is_not(None), or_(
        Ticket.unit_id == bindparam("f_answering_unit"),
        Ticket.id.in_(select(TicketUnit.ticket_id).where(TicketUnit.unit_id == bindparam("f_answering_unit"),
                                                         TicketUnit.role == const("assist"),
                                                         TicketUnit.status != const("cancelled"))),
        and_(Ticket.adopting_unit_id == bindparam("f_answering_unit"),
             Ticket.unit_id != bindparam("f_answering_unit")))),
    "due_from": lambda: Ticket.deadline >= bindparam("f_due_from"),
    "due_to": lambda: Ticket.deadline < bindparam("f_due_to"),
    # fixed values written into the SQL (const): the API's kept statements bind only the named parameters
    "late": lambda: late_condition(bindparam("now"), cancelled=const("cancelled")),
    "due_passed": lambda: Ticket.deadline < bindparam("now"),
    "reworked": lambda: Ticket.rework_count > literal_column("0", Integer()),
    # a published 红黑榜 figure's problems, as stored (thousands for a busy unit's month): the ids are written into
    # the SQL when run (literal_execute), so that neither SQLite's nor the driver's limit on parameters applies
    "ranking_entry": lambda: Ticket.id.in_(bindparam("f_ranking_ids", expanding=True, literal_execute=True)),
    "from": lambda: Ticket.reported_at >= bindparam("f_from"),
    "to": lambda: Ticket.reported_at < bindparam("f_to"),
}


@lru_cache(maxsize=1024)
def filter_condition(shape: tuple[str, ...]):
    """The condition of a filter shape (filter_shape), built once per shape."""
    return and_(*(_CONDITIONS[name]() for name in shape))


@lru_cache(maxsize=256)
def count_statement(shape: tuple[str, ...]):
    """How many tickets a filter shape matches (the lists' totals), built once per shape."""
    return select(func.count()).select_from(Ticket).where(filter_condition(shape))


def list_tickets(user, flt: TicketFilter, now: datetime, overdue_first: bool = False,
                 options: tuple = (), order: tuple = ()) -> tuple[list[Ticket], int]:
    """One page of the filtered list and the total; `options`: loader options for what the caller shows
    (e.g. selectinload(Ticket.photos) for thumbnails: one query for the page, not one per ticket); `order`: the
    page's own order instead of the list's (page_of)."""
    query = filtered_query(user, flt, now)
    total = count(query)
    if not on_page(flt, total):
        return [], total
    query = query.options(*LIST_LOAD, *options)
    if order:
        query = query.order_by(*order).limit(flt.per_page).offset((flt.page - 1) * flt.per_page)
    else:
        query = page_of(query, flt, overdue_first)
    return list(db.session.scalars(query).unique()), total


def count_matching(user, flt: TicketFilter, now: datetime) -> int:
    """How many tickets the filter matches for the user (a list's total without its page)."""
    shape, params = filter_shape(user, flt, now)
    return db.session.scalar(count_statement(shape), params) or 0


def count(query) -> int:
    """How many rows a filtered query (filtered_query) matches, whatever page is shown."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def page_of(query, flt: TicketFilter, overdue_first: bool = False):
    """The filter's page of a filtered query, in list order: newest first, or (overdue_first, a unit's lists) open
    tickets by deadline (most overdue first), then the rest newest first."""
    return in_list_order(query, overdue_first).limit(flt.per_page).offset((flt.page - 1) * flt.per_page)


def in_list_order(query, overdue_first: bool = False, oldest_first: bool = False):
    """Newest first; overdue_first: see page_of; oldest_first: a queue, the ticket waiting longest first."""
    if overdue_first:
        return query.order_by(Ticket.status.in_(consts(OPEN_STATUSES)).desc(), Ticket.deadline.asc(), Ticket.id.desc())
    return query.order_by(Ticket.id.asc() if oldest_first else Ticket.id.desc())


def paged(query, overdue_first: bool = False, oldest_first: bool = False):
    """page_of for a statement built once: the page as parameters (page_params)."""
    return in_list_order(query, overdue_first, oldest_first).limit(bindparam("f_limit")).offset(bindparam("f_offset"))


def page_params(flt: TicketFilter) -> dict:
    return {"f_limit": flt.per_page, "f_offset": (flt.page - 1) * flt.per_page}


def on_page(flt: TicketFilter, total: int) -> bool:
    """Whether the filter's page holds any of the `total` tickets counted: when not (none found, a page past the
    last), its statement is not run. A search that finds nothing walked every ticket a second time for it."""
    return total > (flt.page - 1) * flt.per_page


def recent_segments(user, limit: int = 5) -> list[Segment]:
    """The active segments of the user's latest reports, newest first (at most `limit`): the filing page offers them
    before anything is searched. Reads the user's last 50 reports through the reporter index."""
    ids = list(dict.fromkeys(db.session.scalars(
        select(Ticket.segment_id).where(Ticket.reporter_id == user.id, Ticket.segment_id.is_not(None))
        .order_by(Ticket.id.desc()).limit(50))))
    if not ids:
        return []
    found = {s.id: s for s in db.session.scalars(select(Segment).where(Segment.id.in_(ids), Segment.active.is_(True)))}
    return [found[i] for i in ids if i in found][:limit]


def todays_field_source(user, now: datetime) -> str:
    """The 督查方式 the filing page starts with: that of the user's last report today (Asia/Shanghai), so a day
    of 暗访 is filed as 暗访 without choosing it each time; else 日常督查. The problems a 测评 checklist filed
    (under its round's kind) do not count: the inspector did not choose that kind on this page."""
    from ..assessment.models import Result  # the assessment feature builds on tickets: imported when asked

    from_checklist = select(Result.id).where(Result.ticket_id == Ticket.id).exists()
    last = db.session.scalar(select(Ticket.source).where(Ticket.reporter_id == user.id,
                                                         Ticket.reported_at >= local_midnight(local(now).date()),
                                                         ~from_checklist)
                             .order_by(Ticket.reported_at.desc(), Ticket.id.desc()).limit(1))
    return last if last in FIELD_SOURCES else DEFAULT_SOURCE
