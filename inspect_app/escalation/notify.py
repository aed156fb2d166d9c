"""Group-robot messages (DingTalk 钉钉 / WeCom 企业微信) through the shared outbox (inspect_app/outbox): the
office's robot (WEBHOOK_URL) and each 主送 unit's own robot (set up on the unit's page) when letters are issued,
the office's robot when the sweep proposes letters (督办建议), and a unit's own robot when the office schedules or
cancels a 约谈 of that unit (not the office's: the city's group hears every unit, and a 约谈 is the unit's own).

The sweep and 签发 only write outbox rows, in the same transaction as their letters, so a message is never lost and
never sent for letters that were rolled back. The outbox's job (also run by the `escalate` command after its sweep)
posts due rows with a short timeout; a failure is logged and retried later with growing delays, and never touches
the sweep.

A DingTalk robot with 加签 security needs WEBHOOK_SECRET; one with 关键词 security needs a keyword that the message
contains: each letter's message names its kind (【督办函】, 【约谈通知】, 【督查通报】) and its 问题, a 约谈's
carries 提醒.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import current_app

from ..common.timeutil import fmt, local
from ..outbox import service as outbox
from ..outbox.models import OutboxMessage
from ..outbox.service import DeliveryError, backoff, deliver, due_messages, post, signed_url  # noqa: F401
from .settings import level_text


def _month_day(moment: datetime) -> str:
    """12月2日, as the letter and the units' 消息 write a date (Letter.asks), not 12月02日."""
    day = local(moment)
    return f"{day.month}月{day.day}日"


def _names(letter) -> str:
    return "、".join(r.unit.name for r in letter.recipients) or letter.unit.name


# The order a batch's kinds are counted in; the first present names the office's message (【督办函】…).
FAMILIES = ("督办函", "约谈通知", "督查通报")


def message_text(letters, now: datetime) -> str:
    """The office's message for a batch: each kind of document counted by its own name (督办函2件、约谈通知1件),
    each line with what the document asks by its date (Letter.asks, as the units' 消息 say it). Every line names
    its 问题, a keyword a DingTalk robot is told to accept."""
    office = current_app.config["OFFICE_SHORT_NAME"]
    signed = any(letter.signed_by_id for letter in letters)
    counts = Counter(letter.family_label for letter in letters)
    families = sorted(counts, key=lambda f: FAMILIES.index(f) if f in FAMILIES else len(FAMILIES))
    lines = [f"【{families[0]}】{office}于{fmt(now, '%Y-%m-%d %H:%M')}{'签发' if signed else '印发'}"
             + "、".join(f"{family}{counts[family]}件" for family in families) + "："]
    for letter in letters:
        label = level_text(letter.level)["name"] if letter.kind != "bulletin" else letter.kind_label
        lines.append(f"{letter.number}（{label}）主送{_names(letter)}，问题{len(letter.items)}件，{letter.asks}")
    lines.append("请各责任单位登录文明城市督查整改系统签收并整改。")
    return "\n".join(lines)


def unit_text(letter, unit, count: int) -> str:
    """A 主送 unit's message for its document, named by its kind, with what it asks by its date."""
    return (f"【{letter.family_label}】{current_app.config['OFFICE_SHORT_NAME']}向{unit.name}发出{letter.number}"
            f"（{letter.kind_label}），问题{count}件，请于{_month_day(letter.reply_by)}前签收并{letter.ask}。")


def enqueue_letters(letters, now: datetime) -> OutboxMessage | None:
    """Queue the messages for letters just issued (in the caller's transaction): one to the office's robot, and
    one to each 主送 unit's own robot where it has one."""
    if not letters:
        return None
    row = outbox.enqueue(message_text(letters, now), now, kind="letters")
    for letter in letters:
        for recipient in letter.recipients:
            unit = recipient.unit
            count = sum(1 for item in letter.items if item.unit_id == unit.id)
            outbox.enqueue(unit_text(letter, unit, count), now, unit_id=unit.id, kind="letters")
    return row


def enqueue_proposals(proposals, now: datetime) -> OutboxMessage | None:
    """Tell the office's robot that the sweep proposed letters (nothing is sent when it proposed none). It names
    the 问题, the keyword a DingTalk robot with 关键词 security is told to accept (the robot pages ask for 问题 and
    提醒): without it the office's robot refused every such message."""
    if not proposals:
        return None
    units = len({p.unit_id for p in proposals})
    levels: dict[int, int] = {}
    for proposal in proposals:
        levels[proposal.level] = levels.get(proposal.level, 0) + 1
    counts = "、".join(f"{level_text(level)['name']}{n}条" for level, n in sorted(levels.items()))
    return outbox.enqueue(f"【督办建议】{fmt(now, '%Y-%m-%d %H:%M')}督办扫描新增督办建议{len(proposals)}条"
                          f"（{counts}），涉及{units}个单位的超期未整改问题，请登录文明城市督查整改系统审核、"
                          "编制督办函。", now, kind="proposals")


def interview_text(interview) -> str:
    """What a unit is told of its 约谈: when, where, who is to attend, the letter it follows; or that it is off.
    【约谈提醒】 carries 提醒, a keyword the unit's robot page asks a DingTalk robot to accept."""
    office = current_app.config["OFFICE_SHORT_NAME"]
    letter = f"（{interview.letter.number}）" if interview.letter is not None and interview.letter.number else ""
    if interview.status == "cancelled":
        return (f"【约谈提醒】{interview.unit.name}：{office}原定于{interview.when_label}在{interview.place}"
                f"进行的约谈{letter}已取消，请登录文明城市督查整改系统查看。")
    host = f"，约谈人：{interview.host}" if interview.host else ""
    return (f"【约谈提醒】{interview.unit.name}：{office}定于{interview.when_label}在{interview.place}约谈你单位"
            f"{letter}，请{interview.attendees}准时参加{host}。")


def enqueue_interview(interview, now: datetime) -> OutboxMessage | None:
    """Queue the unit's message for a 约谈 just scheduled or cancelled (in the caller's transaction), where the unit
    has a robot; none for one entered after it took place (`Interview.announced`)."""
    if not interview.announced:
        return None
    return outbox.enqueue(interview_text(interview), now, unit_id=interview.unit_id, kind="interview")
