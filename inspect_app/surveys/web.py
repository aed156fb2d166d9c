"""问卷调查 pages: the office's list, its questionnaire form and results (leaders read them too), the QR code and the
exports; and the public page residents answer on, without an account.

The public page works like the 随手拍 one (intake/web.py): CSRF like every form, a long-lived device cookie (one
answer per phone), every answer counted against its address before it is read (429 when over), no caching.
"""
from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..common.errors import BadRequest, Conflict, ServiceError
from ..common.timeutil import local
from ..extensions import db
from ..http import content_disposition, done, now, pdf_bytes
from ..intake import citizen_page, limits
from ..office import downloads
from ..pdf.fonts import document_fonts
from ..policy import LEADERSHIP, OFFICE, public, requires
from . import questionnaire, services
from .models import Survey
from .poster import poster_pdf

bp = Blueprint("surveys", __name__)


# ----------------------------------------------------------------------------- the office's pages

@bp.get("/surveys/")
@requires(LEADERSHIP)
def index():
    return render_template("surveys/index.html", surveys=services.list_surveys())


@bp.route("/surveys/new", methods=["GET", "POST"])
@requires(OFFICE)
def new():
    return _form(None)


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@requires(OFFICE)
def edit(survey_id: int):
    return _form(services.get(survey_id))


def _form(survey: Survey | None):
    error = None
    if request.method == "POST":
        try:
            if survey is None:
                saved = services.create(current_user, request.form, now())
                flash("问卷已建立，正在收集。把下方的链接或二维码发给社区和单位，市民用手机即可填写。", "success")
            else:
                saved = services.update_survey(survey, request.form)
                flash("问卷已保存。", "success")
            return redirect(url_for(".detail", survey_id=saved.id), 303)
        except ServiceError as problem:
            db.session.rollback()
            error = problem.message
            survey = services.get(survey.id) if survey is not None else None
        values = request.form
    elif survey is not None:
        values = {"title": survey.title, "intro": survey.intro, "questions": questionnaire.to_text(survey.questions)}
    else:
        today = local(now()).date()
        values = {"title": f"{today.year}年第{(today.month - 1) // 3 + 1}季度创建全国文明城市市民问卷",
                  "intro": questionnaire.DEFAULT_INTRO, "questions": questionnaire.default_text()}
    page = render_template("surveys/form.html", survey=survey, values=values, error=error,
                           answered=survey is not None and survey.responses_count > 0)
    return page, 422 if error else 200


@bp.get("/surveys/<int:survey_id>")
@requires(LEADERSHIP)
def detail(survey_id: int):
    survey = services.get(survey_id)
    results, link = services.results(survey), _public_link(survey)
    qr_svg = segno.make(link, error="m").svg_inline(scale=1, border=2, omitsize=True, title=f"{survey.title} 二维码")
    return render_template("surveys/detail.html", survey=survey, results=results,
                           comparison=services.compare(survey, results), link=link, qr=Markup(qr_svg),
                           small=services.SMALL_SAMPLE, lag=services.LAG_POINTS)


def _public_link(survey: Survey) -> str:
    """The address residents open: on PUBLIC_BASE_URL when the office set one (its intranet address is not theirs)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if base:
        return base + url_for(".answer", code=survey.code)
    return url_for(".answer", code=survey.code, _external=True)


@bp.get("/surveys/<int:survey_id>/preview")
@requires(LEADERSHIP)
def preview(survey_id: int):
    """The questionnaire as residents see it, to check the wording without answering (an answer would count, and
    freeze the questions)."""
    survey = services.get(survey_id)
    return render_template("surveys/answer.html", survey=survey, districts=services.districts(), error=None,
                           values={}, preview=True)


@bp.post("/surveys/<int:survey_id>/<any(open, close):action>")
@requires(OFFICE)
def switch(survey_id: int, action: str):
    survey = services.set_open(services.get(survey_id), action == "open", now())
    flash("问卷已重新开放收集。" if survey.is_open else "问卷已结束收集，市民打开链接将看到“问卷已结束”。", "success")
    return done(url_for(".detail", survey_id=survey.id))


@bp.post("/surveys/<int:survey_id>/delete")
@requires(OFFICE)
def delete(survey_id: int):
    survey = services.get(survey_id)
    title = survey.title
    services.remove(survey)
    flash(f"已删除问卷“{title}”。", "success")
    return done(url_for(".index"))


@bp.get("/surveys/<int:survey_id>/qr.png")
@requires(LEADERSHIP)
def qr(survey_id: int):
    """The public link's QR code as a PNG for the office's own layouts: 24 px a module, about 7 cm at 300 dpi."""
    survey = services.get(survey_id)
    out = io.BytesIO()
    segno.make(_public_link(survey), error="m").save(out, kind="png", scale=24, border=4)
    response = Response(out.getvalue(), content_type="image/png")
    response.headers["Content-Disposition"] = content_disposition("attachment", f"{survey.title}_二维码.png",
                                                                  f"survey-{survey.id}-qr")
    return response


@bp.get("/surveys/<int:survey_id>/poster.pdf")
@requires(LEADERSHIP)
def poster(survey_id: int):
    """An A4 poster with the QR code, to print and put up where residents pass."""
    survey = services.get(survey_id)
    config = current_app.config
    data = poster_pdf(survey.title, survey.intro, _public_link(survey), config["OFFICE_NAME"],
                      local(now()).date(), document_fonts(config))
    return pdf_bytes(data, f"survey-{survey.id}-poster.pdf", f"{survey.title}_海报.pdf")


@bp.get("/surveys/<int:survey_id>/<any(results, responses):sheet>.<any(xlsx, csv):fmt>")
@requires(LEADERSHIP)
def export(survey_id: int, sheet: str, fmt: str):
    survey = services.get(survey_id)
    if sheet == "results":
        columns, rows = services.summary_sheet(survey)
        label = f"{survey.title}_分区县结果"
    else:
        columns, rows = services.responses_sheet(survey)
        label = f"{survey.title}_答卷明细"
    return downloads.rows_sheet(label, fmt, request.args.get("encoding"), now(), columns, rows)


# ----------------------------------------------------------------------------- the public page

@bp.route("/survey/<code>", methods=["GET", "POST"])
@public
def answer(code: str):
    survey = services.by_code(code)
    if survey is None:
        return _not_found()
    if not survey.is_open:
        return _public_page("surveys/closed.html", 410, survey=survey, heading="问卷已结束",
                            text="本问卷已结束收集，感谢您对创建全国文明城市工作的关注和支持！")
    token, new = citizen_page.device_token()
    device = limits.digest("device", token)
    if not new and services.has_answered(survey, device):
        return _public_page("surveys/thanks.html", 200, survey=survey, again=True)
    error, values, status = None, {}, 200
    if request.method == "POST":
        if new:  # the page sets the cookie; a post without it did not come from the page
            raise BadRequest("请先打开问卷页面，再填写提交。", code="device_cookie_missing")
        moment, address = now(), limits.address_digest(request.remote_addr)
        services.admit(address, moment)  # 429 (with Retry-After) when over a limit
        db.session.commit()  # counted before the answers are read, for every process to see
        try:
            services.answer(survey, request.form, device, address, moment)
            return done(url_for(".thanks", code=survey.code))
        except Conflict as refused:
            if refused.code == "already_answered":
                return _public_page("surveys/thanks.html", 200, survey=survey, again=True)
            raise
        except ServiceError as problem:
            db.session.rollback()
            error, values, status = problem.message, request.form, problem.status
    page = render_template("surveys/answer.html", survey=survey, districts=services.districts(), error=error,
                           values=values)
    return citizen_page.no_store(citizen_page.with_device(current_app.make_response((page, status)), token, new))


@bp.get("/survey/<code>/thanks")
@public
def thanks(code: str):
    survey = services.by_code(code)
    if survey is None:
        return _not_found()
    return _public_page("surveys/thanks.html", 200, survey=survey, again=False)


def _not_found():
    return _public_page("surveys/closed.html", 404, heading="问卷不存在",
                        text="没有找到这份问卷，请核对链接，或重新扫描二维码。")


def _public_page(template: str, status: int, **context):
    return citizen_page.no_store(current_app.make_response((render_template(template, **context), status)))
