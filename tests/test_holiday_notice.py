"""Next year's holidays from the State Council's notice, pasted whole (the office does this every December).

The notices of 2024, 2025 and 2026 are read and compared with chinese-calendar, which has those years from the
same notices: every day off and every make-up working day must come out the same."""
from __future__ import annotations

import re
from datetime import date

import pytest
from chinese_calendar import constants
from conftest import at
from sqlalchemy import select

from inspect_app.common.errors import Invalid
from inspect_app.common.timeutil import local
from inspect_app.extensions import db
from inspect_app.workdays.calendar import compute_deadline
from inspect_app.workdays.models import Holiday
from inspect_app.workdays.notice import notice_year, parse_notice

NOTICE_2024 = """国务院办公厅关于2024年部分节假日安排的通知
国办发明电〔2023〕7号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2024年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日放假，与周末连休。
二、春节：2月10日至17日放假调休，共8天。2月4日（星期日）、2月18日（星期日）上班。鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息。
三、清明节：4月4日至6日放假调休，共3天。4月7日（星期日）上班。
四、劳动节：5月1日至5日放假调休，共5天。4月28日（星期日）、5月11日（星期六）上班。
五、端午节：6月10日放假，与周末连休。
六、中秋节：9月15日至17日放假调休，共3天。9月14日（星期六）上班。
七、国庆节：10月1日至7日放假调休，共7天。9月29日（星期日）、10月12日（星期六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。
国务院办公厅
2023年10月25日"""

NOTICE_2025 = """一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。"""

# pasted from a web page as one run of text, with full-width digits in one place
NOTICE_2026 = ("国务院办公厅关于2026年部分节假日安排的通知 经国务院批准，现将具体安排通知如下。"
               "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。"
               "二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共９天。"
               "2月14日（周六）、2月28日（周六）上班。三、清明节：4月4日（周六）至6日（周一）放假，共3天。"
               "四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。"
               "五、端午节：6月19日（周五）至21日（周日）放假，共3天。六、中秋节：9月25日（周五）至27日（周日）放假，共3天。"
               "七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。")

# 2027 as a notice would put it (chinese-calendar does not know 2027)
NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。2月13日（周六）上班。"""


@pytest.mark.parametrize("year,text", [(2024, NOTICE_2024), (2025, NOTICE_2025), (2026, NOTICE_2026)])
def test_a_real_notice_reads_as_chinese_calendar_has_it(year, text):
    notice = parse_notice(text, year)
    off = [d for d, kind, _ in notice.days() if kind == "holiday"]
    work = [d for d, kind, _ in notice.days() if kind == "workday"]
    assert off == sorted(d for d in constants.holidays if d.year == year)
    assert work == sorted(d for d in constants.workdays if d.year == year)
    assert notice_year(text) in (year, None)


def test_names_and_make_up_days_go_with_their_holiday():
    notice = parse_notice(NOTICE_2025, 2025)
    assert [h.name for h in notice.holidays] == ["元旦", "春节", "清明节", "劳动节", "端午节", "国庆节、中秋节"]
    spring = notice.holidays[1]
    assert (spring.off[0], spring.off[-1], len(spring.off)) == (date(2025, 1, 28), date(2025, 2, 4), 8)
    assert spring.work == [date(2025, 1, 26), date(2025, 2, 8)]
    assert (date(2025, 1, 26), "workday", "春节调休") in notice.days()
    assert notice.holidays[4].off == [date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2)]  # into June


@pytest.mark.parametrize("text,year,words", [
    (NOTICE_2026, 2027, "通知标题是2026年的安排，所选年份是2027年"),
    (NOTICE_2025, 2027, "“元旦”中的1月1日标注为周三，但2027年1月1日是周五"),
    (NOTICE_2027.replace("共8天", "共7天"), 2027, "“春节”写明共7天，但2月5日至2月12日是8天"),
    (NOTICE_2027.replace("2月13日", "2月30日"), 2027, "2月30日不是有效日期"),
    (NOTICE_2027 + "\n三、清明节：2月13日（周六）放假。", 2027, "2月13日在通知中既是“春节上班”又是“清明节放假”"),
    ("放假安排见附件。", 2027, "没有识别出放假安排"),
    ("", 2027, "没有识别出放假安排"),
    ("一、" * 3000, 2027, "不能超过5000字"),
])
def test_a_notice_that_does_not_add_up_is_refused(text, year, words):
    with pytest.raises(Invalid) as refused:
        parse_notice(text, year)
    assert words in refused.value.message


def test_the_office_pastes_next_years_notice_previews_and_enters_it(app, browser, city, now):
    office = browser(city.admin)
    page = office.get("/office/holidays?year=2027").get_data(as_text=True)
    assert "按国务院办公厅通知批量录入" in page and "2027 年的放假安排未知" in page
    db.session.add(Holiday(day=date(2027, 1, 4), kind="holiday", name="元旦"))  # entered by hand before
    db.session.add(Holiday(day=date(2027, 3, 8), kind="holiday", name="试录"))
    db.session.commit()

    preview = office.submit("/office/holidays?year=2027", "/office/holidays/notice",
                            {"year": "2027", "text": NOTICE_2027, "step": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200, text
    assert "确认录入：放假 11 天，调休上班 1 天" in text and "2027-02-13" in text and "春节调休" in text
    assert "已录入但通知中没有的日期保留不变：2027-01-04（放假）、2027-03-08（放假）" in text
    assert db.session.scalar(select(Holiday).where(Holiday.day == date(2027, 2, 5))) is None  # nothing yet

    wrong = office.submit("/office/holidays?year=2027", "/office/holidays/notice",
                          {"year": "2027", "text": NOTICE_2025, "step": "preview"})
    assert wrong.status_code == 422 and "但2027年1月1日是周五" in wrong.get_data(as_text=True)
    # the refusal takes focus, as every refused form's does (a screen reader reads it, the page shows it)
    assert re.search(r'<div autofocus tabindex="-1" class="alert error" role="alert">[^<]*但2027年1月1日是周五',
                     wrong.get_data(as_text=True))

    done = office.submit("/office/holidays?year=2027", "/office/holidays/notice",
                         {"year": "2027", "text": NOTICE_2027, "step": "confirm"})
    assert done.status_code == 303 and done.location.endswith("/office/holidays?year=2027")
    db.session.expire_all()
    rows = {h.day: (h.kind, h.name) for h in db.session.scalars(select(Holiday))}
    assert rows[date(2027, 2, 5)] == ("holiday", "春节") and rows[date(2027, 2, 13)] == ("workday", "春节调休")
    assert rows[date(2027, 3, 8)] == ("holiday", "试录") and len(rows) == 14  # 11 off, 1 at work, 2 kept
    assert "已按通知录入 2027 年的节假日：放假 11 天，调休上班 1 天" in office.get(done.location).get_data(as_text=True)
    # deadlines computed from now on keep to it: 3 working days from Thursday 4 February 2027 are Saturday 13
    # (made a working day), Monday 15 and Tuesday 16, past the Spring Festival (Tuesday 9 without the notice)
    assert local(compute_deadline({"workdays": 3}, at("2027-02-04T10:00"))).date() == date(2027, 2, 16)

    again = office.submit("/office/holidays?year=2027", "/office/holidays/notice",
                          {"year": "2027", "text": NOTICE_2027, "step": "preview"}).get_data(as_text=True)
    assert again.count("与现有一致") == 12  # entering it twice changes nothing


def test_only_the_office_enters_a_notice(browser, city):
    leader = browser(city.leader)
    response = leader.submit("/dashboard/", "/office/holidays/notice", {"year": "2027", "text": NOTICE_2027,
                                                                       "step": "confirm"})
    assert response.status_code == 403
    assert db.session.scalar(select(Holiday)) is None


def test_the_api_reads_a_notice_dry_then_enters_it(api, city):
    dry = api.post("/api/v1/admin/holidays/notice", city.admin, json={"year": 2027, "text": NOTICE_2027,
                                                                     "dry_run": True})
    body = dry.get_json()
    assert dry.status_code == 200 and body["entered"] is None and body["year"] == 2027
    assert body["holidays"][1] == {"name": "春节", "off": [f"2027-02-{d:02d}" for d in range(5, 13)],
                                   "work": ["2027-02-13"]}
    # the law's days off are in the calendar already (workdays.statutory_days); the rest is new
    same = {d["date"] for d in body["days"] if d["change"] == "same"}
    assert same == {"2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"}
    assert {d["change"] for d in body["days"] if d["date"] not in same} == {"new"}
    assert db.session.scalar(select(Holiday)) is None
    entered = api.post("/api/v1/admin/holidays/notice", city.admin, json={"year": 2027, "text": NOTICE_2027})
    assert entered.status_code == 200 and entered.get_json()["entered"] == {"holiday": 11, "workday": 1}
    assert len(db.session.scalars(select(Holiday)).all()) == 12
    wrong = api.post("/api/v1/admin/holidays/notice", city.admin, json={"year": 2027, "text": NOTICE_2025})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "notice_weekday_mismatch"
    assert api.post("/api/v1/admin/holidays/notice", city.leader, json={"year": 2027, "text": NOTICE_2027}
                    ).status_code == 403


def test_the_api_reads_dry_run_as_every_yes_or_no_is_read(api, city):
    """Any text was a preview ("false" too); now the one reading of yes and no (common/flags.py)."""
    notice = {"year": 2027, "text": NOTICE_2027}
    preview = api.post("/api/v1/admin/holidays/notice", city.admin, json={**notice, "dry_run": "TRUE"})
    assert preview.status_code == 200 and preview.get_json()["entered"] is None
    refused = api.post("/api/v1/admin/holidays/notice", city.admin, json={**notice, "dry_run": "perhaps"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_dry_run"
    assert db.session.scalar(select(Holiday)) is None
    entered = api.post("/api/v1/admin/holidays/notice", city.admin, json={**notice, "dry_run": "false"})
    assert entered.status_code == 200 and entered.get_json()["entered"] == {"holiday": 11, "workday": 1}
