"""Pages: the letter list (a unit's own, newest first, unacknowledged on top; the office's and leaders' with
filters), one letter, its PDF, 签收. Routes read input, call one operation, render or redirect."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..http import now, pdf_file
from ..policy import EVERYONE, UNITS, has_role, requires
from ..units.services import active_units
from . import services
from .settings import level_text
from .sweep import ensure_pdf

bp = Blueprint("escalation", __name__, url_prefix="/letters")


@bp.app_template_global("letter_level_label")
def letter_level_label(level: int) -> str:
    return level_text(level)["name"]


@bp.get("")
@requires(EVERYONE)
def letters():
    flt = services.parse_filter(request.args)
    items, total = services.list_letters(current_user, flt)
    units = [] if has_role(current_user, UNITS) else active_units()
    return render_template("escalation/index.html", items=items, total=total, flt=flt, units=units,
                           levels=[(n, level_text(n)["name"]) for n in (1, 2, 3)],
                           can_acknowledge=services.can_acknowledge)


@bp.get("/<int:letter_id>")
@requires(EVERYONE)
def detail(letter_id: int):
    letter = services.get_letter(current_user, letter_id)
    return render_template("escalation/detail.html", letter=letter, wording=level_text(letter.level),
                           may_acknowledge=services.can_acknowledge(current_user, letter))


@bp.get("/by-number/<path:number>")
@requires(EVERYONE)
def by_number(number: str):
    """A letter named by its 发文字号 (links from a ticket's history)."""
    letter = services.get_by_number(current_user, number)
    return redirect(url_for("escalation.detail", letter_id=letter.id))


@bp.get("/<int:letter_id>/pdf")
@requires(EVERYONE)
def pdf(letter_id: int):
    letter = services.get_letter(current_user, letter_id)
    return pdf_file(ensure_pdf(letter, now()), f"{letter.number}.pdf")


@bp.post("/<int:letter_id>/acknowledge")
@requires(UNITS)
def acknowledge(letter_id: int):
    letter = services.get_letter(current_user, letter_id)
    already = letter.acknowledged_at is not None
    services.acknowledge(current_user, letter, now())
    flash("该督办函此前已签收。" if already else f"已签收 {letter.number}，请按时限整改并反馈。", "success")
    return redirect(url_for("escalation.detail", letter_id=letter.id), 303)
