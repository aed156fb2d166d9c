"""Group-robot messages (DingTalk 钉钉 / WeCom 企业微信) when letters are issued, through the shared outbox.

The sweep only writes an outbox row (inspect_app/outbox), in the same transaction as its letters, so a message is
never lost and never sent for letters that were rolled back. The outbox's job (also run by the `escalate` command
after its sweep) posts due rows with a short timeout; a failure is logged and retried later with growing delays,
and never touches the sweep.

A DingTalk robot with 加签 security needs WEBHOOK_SECRET; one with 关键词 security needs a keyword that the message
contains, such as 督办函.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from ..common.timeutil import fmt, local
from ..outbox import service as outbox
from ..outbox.models import OutboxMessage
from ..outbox.service import DeliveryError, backoff, deliver, due_messages, post, signed_url  # noqa: F401
from .settings import level_text, setting


def message_text(letters, now: datetime) -> str:
    office = current_app.config["OFFICE_SHORT_NAME"]
    lines = [f"【督办函】{office}于{fmt(now, '%Y-%m-%d %H:%M')}印发督办函{len(letters)}件："]
    for letter in letters:
        lines.append(f"{letter.number}（{level_text(letter.level)['name']}）主送{letter.unit.name}，"
                     f"问题{len(letter.items)}件，{local(letter.reply_by):%m月%d日}前整改反馈")
    lines.append("请各责任单位登录文明城市督查整改系统签收并整改。")
    return "\n".join(lines)


def enqueue_letters(letters, now: datetime) -> OutboxMessage | None:
    """Queue one message for the office's robot about the letters of a sweep (in the caller's transaction)."""
    if not letters or not setting("WEBHOOK_URL"):
        return None
    return outbox.enqueue(message_text(letters, now), now, kind="letters")
