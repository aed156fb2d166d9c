"""The escalation feature's settings and wording. Every key is declared with its default in inspect_app/config.py:

ESCALATION_LEVEL_DELAYS   working days a unit gets to reply, per level: {1: 3, 2: 5, 3: 5}.
                          Level 1 comes when the ticket's own deadline passes; level n+1 when the
                          level-n letter's reply-by date passes with the ticket still not rectified.
ESCALATION_LEVEL_TEXT     wording per level, merged over LEVEL_TEXT below (kind, title, intro,
                          demand, report, cc); {reply_by}, {count}, {unit} in a text are filled in.
                          The office's wording ("经市文明办督查发现"); 报 (report) names leaders, 抄送
                          (cc) organs, never a person.
ESCALATION_STATUSES       ticket statuses that escalate: ("assigned",). A 退单 (disputed) ticket waits
                          for the office's decision instead; add "disputed" to escalate those too.
LETTER_NUMBER_PREFIX, LETTER_BANNER, LETTER_FONT_PATH, LETTER_CONTACT   the letter's number and print
                          (LETTER_FONT_PATH overrides PDF_FONT_BODY, config.py, with the other faces and the seal)
ESCALATION_SCHEDULE, ESCALATION_WORKDAYS_ONLY   when the daily sweep runs
WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_TIMEOUT    the group robot told of new letters

PDFs are stored under UPLOAD_FOLDER/letters/<year>/ — back UPLOAD_FOLDER up together with the database.
"""
from __future__ import annotations

from flask import current_app

LEVEL_TEXT: dict[int, dict[str, str]] = {
    1: {
        "name": "督办",
        "kind": "普通督办",
        "title": "关于督促整改超期未办结问题的督办函",
        "intro": "经市文明办督查发现，你单位有{count}个问题已超过整改时限仍未整改到位（详见附件）。现予督办，"
                 "请高度重视，立即组织整改。",
        "demand": "请于{reply_by}前整改到位，并通过文明城市督查整改系统上传整改后照片、反馈整改情况；确有困难的，"
                  "请在时限内书面说明原因。逾期仍未整改到位的，将实行挂牌督办。",
        "report": "",
        "cc": "",
    },
    2: {
        "name": "挂牌督办",
        "kind": "挂牌督办",
        "title": "关于对超期未整改问题实行挂牌督办的函",
        "intro": "经市文明办督查发现，你单位有{count}个问题经督办后仍未整改到位（详见附件）。经研究，"
                 "决定对上述问题实行挂牌督办，并列入红黑榜通报。",
        "demand": "请你单位主要负责同志亲自过问，于{reply_by}前整改到位，并通过文明城市督查整改系统上传整改后照片、"
                  "反馈整改情况。逾期仍未整改到位的，将约谈你单位主要负责同志。",
        "report": "市文明委主任、副主任",
        "cc": "市委督查室、市政府督查室",
    },
    3: {
        "name": "约谈",
        "kind": "约谈",
        "title": "关于约谈超期未整改问题责任单位负责同志的通知",
        "intro": "经市文明办督查发现，你单位有{count}个问题经挂牌督办后仍未整改到位（详见附件），影响全市创建"
                 "全国文明城市工作。经研究，决定约谈你单位主要负责同志。",
        "demand": "请你单位主要负责同志按市文明办另行通知的时间、地点接受约谈，并于{reply_by}前将整改情况书面报送"
                  "市文明办，同时通过文明城市督查整改系统上传整改后照片。",
        "report": "市文明委主任、副主任",
        "cc": "市委督查室、市政府督查室",
    },
}

def setting(name: str, app=None):
    return (app or current_app).config[name]


def level_delays(app=None) -> dict[int, int]:
    """Working days per level; a list [3, 5, 5] is read as levels 1, 2, 3."""
    raw = setting("ESCALATION_LEVEL_DELAYS", app)
    if isinstance(raw, (list, tuple)):
        raw = {i + 1: v for i, v in enumerate(raw)}
    merged = {1: 3, 2: 5, 3: 5, **{int(k): int(v) for k, v in dict(raw).items()}}
    return {level: max(1, days) for level, days in merged.items()}


def level_text(level: int, app=None) -> dict[str, str]:
    overrides = setting("ESCALATION_LEVEL_TEXT", app) or {}
    mine = overrides.get(level) or overrides.get(str(level)) or {}
    return {**LEVEL_TEXT[level], **mine}


def banner(app=None) -> str:
    app = app or current_app
    return setting("LETTER_BANNER", app) or app.config["OFFICE_NAME"]


def letter_number(year: int, seq: int, app=None) -> str:
    return f"{setting('LETTER_NUMBER_PREFIX', app)}〔{year}〕{seq}号"
