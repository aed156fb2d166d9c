"""Pages: 督办建议 grouped by unit (the office decides), compiling and editing drafts with a PDF preview, the
leader's sign queue and 签发, the letter lists and one letter's page (签收, written reply, 销号, 回头看), a unit's
督办 history with 约谈 and 问责, the office's wording templates, and the inspectors' 回头看 tasks.

Routes read input, call one operation (letter actions through actions.py, shared with the API) and render or
redirect; the operations check roles, units and statuses, and the request commits once (boundary.py).
"""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ..auth.models import User
from ..common import timeutil
from ..common.errors import NotFound, ServiceError
from ..common.flags import flag
from ..extensions import db
from ..http import done, flag_arg, form_again, int_arg, is_script, local_url, now, past_last_page
from ..navigation import Count, register_badge
from ..photos.service import parse_photo_meta, read_uploads
from ..policy import EVERYONE, LEADERSHIP, OFFICE, UNITS, VERIFIERS, has_role, requires
from ..tickets.rules import ACTIVE_STATUSES, OPEN_STATUSES
from ..units.models import Unit
from ..units.services import active_units
from ..units.territory import oversees, sub_unit_choice
from . import actions, compose, followup, inputs, proposals, replies, services, stats
from .files import interview_file_response, letter_pdf_response, reply_file_response
from ..pdf.document import Heading
from .letters_pdf import letter_as_of, letter_wording
from .models import KIND_LABELS, KIND_LEVELS, LETTER_STATUSES, Interview, Letter, Referral
from .settings import level_delays, level_text, mode
from .signing import check_ready
from .wording import all_templates, body_blocks, save_template

bp = Blueprint("escalation", __name__)


@bp.app_template_global("letter_level_label")
def letter_level_label(level: int) -> str:
    return level_text(level)["name"]


@bp.app_template_global("readable_letters")
def readable_letters(events) -> set:
    """Of a ticket's 督办记录 (its escalate events), the letters this user may open, by id and by 发文字号: a unit
    reading the problem for its 辖区 (or assisting on it) is not a 主送 of every letter that listed it, and the page
    names those without a link that would answer 404."""
    from ..tickets.web import event_data

    data = [event_data(e) for e in events]
    ids = {d["letter_id"] for d in data if d.get("letter_id")}
    numbers = {d["letter"] for d in data if d.get("letter") and not d.get("letter_id")}
    if not ids and not numbers:
        return set()
    letters = db.session.scalars(select(Letter).where(or_(Letter.id.in_(sorted(ids)),
                                                          Letter.number.in_(sorted(numbers)))))
    return {key for letter in letters if services.can_view_letter(current_user, letter)
            for key in (letter.id, letter.number)}


@bp.app_template_global("relapse_info")
def relapse_info(ticket_id: int) -> dict:
    """For a ticket's page: the closed ticket it repeats, and the later ones repeating it (those the user may see)."""
    from ..tickets import relapse
    from ..tickets.policy import can_read_ticket

    of, after = relapse.links(ticket_id)
    if of is not None and not can_read_ticket(current_user, of.earlier):
        of = None
    after = [r for r in after if can_read_ticket(current_user, r.ticket)]
    return {"of": of, "after": after}


def _badge_proposals(user) -> int | Count:
    """督办建议's count for the office: what its page holds for the office to do, the proposals waiting and the
    drafts a leader returned (they leave 待签发's count for the office's)."""
    if not has_role(user, OFFICE):
        return 0
    statement, params = proposals.open_count(now())
    return Count(_with_returned(statement), params)


@lru_cache(maxsize=8)
def _with_returned(statement):
    """The proposals' count plus the returned drafts', one SELECT built once (the menu's counts are keyed by their
    statement, and this one is on every page the office opens)."""
    return select(statement.scalar_subquery() + services.RETURNED.scalar_subquery())


def _badge_sign(user) -> int | Count:
    return Count(services.DRAFTS) if services.may_sign(user) else 0


def _badge_letters(user) -> int | Count:
    found = services.unacknowledged_count(user)
    return Count(*found) if found else 0


def _badge_rechecks(user) -> int | Count:
    return Count(*followup.due_count(user, now())) if has_role(user, VERIFIERS) else 0


register_badge("escalation.proposals", _badge_proposals)
register_badge("escalation.rechecks", _badge_rechecks)
register_badge("escalation.sign_queue", _badge_sign)
register_badge("escalation.letters", _badge_letters, "份督办函、督查通报待签收", opens={"unacknowledged": "1"})


def _inspectors() -> list[User]:
    """The inspectors in post, whom a 回头看 may be given to."""
    return list(db.session.scalars(select(User).where(User.role == "inspector", User.active.is_(True))
                                   .order_by(User.username)))


def _letter(letter_id: int):
    return services.get_letter(current_user, letter_id)


def _back(letter_id: int, anchor: str = ""):
    return done(url_for(".detail", letter_id=letter_id) + anchor)


# ----------------------------------------------------------------------------- lists

@bp.get("/letters")
@requires(EVERYONE)
def letters():
    flt = services.parse_filter(request.args)
    is_unit = has_role(current_user, UNITS)
    territory = flt.scope == "territory"
    # the 辖区 scope of a unit with units under it: its 下属单位 menu; one outside the 辖区 lists nothing (400)
    sub_units, refused = sub_unit_choice(current_user, flt.sub_unit) if is_unit and territory and oversees(
        current_user) else ([], None)
    page = {"flt": flt, "units": [] if is_unit else active_units(),
            "levels": [(n, level_text(n)["name"]) for n in (1, 2, 3)], "statuses": LETTER_STATUSES,
            "kinds": KIND_LABELS, "oversees": is_unit and oversees(current_user), "territory": territory,
            "sub_units": sub_units, "sub_unit_error": refused}
    if refused:
        return render_template("escalation/index.html", items=[], total=0, card=None, **page), 400
    moment = now()
    items, total = services.list_letters(current_user, flt, moment)
    if (last := past_last_page(flt.page, flt.per_page, total)) is not None:
        return last
    listed = services.listed_units(current_user, flt)

    def card(letter) -> dict:
        """What the list shows of an issued letter: to a unit of its own 主送 row (in the 辖区 scope, its
        territory's rows, or its 下属单位's), to anyone else of every 主送 unit (or the 下属单位's)."""
        rows = services.visible_recipients(current_user, letter, listed)
        if not is_unit:
            return {"rows": rows, "pending": letter.acknowledged_at is None, "acknowledged_at": letter.acknowledged_at,
                    "settled": letter.status == "done", "count": len(letter.items),
                    "late": any(services.reply_overdue(row, letter, moment) for row in rows)}
        stamps = [row.acknowledged_at for row in rows]
        ids = {row.unit_id for row in rows}
        return {"rows": rows, "pending": not all(stamps), "acknowledged_at": max(stamps) if all(stamps) else None,
                "settled": all(letter.settled_for(row.unit_id) for row in rows),
                "count": sum(1 for item in letter.items if item.unit_id in ids),
                "late": any(services.reply_overdue(row, letter, moment) for row in rows)}

    return render_template("escalation/index.html", items=items, total=total, card=card, **page)


@bp.get("/letters/to-sign")
@requires(LEADERSHIP)
def sign_queue():
    flt = services.LetterFilter(status="draft", per_page=200)
    items, total = services.list_letters(current_user, flt, now())
    waiting = [letter for letter in items if letter.returned_at is None]
    returned = [letter for letter in items if letter.returned_at is not None]  # with the office for changes
    return render_template("escalation/sign_queue.html", items=waiting, returned=returned, total=len(waiting),
                           may_sign=services.may_sign(current_user))


@bp.get("/letters/proposals", endpoint="proposals")
@requires(LEADERSHIP)
def proposals_page(typed=None, error: str | None = None):
    """The proposals; after a refused compilation (`typed`: the form posted), those ticked and the date again."""
    moment = now()
    open_items = proposals.open_proposals(moment)
    held = proposals.drafts_holding(open_items)  # waiting in a draft, not for the office: apart, with the draft
    free = [p for p in open_items if p.id not in held]
    drafted = [(p, held[p.id]) for p in open_items if p.id in held]
    return render_template("escalation/proposals.html", groups=proposals.by_unit(free), drafted=drafted,
                           total=len(free), mode=mode(), moment=moment, kinds=KIND_LABELS,
                           levels=[(n, level_text(n)["name"]) for n in (1, 2, 3)],
                           may_compile=has_role(current_user, OFFICE), returned=services.returned_drafts(),
                           typed=typed, form_error=error)


@bp.post("/letters/proposals/dismiss")
@requires(OFFICE)
def dismiss_proposals():
    ids = inputs.ids(request.form, "proposal_ids", "督办建议") or []
    dismissed = proposals.dismiss(current_user, ids, request.form.get("note"), now())
    flash(f"已处理 {len(dismissed)} 条督办建议：不予督办。", "success")
    return done(url_for(".proposals"))


# ----------------------------------------------------------------------------- compiling and editing

@bp.route("/letters/new", methods=["GET", "POST"])
@requires(OFFICE)
def new():
    if request.method == "POST":
        batch = request.form.get("from") == "proposals"
        try:
            drafts = (compose.create_batch(current_user, now(), request.form) if batch
                      else [compose.create_draft(current_user, now(), request.form)])
        except ServiceError as problem:
            # the page again with what was ticked and typed, and why: it came back with its defaults (every
            # proposal ticked again, the problems of the same-level letter too)
            return form_again(problem, proposals_page if batch else lambda typed, why: _new_page(
                inputs.ids(typed, "unit_ids", "责任单位") or [], typed, why), passes=())
        if len(drafts) == 1:
            flash("已生成督办函草稿，请核对文字、预览后送领导签发。", "success")
            return done(url_for(".edit", letter_id=drafts[0].id))
        flash(f"已按督办级别生成草稿 {len(drafts)} 份，请逐份核对后送领导签发。", "success")
        return done(url_for(".letters", status="draft"))
    return _new_page(inputs.ids(request.args, "unit_id", "责任单位") or [])


def _new_page(unit_ids: list[int], typed=None, error: str | None = None):
    """编制督办函: the units' problems in hand; ticked by default those overdue and not yet under 督办 (one already
    in a letter of that level is refused); after a refusal, what was ticked and typed."""
    chosen = [u for u in active_units() if u.id in unit_ids]
    found = compose.in_hand([u.id for u in chosen], ACTIVE_STATUSES, now(), only_due=flag_arg(request.args, "due"),
                            page=int_arg(request.args, "page", high=100_000, default=1), per_page=compose.CHOOSE_ROWS)
    if typed is None and (last := past_last_page(found.page, found.per_page, found.listed)) is not None:
        return last
    tickets = found.tickets
    return render_template("escalation/new.html", units=active_units(), chosen=chosen, tickets=tickets, found=found,
                           steps=compose.next_steps(tickets, now()),
                           kinds=KIND_LABELS, levels=[(n, level_text(n)["name"]) for n in (1, 2, 3)],
                           open_statuses=OPEN_STATUSES, typed=typed, form_error=error)


@bp.route("/letters/<int:letter_id>/edit", methods=["GET", "POST"])
@requires(OFFICE)
def edit(letter_id: int):
    letter = _letter(letter_id)
    if request.method == "POST":
        try:
            actions.perform("edit", current_user, letter, now(), request.form)
        except ServiceError as problem:
            # the form again with what was typed (the text, the date, the problems ticked) and why, a 409 too (a
            # problem ticked that may not be listed yet): passed through, it brought back the saved draft with the
            # edited text lost. Signed meanwhile, the form is moot: the letter's page says why. Saved by a colleague
            # meanwhile, the clerk's text is kept too, with what now differs from the saved draft named.
            if problem.code == "not_a_draft":
                raise
            if problem.code == "draft_deleted":
                return _draft_gone()
            if problem.code == "draft_changed":
                return form_again(problem, lambda typed, why: _edit_page(
                    _letter(letter_id), typed, _changed_meanwhile(_letter(letter_id), typed)), passes=())
            return form_again(problem, lambda typed, why: _edit_page(_letter(letter_id), typed, why), passes=())
        flash("草稿已保存。", "success")
        return done(url_for(".edit", letter_id=letter.id))
    if letter.status != "draft":
        return redirect(url_for(".detail", letter_id=letter.id))
    return _edit_page(letter)


# what the edit form sets, by field, with the value the saved draft has (as the form writes it)
_EDITED = (("kind", "文种", lambda d: d.kind), ("level", "督办级别", lambda d: str(d.level)),
           ("reply_by", "整改时限", lambda d: "" if d.reply_by_default else timeutil.fmt(d.reply_by, "%Y-%m-%d")),
           ("title", "标题", lambda d: d.title or ""), ("body", "正文", lambda d: d.body or ""),
           ("report_to", "报送", lambda d: d.report_to or ""), ("cc", "抄送", lambda d: d.cc or ""))


def _changed_meanwhile(letter, typed) -> str:
    """Why a save on a draft a colleague saved since was refused, and what of the clerk's form (kept) now differs
    from the saved draft: saving it again puts the form's in its place."""
    differ = [label for key, label, saved in _EDITED
              if key in typed and _same_text(typed.get(key)) != _same_text(saved(letter))]
    which = f"与现存草稿不同的有：{'、'.join(differ)}；" if differ else ""
    return (f"您编辑期间，草稿已被他人修改并保存（问题清单以现存草稿为准）。本页保留了您填写的内容，{which}"
            "请核对后再保存，保存即以本页内容为准。")


def _same_text(value) -> str:
    return "\n".join(line.rstrip() for line in str(value or "").replace("\r\n", "\n").strip().split("\n"))


def _edit_page(letter, typed=None, error: str | None = None):
    found = compose.in_hand(letter.unit_ids, OPEN_STATUSES, now(), leave_out=letter.ticket_ids,
                            page=int_arg(request.args, "page", high=100_000, default=1), per_page=compose.ADD_ROWS)
    if typed is None and (last := past_last_page(found.page, found.per_page, found.listed)) is not None:
        return last
    candidates = found.tickets
    return render_template("escalation/edit.html", letter=letter, kinds=KIND_LABELS, kind_levels=KIND_LEVELS,
                           steps={} if letter.kind == "bulletin" else compose.next_steps(candidates, now(), letter.id),
                           levels=[(n, level_text(n)["name"]) for n in (1, 2, 3)], candidates=candidates, found=found,
                           units=active_units(), typed=typed, form_error=error,
                           default_reply_by=compose.default_reply_by(letter.level, now()),
                           reply_days=level_delays()[letter.level])


@bp.post("/letters/<int:letter_id>/discard")
@requires(OFFICE)
def discard(letter_id: int):
    try:
        actions.perform("discard", current_user, _letter(letter_id), now(), request.form)
    except ServiceError as problem:
        # deleted already (a second tab, a double click; the office sees every letter, so absent is deleted): said
        # so on the proposals' page, where a deletion lands, not 该问题刚被其他人处理过 and back to a draft now gone
        if problem.code not in ("draft_deleted", "not_found"):
            raise
        return _draft_gone()
    flash("草稿已删除，其中的督办建议已退回待办。", "success")
    return done(url_for(".proposals"))


def _draft_gone():
    db.session.rollback()
    flash(compose.DELETED, "info")
    return done(url_for(".proposals"))


# ----------------------------------------------------------------------------- one letter

@bp.get("/letters/<int:letter_id>")
@requires(EVERYONE)
def detail(letter_id: int):
    return _detail_page(letter_id)


def _detail_page(letter_id: int, failed: str | None = None, typed=None, error: str | None = None):
    """The letter's page; after a refused form, that form again with what was typed and why it failed."""
    letter = _letter(letter_id)
    user = current_user
    moment = now()
    inspectors = _inspectors() if has_role(user, OFFICE) and letter.status != "draft" else []
    reply_by = compose.reply_by_at(letter, moment)  # a draft left at its default: as if signed now
    words = letter_wording(letter, letter_as_of(letter, moment))  # as its PDF prints it
    paragraphs = [{"heading": isinstance(block, Heading), "text": block.text}
                  for block in body_blocks(words.body, words.values)]
    problems = ""
    if letter.status == "draft" and has_role(user, LEADERSHIP):
        try:
            check_ready(letter, moment)
        except ServiceError as problem:
            problems = problem.message
    items = services.visible_items(user, letter)
    return render_template(
        "escalation/detail.html", letter=letter, items=items, title=words.title,
        paragraphs=paragraphs, problems=problems, reply_by=reply_by,
        closed_items=[i for i in items if i.ticket is not None and i.ticket.status == "closed"],
        own=services.own_recipient(user, letter), replies=replies.replies_for(user, letter),
        recipients=services.visible_recipients(user, letter), read_only=services.read_only(user, letter),
        may_acknowledge=services.can_acknowledge(user, letter), may_reply=services.can_reply(user, letter),
        may_sign=services.can_sign(user, letter), may_edit=services.can_edit(user, letter),
        may_clear=services.can_clear(user, letter), is_office=has_role(user, OFFICE),
        interviews=followup.letter_interviews(user, letter),
        sees_units=has_role(user, LEADERSHIP), overdue=services.reply_overdue, moment=moment,
        inspectors=inspectors, recheck_days=current_app.config["RECHECK_DAYS"],
        max_files=current_app.config["LETTER_REPLY_MAX_FILES"],
        failed=failed, typed=typed or {}, form_error=error)


@bp.get("/letters/by-number/<path:number>")
@requires(EVERYONE)
def by_number(number: str):
    """A letter named by its 发文字号 (links from a ticket's history)."""
    letter = services.get_by_number(current_user, number)
    return redirect(url_for("escalation.detail", letter_id=letter.id))


@bp.get("/letters/<int:letter_id>/pdf")
@requires(EVERYONE)
def pdf(letter_id: int):
    return letter_pdf_response(_letter(letter_id), now())


@bp.post("/letters/<int:letter_id>/sign")
@requires(services.signers)
def sign(letter_id: int):
    letter = _letter(letter_id)
    try:
        actions.perform("sign", current_user, letter, now(), request.form)
    except ServiceError as problem:
        return _leader_refused(problem, letter_id, "sign")
    flash(actions.ACTIONS["sign"].message(letter), "success")
    return _back(letter.id)


@bp.post("/letters/<int:letter_id>/return")
@requires(services.signers)
def return_draft(letter_id: int):
    """退回修改: the draft goes back to the office with the leader's comment; the leader returns to the queue."""
    letter = _letter(letter_id)
    try:
        actions.perform("return", current_user, letter, now(), request.form)
    except ServiceError as problem:
        return _leader_refused(problem, letter_id, "return")
    flash(actions.ACTIONS["return"].message(letter), "success")
    return done(url_for(".sign_queue"))


def _leader_refused(problem: ServiceError, letter_id: int, failed: str):
    """A 签发 or 退回修改 refused (the draft saved again by the office meanwhile, a problem in it that may not be
    listed): the draft's page again, as it is now, with why beside the form and the 修改意见 typed kept. Passed
    through, a 409 came back as an error page with 返回首页 alone when the browser sent no Referer. A letter that
    is no draft any more (signed meanwhile) is shown as it is, the reason on top."""
    if is_script() or problem.status in (403, 404):
        raise problem
    db.session.rollback()
    if _letter(letter_id).status != "draft":
        flash(problem.message, "error")  # shown on this very page, above the letter
        return _detail_page(letter_id), problem.status
    return form_again(problem, lambda typed, why: _detail_page(letter_id, failed, typed, why), passes=(403, 404))


@bp.post("/letters/<int:letter_id>/acknowledge")
@requires(UNITS)
def acknowledge(letter_id: int):
    letter = _letter(letter_id)
    own = services.own_recipient(current_user, letter)
    already = own is not None and own.acknowledged_at is not None
    actions.perform("acknowledge", current_user, letter, now(), request.form)
    flash("该督办函此前已签收。" if already else actions.ACTIONS["acknowledge"].message(letter), "success")
    return _back(letter.id)


@bp.post("/letters/<int:letter_id>/reply")
@requires(UNITS)
def reply(letter_id: int):
    letter = _letter(letter_id)
    unsigned = {r.unit_id for r in letter.recipients if r.acknowledged_at is None}
    try:
        answer = actions.perform("reply", current_user, letter, now(), request.form, request.files)
    except ServiceError as problem:
        # the letter's page again with the reply typed so far and why (409: the letter is done and the form gone)
        return form_again(problem, lambda typed, why: _detail_page(letter_id, "reply", typed, why))
    # a reply to a letter not yet signed for signs for it too (replies.reply): said, not done silently
    flash("书面回复已提交，本函同时已签收，等待文明办核查销号。" if answer.unit_id in unsigned
          else actions.ACTIONS["reply"].message(letter),
          "success")
    return _back(letter.id, "#replies")


@bp.post("/letters/<int:letter_id>/items/<int:ticket_id>/clear")
@requires(OFFICE)
def clear(letter_id: int, ticket_id: int):
    letter = _letter(letter_id)
    try:
        actions.perform("clear", current_user, letter, now(), request.form, ticket_id=ticket_id)
    except ServiceError as problem:
        # the letter's page again, the reason beside the item's forms and the 未销号 reason typed kept, a 409 too
        # (not yet reported back, cleared meanwhile): passed through, it came back as an error page with 返回首页
        # alone when the browser sent no Referer
        failed = f"clear-{ticket_id}-{(request.form.get('unit_id') or '').strip()}"
        return form_again(problem, lambda typed, why: _detail_page(letter_id, failed, typed, why), passes=(403, 404))
    flash(actions.ACTIONS["clear"].message(letter), "success")
    return _back(letter.id, "#items")


@bp.post("/letters/<int:letter_id>/rechecks")
@requires(OFFICE)
def queue_rechecks(letter_id: int):
    letter = _letter(letter_id)
    queued = actions.perform("recheck", current_user, letter, now(), request.form)
    flash(f"已安排 {len(queued)} 个问题回头看。" if queued
          else "所选问题均已安排过回头看；如需更换督查员，请在“回头看”中改派。", "success")
    return _back(letter.id, "#items")


@bp.get("/letters/<int:letter_id>/files/<int:file_id>")
@requires(EVERYONE)
def reply_file(letter_id: int, file_id: int):
    return reply_file_response(current_user, _letter(letter_id), file_id, thumb=flag_arg(request.args, "thumb"))


# ----------------------------------------------------------------------------- the office's wording

@bp.get("/letters/templates")
@requires(OFFICE)
def templates():
    return render_template("escalation/templates.html", templates=all_templates())


@bp.post("/letters/templates/<kind>")
@requires(OFFICE)
def save_template_page(kind: str):
    row = save_template(current_user, kind, request.form, now())
    flash("已恢复系统默认文字。" if row is None else f"已保存{KIND_LABELS.get(kind, kind)}模板，之后编制的草稿将使用新文字。",
          "success")
    return done(url_for(".templates") + f"#t-{kind}")


# ----------------------------------------------------------------------------- a unit's history: 约谈, 问责

def _unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("责任单位不存在。")
    return unit


@bp.get("/letters/units/<int:unit_id>")
@requires(LEADERSHIP)
def unit_page(unit_id: int):
    return _unit_page(_unit(unit_id))


def _unit_page(unit: Unit, failed: str | None = None, typed=None, error: str | None = None):
    """A unit's 督办 history; a refused form (`failed`: schedule, record-<id>, refer, outcome-<id>) open again as
    typed, the reason beside it."""
    moment = now()
    history = stats.unit_history(unit.id)
    open_ones = proposals.open_proposals(moment, unit_id=unit.id)
    held = proposals.drafts_holding(open_ones)  # compiled into a draft: shown apart, as the proposals page does
    return render_template("escalation/unit.html", unit=unit, moment=moment, is_office=has_role(current_user, OFFICE),
                           proposals=[p for p in open_ones if p.id not in held],
                           drafted=[(p, held[p.id]) for p in open_ones if p.id in held], failed=failed,
                           typed=typed or {}, form_error=error, **history)


def _unit_form(unit: Unit, failed: str, act, passes=(403, 404)):
    """Run `act()`; refused, the unit's page again with the form as typed and why (http.form_again). A 409 too
    (an interview not yet begun): what was typed stays, with the reason on top."""
    try:
        return act()
    except ServiceError as problem:
        return form_again(problem, lambda typed, why: _unit_page(unit, failed, typed, why), passes=passes)


@bp.post("/letters/units/<int:unit_id>/interviews")
@requires(OFFICE)
def schedule_interview(unit_id: int):
    unit = _unit(unit_id)

    def act():
        interview = followup.schedule_interview(current_user, unit.id, now(), request.form)
        told = f"，已通知{unit.name}" if interview.announced else ""
        past = "；约谈时间已过，请在下方记录约谈结果" if interview.scheduled_at <= now() else ""
        flash(f"已安排约谈：{interview.when_label}{told}{past}。", "success")
        return done(url_for(".unit_page", unit_id=unit_id) + "#interviews")
    return _unit_form(unit, "schedule", act)


@bp.post("/letters/interviews/<int:interview_id>/record")
@requires(OFFICE)
def record_interview(interview_id: int):
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound("约谈记录不存在。")

    def act():
        followup.record_interview(current_user, interview, now(), request.form, request.files.getlist("files"))
        flash("约谈记录已保存。" if interview.status == "held" else
              f"约谈已取消{'，已通知' + interview.unit.name if interview.announced else ''}。", "success")
        return done(url_for(".unit_page", unit_id=interview.unit_id) + "#interviews")
    return _unit_form(_unit(interview.unit_id), f"record-{interview.id}", act)


@bp.get("/letters/interviews/<int:interview_id>/attachments/<int:attachment_id>")
@requires(LEADERSHIP)
def interview_file(interview_id: int, attachment_id: int):
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound("约谈记录不存在。")
    return interview_file_response(current_user, interview, attachment_id, thumb=flag_arg(request.args, "thumb"))


@bp.post("/letters/units/<int:unit_id>/referrals")
@requires(OFFICE)
def refer(unit_id: int):
    unit = _unit(unit_id)

    def act():
        followup.refer(current_user, unit.id, now(), request.form)
        flash("已记录问责移交。", "success")
        return done(url_for(".unit_page", unit_id=unit_id) + "#referrals")
    return _unit_form(unit, "refer", act)


@bp.post("/letters/referrals/<int:referral_id>/outcome")
@requires(OFFICE)
def referral_outcome(referral_id: int):
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        raise NotFound("问责记录不存在。")

    def act():
        followup.referral_outcome(current_user, referral, now(), request.form)
        flash("已记录问责处理结果。", "success")
        return done(url_for(".unit_page", unit_id=referral.unit_id) + "#referrals")
    return _unit_form(_unit(referral.unit_id), f"outcome-{referral.id}", act, passes=(403, 404, 409))


# ----------------------------------------------------------------------------- 回头看 (inspectors)

@bp.get("/rechecks")
@requires(VERIFIERS)
def rechecks():
    moment = now()
    items = followup.rechecks_for(current_user, moment)
    office = has_role(current_user, OFFICE)
    # a task given to an inspector since disabled (or to an account no longer an inspector): the office 改派s it
    stranded = {c.id: problem for c in items if (problem := followup.assignee_problem(c))}
    return render_template("escalation/rechecks.html", items=items, stranded=stranded, office=office,
                           inspectors=_inspectors() if office and items else [],
                           done_items=followup.rechecks_for(current_user, moment, done=True), moment=moment)


@bp.post("/rechecks/<int:recheck_id>/assign")
@requires(OFFICE)
def recheck_assign(recheck_id: int):
    item = followup.get_recheck(current_user, recheck_id)
    followup.reassign_recheck(current_user, item, now(), request.form.get("inspector_id"))
    flash(f"回头看 {item.ticket.number} 已改派给{item.inspector.name if item.inspector else '任一督查员'}。", "success")
    return done(url_for(".rechecks"))


@bp.route("/rechecks/<int:recheck_id>", methods=["GET", "POST"])
@requires(VERIFIERS)
def recheck(recheck_id: int):
    item = followup.get_recheck(current_user, recheck_id)
    if request.method == "POST":
        moment = now()
        passed = flag(request.form.get("passed"), "passed", None, label="复查结果（passed）")
        try:
            photos = []
            meta = None
            if passed is False:  # photos are read (decoded) only for a failed re-check, which files a new ticket
                photos = read_uploads(request.files.getlist("photos"), required=False, now=moment)
                meta = parse_photo_meta(request.form.get("photo_meta"), len(photos), moment)
            followup.do_recheck(current_user, item, moment, passed, request.form.get("note"), photos, meta)
        except ServiceError as problem:  # the note typed comes back with the reason (the photos cannot)
            return form_again(problem, lambda typed, why: _recheck_page(item, typed, why))
        if item.status == "failed":
            flash(f"复查未通过，已重新立案 {item.new_ticket.number}，并标记为回潮。", "success")
            return done(url_for("tickets.detail", ticket_id=item.new_ticket_id))
        flash("复查通过。", "success")
        return done(local_url(request.form.get("next")) or url_for(".rechecks"))
    return _recheck_page(item)


def _recheck_page(item, typed=None, error: str | None = None):
    """A 回头看's page; a refused result comes back as typed, the reason beside the form that sent it."""
    typed = typed or {}
    return render_template("escalation/recheck.html", item=item, moment=now(),
                           stranded=followup.assignee_problem(item),
                           max_photos=current_app.config["MAX_PHOTOS_PER_REPORT"], typed=typed, form_error=error,
                           failed=("pass" if typed.get("passed") == "1" else "fail") if error else None)
