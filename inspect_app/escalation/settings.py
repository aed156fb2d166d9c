"""The escalation feature's settings and wording. Every key is declared with its default in inspect_app/config.py:

ESCALATION_MODE           propose (default): the sweep writes 督办建议; the office compiles letters and a leader
                          signs them. auto: the sweep issues one letter per (unit, level) by itself.
ESCALATION_LEVEL_DELAYS   working days a unit gets to reply, per level: {1: 3, 2: 5, 3: 5}, counted from 签发 (a
                          draft's default reply-by date, and the auto sweep's). Level 1 comes when the ticket's own
                          deadline passes; level n+1 when the level-n letter's reply-by date passes with the
                          ticket still not rectified.
ESCALATION_LEVEL_TEXT     wording per level, merged over LEVEL_TEXT below (kind, title, intro, demand, feedback,
                          report, cc): the built-in wording the office's templates start from. The office edits
                          its own templates (LetterTemplate rows) on the templates page; those win.
ESCALATION_STATUSES       ticket statuses that escalate: ("assigned",). A 退单 (disputed) ticket waits
                          for the office's decision instead; add "disputed" to escalate those too.
LETTER_ADMIN_MAY_SIGN     whether the office's admins may 签发 too (default: leaders only)
LETTER_NUMBER_PREFIX, LETTER_BANNER, LETTER_FONT_PATH, LETTER_CONTACT   the letter's number and print
                          (LETTER_FONT_PATH overrides PDF_FONT_BODY, config.py, with the other faces and the seal);
                          督查通报 are numbered in the BULLETIN_NUMBER_PREFIX series. Either prefix unset is
                          the office's place and 文明督 / 文明通 (config.fill_number_prefixes: 清源文明督).
ESCALATION_SCHEDULE, ESCALATION_WORKDAYS_ONLY   when the daily sweep runs
WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_TIMEOUT    the office's robot, told of 督办建议 and signed letters (units'
                                                own robots: inspect_app/outbox)
LETTER_REPLY_MAX_FILES, LETTER_PDF_MAX_MB, RECHECK_DAYS   replies' attachments, 回头看

Placeholders in a template's title and body, filled when the letter is printed: {count} (problems listed),
{reply_by} (2026年12月2日), {you} (你单位, or 各有关单位 with several 主送 units), {units} (the 主送 names),
{as_of} (截至 when: the signing time, or now for a draft's preview); {unit} (the first 主送, older wording).

PDFs are stored under UPLOAD_FOLDER/letters/<year>/ — back UPLOAD_FOLDER up together with the database.
"""
from __future__ import annotations

import re

from flask import current_app

MODES = ("propose", "auto")

LEVEL_TEXT: dict[int, dict[str, str]] = {
    1: {
        "name": "督办",
        "kind": "普通督办",
        "title": "关于督促整改超期未办结问题的督办函",
        "intro": "经市文明办督查发现，{you}有{count}个问题已超过整改时限仍未整改到位（详见附件）。现予督办，"
                 "请高度重视，立即组织整改。",
        "demand": "请于{reply_by}前整改到位，并通过文明城市督查整改系统上传整改后照片、反馈整改情况；确有困难的，"
                  "请在时限内书面说明原因。逾期仍未整改到位的，将实行挂牌督办。",
        "feedback": "请于{reply_by}前签收本函，并逐项书面回复整改情况（可附整改后照片或加盖公章的说明材料）。"
                    "市文明办将逐项核查，整改到位的予以销号。",
        "report": "",
        "cc": "",
    },
    2: {
        "name": "挂牌督办",
        "kind": "挂牌督办",
        "title": "关于对超期未整改问题实行挂牌督办的函",
        "intro": "经市文明办督查发现，{you}有{count}个问题经督办后仍未整改到位（详见附件）。经研究，"
                 "决定对上述问题实行挂牌督办，并列入红黑榜通报。",
        "demand": "请{you}主要负责同志亲自过问，于{reply_by}前整改到位，并通过文明城市督查整改系统上传整改后照片、"
                  "反馈整改情况。逾期仍未整改到位的，将约谈{you}主要负责同志。",
        "feedback": "请于{reply_by}前签收本函，并逐项书面回复整改情况及责任落实情况（可附整改后照片或加盖公章的说明材料）。"
                    "市文明办将逐项核查，整改到位的予以销号。",
        "report": "市文明委主任、副主任",
        "cc": "市委督查室、市政府督查室",
    },
    3: {
        "name": "约谈",
        "kind": "约谈",
        "title": "关于约谈超期未整改问题责任单位负责同志的通知",
        "intro": "经市文明办督查发现，{you}有{count}个问题经挂牌督办后仍未整改到位（详见附件），影响全市创建"
                 "全国文明城市工作。经研究，决定约谈{you}主要负责同志。",
        "demand": "请{you}主要负责同志按市文明办另行通知的时间、地点接受约谈，并于{reply_by}前将整改情况书面报送"
                  "市文明办，同时通过文明城市督查整改系统上传整改后照片。",
        "feedback": "请于{reply_by}前签收本通知，并逐项书面回复整改情况（可附整改后照片或加盖公章的说明材料）。"
                    "市文明办将逐项核查，整改到位的予以销号。",
        "report": "市文明委主任、副主任",
        "cc": "市委督查室、市政府督查室",
    },
}

# 督查通报: names the problems found and the units answering for them; the wording the office starts from.
# Phrases a title is never broken inside (pdf.text.balanced_lines keeps them whole), besides the 主送 names.
TITLE_PHRASES = ("突出问题", "超期未整改", "超期未办结", "整改情况", "责任单位", "挂牌督办", "负责同志")
BULLETIN_TEXT = {
    "title": "关于近期城市管理突出问题整改情况的督查通报",
    "intro": "近期，市文明办组织对全市创建全国文明城市工作开展督查，发现{count}个问题整改不及时、不到位（详见附件），"
             "现将有关情况通报如下。",
    "demand": "请{you}对照问题清单，举一反三、立行立改，于{reply_by}前整改到位，并将整改情况书面报送市文明办。"
              "市文明办将适时开展“回头看”，对整改不力、问题反弹的单位在红黑榜中予以通报。",
    "feedback": "请于{reply_by}前签收本通报，并逐项书面回复整改情况（可附整改后照片或加盖公章的说明材料）。",
    "report": "市文明委主任、副主任",
    "cc": "市委督查室、市政府督查室，市文明委各成员单位",
}

KIND_CLOSINGS = {"supervision": "特此函告。", "listed": "特此函告。", "summons": "特此通知。", "bulletin": "特此通报。"}
KIND_LEVEL_TEXT = {"supervision": 1, "listed": 2, "summons": 3}


def setting(name: str, app=None):
    return (app or current_app).config[name]


def mode(app=None) -> str:
    """The configured ESCALATION_MODE; anything else than "auto" proposes (the safe reading)."""
    return "auto" if str(setting("ESCALATION_MODE", app) or "").strip().lower() == "auto" else "propose"


def admin_may_sign(app=None) -> bool:
    return bool(setting("LETTER_ADMIN_MAY_SIGN", app))


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


def number_prefix(series: str, app=None) -> str:
    return setting("BULLETIN_NUMBER_PREFIX" if series == "bulletin" else "LETTER_NUMBER_PREFIX", app)


def letter_number(year: int, seq: int, app=None, series: str = "letter") -> str:
    return f"{number_prefix(series, app)}〔{year}〕{seq}号"


# ----------------------------------------------------------------------------- wording templates

def default_body(wording: dict[str, str], closing: str, *, as_of: bool = True) -> str:
    """The body as the office edits it: one paragraph a line; "一、……" lines are headings. A 督办 letter opens
    with the moment its facts describe (截至……)."""
    intro = f"截至{{as_of}}，{wording['intro']}" if as_of else wording["intro"]
    return "\n".join([intro, "一、整改要求", wording["demand"], "二、反馈要求", wording["feedback"], closing])


def default_template(kind: str, app=None) -> dict[str, str]:
    """The built-in wording for a kind of letter (ESCALATION_LEVEL_TEXT merged in for the level kinds)."""
    wording = level_text(KIND_LEVEL_TEXT[kind], app) if kind in KIND_LEVEL_TEXT else dict(BULLETIN_TEXT)
    wording.setdefault("feedback", LEVEL_TEXT[1]["feedback"])
    return {"title": wording["title"], "body": default_body(wording, KIND_CLOSINGS[kind], as_of=kind != "bulletin"),
            "report_to": wording.get("report") or "", "cc": wording.get("cc") or ""}


_PLACEHOLDER = re.compile(r"\{(count|reply_by|you|units|unit|as_of)\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Fill the known placeholders; any other brace is the office's text and stays as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")
