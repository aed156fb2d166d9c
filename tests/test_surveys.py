"""问卷调查: the office writes a questionnaire, residents answer once per phone without an account, and the office
and leaders read the share of 肯定回答 per question and district."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from inspect_app.common.errors import Invalid
from inspect_app.extensions import db
from inspect_app.surveys import questionnaire, services
from inspect_app.surveys.models import Survey, SurveyResponse

SHORT = ("您是否知道本市正在创建全国文明城市？\n*知道\n不知道\n\n"
         "您对市容环境卫生是否满意？\n*满意\n*比较满意\n一般\n不满意\n\n"
         "您的年龄段？\n30岁以下\n30岁及以上")


def make_survey(city, now, questions=SHORT, title="2026年市民问卷（第四季度）") -> Survey:
    survey = services.create(city.admin, {"title": title, "intro": "感谢参与", "questions": questions}, now)
    db.session.commit()
    return survey


def answer_directly(survey, district, answers, now, n=[0]):  # noqa: B006 - a counter of devices on purpose
    n[0] += 1
    form = {"district": district, **{f"q{i}": str(a) for i, a in enumerate(answers, 1)}}
    services.answer(survey, form, f"device{n[0]:058d}", "a" * 64, now)
    db.session.commit()


def count_rows() -> int:
    return db.session.scalar(select(func.count(SurveyResponse.id)))


# ----------------------------------------------------------------------------- the questions as typed

def test_the_default_questionnaire_parses_and_types_back_the_same():
    questions = questionnaire.parse(questionnaire.default_text())
    assert len(questions) == len(questionnaire.DEFAULT) == 11
    assert questions[0] == {"text": "您是否知道本市正在创建全国文明城市？", "options": ["知道", "不知道"],
                            "positive": [0]}
    assert questions[3]["positive"] == [0, 1]  # 满意 and 比较满意
    assert questionnaire.parse(questionnaire.to_text(questions)) == questions


def test_pasted_numbering_windows_lines_and_full_width_stars_are_understood():
    text = "1. 您是否支持创文？\r\n＊支持\r\n 不支持 \r\n\r\n\r\n（2）您参加过志愿服务吗？\r\n* 参加过\r\n没有"
    assert questionnaire.parse(text) == [
        {"text": "您是否支持创文？", "options": ["支持", "不支持"], "positive": [0]},
        {"text": "您参加过志愿服务吗？", "options": ["参加过", "没有"], "positive": [0]}]


@pytest.mark.parametrize("text, words", [
    ("", "请填写问卷题目"),
    ("题目一\n*只有一个选项", "第 1 题（题目一）应有 2 到 8 个选项"),
    ("题目一\n*是\n否\n\n题目二\n*好\n*很好", "第 2 题（题目二）的选项都标了 *"),
    ("题目一\n是\n是", "选项“是”重复"),
    ("题目一\n是\n否\n您还有什么建议？\n有\n没有", "像是下一题的题目"),
    ("*题目一\n是\n否", "不能以 * 开头"),
    ("\n\n".join(f"题{i}\n是\n否" for i in range(31)), "最多 30 题"),
    ("题目\n" + "长" * 41 + "\n否", "超过 40 字"),
])
def test_a_questionnaire_that_cannot_be_asked_is_refused_naming_the_question(text, words):
    with pytest.raises(Invalid) as refused:
        questionnaire.parse(text)
    assert words in refused.value.message


# ----------------------------------------------------------------------------- the office and the residents

def test_the_office_opens_a_survey_and_a_resident_answers_it_once(clock, browser, city, now):
    clock.set(now)  # the pages' clock: 2026-11-25
    office = browser(city.admin)
    form = office.get("/surveys/new").get_data(as_text=True)
    assert "您是否知道本市正在创建全国文明城市？" in form  # the usual questionnaire to start from
    assert 'value="2026年第4季度创建全国文明城市市民问卷"' in form  # named after the quarter
    created = office.submit("/surveys/new", "/surveys/new",
                            {"title": "2026年市民问卷", "intro": "", "questions": questionnaire.default_text()})
    assert created.status_code == 303
    survey = db.session.scalar(select(Survey))
    page = office.get(created.headers["Location"]).get_data(as_text=True)
    assert f"/survey/{survey.code}" in page and "<svg" in page and "还没有答卷" in page

    phone = browser()
    opened = phone.get(f"/survey/{survey.code}")
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    text = opened.get_data(as_text=True)
    assert "江城区" in text and "临江区" in text and "11. 您对本市创建全国文明城市工作的总体评价是？" in text
    answers = {"district": "临江区", **{f"q{i}": "0" for i in range(1, 12)}}
    sent = phone.submit(f"/survey/{survey.code}", f"/survey/{survey.code}", answers)
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/survey/{survey.code}/thanks")
    assert "提交成功" in phone.get(sent.headers["Location"]).get_data(as_text=True)

    again = phone.get(f"/survey/{survey.code}").get_data(as_text=True)
    assert "您已提交过本问卷" in again and "提交问卷" not in again
    resent = phone.post(f"/survey/{survey.code}", data={**answers, "csrf_token": phone.token("/login")})
    assert resent.status_code == 200 and "您已提交过本问卷" in resent.get_data(as_text=True)
    assert count_rows() == 1
    db.session.refresh(survey)
    assert survey.responses_count == 1
    row = db.session.scalar(select(SurveyResponse))
    assert (row.district, row.answers) == ("临江区", ",".join("0" * 11))
    assert len(row.device) == len(row.address) == 64  # keyed digests, not the cookie or the address


def test_the_office_previews_the_page_residents_see_without_answering(browser, city, now):
    survey = make_survey(city, now)
    page = browser(city.leader).get(f"/surveys/{survey.id}/preview")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "预览：市民打开链接看到的就是这个页面" in text
    assert "3. 您的年龄段？" in text and re.search(r'<button type="submit" class="btn primary block" disabled>', text)
    assert 'action="#"' in text and count_rows() == 0
    assert browser(city.unit_a).get(f"/surveys/{survey.id}/preview").status_code == 403


def test_a_missing_or_forged_answer_is_named_and_nothing_is_kept(browser, city, now):
    survey = make_survey(city, now)
    phone = browser()
    page = f"/survey/{survey.code}"
    missing = phone.submit(page, page, {"district": "江城区", "q1": "0", "q2": "1"})
    assert missing.status_code == 422
    text = missing.get_data(as_text=True)
    assert "请回答第 3 题：您的年龄段？" in text
    assert re.search(r'name="q2" value="1" checked', text)  # what they chose is still chosen
    forged = phone.submit(page, page, {"district": "江城区", "q1": "0", "q2": "7", "q3": "0"})
    assert forged.status_code == 400 and "第 2 题的选项无效" in forged.get_data(as_text=True)
    elsewhere = phone.submit(page, page, {"district": "外星区", "q1": "0", "q2": "0", "q3": "0"})
    assert elsewhere.status_code == 422 and "请选择您所在的区（县）" in elsewhere.get_data(as_text=True)
    assert count_rows() == 0
    assert phone.submit(page, page, {"district": "江城区", "q1": "0", "q2": "0", "q3": "0"}).status_code == 303


def test_two_answers_from_one_phone_at_once_keep_one(city, now):
    """The page checks first; two posts racing past that check meet the unique index, and the second is told."""
    survey = make_survey(city, now)
    form = {"district": "江城区", "q1": "0", "q2": "0", "q3": "0"}
    services.answer(survey, form, "p" * 64, "a" * 64, now)
    with pytest.raises(services.AlreadyAnswered):
        services.answer(survey, form, "p" * 64, "a" * 64, now)
    db.session.commit()
    db.session.refresh(survey)
    assert count_rows() == 1 and survey.responses_count == 1


def test_the_public_page_needs_its_token_and_its_cookie(browser, city, now):
    survey = make_survey(city, now)
    phone = browser()
    token = phone.token(f"/survey/{survey.code}")
    answers = {"district": "江城区", "q1": "0", "q2": "0", "q3": "0"}
    assert phone.post(f"/survey/{survey.code}", data=answers).status_code == 400  # no CSRF token
    phone.delete_cookie("citizen_device", domain="localhost")
    refused = phone.post(f"/survey/{survey.code}", data={**answers, "csrf_token": token})
    assert refused.status_code == 400 and "请先打开问卷页面" in refused.get_data(as_text=True)
    assert count_rows() == 0
    assert browser().get("/survey/nosuchcode").status_code == 404
    assert browser().get("/survey/..%2Fetc").status_code == 404


def test_answers_are_limited_per_address(app, browser, city, now):
    app.config["SURVEY_ADDRESS_PER_HOUR"] = 2
    survey = make_survey(city, now)
    answers = {"district": "江城区", "q1": "0", "q2": "0", "q3": "0"}
    page = f"/survey/{survey.code}"
    for _ in range(2):
        assert browser().submit(page, page, answers).status_code == 303
    busy = browser().submit(page, page, answers)
    assert busy.status_code == 429 and "请稍后再试" in busy.get_data(as_text=True)
    assert count_rows() == 2


def test_a_closed_survey_says_so_and_takes_no_answer(browser, city, now):
    survey = make_survey(city, now)
    office, phone = browser(city.admin), browser()
    page = f"/survey/{survey.code}"
    token = phone.token(page)
    assert office.submit(f"/surveys/{survey.id}", f"/surveys/{survey.id}/close").status_code == 303
    closed = phone.post(page, data={"district": "江城区", "q1": "0", "q2": "0", "q3": "0", "csrf_token": token})
    assert closed.status_code == 410 and "问卷已结束" in closed.get_data(as_text=True)
    assert count_rows() == 0
    assert office.submit(f"/surveys/{survey.id}", f"/surveys/{survey.id}/open").status_code == 303
    assert phone.get(page).status_code == 200


def test_questions_are_frozen_once_answered_and_a_survey_with_answers_stays(browser, city, now):
    survey = make_survey(city, now)
    office = browser(city.admin)
    edit = f"/surveys/{survey.id}/edit"
    changed = SHORT.replace("30岁以下", "29岁及以下")
    assert office.submit(edit, edit, {"title": "改名", "questions": changed}).status_code == 303
    assert db.session.get(Survey, survey.id).questions[2]["options"][0] == "29岁及以下"
    answer_directly(survey, "江城区", [0, 0, 0], now)
    refused = office.submit(edit, edit, {"title": "再改名", "questions": SHORT})
    assert refused.status_code == 422 and "已有市民答卷，题目和选项不能再修改" in refused.get_data(as_text=True)
    renamed = office.submit(edit, edit, {"title": "再改名", "intro": "新的卷首语", "questions": changed})
    assert renamed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).title == "再改名"
    kept = office.submit(f"/surveys/{survey.id}", f"/surveys/{survey.id}/delete")  # back to the page, with why
    assert kept.status_code == 303 and kept.headers["Location"].endswith(f"/surveys/{survey.id}")
    assert "已有市民答卷的问卷不能删除" in office.get(kept.headers["Location"]).get_data(as_text=True)
    empty_id, kept_id = make_survey(city, now, title="建错了").id, survey.id
    assert office.submit(f"/surveys/{empty_id}", f"/surveys/{empty_id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(Survey, empty_id) is None and db.session.get(Survey, kept_id) is not None


def test_results_by_district_as_counted_by_hand(monkeypatch, browser, city, now):
    monkeypatch.setattr(services, "SMALL_SAMPLE", 2)
    survey = make_survey(city, now)
    # 江城区: 3 answers. Q1 知道 x2; Q2 满意, 比较满意, 不满意 -> 2 of 3 positive; Q3 has no rate.
    for answers in ([0, 0, 0], [0, 1, 1], [1, 3, 1]):
        answer_directly(survey, "江城区", answers, now)
    # 临江区: 2 identical answers (one row of 2 from the GROUP BY): 不知道, 一般: no 肯定回答 at all.
    for _ in range(2):
        answer_directly(survey, "临江区", [1, 2, 0], now)
    data = services.results(survey)
    by_name = {t.name: t for t in data.districts}
    jiang, lin = by_name["江城区"], by_name["临江区"]
    q = data.questions
    assert (jiang.answers, lin.answers, data.city.answers) == (3, 2, 5)
    assert jiang.rate(0, q[0]) == pytest.approx(200 / 3) and lin.rate(0, q[0]) == 0
    assert jiang.rate(1, q[1]) == pytest.approx(200 / 3) and lin.rate(1, q[1]) == 0
    assert jiang.rate(2, q[2]) is None
    assert data.city.rate(0, q[0]) == pytest.approx(40) and data.city.options[1] == [1, 1, 2, 1]
    assert jiang.overall(q) == pytest.approx(200 / 3) and data.city.overall(q) == pytest.approx(40)
    assert data.lowest(0) == "临江区" and data.lowest(None) == "临江区" and data.lowest(2) is None
    monkeypatch.setattr(services, "LAG_POINTS", 41)  # 0% is 40 points below the city's 40%: not lagging enough
    assert data.lowest(0) is None
    monkeypatch.setattr(services, "LAG_POINTS", 5)
    columns, rows = services.summary_sheet(survey)
    assert columns == ["区县", "有效答卷", "第1题肯定率(%)", "第2题肯定率(%)", "综合肯定率(%)"]
    assert ["江城区", 3, 66.7, 66.7, 66.7] in rows and ["临江区", 2, 0.0, 0.0, 0.0] in rows
    assert rows[-1] == ["全市", 5, 40.0, 40.0, 40.0]

    page = browser(city.leader).get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert "66.7%" in page and "40.0%" in page and '<span class="down">0.0%</span>' in page


def test_a_title_excel_refuses_in_a_sheet_name_still_exports(browser, city, now):
    """A survey's title names its sheets: / \\ : ? * [ ] made a workbook Excel reports damaged and openpyxl will not
    open; the file name's UTF-8 form escapes the "/" (RFC 5987)."""
    survey = make_survey(city, now, title="2026年第四季度市民文明素质/满意度调查[试]:*?")
    answer_directly(survey, "江城区", [0, 1, 1], now)
    leader = browser(city.leader)
    for sheet in ("results", "responses"):
        response = leader.get(f"/surveys/{survey.id}/{sheet}.xlsx")
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames[0].startswith("2026年第四季度市民文明素质_满意度调查_试_"), book.sheetnames
        disposition = response.headers["Content-Disposition"]
        assert "/" not in disposition.split("filename*=")[1] and "%5B" in disposition


def test_the_exports_and_the_qr_code(browser, city, now):
    survey = make_survey(city, now)
    answer_directly(survey, "江城区", [0, 1, 1], now)
    leader = browser(city.leader)
    results = leader.get(f"/surveys/{survey.id}/results.xlsx")
    assert results.status_code == 200
    sheet = load_workbook(io.BytesIO(results.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["区县", "有效答卷", "第1题肯定率(%)"] and ["江城区", 1, 100, 100, 100] in values
    answers = leader.get(f"/surveys/{survey.id}/responses.csv").data.decode("gb18030")  # what Excel here opens
    assert "序号,提交时间,区县,第1题,第2题,第3题" in answers and "江城区,知道,比较满意,30岁及以上" in answers
    png = leader.get(f"/surveys/{survey.id}/qr.png")
    assert png.status_code == 200 and png.content_type == "image/png"
    image = Image.open(io.BytesIO(png.data))
    assert image.width >= 600  # printable: about 5 cm at 300 dpi or more
    poster = leader.get(f"/surveys/{survey.id}/poster.pdf")
    assert poster.status_code == 200 and poster.content_type == "application/pdf"
    pages = PdfReader(io.BytesIO(poster.data)).pages
    text = "".join(pages[0].extract_text().split())
    assert len(pages) == 1 and survey.title in text and "请用手机扫描二维码填写问卷" in text
    assert f"/survey/{survey.code}" in text


@pytest.mark.parametrize("length", [300, 1000])
def test_a_long_intro_keeps_the_poster_one_page_with_its_code_and_paragraphs(browser, city, now, length):
    first = "感谢您参与本次问卷调查。"  # a paragraph of its own: it ends a line on the poster
    rest = ("本次调查涉及市容环境卫生、交通秩序、公共文明行为和志愿服务等方面，请您根据日常感受如实填写。" * 30)
    intro = first + "\n" + rest[:length - len(first) - 1]
    survey = services.create(city.admin, {"title": "2026年市民问卷（第四季度）", "intro": intro, "questions": SHORT},
                             now)
    db.session.commit()
    poster = browser(city.leader).get(f"/surveys/{survey.id}/poster.pdf")
    pages = PdfReader(io.BytesIO(poster.data)).pages
    assert len(pages) == 1  # 200 characters and more used to push the code, its words and the link to page 2
    lines = [line.strip() for line in pages[0].extract_text().splitlines()]
    assert first in lines and not any(line.startswith(first) and line != first for line in lines)
    text = "".join(pages[0].extract_text().split())
    assert "请用手机扫描二维码填写问卷" in text and f"/survey/{survey.code}" in text
    if length == 300:
        assert intro[-40:].replace("\n", "") in text and "……" not in text  # set smaller, whole
    else:
        kept = text.split(first)[1].split("……")[0]  # cut with an ellipsis, at a pause rather than in a word
        assert rest.startswith(kept) and len(kept) > 300 and rest[len(kept)] in "，。；、"


def test_who_sees_the_surveys(browser, city, now):
    survey = make_survey(city, now)
    for user in (city.unit_a, city.inspector):
        assert browser(user).get("/surveys/").status_code == 403
        assert browser(user).get(f"/surveys/{survey.id}").status_code == 403
    leader = browser(city.leader)
    assert leader.get("/surveys/").status_code == 200 and leader.get(f"/surveys/{survey.id}").status_code == 200
    assert leader.get("/surveys/new").status_code == 403
    assert leader.submit(f"/surveys/{survey.id}", f"/surveys/{survey.id}/close").status_code == 403
    assert browser().get("/surveys/").status_code == 302  # a stranger goes to the login page
    assert browser(city.admin).get("/surveys/999").status_code == 404
    assert db.session.get(Survey, survey.id).is_open


def test_the_change_since_the_previous_survey_on_the_questions_both_ask(browser, city, now):
    from datetime import timedelta

    before = make_survey(city, now - timedelta(days=90), title="第三季度")
    for answers in ([0, 0, 0], [1, 2, 0]):  # 江城区: 知道 1 of 2 (50), 满意 1 of 2 (50)
        answer_directly(before, "江城区", answers, now - timedelta(days=80))
    asked_again = SHORT + "\n\n您对交通秩序是否满意？\n*满意\n不满意"
    after = make_survey(city, now, questions=asked_again, title="第四季度")
    for answers in ([0, 0, 0, 0], [0, 3, 0, 1]):  # 知道 100, 满意 50, the new question 50
        answer_directly(after, "江城区", answers, now)
    data = services.results(after)
    against = services.compare(after, data)
    assert against.previous.id == before.id and against.matched == {0: 0, 1: 1}
    assert against.question(0) == pytest.approx(50) and against.question(1) == pytest.approx(0)
    assert against.question(3) is None  # not asked last time
    assert against.overall("江城区") == pytest.approx(25)  # (100 + 50) / 2 - (50 + 50) / 2: the shared questions
    assert against.overall("临江区") is None  # no answers in either
    columns, rows = services.summary_sheet(after)
    assert columns[-1] == "两期相同的2道题较上期(百分点)" and rows[-1][0] == "全市" and rows[-1][-1] == 25.0
    assert services.compare(before, services.results(before)) is None  # nothing earlier

    page = browser(city.admin).get(f"/surveys/{after.id}").get_data(as_text=True)
    assert "较上期" in page and "两期相同的 2 道题平均肯定率之差" in page and "↑25.0" in page and "↑50.0" in page


def test_a_change_over_some_questions_only_is_named_so_on_the_page_and_in_the_exports(browser, city, now):
    """The previous survey asked two more questions (one rated): 较上期 is the one question both ask (100 → 50),
    while the 综合 stayed at 50. The export headed that −50 较上期(百分点) beside the 综合, and the page called it
    综合肯定率之差 since this survey's questions were all asked before (the previous one's extra question unchecked)."""
    from datetime import timedelta

    before = make_survey(city, now - timedelta(days=90), title="第三季度")
    answer_directly(before, "江城区", [1, 1, 0], now - timedelta(days=80))  # 知道 0, 满意 100: 综合 50
    again = "您对市容环境卫生是否满意？\n*满意\n*比较满意\n一般\n不满意"
    after = make_survey(city, now, questions=again, title="第四季度")
    for answers in ([0], [2]):  # 满意 50
        answer_directly(after, "江城区", answers, now)
    against = services.compare(after, services.results(after))
    assert against.overall("全市") == pytest.approx(-50) and not against.whole and against.shared == "两期相同的 1 道题"
    leader = browser(city.leader)
    page = leader.get(f"/surveys/{after.id}").get_data(as_text=True)
    assert "两期相同的 1 道题平均肯定率之差" in page and "综合肯定率之差" not in page
    sheet = load_workbook(io.BytesIO(leader.get(f"/surveys/{after.id}/results.xlsx").data)).active
    header, *_, city_row = [[c.value for c in row] for row in sheet.iter_rows()]
    assert dict(zip(header, city_row)) == {"区县": "全市", "有效答卷": 2, "第1题肯定率(%)": 50, "综合肯定率(%)": 50,
                                           "两期相同的1道题较上期(百分点)": -50}
    csv = leader.get(f"/surveys/{after.id}/results.csv").data.decode("gb18030")
    assert "综合肯定率(%),两期相同的1道题较上期(百分点)" in csv

    same = make_survey(city, now + timedelta(days=1), questions=again, title="第五期")  # the same question again
    answer_directly(same, "江城区", [0], now + timedelta(days=1))
    assert services.compare(same, services.results(same)).shared == ""
    assert services.summary_sheet(same)[0][-1] == "较上期(百分点)"  # the 综合's own change
    assert "综合肯定率之差" in leader.get(f"/surveys/{same.id}").get_data(as_text=True)


def test_the_link_and_the_qr_code_use_the_public_address_when_set(app, browser, city, now):
    survey = make_survey(city, now)
    office = browser(city.admin)
    assert f"http://localhost/survey/{survey.code}" in office.get(f"/surveys/{survey.id}").get_data(as_text=True)
    app.config["PUBLIC_BASE_URL"] = "https://wmb.example.gov.cn/"
    page = office.get(f"/surveys/{survey.id}").get_data(as_text=True)
    assert f'value="https://wmb.example.gov.cn/survey/{survey.code}"' in page
