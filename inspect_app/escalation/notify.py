"""Group-robot messages (DingTalk 钉钉 / WeCom 企业微信) through an outbox: the city's group (WEBHOOK_URL) and each
主送 unit's own group (ESCALATION_UNIT_WEBHOOKS) when letters are issued, the office's group when the sweep
proposes letters (督办建议).

The sweep and 签发 only write outbox rows, in the same transaction as their letters, so a message is never
lost and never sent for letters that were rolled back. The notify job (jobs.deliver_due, also run by the
`escalate` command after its sweep) posts due rows with a short timeout; a failure is logged and
retried later with growing delays, and never touches the sweep.

Both robots accept {"msgtype": "text", "text": {"content": ...}} and answer {"errcode": 0, ...}.
A DingTalk robot with 加签 security needs WEBHOOK_SECRET; one with 关键词 security needs a keyword
that the message contains, such as 督办函.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..common.timeutil import fmt, local
from ..extensions import db
from .models import Notification
from .settings import level_text, setting

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
_BATCH = 20


class DeliveryError(Exception):
    pass


def _names(letter) -> str:
    return "、".join(r.unit.name for r in letter.recipients) or letter.unit.name


def message_text(letters, now: datetime) -> str:
    office = current_app.config["OFFICE_SHORT_NAME"]
    signed = any(letter.signed_by_id for letter in letters)
    lines = [f"【督办函】{office}于{fmt(now, '%Y-%m-%d %H:%M')}{'签发' if signed else '印发'}督办函{len(letters)}件："]
    for letter in letters:
        label = level_text(letter.level)["name"] if letter.kind != "bulletin" else letter.kind_label
        lines.append(f"{letter.number}（{label}）主送{_names(letter)}，"
                     f"问题{len(letter.items)}件，{local(letter.reply_by):%m月%d日}前整改并书面回复")
    lines.append("请各责任单位登录文明城市督查整改系统签收并整改。")
    return "\n".join(lines)


def configured(target: str | None) -> tuple[str, str]:
    """(url, secret) of a message target; ("", "") when that group has no robot configured."""
    config = current_app.config
    if target is None:
        return config["WEBHOOK_URL"] or "", config["WEBHOOK_SECRET"] or ""
    if target == "office":
        if config["ESCALATION_OFFICE_WEBHOOK_URL"]:
            return config["ESCALATION_OFFICE_WEBHOOK_URL"], config["ESCALATION_OFFICE_WEBHOOK_SECRET"] or ""
        return config["WEBHOOK_URL"] or "", config["WEBHOOK_SECRET"] or ""
    if target.startswith("unit:"):
        entry = (config["ESCALATION_UNIT_WEBHOOKS"] or {}).get(target[5:])
        if isinstance(entry, dict):
            return str(entry.get("url") or ""), str(entry.get("secret") or "")
        return (str(entry), "") if entry else ("", "")
    return "", ""


def any_configured() -> bool:
    config = current_app.config
    return bool(config["WEBHOOK_URL"] or config["ESCALATION_OFFICE_WEBHOOK_URL"] or config["ESCALATION_UNIT_WEBHOOKS"])


def _queue(target: str | None, content: str, now: datetime) -> Notification | None:
    if not configured(target)[0]:
        return None
    payload = {"msgtype": "text", "text": {"content": content}}
    row = Notification(created_at=now, target=target, payload_json=json.dumps(payload, ensure_ascii=False),
                       next_attempt_at=now)
    db.session.add(row)
    return row


def enqueue_letters(letters, now: datetime) -> Notification | None:
    """Queue the messages for letters just issued (in the caller's transaction): one to the city's group, and
    one to each 主送 unit's own group where it has one."""
    if not letters:
        return None
    row = _queue(None, message_text(letters, now), now)
    for letter in letters:
        for recipient in letter.recipients:
            unit = recipient.unit
            _queue(f"unit:{unit.code}", f"【督办函】{current_app.config['OFFICE_SHORT_NAME']}向{unit.name}"
                   f"发出{letter.number}（{letter.kind_label}），问题{sum(1 for i in letter.items if i.unit_id == unit.id)}件，"
                   f"请于{local(letter.reply_by):%m月%d日}前签收、整改并书面回复。", now)
    return row


def enqueue_proposals(proposals, now: datetime) -> Notification | None:
    """Tell the office's group that the sweep proposed letters (nothing is sent when it proposed none)."""
    if not proposals:
        return None
    units = len({p.unit_id for p in proposals})
    levels = {}
    for proposal in proposals:
        levels[proposal.level] = levels.get(proposal.level, 0) + 1
    parts = "、".join(f"{level_text(level)['name']}{n}条" for level, n in sorted(levels.items()))
    return _queue("office", f"【督办建议】{fmt(now, '%Y-%m-%d %H:%M')}督办扫描新增督办建议{len(proposals)}条"
                  f"（{parts}），涉及{units}个单位，请登录文明城市督查整改系统审核、编制督办函。", now)


def signed_url(url: str, secret: str, now: datetime) -> str:
    """DingTalk 加签: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def post(url: str, payload: dict, timeout: float) -> None:
    """POST the JSON; raises DeliveryError unless the robot accepted it."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("WEBHOOK_URL 必须以 http:// 或 https:// 开头")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            raw = response.read(65536)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryError(str(error)) from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise DeliveryError(f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most 6 hours between tries."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def due_messages(now: datetime) -> list[int]:
    """Ids of the outbox rows due for a (first or next) attempt, oldest first."""
    return list(db.session.scalars(
        select(Notification.id).where(Notification.sent_at.is_(None), Notification.failed_at.is_(None),
                                      Notification.next_attempt_at <= now)
        .order_by(Notification.id).limit(_BATCH)))


def deliver(notification_id: int, now: datetime) -> bool:
    """Post one outbox row and record the outcome (flushes; the caller commits). Never raises for a delivery
    problem: a failure is retried later with growing delays, and given up after MAX_ATTEMPTS."""
    row = db.session.get(Notification, notification_id)
    url, secret = configured(row.target)
    payload = json.loads(row.payload_json)
    row.attempts += 1
    try:
        if not url:
            raise DeliveryError("该消息的群机器人地址已不再配置")
        target = signed_url(url, secret, now) if secret else url
        post(target, payload, float(setting("WEBHOOK_TIMEOUT")))
    except DeliveryError as error:
        row.last_error = str(error)[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.failed_at = now
            log.error("webhook message %s given up after %d attempts: %s", row.id, row.attempts, error)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            log.warning("webhook message %s failed (attempt %d), retrying at %s: %s", row.id,
                        row.attempts, row.next_attempt_at.isoformat(), error)
        db.session.flush()
        return False
    row.sent_at = now
    row.last_error = ""
    db.session.flush()
    return True
