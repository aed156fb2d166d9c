"""Pages for people: filing a report from a phone, each role's lists, a ticket's page with its action forms.

Routes only read input, call one operation (tickets/actions.py, shared with the API) and render or redirect; the
operations check permissions and status, and the request commits once (boundary.py). The phone page submits with
JavaScript (scaled photos); those requests carry `X-Requested-With` and get JSON back ({"redirect": url} or
{"error": {"code", "message"}}), everything else gets pages and 303 redirects.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import replace
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import lazyload, selectinload

from ..auth.models import User
from ..common.errors import BadRequest, ServiceError
from ..common.ids import get_row
from ..common.sql import by_code_point
from ..common.timeutil import fmt, fmt_cn_date, parse_iso
from ..extensions import db
from ..http import done, flag_arg, form_again, int_arg, is_script, local_url, now, past_last_page
from ..navigation import Count, count_with_menu, register_badge, remember
from ..policy import (CITYWIDE, EVERYONE, FILERS, INSPECTORS, OFFICE, UNITS, VERIFIERS, has_role, may_open,
                      requires, sees_citywide)
from ..units.models import Segment, Unit
from ..units.territory import sub_unit_choice, territory_ids
from ..common.text import one_line
from ..sites.models import Site, SiteKind
from ..sites.services import list_sites, sites_near, visible_site
from ..units.services import (SEGMENT_SEARCH_LIMIT, active_categories, active_units, find_category,
                              nearest_segments, search_segments, segment_query)
from . import actions, dispatch, duplicates, photo_checks, queries, waiting
from .cards import cards_of, dispatch_notes, last_events, list_cards
from .campaigns import Campaign
from .inputs import point_arg
from ..photos.models import Photo
from .models import ExtensionRequest, Ticket, TicketEvent
from .photo_files import send_photo, visible_photo
from .policy import can, can_view_ticket, withdrawn_shown
from .rules import FIELD_SOURCES, SOURCES, STATUS_LABELS, TOLD_BACK, UNIT_TODO_TICKET_STATUS

bp = Blueprint("tickets", __name__)

START_PAGES = {"inspector": "tickets.new", "unit": "tickets.unit_list", "admin": "tickets.office_work",
               "leader": "dashboard.index"}
# (tab, label, ticket status, state of the unit's own part): a 协办 unit's part is done when it reported it,
# while the lead may still be at work.
UNIT_TABS = [("todo", "待整改", UNIT_TODO_TICKET_STATUS, "open"), ("feedback", "已反馈", None, "rectified"),
             ("disputed", "退单中", "disputed", None), ("closed", "已结案", "closed", None),
             ("all", "全部", None, None)]
COUNTED_UNIT_TABS = ("todo", "feedback", "disputed")
# 辖区问题's tabs (scope=territory): the same names, each the problems' own status (the overseeing unit has no part)
TERRITORY_TABS = {"todo": UNIT_TODO_TICKET_STATUS, "feedback": "rectified", "disputed": "disputed",
                  "closed": "closed", "all": None}
# A ticket's page offers the sites (点位) this near its position to link it to, nearest first, at most this many.
NEARBY_SITE_RADIUS_M = 300
NEARBY_SITE_LIMIT = 5
# Its search (site_q: name, code or address) finds a site the list above cannot: the ticket has no position, or the
# site is farther or its coordinates are off. At most this many, the query cut to this many characters.
SITE_SEARCH_LIMIT = 10
SITE_SEARCH_MAX = 50

# the menu's counts: all that waits on the office's 待办事项 page, and the tickets waiting to be verified
register_badge("tickets.office_work", lambda user: waiting.office_work() if has_role(user, OFFICE) else 0)
register_badge("tickets.verify_queue",
               lambda user: waiting.to_verify(user, now()) if has_role(user, VERIFIERS) else 0, "件待核查")


# ----------------------------------------------------------------------------- helpers

@bp.app_template_filter("event_data")
def event_data(event) -> dict:
    try:
        data = json.loads(event.data_json or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@bp.app_template_filter("withdrawn_shown")
def withdrawn_shown_filter(data: dict) -> list[str]:
    """A 作废 event's 随之撤回 as the signed-in user may read it (policy.withdrawn_shown)."""
    return withdrawn_shown(current_user, data)


@bp.app_template_filter("cards")
def cards(items) -> list:
    """macros.html ticket_list: Ticket objects as list cards, for the signed-in user (cards pass through)."""
    return cards_of(items, current_user._get_current_object())


@bp.app_template_filter("iso_dt")
def iso_dt(value) -> str:
    """An ISO timestamp kept in an event's data, shown in Shanghai time."""
    try:
        return fmt(parse_iso(str(value)))
    except ValueError:
        return str(value or "")


@bp.app_template_filter("distance")
def distance(metres) -> str:
    """A distance as people say it: 85 米, 1.2 公里, 9,269 公里 (a photo taken in another city)."""
    metres = float(metres)
    if metres < 1000:
        return f"{round(metres)} 米"
    return f"{metres / 1000:.1f} 公里" if metres < 10_000 else f"{round(metres / 1000):,} 公里"


@bp.app_template_filter("about_metres")
def about_metres(metres) -> str:
    """A site's distance from a problem, to ten metres: 约120米 (不足10米 when it is right there)."""
    metres = float(metres)
    return "不足10米" if metres < 10 else f"约{round(metres / 10) * 10:,}米"


@bp.app_template_filter("age_hours")
def age_hours(hours) -> str:
    """How long before: 5小时, 3天, 2年 (an old picture from the phone's album)."""
    hours = float(hours)
    if hours < 48:
        return f"{round(hours)}小时"
    days = hours / 24
    return f"{round(days)}天" if days < 730 else f"{round(days / 365)}年"


def unit_options(units):
    """The `<option>`s of a unit menu, rendered once for a page that offers the same menu on every row (the office's
    work list: 200 rows of 184 units each took two thirds of the page's time in the template's loop). Called with a
    unit id, the options with that one selected."""
    html = "".join(f'<option value="{u.id}">{escape(u.name)}</option>' for u in units)

    def options(selected: int | None = None) -> Markup:
        if not selected:
            return Markup(html)
        return Markup(html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1))
    return options


def _last_event(ticket, action: str):
    return next((e for e in reversed(ticket.events) if e.action == action), None)


# ----------------------------------------------------------------------------- start, filing

@bp.get("/")
@requires(EVERYONE)
def home():
    return redirect(url_for(START_PAGES.get(current_user.role, "tickets.office_list")))


def _segment_choices(form, searched: bool) -> dict:
    """The segment <select> as the page is sent: never every segment (2,000 in a city), but the segment already
    chosen, the user's recent ones and, when the page's search button sent `segment_q` (the way without
    JavaScript; with it, report.js asks /segments/search as one types), up to SEGMENT_SEARCH_LIMIT matches.
    `searched`: a new search (GET) selects its first match; a form shown again after an error keeps its choice."""
    typed = one_line(form.get("segment_q"))[:100]
    hint, results, more = "", [], False
    try:
        term = segment_query(typed)
    except BadRequest as problem:
        term, hint = "", problem.message
    if term:
        results, more = search_segments(term)
        if not results:
            hint = f"没有找到“{term}”：请换个词（路段名、区县或街道），或不选，按位置匹配。"
        elif more:
            hint = f"找到 {SEGMENT_SEARCH_LIMIT} 条以上，只列出前 {SEGMENT_SEARCH_LIMIT} 条：请输入更具体的名称。"
        else:
            hint = f"找到 {len(results)} 条路段"
    chosen = get_row(Segment, form.get("segment_id"))
    if chosen is not None and not chosen.active:
        chosen = None
    recent = [] if term else queries.recent_segments(current_user)
    listed = {s.id for s in results + recent}
    groups = []
    if chosen is not None and chosen.id not in listed:
        groups.append(("已选的路段", [chosen]))
    if recent:
        groups.append(("最近上报过的路段", recent))
    by_district: dict[str, list] = {}
    for s in results:
        by_district.setdefault(s.district, []).append(s)
    groups += list(by_district.items())
    selected = chosen.id if chosen is not None else None
    if results and (selected is None or (searched and selected not in listed)):
        selected = results[0].id
    return {"segment_q": typed, "segment_groups": groups, "segment_hint": hint, "segment_selected": selected}


def _chosen_site(form) -> Site | None:
    """The active site the form (or a link: /tickets/new?site_id=N) names and this user may see; anything else is
    no site (a stale or mistyped link files an ordinary report)."""
    site = visible_site(current_user, form.get("site_id"))
    return site if site is not None and site.active else None


def _new_page(form=None, error: str | None = None, searched: bool = False):
    form = form or {}
    categories = active_categories()
    source = form.get("source") or queries.todays_field_source(current_user, now())
    codes = FIELD_SOURCES + ((source,) if source in SOURCES and source not in FIELD_SOURCES else ())
    return render_template(
        "tickets/new.html", form=form, error=error, responsibility=dispatch.filing_choices(),
        sources=[(code, SOURCES[code]) for code in codes], source=source,
        common=[c for c in categories if c.common], others=[c for c in categories if not c.common],
        idempotency_key=(form.get("idempotency_key") or secrets.token_hex(16)),
        max_photos=current_app.config["MAX_PHOTOS_PER_REPORT"], site=_chosen_site(form),
        **_segment_choices(form, searched))


@bp.route("/tickets/new", methods=["GET", "POST"])
@requires(FILERS)
def new():
    if request.method == "GET":
        if "csrf_token" in request.args:
            # The page's segment search (a GET without JavaScript) sends the whole form: keep what was typed in
            # the address, but neither the form's CSRF token nor its idempotency key (a link kept in the history
            # would file a later report as the replay of an earlier one), nor empty fields.
            kept = [(k, v) for k, v in request.args.items(multi=True)
                    if v and k not in ("csrf_token", "idempotency_key", "photos")]
            return redirect(url_for(".new") + ("?" + urlencode(kept) if kept else ""), 303)
        typed = request.args.copy()  # what a search (or a link) gives the form; a fresh key for every new page
        typed.pop("idempotency_key", None)
        return _new_page(typed, searched=bool(typed.get("segment_q")))
    try:
        ticket, _ = actions.file_report(current_user, request.form, request.files, None, now())
    except ServiceError as problem:
        if is_script():
            raise
        # Without JavaScript: show the form again with what was typed (photos must be chosen again).
        db.session.rollback()
        return _new_page(request.form, problem.message), problem.status
    return done(url_for(".filed", ticket_id=ticket.id))


@bp.get("/tickets/<int:ticket_id>/filed")
@requires(EVERYONE)
def filed(ticket_id: int):
    return render_template("tickets/filed.html", ticket=queries.get_ticket(current_user, ticket_id, read_only=True))


@bp.get("/segments/near")
@requires(FILERS)
def segments_near():
    lat, lon = point_arg(request.args)
    return jsonify([{"id": s.id, "name": s.name, "district": s.district, "unit_name": s.unit_label,
                     "distance_m": round(d)} for s, d in nearest_segments(lat, lon, limit=8)])


@bp.get("/tickets/nearby")
@requires(FILERS)
def nearby():
    """疑似重复 for the filing page: the open problems of `category` (its code) near the point (duplicates.py)."""
    category = find_category((request.args.get("category") or "").strip()[:64])
    if category is None:
        raise BadRequest("问题类别不存在。", code="invalid_category")
    found = duplicates.open_nearby(category.id, *point_arg(request.args))
    return jsonify({"radius_m": round(duplicates.radius_m()), "total": found.total, "items": [
        {"number": n.number, "status": n.status_label, "reported": fmt(n.reported_at, "%m-%d %H:%M"),
         "place": n.place, "distance_m": round(n.distance_m), "url": url_for(".detail", ticket_id=n.id)}
        for n in found]})


@bp.get("/segments/search")
@requires(FILERS)
def segments_search():
    """The filing page's segment search as one types: up to SEGMENT_SEARCH_LIMIT active segments whose name,
    district or street contains every word of `q`, and whether there are more."""
    term = segment_query(request.args.get("q"))
    found, more = search_segments(term)
    return jsonify({"q": term, "more": more,
                    "segments": [{"id": s.id, "name": s.name, "district": s.district, "unit_name": s.unit_label}
                                 for s in found]})


# ----------------------------------------------------------------------------- lists

# The plain lists (mine, a unit's, all tickets) and the office's work list read their cards as rows
# (tickets/cards.py list_cards). The verify queue loads Ticket objects (it reads their last events and photos).
# A card shows its first "before" photo (id and kind are all it reads) and the open extension's date; the
# extension's own joined ticket and requester (the model's default) would re-join the tickets with everything they
# join, for nothing.
_OPEN_EXTENSIONS = selectinload(Ticket.open_extensions).options(lazyload(ExtensionRequest.ticket),
                                                                 lazyload(ExtensionRequest.requester))
CARD_LOAD = (selectinload(Ticket.photos).load_only(Photo.id, Photo.kind), _OPEN_EXTENSIONS)
EVENTS_LOAD = (selectinload(Ticket.photos), _OPEN_EXTENSIONS,
               selectinload(Ticket.events).selectinload(TicketEvent.photos))


def _list(flt, overdue_first: bool = False, options: tuple = CARD_LOAD, order: tuple = ()):
    return queries.list_tickets(current_user, flt, now(), overdue_first=overdue_first, options=options, order=order)


@bp.get("/tickets/mine")
@requires(INSPECTORS)
def mine():
    flt = queries.parse_filter(request.args)
    flt.reporter_id = current_user.id
    items, total = list_cards(current_user, flt, now())
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    return render_template("tickets/mine.html", items=items, total=total, flt=flt)


def _filter_or_back(endpoint: str):
    """The list's filter, or (a day or a number mistyped, a range back to front) the list again without the
    argument at fault, the other filters kept, and why on top: a bare 400 page lost the search."""
    try:
        return queries.parse_filter(request.args), None
    except BadRequest as problem:
        name = problem.code.removeprefix("invalid_")
        faulty = (("from", "to") if name == "date_range" else
                  ("ranking_entry_id", "ranking_figure") if name.startswith("ranking_") else
                  (f"{name[:-6]}_from", f"{name[:-6]}_to") if name.endswith("_range") else (name,))
        if not any(arg in request.args for arg in faulty):
            raise
        flash(problem.message, "error")
        kept = [(k, v) for k, v in request.args.items(multi=True) if k not in faulty]
        return None, redirect(url_for(endpoint) + ("?" + urlencode(kept) if kept else ""), 303)


@bp.get("/unit/tickets")
@requires(UNITS)
def unit_list():
    tab = request.args.get("tab", "todo")
    tabs = {key: (status, part) for key, _, status, part in UNIT_TABS}
    if tab not in tabs:
        tab = "todo"
    flt, back = _filter_or_back("tickets.unit_list")
    if back is not None:
        return back
    territory = territory_ids(current_user)
    if flt.scope or flt.sub_unit:
        if territory is None:  # a unit with nobody under it: its own list, as it always was
            return redirect(url_for("tickets.unit_list", tab=tab), 303)
        return _territory_list(flt, tab)
    (flt.status, flt.my_part), flt.unit_id = tabs[tab], None
    if flt.campaign_id and flt.status is None:
        flt.status = "valid"  # a campaign's problems, as its page counts them: voided ones aside
    # This list never names the units answering.
    moment = now()
    items, total = list_cards(current_user, flt, moment, overdue_first=True, with_parts=False)
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    # what each working tab holds, whatever is searched (已结案 and 全部 only grow: not counted); the tab shown
    # unsearched has just been counted for its pages
    plain = replace(flt, page=1, per_page=queries.TicketFilter.per_page) == queries.TicketFilter(
        status=flt.status, my_part=flt.my_part)
    counts = {key: total if key == tab and plain else
              queries.count_matching(current_user, queries.TicketFilter(status=status, my_part=part), moment)
              for key, _, status, part in UNIT_TABS if key in COUNTED_UNIT_TABS}
    campaign = db.session.get(Campaign, flt.campaign_id) if flt.campaign_id else None  # from a campaign's page
    return render_template("tickets/unit_list.html", items=items, total=total, flt=flt, tab=tab, tabs=UNIT_TABS,
                           counts=counts, campaign=campaign, territory=territory is not None, scope_args={})


def _days(first, last) -> str:
    """2026年12月1日至2026年12月31日; an open end: …起 or …止."""
    if first and last:
        return f"{fmt_cn_date(first)}至{fmt_cn_date(last)}"
    return f"{fmt_cn_date(first)}起" if first else f"{fmt_cn_date(last)}止"


def _narrowed_by(flt, tab: str) -> tuple[list[str], dict]:
    """What a 辖区问题 list is narrowed by besides its tab and 下属单位, said on the page (the 辖区概况's figures open
    its 全部 tab with a status, days and deadlines: a list showing fewer than 全部 says why), and the arguments its
    search form keeps (so a search or another 下属单位 stays within them; 清除 drops them)."""
    said: list[str] = []
    kept: dict = {}
    if tab == "all" and flt.status:
        said.append("状态：" + (queries.STATUS_GROUPS.get(flt.status) or STATUS_LABELS.get(flt.status, flt.status)))
        kept["status"] = flt.status
    if flt.date_from or flt.date_to:
        said.append("上报日期：" + _days(flt.date_from, flt.date_to))
        kept.update({k: v.isoformat() for k, v in (("from", flt.date_from), ("to", flt.date_to)) if v})
    if flt.due_from or flt.due_to:
        said.append("整改期限：" + _days(flt.due_from, flt.due_to))
        kept.update({k: v.isoformat() for k, v in (("due_from", flt.due_from), ("due_to", flt.due_to)) if v})
    if flt.due_passed:
        said.append("期限已到")
        kept["due_passed"] = 1
    said += [f"“{flt.q}”"] if flt.q else []
    said += ["已超期"] if flt.overdue else []
    said += ["24小时内到期"] if flt.due_soon else []
    return said, kept


def _territory_list(flt, tab: str):
    """辖区问题 (scope=territory): the problems of the unit's territory, read only (tickets/territory.py), each with
    the unit that leads it; sub_unit narrows it to a unit under it and its own units. A sub_unit outside the
    territory lists nothing and says why (400). The tabs are the problems' own states, not the unit's part."""
    # a tab is a status; 全部 keeps the one asked for (辖区概况's figures open it: 在办 is status=open)
    flt.status, flt.my_part, flt.unit_id = TERRITORY_TABS[tab] if tab != "all" else flt.status, None, None
    said, kept = _narrowed_by(flt, tab)  # what the link asked, not a campaign's own 不含已作废 below
    if flt.campaign_id and flt.status is None:
        flt.status = "valid"
    scope_args = {"scope": "territory", **({"sub_unit": flt.sub_unit} if flt.sub_unit else {})}
    sub_units, refused = sub_unit_choice(current_user, flt.sub_unit)
    page = {"flt": flt, "tab": tab, "tabs": UNIT_TABS, "territory": True, "scope_args": scope_args,
            "said": said, "kept": kept, "sub_units": sub_units,
            "campaign": db.session.get(Campaign, flt.campaign_id) if flt.campaign_id else None}
    if refused:
        return render_template("tickets/unit_list.html", items=[], total=0, counts={}, export_args=None,
                               sub_unit_error=refused, **page), 400
    moment = now()
    items, total = list_cards(current_user, flt, moment, overdue_first=True)
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    plain = replace(flt, page=1, per_page=queries.TicketFilter.per_page) == queries.TicketFilter(
        status=flt.status, scope=flt.scope, sub_unit=flt.sub_unit)
    counts = {key: total if key == tab and plain else
              queries.count_matching(current_user, queries.TicketFilter(status=TERRITORY_TABS[key], scope="territory",
                                                                        sub_unit=flt.sub_unit), moment)
              for key, *_ in UNIT_TABS if key in COUNTED_UNIT_TABS}
    # the exports take the list's own arguments, the tab as its status
    export_args = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "tab") and v}
    export_args.update(scope="territory", **({"status": flt.status} if flt.status else {}))
    return render_template("tickets/unit_list.html", items=items, total=total, counts=counts,
                           export_args=export_args, **page)


@bp.get("/tickets/verify")
@requires(VERIFIERS)
def verify_queue():
    """The rectifications waiting for verification, the one waiting longest first (a queue: newest first left the
    oldest on the last page); `reporter_id` narrows it to one inspector's finds (我上报的)."""
    flt = queries.parse_filter(request.args)
    flt.status = "rectified"
    items, total = _list(flt, options=EVENTS_LOAD, order=(Ticket.rectified_at.asc(), Ticket.id.asc()))
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    rows = [(t, _last_event(t, "rectify")) for t in items]
    reporter = db.session.get(User, flt.reporter_id) if flt.reporter_id else None
    return render_template("tickets/verify_queue.html", rows=rows, total=total, flt=flt, reporter=reporter)


# 打印 (print=1): the filtered list whole, as a table to print for a meeting, up to this many problems (the paper
# says so when there are more); the page on screen holds 20, and a printed 超期 list held 20 of 113 without a word
PRINT_LIMIT = 500


@bp.get("/tickets")
@requires(CITYWIDE)
def office_list():
    flt, back = _filter_or_back("tickets.office_list")
    if back is not None:
        return back
    printing = flag_arg(request.args, "print")
    if printing:
        flt = replace(flt, page=1, per_page=PRINT_LIMIT)
    items, total = list_cards(current_user, flt, now())
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    district = by_code_point(Segment.district)  # as /sites/ and /patrols/ sort them, whatever the database's locale
    districts = db.session.scalars(select(district).where(Segment.active.is_(True)).distinct().order_by(district))
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc(), Campaign.id.desc()))
    # the site the list is filtered to, named on the page; an unknown id filters to no rows, as an unknown unit does
    site = db.session.get(Site, flt.site_id) if flt.site_id else None
    reporter = db.session.get(User, flt.reporter_id) if flt.reporter_id else None  # named, as the site is
    segment = db.session.get(Segment, flt.segment_id) if flt.segment_id else None
    answering_unit = db.session.get(Unit, flt.answering_unit_id) if flt.answering_unit_id else None
    territory_unit = db.session.get(Unit, flt.sub_unit) if flt.sub_unit else None  # whose 辖区 (scope=territory)
    site_kind = db.session.get(SiteKind, flt.site_kind_id) if flt.site_kind_id else None
    from ..assessment.models import Round  # the assessment feature builds on tickets: imported when asked
    assessment_round = db.session.get(Round, flt.round_id) if flt.round_id else None
    from ..rankings.services import stored_figure  # the rankings feature builds on tickets: imported when asked
    ranking_figure = stored_figure(*flt.ranking_entry) if flt.ranking_entry else None
    return render_template("tickets/office_print.html" if printing else "tickets/office_list.html",
                           items=items, total=total, flt=flt, site=site,
                           reporter=reporter, segment=segment, assessment_round=assessment_round,
                           answering_unit=answering_unit, site_kind=site_kind, ranking_figure=ranking_figure,
                           territory_unit=territory_unit,
                           units=active_units(), categories=active_categories(),
                           districts=list(districts), campaigns=list(campaigns), statuses=STATUS_LABELS,
                           status_groups=queries.STATUS_GROUPS,
                           export_args={k: v for k, v in request.args.items()
                                        if k not in ("page", "per_page", "print")})


# rows of each queue on 待办事项, the one waiting longest first; the rest follow as these are handled (the page
# names how many wait). Each row carries a menu of every active unit: 100 rows a queue and 184 units made 1.7 MB.
WORK_ROWS = 20


@bp.get("/office/work")
@requires(OFFICE)
def office_work():
    from ..dashboard.year import year_end_tasks
    from ..escalation import proposals
    from ..escalation import services as letters
    from ..intake import services as intake

    moment = now()
    pending, n_pending = list_cards(current_user, queries.TicketFilter(status="pending", per_page=WORK_ROWS), moment,
                                    oldest_first=True)
    disputed, n_disputed = list_cards(current_user, queries.TicketFilter(status="disputed", per_page=WORK_ROWS),
                                      moment, oldest_first=True)
    notes, reasons = dispatch_notes(pending), last_events(disputed, "dispute")
    extensions, withdrawals = queries.pending_extensions(), queries.pending_withdrawals()
    part_extensions = queries.pending_part_extensions()
    try:
        from ..patrols import absences
        from ..patrols.days import unexplained_last_workday
    except ImportError:  # a build without 路段巡查
        absences = unexplained_last_workday = None
    # the menu's count of this page is what it lists; what waits elsewhere is counted with the menu's counts (the
    # inspectors' 请假外出申请: on 路段巡查's)
    remember(waiting.office_work(), n_pending + n_disputed + len(extensions) + len(part_extensions) + len(withdrawals))
    verify, citizens, proposed, drafts, returned, repeated, *leave = count_with_menu(current_user, [
        waiting.to_verify(current_user, moment), Count(intake.PENDING), Count(*proposals.open_count(moment)),
        Count(letters.DRAFTS), Count(letters.RETURNED), waiting.repeated_open(current_user, moment),
        *([Count(absences.WAITING)] if absences else [])])
    may_sign = letters.may_sign(current_user)
    elsewhere = {"verify": verify or 0, "intake": citizens or 0, "proposals": proposed or 0,
                 "drafts": drafts or 0, "may_sign": may_sign, "show_drafts": may_sign or bool(drafts),
                 "returned": returned or 0, "repeated": repeated or 0}
    not_out = unexplained_last_workday(moment) if unexplained_last_workday else None
    leave_asked = (leave[0] or 0) if leave else 0
    return render_template("tickets/office_work.html", n_pending=n_pending, n_disputed=n_disputed, not_out=not_out,
                           leave_asked=leave_asked,
                           pending=[(t, *notes.get(t.id, (None, None))) for t in pending],
                           disputed=[(t, reasons.get(t.id)) for t in disputed],
                           extensions=extensions, withdrawals=withdrawals, part_extensions=part_extensions,
                           unit_options=unit_options(active_units()), year_end=year_end_tasks(moment),
                           elsewhere=elsewhere)


DUPLICATE_PAIRS_SHOWN = 100


@bp.get("/tickets/duplicates")
@requires(OFFICE)
def duplicate_pairs():
    """疑似重复 across the city: every pair of open problems of one category within the radius, the most recent
    first, each with a button that voids the later one (tickets/duplicates.py open_pairs)."""
    pairs = duplicates.open_pairs(DUPLICATE_PAIRS_SHOWN)
    return render_template("tickets/duplicates.html", pairs=pairs, total=pairs.total,
                           radius=duplicates.radius_m())


@bp.post("/tickets/duplicates/not-repeat")
@requires(OFFICE)
def not_a_repeat():
    """不是重复: two problems named as likely repeats are two problems; neither is named as the other's again. Each
    one's version as the page showed the pair (`version`, `other_version`): one changed since is refused (409)."""
    ids = [int_arg(request.form, name) for name in ("ticket_id", "other_id")]
    if None in ids:
        raise BadRequest("请指明是哪两件问题。", code="invalid_ticket_id")
    ticket, other = (queries.get_ticket(current_user, ticket_id) for ticket_id in ids)
    duplicates.not_a_repeat(current_user, ticket, other, now(),
                            versions=(request.form.get("version"), request.form.get("other_version")))
    flash(f"已标记 {ticket.number} 与 {other.number} 不是重复问题。", "success")
    return done(local_url(request.form.get("next")) or url_for(".duplicate_pairs"))


# ----------------------------------------------------------------------------- one ticket

def _detail_page(ticket_id: int, failed: str | None = None, typed=None, error: str | None = None, confirm=None):
    """The ticket's page; after a refused form, that form again (open) with what was typed and why it failed;
    `confirm`: the problem a 作废's typed 与哪件问题重复 names, to confirm the 作废 as its repeat."""
    ticket = queries.page_ticket(current_user, ticket_id)
    rectify_event = _last_event(ticket, "rectify")
    after = list(rectify_event.photos) if rectify_event else []
    # after a 返工 the last after-photos are what the inspector refused: kept, folded away, not shown as 整改后
    rework = _last_event(ticket, "reject")
    refused = rework if rectify_event and rework and rework.id > rectify_event.id else None
    office = can(current_user, "reassign", ticket) or can(current_user, "add_unit", ticket)
    return render_template("tickets/detail.html", ticket=ticket, extension=queries.page_extension(ticket),
                           overseeing=_overseeing_line(ticket),
                           site_box=_site_box(ticket, request.args, (typed or {}).get("site_q"))
                           if can(current_user, "link_site", ticket) else None,
                           after_photos=[] if refused else after, refused_after=after if refused else [],
                           rework=refused,
                           after_checks=[] if refused else photo_checks.check_after_photos(ticket, after),
                           before_flags=photo_checks.flagged_before_photos(ticket, ticket.photos_of("before")),
                           letters=[e for e in ticket.events if e.action == "escalate"],
                           duplicates=duplicates.of_ticket(ticket) if sees_citywide(current_user) else [],
                           duplicate_radius=duplicates.radius_m(),
                           intake_links=may_open(current_user, "intake.item"),  # a merged report's page
                           told_back=ticket.source in TOLD_BACK or any(e.action == "merge_report"
                                                                       for e in ticket.events),
                           units=active_units() if office else [],
                           failed=failed, typed=typed or {}, form_error=error, confirm=confirm)


def _overseeing_line(ticket) -> str | None:
    """What the page says to a unit reading the problem only as its 辖区's overseeing unit (no forms follow)."""
    if can_view_ticket(current_user, ticket):
        return None
    lead = ticket.unit.name if ticket.unit else None
    territory = territory_ids(current_user) or ()
    if lead and ticket.unit_id in territory:
        return f"本问题由{lead}办理；本单位为其上级单位，仅可查看（辖区督导）。"
    handled = f"本问题由{lead}办理" if lead else "本问题待文明办派遣"
    return f"{handled}，发生在本单位辖区内；本单位仅可查看（辖区督导）。"


def _site_box(ticket, args, searched: str | None = None) -> dict:
    """The 关联点位 box: the active sites near the ticket's position, or those its search (`site_q` in the page's
    address, or `searched`: the search a refused link was chosen from) finds, nearest first with their distance
    when the ticket has a position; never the one it is linked to already. The search's form keeps the page's
    other arguments; without a search, no statement for one."""
    located = ticket.lat is not None and ticket.lon is not None
    q = one_line(searched if searched is not None else args.get("site_q"))[:SITE_SEARCH_MAX].strip()
    keep = [(k, v) for k, v in args.items(multi=True) if k != "site_q"]
    box = {"located": located, "radius": NEARBY_SITE_RADIUS_M, "sites": [], "q": q, "max": SITE_SEARCH_MAX,
           "found": [], "more": 0, "keep": keep,
           "cleared": url_for(".detail", ticket_id=ticket.id) + (f"?{urlencode(keep)}" if keep else "")}
    if q:
        # the nearest matches when the ticket has a position (a broad word matches hundreds), else by code
        rows, total = list_sites(current_user, q=q, limit=SITE_SEARCH_LIMIT, exclude_id=ticket.site_id,
                                 lat=ticket.lat if located else None, lon=ticket.lon if located else None)
        box["found"], box["more"] = rows, total - len(rows)
    elif located:
        box["sites"] = [(site, metres) for site, metres in sites_near(
            current_user, ticket.lat, ticket.lon, NEARBY_SITE_RADIUS_M, NEARBY_SITE_LIMIT + 1)
            if site.id != ticket.site_id][:NEARBY_SITE_LIMIT]
    return box


@bp.get("/tickets/<int:ticket_id>")
@requires(EVERYONE)
def detail(ticket_id: int):
    return _detail_page(ticket_id)


@bp.post("/tickets/<int:ticket_id>/<action>")
@requires(EVERYONE)
def act(ticket_id: int, action: str):
    todo = actions.lookup(action)
    ticket = queries.get_ticket(current_user, ticket_id)
    try:
        # a 作废 naming a typed number: the problem it names is shown first, and the 作废 confirmed carries its
        # version as drawn, so one changed meanwhile is refused, not voided against
        target = actions.repeat_to_confirm(todo, current_user, ticket, request.form)
        if target is not None:
            return _detail_page(ticket_id, action, request.form, confirm=target)
        actions.perform(todo, current_user, ticket, now(), request.form, request.files)
    except ServiceError as problem:
        # the ticket's page again with that form open, what they typed kept, and the reason (409: the ticket moved
        # on and the form is gone; its page says why, a flashed message; but a typed number naming a problem no
        # longer open is said in the form, the number kept to be corrected)
        return form_again(problem, lambda typed, why: _detail_page(ticket_id, action, typed, why),
                          passes=(403, 404) if problem.code == "ticket_not_open" else (403, 404, 409),
                          left_out=("csrf_token", "next"))
    flash(f"{ticket.number}：{todo.said(ticket, request.form)}", "success")
    return done(local_url(request.form.get("next")) or url_for(".detail", ticket_id=ticket.id))


# ----------------------------------------------------------------------------- photo files

@bp.get("/tickets/photos/<int:photo_id>")
@requires(EVERYONE)
def photo(photo_id: int):
    return send_photo(visible_photo(current_user, photo_id), thumb=False)


@bp.get("/tickets/photos/<int:photo_id>/thumb")
@requires(EVERYONE)
def photo_thumb(photo_id: int):
    return send_photo(visible_photo(current_user, photo_id), thumb=True)
