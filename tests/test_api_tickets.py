"""HTTP API v1: auth, reference data, filing, listing, actions, photos, errors."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import City, PASSWORD, file_tuple, login_session_id, photo_bytes, processed

from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.tickets.models import Ticket


def file_report(api, user, photos=("Canon_40D.jpg",), headers=None, **fields):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
            "description": "墙上小广告", **fields}
    data["photos"] = [file_tuple(name) for name in photos]
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data", headers=headers or {})


def stored_files(uploads: Path) -> list[Path]:
    return [p for p in uploads.rglob("*") if p.is_file()]


def test_token_login_and_errors(client, city):
    ok = client.post("/api/v1/auth/token", json={"username": "inspector", "password": PASSWORD})
    assert ok.status_code == 200
    body = ok.get_json()
    assert body["user"] == {"id": city.inspector.id, "username": "inspector", "role": "inspector", "unit_id": None}
    assert body["expires_at"].endswith("+08:00")
    bad = client.post("/api/v1/auth/token", json={"username": "inspector", "password": "nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_credentials"
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get("/api/v1/tickets", headers={"Authorization": "Bearer junk"}).status_code == 401
    garbage = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert garbage.status_code in (400, 401)


def test_refusals_carry_the_headers_http_asks_for(client, city):
    """A 401 names the scheme (RFC 6750 §3) and says when a token sent was refused; a 405 lists the methods the
    address takes (RFC 9110 §15.5.6); the message stays Chinese."""
    missing = client.get("/api/v1/tickets")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    junk = client.get("/api/v1/tickets", headers={"Authorization": "Bearer junk"})
    assert junk.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    wrong = client.delete("/api/v1/categories")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert {"GET", "HEAD"} <= {m.strip() for m in wrong.headers["Allow"].split(",")}
    assert wrong.mimetype == "application/json"  # werkzeug's own Content-Type is not copied over


def test_api_ignores_session_cookies(client, city):
    with client.session_transaction() as session:  # logged in for pages
        session["_user_id"] = login_session_id(city.admin)
        session["_fresh"] = True
    assert client.get("/api/v1/tickets").status_code == 401


def test_revoked_token_stops_working(client, city, api):
    token = api.token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_healthz(client, app):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_reference_data(api, city):
    cats = api.get("/api/v1/categories", city.inspector).get_json()
    parking = next(c for c in cats if c["code"] == "illegal_parking")
    assert parking["deadline"] == {"hours": 2} and parking["group"] == "街面秩序"
    assert next(c for c in cats if c["code"] == "road_damage")["deadline"] == {"workdays": 5}
    units = api.get("/api/v1/units", city.inspector).get_json()
    assert {"id", "code", "name", "kind"} <= set(units[0])
    near = api.get(f"/api/v1/segments?lat={City.ON_B[0]}&lon={City.ON_B[1]}", city.inspector).get_json()
    assert near[0]["id"] == city.seg_b.id and near[0]["distance_m"] < 20
    assert near[1]["distance_m"] > near[0]["distance_m"]
    assert api.get("/api/v1/segments?lat=abc&lon=1", city.inspector).status_code == 400


def test_file_report_dispatches_and_answers_201(api, city, uploads):
    response = file_report(api, city.inspector)
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()
    assert ticket["status"] == "assigned" and ticket["unit"]["id"] == city.street_a.id
    assert ticket["segment"]["name"] == "人民路东段"
    assert ticket["number"].startswith("20") and len(ticket["photos"]) == 1
    assert ticket["deadline"].endswith("+08:00") and ticket["overdue"] is False
    assert [e["action"] for e in ticket["events"]] == ["create", "dispatch"]
    photo = ticket["photos"][0]
    assert photo["kind"] == "before" and photo["width"] == 100
    assert api.get(photo["url"], city.inspector).status_code == 200
    assert api.get(photo["thumb_url"], city.inspector).mimetype == "image/jpeg"
    assert len(stored_files(uploads)) == 3  # the photo, its thumbnail and its stamped copy


def test_filing_writes_each_row_once(api, city):
    """A new report is written in one flush: the ticket is INSERTed with its unit and deadline (no UPDATE after),
    and nobody asks the database for the parts of a ticket that does not exist yet."""
    from sqlalchemy import event
    api.token(city.inspector.username)
    statements: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany):
        statements.append(" ".join(statement.split()).lower())
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = file_report(api, city.inspector)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["deadline"] and response.get_json()["unit"]["id"] == city.street_a.id
    assert sum(s.startswith("insert into tickets ") for s in statements) == 1
    assert not [s for s in statements if s.startswith("update tickets ")]
    assert not [s for s in statements if s.startswith("select ticket_units.")]  # the parts' lazy load
    assert sum(s.startswith("insert into ticket_units ") for s in statements) == 1


def test_idempotency_key_repeats_answer_with_the_same_ticket(api, city):
    first = file_report(api, city.inspector, headers={"Idempotency-Key": "abc-123"})
    again = file_report(api, city.inspector, headers={"Idempotency-Key": "abc-123"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.session.query(Ticket).count() == 1 and db.session.query(Photo).count() == 1
    # Another user's identical key is their own.
    other = file_report(api, city.inspector2, headers={"Idempotency-Key": "abc-123"})
    assert other.status_code == 201 and db.session.query(Ticket).count() == 2


def test_broken_photos_are_refused_and_nothing_is_left(api, city, uploads):
    for name, status in [("not_an_image.jpg", 415), ("truncated_half.jpg", 415)]:
        response = file_report(api, city.inspector, photos=("Canon_40D.jpg", name))
        assert response.status_code == status, (name, response.get_json())
        error = response.get_json()["error"]
        assert error["message"].startswith("第2张照片") and error["code"]
    # two bad photos of three: both named in one answer (the first alone was, and the second came on the retry)
    both = file_report(api, city.inspector, photos=("Canon_40D.jpg", "truncated_half.jpg", "not_an_image.jpg"))
    message = both.get_json()["error"]["message"]
    assert both.status_code == 415 and message.startswith("第2张照片：") and "。第3张照片：" in message
    assert db.session.query(Ticket).count() == 0 and db.session.query(Photo).count() == 0
    assert stored_files(uploads) == []


def test_bad_fields_get_400_or_422(api, city):
    assert file_report(api, city.inspector, photos=()).status_code == 400
    assert file_report(api, city.inspector, category="").status_code == 400
    unknown = file_report(api, city.inspector, category="nope")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "invalid_category"
    assert file_report(api, city.inspector, lat="north").status_code == 400
    assert file_report(api, city.inspector, lat="95").status_code == 400
    assert file_report(api, city.inspector, segment_id="999").status_code == 422
    assert file_report(api, city.inspector, segment_id="1 OR 1=1").status_code == 400
    too_many = file_report(api, city.inspector, photos=("Canon_40D.jpg",) * 10)
    assert too_many.status_code == 400
    assert db.session.query(Ticket).count() == 0


def test_a_category_code_is_one_code_whatever_its_case(api, city):
    """Codes are compared in any letter case (common/codes.py): NiuPiXuan is the category niupixuan."""
    filed = file_report(api, city.inspector, category=" NiuPiXuan ")
    assert filed.status_code == 201, filed.get_json()
    assert db.session.get(Ticket, filed.get_json()["id"]).category.code == "niupixuan"


def test_oversized_request_is_413(app, api, city):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    app.config["MAX_CONTENT_LENGTH"] = 100_000
    # Encoded in memory: the test client would otherwise spool a big body to a temp file it never closes.
    boundary, body = encode_multipart({"category": "niupixuan", "photos": FileStorage(
        io.BytesIO(photo_bytes("mobile_jolla.jpg")), filename="a.jpg", content_type="image/jpeg")})
    response = api.post("/api/v1/tickets", city.inspector, data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413, response.get_json()
    assert "过大" in response.get_json()["error"]["message"]


def test_a_long_text_field_in_a_form_gets_its_own_message_not_the_upload_caps(api, browser, city, make_ticket):
    """A text field of a form over 500 kB (werkzeug's default form memory) was answered 413 "单次上传上限32MB，请减少
    照片数量或压缩后重试" though the request was half a megabyte; 480 kB got the field's 400 text_too_long."""
    for length in (160_000, 170_000, 400_000):  # 480 kB, 510 kB, 1.2 MB of 长
        filed = file_report(api, city.inspector, description="长" * length)
        assert filed.status_code == 400, (length, filed.status_code)
        assert filed.get_json()["error"] == {"code": "text_too_long", "message": "问题描述不能超过2000字。"}
    ticket = make_ticket()
    page = f"/tickets/{ticket.id}"
    unit = browser(city.unit_a)  # a page's form (urlencoded: the whole body counted against the form's memory)
    refused = unit.submit(page, f"{page}/dispute", {"reason": "长" * 170_000})
    assert refused.status_code == 400 and "理由不能超过" in refused.get_data(as_text=True), refused.status_code
    assert db.session.get(Ticket, ticket.id).status == "assigned"


def test_a_form_with_too_many_fields_is_not_told_to_send_fewer_photos(app, api, city):
    """A 413 for a request within the upload cap (more fields than MAX_FORM_PARTS) does not name 32 MB and photos."""
    fields = {f"f{i}": "x" for i in range(app.config["MAX_FORM_PARTS"] + 1)}
    refused = api.post("/api/v1/tickets", city.inspector, data=fields, content_type="multipart/form-data")
    assert refused.status_code == 413
    assert refused.get_json()["error"] == {"code": "too_large", "message": "提交的表单字段过多或内容过长，请检查后重试。"}


def test_the_codes_of_role_refusals_are_the_documented_ones(api, city, make_ticket):
    """Endpoints refused by role answered 403 role_not_allowed, a code docs/api.md never named (it named forbidden,
    which ticket moves refused by role answer): both are named in its table of errors, beside 403."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    row = next(line for line in docs.splitlines() if line.startswith("| 403 |"))
    ticket = make_ticket()
    refusals = [api.post("/api/v1/tickets", city.leader, data={}),
                api.get("/api/v1/escalation/proposals", city.inspector), api.get("/api/v1/workload", city.unit_a),
                api.post(f"/api/v1/tickets/{ticket.id}/cancel", city.inspector, json={"reason": "x"})]
    codes = set()
    for response in refusals:
        assert response.status_code == 403, response.get_json()
        codes.add(response.get_json()["error"]["code"])
    assert codes == {"role_not_allowed", "forbidden"}
    assert all(f"`{code}`" in row for code in codes), row


def test_units_and_leaders_cannot_file(api, city):
    assert file_report(api, city.unit_a).status_code == 403
    assert file_report(api, city.leader).status_code == 403


def test_listing_is_scoped_and_filtered(api, city, make_ticket, now, clock):
    a = make_ticket(point=City.ON_A)
    b = make_ticket(point=City.ON_B)
    make_ticket(point=City.FAR)
    all_items = api.get("/api/v1/tickets", city.admin).get_json()
    assert all_items["total"] == 3 and all_items["page"] == 1 and all_items["per_page"] == 20
    mine = api.get("/api/v1/tickets", city.unit_a).get_json()
    assert [t["id"] for t in mine["items"]] == [a.id]
    # A unit asking for another unit's tickets sees nothing.
    assert api.get(f"/api/v1/tickets?unit_id={city.street_b.id}", city.unit_a).get_json()["total"] == 0
    assert api.get(f"/api/v1/tickets?unit_id={city.street_b.id}", city.admin).get_json()["items"][0]["id"] == b.id
    assert api.get("/api/v1/tickets?status=pending", city.leader).get_json()["total"] == 1
    # All three were filed "now" (2026-11-25) with a 24 h deadline: the two assigned are overdue two days later.
    clock.set(now + timedelta(days=2))
    assert api.get("/api/v1/tickets?overdue=1", city.admin).get_json()["total"] == 2
    assert api.get("/api/v1/tickets?category=niupixuan&per_page=1&page=2", city.admin).get_json()["items"]
    assert api.get("/api/v1/tickets?status=bogus", city.admin).status_code == 400
    assert api.get("/api/v1/tickets?page=0", city.admin).status_code == 400
    assert api.get("/api/v1/tickets?per_page=1000", city.admin).status_code == 400
    assert api.get("/api/v1/tickets?category=' OR 1=1 --", city.admin).status_code == 400


def test_unknown_filter_values_are_refused_naming_them(api, city, make_ticket):
    """?category=nope answered 200 with no tickets, as if none had been filed, where ?status=foo and ?source=nope
    answered 400: every unknown code is a 400 naming the argument and the value."""
    make_ticket()
    for query, code in (("category=nope", "invalid_category"), ("status=foo", "invalid_status_filter"),
                        ("source=nope", "invalid_source")):
        refused = api.get(f"/api/v1/tickets?{query}", city.admin)
        name, value = query.split("=")
        error = refused.get_json()["error"]
        assert refused.status_code == 400 and error["code"] == code, query
        assert f"（{name}）“{value}”" in error["message"], error["message"]
    assert api.get("/api/v1/tickets?category=NIUPIXUAN", city.admin).get_json()["total"] == 1
    # a retired category's problems are still found by it (the dashboard's rows link them so)
    city.niupixuan.active = False
    db.session.commit()
    assert api.get("/api/v1/tickets?category=niupixuan", city.admin).get_json()["total"] == 1


def test_source_leader_keeps_the_problems_leaders_handed_over_too(api, browser, city, make_ticket):
    """API.md's `leader` is 领导督导/交办; 领导交办 became `leader_assigned` and ?source=leader lost those problems."""
    inspected = make_ticket(source="leader").id
    handed = make_ticket(source="leader_assigned").id
    make_ticket()

    def ids(source):
        return sorted(t["id"] for t in api.get(f"/api/v1/tickets?source={source}", city.admin).get_json()["items"])

    assert ids("leader") == sorted([inspected, handed])
    assert ids("leader_assigned") == [handed]
    # the office's list shares the filter, and its menu says what 领导督导 takes
    page = browser(city.admin).get("/tickets?source=leader").get_data(as_text=True)
    assert '<option value="leader" selected>领导督导（含领导交办）</option>' in page


def test_list_flags_read_any_spelling_of_yes_and_refuse_nonsense(api, city, make_ticket, now, clock):
    """?overdue=True was none of "1", "true", "yes": the filter was dropped and every ticket listed."""
    make_ticket(point=City.ON_A)
    make_ticket(point=City.FAR)  # pending: no deadline, never overdue
    clock.set(now + timedelta(days=2))
    for spelling in ("True", "ON", "y", "1"):
        assert api.get(f"/api/v1/tickets?overdue={spelling}", city.admin).get_json()["total"] == 1, spelling
    for spelling in ("False", "0", "off", ""):
        assert api.get(f"/api/v1/tickets?overdue={spelling}", city.admin).get_json()["total"] == 2, spelling
    refused = api.get("/api/v1/tickets?overdue=maybe", city.admin)
    error = refused.get_json()["error"]
    assert refused.status_code == 400 and error["code"] == "invalid_overdue"
    assert "overdue" in error["message"] and "maybe" in error["message"]


def test_unit_cannot_reach_another_units_ticket_or_photo(api, city, make_ticket):
    ticket = make_ticket(point=City.ON_B)
    photo = ticket.photos[0]
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/photos/{photo.id}", city.unit_a).status_code == 404
    assert api.get(f"/api/v1/photos/{photo.id}/thumb", city.unit_a).status_code == 404
    assert api.post(f"/api/v1/tickets/{ticket.id}/dispute", city.unit_a, json={"reason": "x"}).status_code == 404
    assert api.get(f"/api/v1/tickets/{ticket.id}", city.unit_b).status_code == 200
    assert api.get("/api/v1/tickets/999999", city.admin).status_code == 404


def test_actions_through_the_api(api, city, make_ticket):
    ticket = make_ticket()
    url = f"/api/v1/tickets/{ticket.id}"
    assert api.post(f"{url}/approve", city.inspector, json={}).status_code == 409
    rectified = api.post(f"{url}/rectify", city.unit_a, data={"note": "已清除", "photos": [file_tuple()]},
                         content_type="multipart/form-data")
    assert rectified.status_code == 200 and rectified.get_json()["status"] == "rectified"
    assert [p["kind"] for p in rectified.get_json()["photos"]] == ["before", "after"]
    assert api.post(f"{url}/reject", city.inspector, json={}).status_code == 400  # reason required
    assert api.post(f"{url}/reject", city.inspector, json={"note": "未清理干净"}).get_json()["rework_count"] == 1
    assert api.post(f"{url}/rectify", city.unit_a, data={"note": "x"},
                    content_type="multipart/form-data").status_code == 400  # photos required
    api.post(f"{url}/rectify", city.unit_a, data={"photos": [file_tuple()]}, content_type="multipart/form-data")
    closed = api.post(f"{url}/approve", city.inspector, json={"note": "ok"}).get_json()
    assert closed["status"] == "closed" and closed["closed_at"]
    assert [e["action"] for e in closed["events"]][-1] == "approve"
    assert api.post(f"{url}/cancel", city.admin, json={"reason": "x"}).status_code == 409
    assert api.post(f"{url}/fly", city.admin, json={}).status_code == 404


def test_extension_and_reassign_through_the_api(api, browser, city, make_ticket):
    ticket = make_ticket(category="spider_web")
    url = f"/api/v1/tickets/{ticket.id}"
    assert api.post(f"{url}/request_extension", city.unit_a, json={"until": "tomorrow", "reason": "x"}).status_code == 400
    # a day as far as the working days' box reaches (60), not 2099 (its deadline is 9 December)
    far = api.post(f"{url}/request_extension", city.unit_a, json={"until": "2099-12-31", "reason": "线路迁改"})
    assert far.status_code == 422 and "延期最多60个工作日，即不晚于2027年3月" in far.get_json()["error"]["message"]
    assert api.post(f"{url}/request_extension", city.unit_a,
                    json={"until": "2027-01-30", "reason": "线路迁改"}).status_code == 200
    # the unit's list names next year's day with its year
    assert "延期申请待审批：至 2027-01-30 23:59" in browser(city.unit_a).get("/unit/tickets").get_data(as_text=True)
    assert api.post(f"{url}/decide_extension", city.unit_a, json={"approved": True}).status_code == 403
    assert api.post(f"{url}/decide_extension", city.admin, json={"approved": "yes"}).status_code == 400
    decided = api.post(f"{url}/decide_extension", city.admin, json={"approved": True, "note": "同意"}).get_json()
    assert decided["deadline"] == "2027-01-30T23:59:59+08:00"
    # the same unit again: refused, it would have given a fresh deadline without an extension's trace
    same = api.post(f"{url}/reassign", city.admin, json={"unit_id": city.street_a.id})
    assert same.status_code == 422 and "重新派遣给同一单位会重新计算整改期限" in same.get_json()["error"]["message"]
    assert api.get(url, city.admin).get_json()["deadline"] == "2027-01-30T23:59:59+08:00"
    assert api.post(f"{url}/dispute", city.unit_a, json={"reason": "非本单位"}).get_json()["status"] == "disputed"
    assert api.post(f"{url}/reassign", city.admin, json={"unit_id": 9999}).status_code == 422
    moved = api.post(f"{url}/reassign", city.admin, json={"unit_id": city.street_b.id, "note": "改派"}).get_json()
    assert moved["unit"]["id"] == city.street_b.id and moved["status"] == "assigned"
    assert api.post(f"{url}/cancel", city.admin, json={}).status_code == 400
    assert api.post(f"{url}/cancel", city.admin, json={"reason": "重复"}).get_json()["status"] == "cancelled"


def test_times_in_event_data_read_in_shanghai_time_like_the_others(app, api, city, make_ticket):
    """An event's data kept its times as written (UTC, microseconds: "2026-12-10T15:59:59+00:00") while every other
    time of the API reads +08:00 to the second; rows already stored read right too."""
    from inspect_app.tickets.models import TicketEvent
    from inspect_app.tickets.serialize import event_dict

    ticket = make_ticket(category="spider_web")  # due 9 December
    url = f"/api/v1/tickets/{ticket.id}"
    first_deadline = api.get(url, city.admin).get_json()["deadline"]
    api.post(f"{url}/request_extension", city.unit_a, json={"until": "2026-12-18", "reason": "线路迁改"})
    decided = api.post(f"{url}/decide_extension", city.admin, json={"approved": True, "note": "同意"})
    assert decided.status_code == 200
    events = {e["action"]: e["data"] for e in api.get(url, city.admin).get_json()["events"]}
    assert events["request_extension"]["until"] == "2026-12-18T23:59:59+08:00"
    assert events["decide_extension"]["until"] == "2026-12-18T23:59:59+08:00"
    assert events["decide_extension"]["old_deadline"] == first_deadline
    with app.app_context():  # the shape the ORM path gives (a 12345 case's ticket), a row with microseconds
        event = db.session.get(TicketEvent, db.session.query(TicketEvent.id).filter_by(
            ticket_id=ticket.id, action="decide_extension").scalar())
        event.data_json = '{"approved": true, "until": "2026-12-18T15:59:59.250000+00:00", "note": "x"}'
        assert event_dict(event)["data"] == {"approved": True, "until": "2026-12-18T23:59:59+08:00", "note": "x"}
        db.session.rollback()


def test_an_extension_date_is_read_strictly(api, city, make_ticket):
    """"2026-12-18 is fine, thanks" was read as its first ten characters, 2026-12-20T23:00:00-05:00 (the 21st in
    Shanghai) as the 20th, and the JSON number 20261220 as a date."""
    ticket = make_ticket(category="spider_web")  # due 9 December
    url = f"/api/v1/tickets/{ticket.id}/request_extension"
    for until in ("2026-12-18 is fine, thanks", "20261220", "2026-12-20T23", "2026-12-20 later"):
        refused = api.post(url, city.unit_a, json={"until": until, "reason": "线路迁改"})
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_until", until
    number = api.post(url, city.unit_a, json={"until": 20261220, "reason": "线路迁改"})
    assert number.status_code == 400 and number.get_json()["error"]["code"] == "invalid_text"
    asked = api.post(url, city.unit_a, json={"until": "2026-12-20T23:00:00-05:00", "reason": "线路迁改"})
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["units"][0]["extension_request"]["until"] == "2026-12-21T23:59:59+08:00"


def test_bad_json_body_is_400(api, city, make_ticket):
    ticket = make_ticket()
    response = api.post(f"/api/v1/tickets/{ticket.id}/dispute", city.unit_a, data="{oops",
                        content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"


def test_concurrent_edit_is_a_conflict(app, city, make_ticket, now):
    """Two people act on one ticket at once: the one holding a stale copy gets a conflict, not a lost update."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.exc import StaleDataError

    ticket_id = make_ticket().id
    with Session(db.engine, expire_on_commit=False) as office:
        stale = office.get(Ticket, ticket_id)
        office.commit()  # the office's page is open; the unit acts meanwhile
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status = "rectified"
        db.session.commit()
        stale.status = "cancelled"
        with pytest.raises(StaleDataError):
            office.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket_id).status == "rectified"


def test_a_position_with_no_segment_near_falls_back_to_the_photos(api, city):
    """lat/lon far from every segment and a photo taken 20 m from one: the ticket was left pending, the photo's EXIF
    read only when lat/lon were absent (API.md: "of lat/lon or, failing those, of the first photo's EXIF GPS")."""
    from inspect_app.units.models import Segment
    photo = processed("gps_DSCN0010.jpg")  # taken in Italy
    north = photo.lat + 0.00018  # about 20 m
    italy = Segment(name="意大利路", district="测试区", unit=city.street_b)
    italy.coords = [[photo.lon - 0.001, north], [photo.lon + 0.001, north]]
    db.session.add(italy)
    db.session.commit()
    response = file_report(api, city.inspector, photos=("gps_DSCN0010.jpg",), lat=str(City.FAR[0]),
                           lon=str(City.FAR[1]))
    ticket = response.get_json()
    assert response.status_code == 201 and ticket["status"] == "assigned", ticket
    assert ticket["segment"]["id"] == italy.id and ticket["unit"]["id"] == city.street_b.id
    assert (ticket["lat"], ticket["lon"]) == (pytest.approx(photo.lat), pytest.approx(photo.lon))  # what found it
    # a position near a segment still wins over the photo's
    near = file_report(api, city.inspector, photos=("gps_DSCN0010.jpg",)).get_json()
    assert near["segment"]["id"] == city.seg_a.id and near["lat"] == pytest.approx(City.ON_A[0])


def test_the_same_key_with_another_report_is_refused(api, city):
    """Issue 11 item 12: a reused Idempotency-Key with a different body used to answer with the first ticket."""
    first = file_report(api, city.inspector, headers={"Idempotency-Key": "walk-1"}, description="第一处")
    assert first.status_code == 201
    other = file_report(api, city.inspector, headers={"Idempotency-Key": "walk-1"}, description="另一处")
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    another_photo = file_report(api, city.inspector, headers={"Idempotency-Key": "walk-1"}, description="第一处",
                                photos=("gps_DSCN0010.jpg",))
    assert another_photo.status_code == 422
    retry = file_report(api, city.inspector, headers={"Idempotency-Key": "walk-1"}, description="第一处")
    assert retry.status_code == 200 and retry.get_json()["id"] == first.get_json()["id"]
    assert db.session.query(Ticket).count() == 1


def test_source_is_kept_shown_and_filtered(api, city):
    daily = file_report(api, city.inspector).get_json()
    undercover = file_report(api, city.inspector, source="undercover").get_json()
    assert daily["source"] == "daily" and undercover["source"] == "undercover"
    assert undercover["source_label"] == "暗访"
    listed = api.get("/api/v1/tickets?source=undercover", city.admin).get_json()
    assert [t["id"] for t in listed["items"]] == [undercover["id"]]
    bad = file_report(api, city.inspector, source="gossip")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_source"
    assert api.get("/api/v1/tickets?source=gossip", city.admin).status_code == 400


def test_list_filters_by_report_date_in_shanghai_days(api, city, make_ticket, now):
    from datetime import timedelta

    old = make_ticket(at_time=now - timedelta(days=40))
    recent = make_ticket(at_time=now - timedelta(days=2))
    from inspect_app.common.timeutil import local
    day = local(now - timedelta(days=2)).date()
    listed = api.get(f"/api/v1/tickets?from={day.isoformat()}&to={day.isoformat()}", city.admin).get_json()
    assert [t["id"] for t in listed["items"]] == [recent.id] and listed["total"] == 1
    month = api.get("/api/v1/tickets?from=2026-10-01&to=2026-10-31", city.admin).get_json()
    assert [t["id"] for t in month["items"]] == [old.id]
    assert api.get("/api/v1/tickets?from=2026-13-01", city.admin).status_code == 400
    assert api.get("/api/v1/tickets?from=2026-11-02&to=2026-11-01", city.admin).status_code == 400
