"""路段巡查 in the HTTP API v1: an inspector's app checks in; the office's scripts read a period's coverage and a
day's 巡查日志, and keep 请假外出登记 (from a 考勤 system, say); an inspector's app asks for days away (请假外出申请)
and the office answers."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..api.common import api_blueprint, current
from ..common.dayspan import day_span
from ..common.errors import NotFound
from ..common.ids import row_id
from ..common.timeutil import isoformat
from ..http import date_range_args, json_body, now
from ..policy import CITYWIDE, FILERS, INSPECTORS, OFFICE, has_role, requires
from . import absences, days, services

bp = api_blueprint("api_patrols", __name__)


def patrol_dict(patrol) -> dict:
    return {"id": patrol.id, "at": isoformat(patrol.at), "user": patrol.user.username,
            "segment": {"id": patrol.segment.id, "name": patrol.segment.name, "district": patrol.segment.district},
            "lat": patrol.lat, "lon": patrol.lon, "accuracy_m": patrol.accuracy_m, "distance_m": patrol.distance_m,
            "note": patrol.note, "photo": url_for("patrols.photo", patrol_id=patrol.id) if patrol.photo_key else None,
            "photo_taken_at": isoformat(patrol.photo_taken_at), "sent_at": isoformat(patrol.sent_at)}


def _tally(tally) -> dict:
    return {"segments": tally.segments, "covered": tally.covered, "uncovered": tally.uncovered,
            "rate": None if tally.rate is None else round(tally.rate, 4), "checkins": tally.checkins,
            "finds": tally.finds}


@bp.post("/patrols")
@requires(FILERS)
def check_in():
    """{"lat", "lon", "accuracy"?, "segment_id"?, "note"?} as JSON, or the same fields as a multipart form with a
    "photo" (打卡照片) → 201 the check-in; 200 the earlier one when the same inspector checked in on the same
    segment within the last 30 minutes."""
    multipart = request.mimetype == "multipart/form-data"
    patrol, new = services.check_in(current(), request.form if multipart else json_body(), now(),
                                    request.files.getlist("photo") if multipart else ())
    return jsonify(patrol_dict(patrol)), 201 if new else 200


@bp.get("/patrols/coverage")
@requires(CITYWIDE)
def coverage():
    """?from&to (days, Shanghai; this month by default)&district → the period's figures and each segment's; and,
    as of now, the segments past their kind's 巡查周期; each district's 片区 inspectors, and each person's figures.
    With a district, all but `districts` are that district's."""
    moment = now()
    span = day_span(*date_range_args(request.args), moment)
    found = services.coverage(span, (request.args.get("district") or "").strip()[:32] or None)
    due = found.overdue(moment)
    return jsonify({
        "from": span.first.isoformat(), "to": span.last.isoformat(), "district": found.district,
        "total": _tally(found.asked),
        "districts": [{"district": d.label, **_tally(d), "inspectors": found.areas.usernames(d.label)}
                      for d in found.districts],
        "segments": [{"id": r.id, "name": r.name, "district": r.district, "unit": r.unit, "adopting_unit": r.adopting
                      or None, "covered": r.covered, "checkins": r.checkins, "finds": r.finds,
                      "last_at": isoformat(r.last_at), "last_by": r.last_by or None} for r in found.rows],
        "inspectors": [{"username": p.username, "name": p.name, "districts": p.districts,
                        "segments": len(p.segments), "checkins": p.checkins, "finds": p.finds,
                        "area_segments": p.area_segments, "area_walked": p.area_walked} for p in found.inspectors],
        "cycles": due.cycles,
        "overdue": [{"id": o.segment.id, "name": o.segment.name, "district": o.segment.district,
                     "kind": o.segment.kind, "cycle_days": o.days, "last_at": isoformat(o.last_at),
                     "last_by": o.last_by or None, "days_since": o.since_days} for o in due.items]})


def _person_day(person, districts) -> dict:
    return {"username": person.username, "name": person.name, "districts": districts,
            "first": isoformat(person.first), "last": isoformat(person.last), "checkins": person.checkins,
            "finds": person.finds, "segments": len(person.segments), "longest_gap_minutes": person.longest_gap,
            "gap_from": isoformat(person.gap_from),
            "absence": None if person.absence is None else absence_dict(person.absence)}


def absence_dict(row) -> dict:
    return {"id": row.id, "user": row.user.username, "first_day": row.first_day.isoformat(),
            "last_day": row.last_day.isoformat(), "days": row.days, "kind": row.kind, "kind_label": row.kind_label,
            "note": row.note, "recorded_by": row.recorder.username if row.recorder else None,
            "recorded_at": isoformat(row.recorded_at)}


@bp.get("/patrols/absences")
@requires(OFFICE)
def absence_list():
    """?month (YYYY-MM, this one by default, up to a year ahead) → 请假外出登记 with a day in the month."""
    first = days.asked_month(request.args.get("month"), now(), ahead=True)
    last = days.month_last(first)
    return jsonify({"month": first.strftime("%Y-%m"), "items": [
        {**absence_dict(e.row), "workdays": e.workdays} for e in absences.listing(first, last)]})


@bp.post("/patrols/absences")
@requires(OFFICE)
def absence_record():
    """{"user" (a username), "first_day", "last_day"?, "kind", "note"?} → 201 the record."""
    return jsonify(absence_dict(absences.record(json_body(), current(), now()))), 201


@bp.delete("/patrols/absences/<absence_id>")
@requires(OFFICE)
def absence_withdraw(absence_id: str):
    found = row_id(absence_id)
    if found is None:
        raise NotFound("没有这条请假外出登记（可能已撤销）。")
    absences.withdraw(found)
    return "", 204


def request_dict(row) -> dict:
    return {"id": row.id, "user": row.user.username, "first_day": row.first_day.isoformat(),
            "last_day": row.last_day.isoformat(), "days": row.days, "kind": row.kind, "kind_label": row.kind_label,
            "note": row.note, "asked_at": isoformat(row.asked_at), "state": row.state, "state_label": row.state_label,
            "decided_by": row.decider.username if row.decider else None, "decided_at": isoformat(row.decided_at),
            "reply": row.reply, "absence_id": row.absence_id}


@bp.get("/patrols/absence-requests")
@requires(FILERS)
def request_list():
    """The office: the requests waiting, the oldest first. An inspector: their own, the latest first."""
    rows = absences.requests_of(current()) if has_role(current(), INSPECTORS) else absences.waiting_requests()
    return jsonify({"items": [request_dict(row) for row in rows]})


@bp.post("/patrols/absence-requests")
@requires(INSPECTORS)
def request_ask():
    """{"first_day", "last_day"?, "kind", "note"?} → 201 the request, waiting for the office."""
    return jsonify(request_dict(absences.ask(json_body(), current(), now()))), 201


@bp.delete("/patrols/absence-requests/<request_id>")
@requires(INSPECTORS)
def request_take_back(request_id: str):
    absences.take_back(row_id(request_id), current())
    return "", 204


@bp.post("/patrols/absence-requests/<request_id>/<any(approve, refuse):action>")
@requires(OFFICE)
def request_answer(request_id: str, action: str):
    """{"reply"?} agrees (the days are recorded: the answer's absence_id), or {"reply"} refuses, saying why."""
    body, found = json_body(), row_id(request_id)
    row = (absences.approve(found, current(), now(), body.get("reply")) if action == "approve"
           else absences.refuse(found, current(), body.get("reply"), now()))
    return jsonify(request_dict(row))


@bp.get("/patrols/day")
@requires(CITYWIDE)
def day():
    """?date (a Shanghai day, today by default)&user → 巡查日志: every inspector's day; with `user`, that person's
    轨迹 (their check-ins and field finds in order). An inspector gets their own 轨迹 only (another's: 404)."""
    viewer = current()
    asked = days.asked_day(request.args.get("date"), now())
    username = (request.args.get("user") or "").strip()[:64]
    if not username and has_role(viewer, INSPECTORS):
        username = viewer.username
    areas = services.areas()
    if not username:
        return jsonify({"date": asked.isoformat(), "people": [
            _person_day(p, areas.by_user.get(p.user_id, [])) for p in days.day_summary(asked)]})
    found = days.trail(days.person_for(viewer, username), asked)
    return jsonify({"date": asked.isoformat(), "person": _person_day(found.person,
                                                                     areas.by_user.get(found.person.user_id, [])),
                    "stops": [{"at": isoformat(s.at), "kind": "checkin" if s.checkin else "find", "lat": s.lat,
                               "lon": s.lon, "segment": None if s.segment_id is None else {
                                   "id": s.segment_id, "name": s.segment, "district": s.district},
                               "note": s.detail if s.checkin else "", "category": "" if s.checkin else s.detail,
                               "distance_m": s.distance_m,
                               "ticket": None if s.ticket_id is None else {"id": s.ticket_id,
                                                                           "number": s.ticket_number},
                               "gap_minutes": s.gap_minutes,
                               "photo": url_for("patrols.photo", patrol_id=s.patrol_id) if s.patrol_id else None}
                              for s in found.stops]})
