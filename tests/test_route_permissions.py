"""Walk every route in the URL map as every role and check the answer against one permission table.

GET routes: who gets an answer. State-changing routes (POST, PUT, DELETE): every role sends the request with a
valid CSRF token (pages) or bearer token (API) and an empty body, and the exact status is checked — a refused role
gets exactly 302 to the login page (stranger, pages), 401 (stranger, API), 403 (wrong role) or 404 (another
unit's object), and an allowed role gets past the guard to the operation's own answer (most refuse the empty
body). So removing any role check changes a status here and fails the test.

A new route fails these tests until its row is added below, so nobody ships a route without deciding who may use it.
Object routes are requested for objects of unit B: unit B's user may see them, unit A's user must get 404.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import TOKEN_RE, City, login_session_id

ROLES = ("anon", "admin", "inspector", "leader", "unit_owner", "unit_other")
STAFF = {"admin", "inspector", "leader"}
ALL = STAFF | {"unit_owner", "unit_other"}
SEES_OBJECT = STAFF | {"unit_owner"}  # objects of unit B; unit_other must get 404
PUBLIC = {"anon"} | ALL

# endpoint -> roles that get an answer (2xx, or a 302 to their own start page)
TABLE: dict[str, set[str]] = {
    # people's pages
    "tickets.home": ALL,
    "tickets.new": {"admin", "inspector"},
    "tickets.filed": SEES_OBJECT,
    "tickets.segments_near": {"admin", "inspector"},
    "tickets.segments_search": {"admin", "inspector"},
    "tickets.nearby": {"admin", "inspector"},
    "tickets.duplicate_pairs": {"admin"},
    "tickets.mine": {"inspector"},
    "tickets.unit_list": {"unit_owner", "unit_other"},
    "tickets.verify_queue": {"admin", "inspector"},
    "tickets.office_list": STAFF,
    "tickets.office_work": {"admin"},
    "tickets.detail": SEES_OBJECT,
    "tickets.photo": SEES_OBJECT,
    "tickets.photo_thumb": SEES_OBJECT,
    "escalation.letters": ALL,
    "escalation.detail": SEES_OBJECT,
    "escalation.by_number": SEES_OBJECT,
    "escalation.pdf": SEES_OBJECT,
    "escalation.reply_file": SEES_OBJECT,
    "escalation.proposals": {"admin", "leader"},
    "escalation.sign_queue": {"admin", "leader"},
    "escalation.new": {"admin"},
    "escalation.edit": {"admin"},  # an issued letter: sent on to its page
    "escalation.templates": {"admin"},
    "escalation.unit_page": {"admin", "leader"},
    "escalation.interview_file": {"admin", "leader"},
    "escalation.rechecks": {"admin", "inspector"},
    "escalation.recheck": {"admin", "inspector"},
    "rankings.index": ALL,
    "rankings.detail": ALL,
    "rankings.pdf": ALL,
    "rankings.preview": STAFF,
    "rankings.schemes": STAFF,  # reading the schemes; saving and switching them is the office's (POST)
    "rankings.groups": STAFF,
    "rankings.dashboard": STAFF,
    "rankings.year_page": ALL,
    "rankings.year_export": STAFF,
    "rankings.year_pdf": STAFF,
    "dashboard.index": {"admin", "leader"},
    "dashboard.year": {"admin", "leader"},
    "dashboard.year_export": {"admin", "leader"},
    "workload.index": STAFF,
    # 辖区概况: a unit clerk whose unit has units under it; neither street here oversees anyone, so both get 403
    # (the role may open the route; test_territory_overview.py shows a district's clerk the page)
    "territory.overview": set(),
    "patrols.index": STAFF,
    "patrols.export": STAFF,
    "patrols.checkin": {"admin", "inspector"},
    "patrols.near": {"admin", "inspector"},
    "patrols.cycles": {"admin"},
    "patrols.areas": {"admin"},
    "patrols.day": STAFF,
    "patrols.month": STAFF,
    "patrols.photo": STAFF,
    "patrols.photo_thumb": STAFF,
    "patrols.month_export": STAFF,
    "api_patrols.coverage": STAFF,
    "api_patrols.day": STAFF,
    "patrols.absences_page": {"admin"},
    "api_patrols.absence_list": {"admin"},
    "patrols.leave": {"inspector"},
    "api_patrols.request_list": {"admin", "inspector"},
    "api_workload.index": STAFF,
    "workload.export": STAFF,
    "auth.login": PUBLIC,
    "auth.change_password": ALL,
    "office.export_tickets": ALL,
    "field.favicon": PUBLIC,
    "field.service_worker": PUBLIC,
    "field.offline": PUBLIC,
    "field.segment_map": {"admin", "inspector"},
    # API
    "healthz": PUBLIC,
    "api_auth.me": ALL,
    "api_reference.categories": ALL,
    "api_reference.units": ALL,
    "api_reference.segments": ALL,
    "api_tickets.index": ALL,
    "api_tickets.show": SEES_OBJECT,
    "api_tickets.photo_file": SEES_OBJECT,
    "api_tickets.photo_thumb": SEES_OBJECT,
    "api_letters.index": ALL,
    "api_letters.show": SEES_OBJECT,
    "api_letters.pdf": SEES_OBJECT,
    "api_letters.reply_list": SEES_OBJECT,
    "api_letters.reply_file": SEES_OBJECT,
    "api_letters.proposal_list": {"admin", "leader"},
    "api_rankings.index": ALL,
    "api_rankings.show": ALL,
    "api_rankings.pdf": ALL,
    "api_rankings.schemes": STAFF,
    "api_rankings.groups": STAFF,
    "api_rankings.year": ALL,
    "api_office.tickets_csv": ALL,
    "api_office.tickets_xlsx": ALL,
    # background jobs: the world's job belongs to unit B's user; nobody else sees it, staff included
    "background.index": ALL,
    "background.show": {"unit_owner"},
    "background.status": {"unit_owner"},
    "background.download": {"unit_owner"},
    "api_jobs.index": ALL,
    "api_jobs.show": {"unit_owner"},
    "api_jobs.download": {"unit_owner"},
    "office.import_job_result": set(),  # an import job's result: its admin's only (tests/test_background_jobs.py)
    # assessment (issue 12): the round of the world has one site of unit B, assigned to the inspector. The round is
    # open and the site not yet scored, so unit B may not learn of it yet (services.shown_to_units, tested in
    # test_assessment): its round, scores and results answer 404 to both units until then.
    "api_sites.kinds": ALL,
    "api_sites.index": ALL,
    "api_sites.show": SEES_OBJECT,
    "assessment.checklist_page": STAFF,
    "assessment.rounds": STAFF,
    "assessment.round_detail": STAFF,
    "assessment.round_scores": STAFF,
    "assessment.bulletin_pdf": STAFF,
    "assessment.exposure_pdf": STAFF,
    "assessment.tasks": {"admin", "inspector"},
    "assessment.site_check": {"admin", "inspector"},
    "assessment.site_withdraw": {"admin"},  # the office's 撤回 page (the world's site has no results: it says so)
    "assessment.unit_results": {"unit_owner", "unit_other"},
    "api_assessment.checklist_items": ALL,
    "api_assessment.rounds": ALL,
    "api_assessment.show_round": STAFF,
    "api_assessment.site_results": STAFF,
    "api_assessment.round_scores": STAFF,
    "api_assessment.bulletin_pdf": STAFF,
    "api_assessment.exposure_pdf": STAFF,
    # issue 15: 门前四包 (a street's frontages: its street office, and citywide readers), intake, telling units
    "frontages.index": ALL,
    "frontages.offenders": ALL,
    "frontages.detail": SEES_OBJECT,
    "frontages.new": {"admin", "unit_owner", "unit_other"},
    "frontages.edit": {"admin", "unit_owner"},
    "frontages.search": {"admin", "inspector"},
    "frontages.notice_pdf": SEES_OBJECT,
    "frontages.offenders_pdf": {"admin"},
    "frontages.export": ALL,  # scoped: a street office its own street's shops
    "frontages.agreement_pdf": {"admin", "unit_owner"},  # its street office and the office (the shop's keepers)
    "api_frontages.index": ALL,
    "api_frontages.offenders": ALL,
    "api_frontages.show": SEES_OBJECT,
    "api_frontages.export": ALL,
    "intake.report": PUBLIC,          # the citizens' page: no account
    "intake.receipt_lookup": PUBLIC,
    "intake.receipt": PUBLIC,         # whoever holds the code (counted per address)
    "intake.queue": {"admin"},
    "intake.item": {"admin"},
    "intake.photo": {"admin"},
    "intake.photo_thumb": {"admin"},
    "intake.entry": {"admin"},
    "intake.hotline_export_page": {"admin"},
    "intake.feedback_export_page": {"admin"},
    "intake.feedback_progress": STAFF,
    "api_intake.index": {"admin"},
    "api_intake.show": {"admin"},
    "api_intake.hotline_case": {"admin"},
    "api_intake.hotline_export_file": {"admin"},
    "api_intake.feedback_export_file": {"admin"},
    "notices.inbox": {"unit_owner", "unit_other"},
    "notices.robot": {"unit_owner", "unit_other"},
    "api_notices.inbox": {"unit_owner", "unit_other"},
    # 创建任务清单: the world's task is led by unit B; a unit sees the tasks it leads or assists
    "keytasks.index": ALL,
    "keytasks.by_unit": STAFF,
    "keytasks.detail": SEES_OBJECT,
    "keytasks.report_file": SEES_OBJECT,
    "keytasks.task_form": {"admin"},
    "keytasks.export": STAFF,
    "keytasks.bulletin_pdf": STAFF,
    "api_keytasks.bulletin_pdf": STAFF,
    "api_keytasks.index": ALL,
    "api_keytasks.by_unit": STAFF,
    "api_keytasks.show": SEES_OBJECT,
    "api_keytasks.report_file": SEES_OBJECT,
    "surveys.index": {"admin", "leader"},
    "surveys.detail": {"admin", "leader"},
    "surveys.qr": {"admin", "leader"},
    "surveys.poster": {"admin", "leader"},
    "surveys.preview": {"admin", "leader"},
    "surveys.export": {"admin", "leader"},
    "surveys.new": {"admin"},
    "surveys.edit": {"admin"},
    "surveys.answer": PUBLIC,  # the residents' page: no account
    # 专项整治行动: every role (a unit its own problems in them); the 进展通报 draft for the office and the leaders
    "campaigns.index": ALL,
    "campaigns.show": ALL,
    "campaigns.bulletin_pdf": {"admin", "leader"},
    "api_campaigns.index": ALL,
    "api_campaigns.show": ALL,
    "surveys.thanks": PUBLIC,
}
ADMIN_ONLY_PREFIXES = ("office.", "api_office.", "sites.", "api_sites.", "assessment.", "api_assessment.",
                       "audit.")
SKIP = {"static", "office.static", "background.static", "assessment.static"}


@pytest.fixture
def world(app, city, make_ticket, now):
    """A ticket of unit B with a photo, a letter to unit B (proposed by the sweep, compiled by the office, signed
    by the leader) with unit B's written reply and its photo, a 约谈, a 问责 referral and a 回头看 task for unit B,
    a published list and a campaign."""
    from inspect_app.auth.services import create_user
    from inspect_app.escalation import compose, followup, proposals, replies, signing
    from inspect_app.escalation.models import Letter, Recheck
    from inspect_app.escalation.jobs import run_sweep
    from werkzeug.datastructures import FileStorage
    from conftest import photo_bytes
    import io
    from inspect_app.extensions import db
    from inspect_app.rankings.periods import parse_period
    from inspect_app.rankings.services import publish
    from inspect_app.tickets.campaigns import Campaign

    ticket = make_ticket(point=City.ON_B, at_time=now - timedelta(days=10))
    spare = create_user("extra", "inspector", "walk-pass-1", now)  # the account the office pages act on
    run_sweep(now)
    [draft] = compose.create_batch(city.admin, now, {"proposal_ids": [p.id for p in proposals.open_proposals(now)]})
    signing.sign(city.leader, draft, now)
    answer = replies.reply(city.unit_b, draft, now, "已整改", [FileStorage(io.BytesIO(photo_bytes("Canon_40D.jpg")),
                                                                          "a.jpg")])
    interview = followup.schedule_interview(city.admin, city.street_b.id, now,
                                            {"scheduled_at": "2026-11-25T08:00", "place": "会议室", "attendees": "主任"})
    followup.record_interview(city.admin, interview, now, {"record": "已约谈"},
                              [FileStorage(io.BytesIO(photo_bytes("Canon_40D.jpg")), "b.jpg")])
    referral = followup.refer(city.admin, city.street_b.id, now, {"referred_to": "市纪委监委", "reason": "整改不力"})
    recheck = Recheck(letter_id=draft.id, ticket_id=ticket.id, unit_id=city.street_b.id, due_at=now, created_at=now)
    db.session.add(recheck)
    db.session.flush()
    letter = db.session.scalar(db.select(Letter).where(Letter.unit_id == city.street_b.id))
    ranking = publish(parse_period("2026-11"), now)
    campaign = Campaign(name="牛皮癣专项整治", start_date=date(2026, 11, 1), end_date=date(2026, 12, 31))
    db.session.add(campaign)
    from inspect_app.background import service as jobs
    job = jobs.enqueue("tickets_export", city.unit_b, "导出", {"fmt": "csv", "encoding": "gb18030", "args": {},
                                                             "mine": False}, now, total=1)
    frontage, citizen, case = _intake_world(city, now)
    task, task_file = _key_task_world(city, now)
    survey = _survey_world(city, citizen.receipt, now)
    from conftest import processed

    from inspect_app.patrols.models import Patrol
    from inspect_app.photos.service import save_files
    patrol = Patrol(user_id=city.inspector.id, segment_id=city.seg_b.id, at=now, lat=City.ON_B[0], lon=City.ON_B[1],
                    distance_m=5, note="", photo_key=save_files(processed()))  # the inspector's own, with a photo
    from inspect_app.frontages.models import FrontageNotice
    notice = FrontageNotice(frontage=frontage, street_unit=city.street_b, year=2026, seq=1, due_on=now.date(),
                            ticket_ids="[]", issued_by=city.admin.id, issued_at=now)  # street B's frontage's notice
    db.session.add_all([patrol, notice])
    db.session.commit()
    from inspect_app.background.runner import run_pending
    run_pending(app)
    assert letter is not None and ranking is not None
    assessment = _assessment_world(city, now)
    return {**assessment, "ticket_id": ticket.id, "photo_id": ticket.photos[0].id, "letter_id": letter.id,
            "ranking_id": ranking.id, "campaign_id": campaign.id, "user_id": spare.id,
            "unit_id": city.street_b.id, "segment_id": city.seg_b.id, "category_id": city.niupixuan.id,
            "kind": "units", "fmt": "csv", "action": "approve", "day": "2027-01-01", "number": letter.number,
            "job_id": job.id,
            "frontage_id": frontage.id, "item_id": citizen.id, "intake_photo_id": citizen.photos[0].id,
            "code": citizen.receipt, "case_number": case.case_number, "scheme_code": "city_b",
            "file_id": answer.files[0].id if answer.files else 0, "interview_id": interview.id,
            "referral_id": referral.id, "recheck_id": recheck.id, "attachment_id": interview.files[0].id,
            "task_id": task.id, "task_file_id": task_file.id, "survey_id": survey.id, "sheet": "results", "patrol_id": patrol.id,
            # no 请假外出 record or request: withdrawing or answering one is a 404
            "absence_id": 987654, "request_id": 987655, "notice_id": notice.id}


def _survey_world(city, code: str, now):
    """An open questionnaire with one answer, reached at the receipt code's address (the URL map's one <code>)."""
    from inspect_app.surveys import questionnaire, services

    survey = services.create(city.admin, {"title": "市民问卷", "questions": questionnaire.default_text()}, now)
    survey.code = code.lower()
    services.answer(survey, {"district": "江城区", **{f"q{n}": "0" for n in range(1, 12)}}, "d" * 64, "a" * 64, now)
    return survey


def _key_task_world(city, now):
    """A key task led by street B, with its progress report and the report's photo."""
    import io

    from conftest import photo_bytes
    from werkzeug.datastructures import FileStorage

    from inspect_app.keytasks import services

    task = services.save_task(services.TaskValues(2026, "3.1", "农贸市场", "划行归市", "实地考察", "", city.street_b),
                              now)
    row = services.report(city.unit_b, task, now, "已完成一半", 50,
                          files=[FileStorage(io.BytesIO(photo_bytes("Canon_40D.jpg")), "c.jpg")])
    return task, row.files[0]


def _assessment_world(city, now) -> dict:
    """A site of unit B, a checklist and an open round that drew the site for the inspector."""
    from inspect_app.assessment import checklist, services
    from inspect_app.extensions import db
    from inspect_app.sites.models import Site, SiteKind

    kind = SiteKind(name="背街小巷", sort_order=1, active=True)
    site = Site(code="BJ-1", name="青石巷", kind=kind, district="临江区", lat=City.ON_B[0], lon=City.ON_B[1],
                territorial_unit=city.street_b, created_at=now)
    db.session.add_all([kind, site])
    db.session.flush()
    checklist.create_version([{"code": "BJ-01", "kind": kind, "text": "无乱堆乱放", "points": 2.0,
                               "answerable_by": "territorial", "deadline": {"hours": 24}, "category": None}], now)
    rnd, _ = services.create_round(city.admin, services.RoundInput(
        kind="mock_assessment", name="模拟测评", per_kind={"背街小巷": 1}, inspector_ids=[city.inspector.id], seed=1),
        now)
    db.session.commit()
    return {"round_id": rnd.id, "site_id": site.id, "kind_id": kind.id}


def _intake_world(city, now):
    """A frontage of street B, a citizen's report waiting (no category: accepting it takes one) with a photo,
    and a 12345 case."""
    from conftest import processed

    from inspect_app.extensions import db
    from inspect_app.frontages.models import Frontage
    from inspect_app.intake.models import IntakeItem, IntakePhoto
    from inspect_app.photos.service import save_files

    frontage = Frontage(code="F-B1", name="乙街米粉店", address="建设路1号", street_unit=city.street_b)
    photo = processed()
    citizen = IntakeItem(source="citizen", status="pending", receipt="K7M3X9QD2H", description="路边堆满垃圾",
                         address="建设路2号", received_at=now, created_at=now, updated_at=now,
                         device_hash="d" * 64, address_hash="a" * 64)
    citizen.photos.append(IntakePhoto(key=save_files(photo), sha256=photo.sha256, width=photo.width,
                                      height=photo.height, bytes=len(photo.jpeg), created_at=now))
    case = IntakeItem(source="hotline", status="pending", case_number="12345-0001", description="占道经营",
                      address="建设路3号", received_at=now, created_at=now, updated_at=now)
    db.session.add_all([frontage, citizen, case])
    return frontage, citizen, case


def _urls(app, world):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        values = {name: world[name] for name in rule.arguments}
        converter = rule._converters.get("action")
        if converter is not None and getattr(converter, "items", None):
            values["action"] = sorted(converter.items)[0]  # e.g. retire/restore on office pages
        url = adapter.build(rule.endpoint, values)
        if rule.endpoint == "tickets.segments_near":
            url += f"?lat={City.ON_B[0]}&lon={City.ON_B[1]}"
        elif rule.endpoint == "patrols.near":
            url += f"?lat={City.ON_B[0]}&lon={City.ON_B[1]}"
        elif rule.endpoint == "tickets.segments_search":
            url += "?q=%E8%B7%AF"  # 路
        elif rule.endpoint == "tickets.nearby":
            url += f"?category=niupixuan&lat={City.ON_B[0]}&lon={City.ON_B[1]}"
        elif rule.endpoint in ("api_office.holiday_list", "api_rankings.year"):
            url += "?year=2027"
        elif rule.endpoint in ("keytasks.bulletin_pdf", "api_keytasks.bulletin_pdf"):
            url += "?month=2026-11"  # the world's task is of 2026
        yield rule, url


def _user(city, role):
    return {"admin": city.admin, "inspector": city.inspector, "leader": city.leader,
            "unit_owner": city.unit_b, "unit_other": city.unit_a}.get(role)


def _get(app, client, api, city, role, url):
    user = _user(city, role)
    if url.startswith("/api/"):
        if user is None:
            return client.get(url, buffered=True)
        return api.get(url, user)
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = login_session_id(user)
            session["_fresh"] = True
    return client.get(url, buffered=True)


def test_every_get_route_answers_as_the_table_says(app, client, api, city, world):
    problems = []
    for rule, url in _urls(app, world):
        if "GET" not in rule.methods:
            continue
        endpoint = rule.endpoint
        if endpoint in TABLE:
            allowed = TABLE[endpoint]
        elif endpoint.startswith(ADMIN_ONLY_PREFIXES):
            allowed = {"admin"}
        else:
            problems.append(f"{endpoint}: not in the permission table")
            continue
        for role in ROLES:
            status = _get(app, client, api, city, role, url).status_code
            if status >= 500:
                problems.append(f"{role} GET {url}: {status}")
            elif role in allowed:
                if status not in (200, 302):
                    problems.append(f"{role} GET {url}: {status}, expected an answer")
            elif role == "anon":
                if status not in (302, 401):
                    problems.append(f"anon GET {url}: {status}, expected login (302/401)")
                elif status == 302 and "/login" not in _get(app, client, api, city, role, url).location:
                    problems.append(f"anon GET {url}: redirected elsewhere than the login page")
            elif role == "unit_other" and endpoint in TABLE and TABLE[endpoint] == SEES_OBJECT:
                if status != 404:
                    problems.append(f"unit_other GET {url}: {status}, expected 404 (another unit's object)")
            elif status not in (403, 404):
                problems.append(f"{role} GET {url}: {status}, expected 403/404")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------- state-changing routes

OBJECT_POSTS = {"tickets.act", "api_tickets.act", "escalation.acknowledge", "api_letters.acknowledge",
                "escalation.reply", "api_letters.reply", "frontages.edit", "frontages.active", "keytasks.report",
                "api_keytasks.report"}
# a stranger's empty form / body: no such account; the 随手拍 page refuses a post that did not come from it (400)
# (410: the questionnaire page, after surveys.switch, a route before it, closed the world's survey)
OPEN_POSTS = {"auth.login": 401, "api_auth.token": 401, "intake.report": 400, "surveys.answer": 410}

# (endpoint, action or None) -> {role: exact status} for the roles the route lets in, with an empty body and the
# world below (ticket of unit B, assigned; letter to unit B; a campaign). Every other role must be refused.
ALLOWED_POSTS: dict[tuple[str, str | None], dict[str, int]] = {
    ("auth.logout", None): {r: 302 for r in ALL},
    ("auth.change_password", None): {r: 422 for r in ALL},
    ("api_auth.revoke", None): {r: 204 for r in ALL},
    ("tickets.new", None): {"admin": 400, "inspector": 400},
    ("api_tickets.create", None): {"admin": 400, "inspector": 400},
    # the ticket is assigned: a unit's moves read their input and refuse the empty body; others' moves are 409
    **{(e, "rectify"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "dispute"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "request_extension"): {"unit_owner": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "approve"): {"admin": 409, "inspector": 409} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "reject"): {"admin": 409, "inspector": 409} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "reassign"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "decide_extension"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "cancel"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    ("tickets.not_a_repeat", None): {"admin": 400},  # which two problems: none named
    ("escalation.acknowledge", None): {"unit_owner": 303},
    ("api_letters.acknowledge", None): {"unit_owner": 200},
    # letters: the world's letter is issued, so a draft's moves answer 409; the others refuse the empty body
    ("escalation.dismiss_proposals", None): {"admin": 400},
    ("escalation.new", None): {"admin": 400},
    ("escalation.edit", None): {"admin": 409},
    ("escalation.discard", None): {"admin": 409},
    ("escalation.sign", None): {"leader": 409},  # the office's admin too with LETTER_ADMIN_MAY_SIGN
    ("escalation.return_draft", None): {"leader": 409},
    ("escalation.reply", None): {"unit_owner": 400},
    ("escalation.clear", None): {"admin": 409},  # the item's ticket is not rectified
    ("escalation.queue_rechecks", None): {"admin": 409},  # nothing closed yet
    ("escalation.save_template_page", None): {"admin": 400},
    ("escalation.schedule_interview", None): {"admin": 400},
    ("escalation.record_interview", None): {"admin": 409},  # recorded already
    ("escalation.refer", None): {"admin": 400},
    ("escalation.referral_outcome", None): {"admin": 400},
    ("escalation.recheck", None): {"admin": 400, "inspector": 400},
    ("escalation.recheck_assign", None): {"admin": 400},  # to whom: not said (不指定 is an empty value, not none)
    ("api_letters.create", None): {"admin": 400},
    ("api_letters.update", None): {"admin": 409},
    ("api_letters.discard", None): {"admin": 409},
    ("api_letters.sign", None): {"leader": 409},
    ("api_letters.return_draft", None): {"leader": 409},
    ("api_letters.reply", None): {"unit_owner": 400},
    ("api_letters.clear", None): {"admin": 409},
    ("rankings.publish", None): {"admin": 303},
    ("rankings.save_scheme", None): {"admin": 422},
    ("rankings.activate_scheme", None): {"admin": 303},
    ("rankings.save_groups", None): {"admin": 422},
    ("api_rankings.create", None): {"admin": 400},
    ("api_rankings.save_scheme", None): {"admin": 422},
    ("api_rankings.activate_scheme", None): {"admin": 200},
    ("office.unit_form", "new"): {"admin": 422},
    ("office.unit_form", "edit"): {"admin": 422},
    ("office.unit_active", None): {"admin": 302},
    ("office.segment_form", "new"): {"admin": 422},
    ("office.segment_form", "edit"): {"admin": 422},
    ("office.segment_active", None): {"admin": 302},
    ("office.category_form", "new"): {"admin": 422},
    ("office.category_form", "edit"): {"admin": 422},
    ("office.category_active", None): {"admin": 302},
    ("office.account_form", "new"): {"admin": 422},
    ("office.account_form", "edit"): {"admin": 302},
    ("office.account_reset", None): {"admin": 200},
    ("office.account_active", None): {"admin": 302},
    ("office.holiday_page", None): {"admin": 422},
    ("office.holiday_notice", None): {"admin": 422},
    ("office.campaign_form", "new"): {"admin": 422},
    ("office.campaign_form", "edit"): {"admin": 422},
    ("office.campaign_delete", None): {"admin": 302},
    ("office.import_preview", None): {"admin": 302},
    ("office.import_confirm", None): {"admin": 302},
    ("api_office.import_rows", None): {"admin": 400},
    ("api_office.holiday_put", None): {"admin": 422},
    ("api_office.holiday_notice", None): {"admin": 400},
    ("api_office.holiday_delete", None): {"admin": 404},
    # assessment: the office's forms refuse the empty form; the world's round is closed by the page before the
    # inspector's page and the API try to submit to it
    ("sites.site_form", "new"): {"admin": 422},
    ("sites.site_form", "edit"): {"admin": 422},
    ("sites.active", None): {"admin": 302},
    ("sites.kinds", None): {"admin": 422},
    ("sites.kind_save", None): {"admin": 422},
    ("sites.kind_active", None): {"admin": 302},
    ("sites.import_preview", None): {"admin": 302},
    ("sites.import_confirm", None): {"admin": 302},
    ("api_sites.create", None): {"admin": 422},
    ("api_sites.create_kind", None): {"admin": 422},
    ("api_sites.import_rows", None): {"admin": 400},
    ("assessment.checklist_import_preview", None): {"admin": 302},
    ("assessment.checklist_import_confirm", None): {"admin": 302},
    ("assessment.round_new", None): {"admin": 422},
    ("assessment.round_assign", None): {"admin": 400},
    ("assessment.round_close", None): {"admin": 302},
    ("assessment.round_issue", None): {"admin": 409},
    ("assessment.site_check", None): {"admin": 409, "inspector": 409},
    ("api_assessment.import_checklist", None): {"admin": 400},
    ("api_assessment.create_round", None): {"admin": 400},
    ("api_assessment.close", None): {"admin": 409},
    ("api_assessment.issue", None): {"admin": 409},
    ("api_assessment.submit", None): {"admin": 400, "inspector": 400},
    ("api_sites.update", None): {"admin": 200},  # an empty PATCH changes nothing
    ("api_sites.update_kind", None): {"admin": 200},
    ("api_assessment.reassign", None): {"admin": 409},
    # 撤回: the world's site has no results to withdraw (its round closed first, or not submitted): 409 either way
    ("assessment.site_withdraw", None): {"admin": 409},
    ("api_assessment.withdraw", None): {"admin": 409},
    # issue 15. A ticket's parts: the world's ticket has no 协办 unit, so its lead cannot report a 协办 part (403).
    **{(e, "rectify_part"): {"unit_owner": 403} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "add_unit"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "remove_unit"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    # 申请退出协办: the world's lead is no assisting unit (403); the office's empty decision says neither yes nor no
    **{(e, "withdraw_request"): {"unit_owner": 403} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "decide_withdraw"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    # 协办申请延期: the world's lead is no assisting unit (403); the office's empty decision says neither yes nor no
    **{(e, "request_part_extension"): {"unit_owner": 403} for e in ("tickets.act", "api_tickets.act")},
    **{(e, "decide_part_extension"): {"admin": 400} for e in ("tickets.act", "api_tickets.act")},
    # the 点位 of a ticket (its page only): the office and the inspector who filed it; no site named (400), none
    # linked to unlink (409)
    ("tickets.act", "link_site"): {"admin": 400, "inspector": 400},
    ("tickets.act", "unlink_site"): {"admin": 409, "inspector": 409},
    ("frontages.new", None): {"admin": 422, "unit_owner": 422, "unit_other": 422},
    ("frontages.edit", None): {"admin": 422, "unit_owner": 422},
    ("frontages.active", None): {"admin": 302, "unit_owner": 302},
    # 整改通知书: an empty form has no date (400); unit A's street office may not give notice to street B's shop
    ("frontages.notice_issue", None): {"admin": 400, "unit_owner": 400, "unit_other": 404},
    ("api_frontages.notice_issue", None): {"admin": 400, "unit_owner": 400, "unit_other": 404},
    # 送达 of the world's notice: an empty form has no day (400); another street's notice is a 404
    ("frontages.notice_delivered", None): {"admin": 400, "unit_owner": 400, "unit_other": 404},
    ("api_frontages.notice_delivered", None): {"admin": 400, "unit_owner": 400, "unit_other": 404},
    ("intake.accept", None): {"admin": 400},       # no category chosen
    ("intake.decline", None): {"admin": 400},      # no reason
    ("intake.merge", None): {"admin": 400},        # no problem number
    ("intake.decline_sender", None): {"admin": 400},
    ("intake.entry", None): {"admin": 422},
    ("api_intake.hotline_post", None): {"admin": 422},
    ("api_intake.accept", None): {"admin": 400},
    ("api_intake.decline", None): {"admin": 400},
    ("api_intake.merge", None): {"admin": 400},
    ("notices.robot", None): {"unit_owner": 422, "unit_other": 422},
    ("notices.robot_test", None): {"unit_owner": 302, "unit_other": 302},
    ("notices.robot_remove", None): {"unit_owner": 302, "unit_other": 302},
    ("api_notices.seen", None): {"unit_owner": 200, "unit_other": 200},
    # 创建任务清单: an empty report has no text (400), nothing waits for review (an empty verdict first: 400)
    ("keytasks.report", None): {"unit_owner": 400},
    ("keytasks.review", None): {"admin": 400},
    ("keytasks.task_form", "new"): {"admin": 422},
    ("keytasks.task_form", "edit"): {"admin": 422},
    ("keytasks.active", None): {"admin": 302},
    ("api_keytasks.create", None): {"admin": 422},
    ("api_keytasks.update", None): {"admin": 200},  # an empty PATCH changes nothing
    ("api_keytasks.report", None): {"unit_owner": 400},
    ("api_keytasks.review", None): {"admin": 400},
    # 问卷调查: an empty form has no title (422); the world's survey has an answer, so it stays (409)
    ("surveys.new", None): {"admin": 422},
    ("surveys.edit", None): {"admin": 422},
    ("surveys.switch", None): {"admin": 303},
    ("surveys.delete", None): {"admin": 409},
    # 巡查打卡: an empty form has no position
    ("patrols.checkin_post", None): {"admin": 400, "inspector": 400},
    ("api_patrols.check_in", None): {"admin": 400, "inspector": 400},
    ("patrols.cycles_post", None): {"admin": 303},  # the form replaces the rules whole: none sent, none kept
    ("patrols.areas_post", None): {"admin": 303},   # so does 督查片区's
    # 请假外出登记: an empty form names nobody; the world has no record to withdraw
    ("patrols.absences_post", None): {"admin": 400},
    ("patrols.absences_withdraw", None): {"admin": 404},
    ("api_patrols.absence_record", None): {"admin": 400},
    ("api_patrols.absence_withdraw", None): {"admin": 404},
    # 请假外出申请: an empty form has no day; the world has no request to take back or answer
    ("patrols.leave_post", None): {"inspector": 400},
    ("patrols.leave_withdraw", None): {"inspector": 404},
    ("patrols.request_approve", None): {"admin": 404},
    ("patrols.request_refuse", None): {"admin": 404},
    ("api_patrols.request_ask", None): {"inspector": 400},
    ("api_patrols.request_take_back", None): {"inspector": 404},
    ("api_patrols.request_answer", None): {"admin": 404},
}


def _post_urls(app, world):
    """(endpoint, action, method, url) for every state-changing route; ticket actions one by one."""
    from inspect_app.tickets.actions import ACTIONS

    for rule, url in _urls(app, world):
        for method in sorted({"POST", "PUT", "PATCH", "DELETE"} & rule.methods):
            if rule.endpoint in ("tickets.act", "api_tickets.act"):
                for action, todo in ACTIONS.items():
                    if todo.api or not url.startswith("/api/"):  # an action of the pages alone: the API's 404
                        yield rule.endpoint, action, method, url.rsplit("/", 1)[0] + f"/{action}"
            elif rule.endpoint.endswith("_form"):  # the office's add (…/new) and edit forms
                yield rule.endpoint, "new" if url.endswith("/new") else "edit", method, url
            else:
                yield rule.endpoint, None, method, url


def _send(app, client, api, city, role, method, url):
    """The request as `role` would send it: API with the role's token, pages with its session and a valid
    CSRF token (taken from the login page of that same session), no Referer, an empty body."""
    user = _user(city, role)
    if url.startswith("/api/"):
        if user is None:
            return client.open(url, method=method)
        response = api.call(method, url, user)
        if url == "/api/v1/auth/token" and method == "DELETE":
            api.tokens.pop(user.username, None)  # revoked: the next call logs in again
        return response
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = login_session_id(user)
            session["_fresh"] = True
    token = TOKEN_RE.search(client.get("/login").get_data(as_text=True))
    form = {"csrf_token": token.group(1)} if token else {}
    if user is not None and not token:  # a logged-in person is sent on from /login: take a page of theirs
        form = {"csrf_token": TOKEN_RE.search(client.get("/password").get_data(as_text=True)).group(1)}
    return client.open(url, method=method, data=form)


def _refusal(endpoint: str, role: str, url: str) -> int:
    if role == "anon":
        return 401 if url.startswith("/api/") else 302
    if role == "unit_other" and endpoint in OBJECT_POSTS:
        return 404
    return 403


ACTION_ROUTES = {"tickets.act", "api_tickets.act"}  # one route, many actions: the lifecycle table decides who


def _refused_by_the_route(response, endpoint: str) -> bool:
    """A 403 from the route's @requires (not from a check further in, which would hide the route's removal)."""
    from inspect_app.policy import ROLE_REFUSED

    if endpoint in ACTION_ROUTES:
        return True
    if response.is_json:
        return response.get_json()["error"]["code"] == "role_not_allowed"
    return ROLE_REFUSED in response.get_data(as_text=True)


def test_every_state_changing_route_answers_each_role_exactly(app, client, api, city, world):
    problems = []
    for endpoint, action, method, url in _post_urls(app, world):
        if endpoint in OPEN_POSTS:
            status = _send(app, client, api, city, "anon", method, url).status_code
            if status != OPEN_POSTS[endpoint]:
                problems.append(f"anon {method} {url}: {status}, expected {OPEN_POSTS[endpoint]}")
            continue
        allowed = ALLOWED_POSTS.get((endpoint, action))
        if allowed is None:
            problems.append(f"{endpoint} {action or ''}: not in the table of state-changing routes")
            continue
        # Refused roles first: they must change nothing, so the allowed roles then meet the same world.
        for role in sorted(ROLES, key=lambda r: r in allowed):
            expected = allowed.get(role) or _refusal(endpoint, role, url)
            response = _send(app, client, api, city, role, method, url)
            if response.status_code != expected:
                problems.append(f"{role} {method} {url}: {response.status_code}, expected {expected}")
            elif expected == 403 and role not in allowed and not _refused_by_the_route(response, endpoint):
                problems.append(f"{role} {method} {url}: 403, but not from the route's own role check")
            elif role == "anon" and expected == 302 and "/login" not in response.location:
                problems.append(f"anon {method} {url}: redirected elsewhere than the login page")
    assert not problems, "\n".join(problems)


def test_a_page_post_without_the_csrf_token_is_refused_before_anything_else(app, client, city, world):
    """The positive control of the walk above: the same request without the token is refused (400), so the
    statuses above come from the role checks, not from CSRF."""
    from conftest import sign_in

    sign_in(client, city.admin)
    response = client.post(f"/office/units/{world['unit_id']}/retire")
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
