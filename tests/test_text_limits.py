"""No text anyone types is stored at any length: each field has its own limit and answers 400 text_too_long naming
it. The request cap (MAX_CONTENT_LENGTH, 32 MB) is no field's limit: MAX_FORM_MEMORY_SIZE is set to it on purpose so
that each field answers for itself (common/text.py clean_text).

In the demo city, each role collects the POST forms it is shown (test_every_form.py) and posts each once per text
field with 30,000 characters in it. A `before_flush` listener notes any text that long about to be written: that
field has no limit. (A form another of its fields refuses as the page fills it in, a 整改 without its photo, never
reaches its text.) The API's text fields are sent the same way, each with a body otherwise valid, and must answer 400
text_too_long naming the field; a limit that cut the text without a word is no limit either.
"""
from __future__ import annotations

import re

import pytest
from conftest import Browser, encode_form
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from test_every_form import ID_FIELD, NOT_POSTED, collect
from werkzeug.datastructures import MultiDict

from inspect_app.demo.seed import DEFAULT_PASSWORD as PASSWORD
from inspect_app.extensions import db

LONG = "长" * 30_000
TOO_LONG = 20_000  # no field's limit comes near it
# Written by the system, not typed: what it records of a request, a failed delivery, a failed job
NOT_TYPED = {("AuditEntry", "detail"), ("OutboxMessage", "last_error"), ("Job", "error")}


class LongText:
    """Every str attribute longer than TOO_LONG on a new or changed row, as the session flushes it."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, session, flush_context, instances):
        for obj in (*session.new, *session.dirty):
            for name, value in vars(obj).items():
                if isinstance(value, str) and len(value) > TOO_LONG and (type(obj).__name__, name) not in NOT_TYPED:
                    self.seen.append(f"{type(obj).__name__}.{name} ({len(value)})")


@pytest.fixture
def long_text():
    listener = LongText()
    event.listen(Session, "before_flush", listener)
    yield listener
    event.remove(Session, "before_flush", listener)


def test_the_detector_sees_a_long_text_written(app, city, long_text):
    city.street_a.name = "长" * (TOO_LONG + 1)
    try:
        db.session.flush()
    except DBAPIError:
        pass  # PostgreSQL refuses it (varchar(100)); the listener saw it before
    db.session.rollback()
    assert long_text.seen == [f"Unit.name ({TOO_LONG + 1})"]


def _post(client: Browser, page: str, form: dict, data: list):
    data = [*data, ("csrf_token", client.token(page))]
    headers = {"Referer": f"http://localhost{page}"}
    if form["multipart"]:
        body, content_type = encode_form(MultiDict(data).to_dict(flat=False))
        return client.post(form["action"], data=body, headers=headers, content_type=content_type)
    return client.post(form["action"], data=MultiDict(data), headers=headers)


# The office (most forms), an inspector (filing, patrols), a street office (门前四包), the city administration (a
# unit's account, extension, dispute, key task reports) and sanitation (a letter's reply).
@pytest.mark.slow  # three minutes of the suite's 2 workers: run it with `-m slow` when forms change
@pytest.mark.parametrize("username", ["admin", "inspector1", "jd0101", "sz01", "sz04"])
def test_no_form_stores_text_of_any_length(app, demo_city, username, long_text):
    demo_city("everything")  # the demo city as test_crawl.py crawls it
    client = Browser(app, app.response_class, use_cookies=True)
    assert client.login(username, PASSWORD).status_code == 302
    forms = collect(client)
    unlimited, posted = set(), 0
    for page, form in forms.values():
        if NOT_POSTED.match(form["action"]):
            continue
        shapes = set()
        for target in dict.fromkeys(name for name, _ in form["fields"]):
            shape = re.sub(r"\d+", "N", target)
            if target == "csrf_token" or shape in shapes or ID_FIELD.search(target) or target in form["ids"]:
                continue
            shapes.add(shape)
            long_text.seen.clear()
            response = _post(client, page, form, [(n, LONG if n == target else v) for n, v in form["fields"]
                                                  if n != "csrf_token"])
            posted += 1
            for what in long_text.seen:
                unlimited.add(f"{what}: POST {re.sub(r'[0-9]+', 'N', form['action'])} {target} "
                              f"→ {response.status_code}")
            if response.status_code in (302, 303) and response.location.startswith("/login"):
                assert client.login(username, PASSWORD).status_code == 302
    assert not unlimited, "\n".join(sorted(unlimited))
    print(f"\n{username}: {len(forms)} forms, {posted} posts")
    assert posted >= 5, (len(forms), posted)


# The API's text fields, 30,000 characters in one at a time: 400 text_too_long naming the field, nothing written.
SITE = {"code": "JC-NM-9", "name": "新河农贸市场", "kind": "农贸市场", "district": "江城区", "point": "112.93,28.23",
        "units": {"territorial": "JDA"}}
CASE = {"case_number": "GD2026120901", "description": "电线杆上小广告", "address": "人民路东段"}
TASK = {"year": 2026, "code": "7.1", "indicator": "未成年人思想道德建设", "content": "乡村学校少年宫正常运行",
        "method": "材料审核", "due_on": "2026-12-15"}


def _api_cases(api, city, ticket):
    url = f"/api/v1/tickets/{ticket.id}"
    task = {**TASK, "lead_unit_id": city.roads.id}
    scheme = {**api.get("/api/v1/rankings/schemes", city.admin).get_json()[0]["document"], "code": "city_b"}
    return [
        ("POST", f"{url}/dispute", city.unit_a, {"reason": LONG}, "理由"),
        ("POST", f"{url}/request_extension", city.unit_a, {"workdays": 3, "reason": LONG}, "延期理由"),
        ("POST", f"{url}/reassign", city.admin, {"unit_id": city.street_b.id, "note": LONG}, "派遣说明"),
        ("POST", f"{url}/cancel", city.admin, {"reason": LONG}, "作废原因"),
        ("POST", "/api/v1/sites", city.admin, {**SITE, "description": LONG}, "点位说明"),
        ("POST", "/api/v1/sites", city.admin, {**SITE, "address": LONG}, "地址"),
        ("POST", "/api/v1/site-kinds", city.admin, {"name": LONG}, "类型名称"),
        ("PUT", "/api/v1/admin/holidays/2027-02-10", city.admin, {"kind": "holiday", "name": LONG}, "名称"),
        ("POST", "/api/v1/key-tasks", city.admin, {**task, "content": LONG}, "任务内容"),
        ("POST", "/api/v1/key-tasks", city.admin, {**task, "standard": LONG}, "完成标准及佐证材料"),
        ("POST", "/api/v1/key-tasks", city.admin, {**task, "method": LONG}, "测评方法"),
        ("POST", "/api/v1/key-tasks", city.admin, {**task, "indicator": LONG}, "测评项目"),
        ("POST", "/api/v1/patrols/absence-requests", city.inspector,
         {"first_day": "2026-12-14", "last_day": "2026-12-15", "kind": "leave", "note": LONG}, "说明"),
        # a scheme's name and note were cut to 60 and 300 characters without a word
        ("PUT", "/api/v1/rankings/schemes/city_b", city.admin, {**scheme, "name": "乙市方案" * 16}, "方案名称"),
        ("PUT", "/api/v1/rankings/schemes/city_b", city.admin, {**scheme, "note": "说明" * 151}, "方案说明"),
        # a 12345 case's texts answered 422 invalid_case, the code of the import's row checks
        ("POST", "/api/v1/intake/hotline", city.admin, {**CASE, "description": LONG}, "诉求内容"),
        ("POST", "/api/v1/intake/hotline", city.admin, {**CASE, "address": LONG}, "事发地址"),
        ("POST", "/api/v1/intake/hotline", city.admin, {**CASE, "phone": LONG}, "来电人电话"),
    ]


def test_no_api_field_stores_text_of_any_length(api, city, make_ticket, long_text, now):
    from assessment_world import World

    from inspect_app.rankings.models import RankingScheme
    World(city, now)  # the site kinds
    ticket = make_ticket()
    problems = []
    for method, url, user, body, words in _api_cases(api, city, ticket):
        long_text.seen.clear()
        response = api.call(method, url, user, json=body)
        error = (response.get_json() or {}).get("error") or {}
        if long_text.seen or response.status_code != 400 or error.get("code") != "text_too_long" \
                or words not in error.get("message", ""):
            problems.append(f"{method} {url} {words}: {response.status_code} {error} {long_text.seen}")
        db.session.rollback()
    assert not problems, "\n".join(problems)
    assert db.session.scalar(db.select(RankingScheme).where(RankingScheme.code == "city_b")) is None
