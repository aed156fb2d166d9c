"""Writing robot messages into the outbox and posting them.

Both robots accept {"msgtype": "text", "text": {"content": ...}} and answer {"errcode": 0, ...}. A DingTalk robot
with 加签 security needs its secret (WEBHOOK_SECRET for the office's, UnitRobot.secret for a unit's); one with 关键词
security needs a keyword that the message contains (messages start with 【督办函】, 【约谈通知】, 【督查通报】,
【新问题】, 【整改提醒】, 【任务提醒】, 【约谈提醒】 or 【每日提醒】, and a unit's each carry 问题 or 提醒, the keywords
the robot page asks for).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..common.errors import Invalid
from ..common.models import lock_setting
from ..extensions import db
from .models import OutboxMessage, UnitRobot

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
BATCH = 20



class DeliveryError(Exception):
    pass


def office_robot() -> tuple[str, str] | None:
    url = current_app.config.get("WEBHOOK_URL") or ""
    return (url, current_app.config.get("WEBHOOK_SECRET") or "") if url else None


def unit_robot(unit_id: int) -> UnitRobot | None:
    robot = db.session.get(UnitRobot, unit_id)
    return robot if robot is not None and robot.enabled and robot.url else None


def trim(text: str, limit_bytes: int = 2000) -> str:
    """WeCom refuses a text message over 2,048 bytes: cut at a line break and say so."""
    if len(text.encode("utf-8")) <= limit_bytes:
        return text
    lines, kept = text.split("\n"), []
    for line in lines:
        if len("\n".join(kept + [line, "……（更多请登录系统查看）"]).encode("utf-8")) > limit_bytes:
            break
        kept.append(line)
    return "\n".join(kept + ["……（更多请登录系统查看）"])


def enqueue(text: str, now: datetime, *, unit_id: int | None = None, kind: str = "letters") -> OutboxMessage | None:
    """Queue a text message for the office's robot (unit_id None) or a unit's, in the caller's transaction; None
    when that robot is not set up."""
    if (unit_robot(unit_id) if unit_id is not None else office_robot()) is None:
        return None
    payload = {"msgtype": "text", "text": {"content": trim(text)}}
    row = OutboxMessage(created_at=now, unit_id=unit_id, kind=kind, next_attempt_at=now,
                        payload_json=json.dumps(payload, ensure_ascii=False))
    db.session.add(row)
    return row


def signed_url(url: str, secret: str, now: datetime) -> str:
    """DingTalk 加签: timestamp (ms) and base64 HMAC-SHA256 of "timestamp\\nsecret"."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def post(url: str, payload: dict, timeout: float) -> None:
    """POST the JSON; raises DeliveryError unless the robot accepted it."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("机器人地址必须以 http:// 或 https:// 开头")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            raw = response.read(65536)
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        raise DeliveryError(problem(error)) from error  # the cause (urllib's own words) goes to the log
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        raise DeliveryError(refused(answer.get("errcode"), answer.get("errmsg", "")))


# ----------------------------------------------------------------------------- why a message did not arrive
# In Chinese for the clerk who reads the robot page (last_error); urllib's own words go to the log.

def refused(errcode, errmsg) -> str:
    """The robot answered with an error code: its code, and its message quoted as it came."""
    return f"机器人拒收（errcode {errcode}：“{str(errmsg or '')[:200]}”）"


def problem(error: BaseException) -> str:
    """Why a post failed, from what urllib raised."""
    if isinstance(error, urllib.error.HTTPError):
        return f"对方服务器返回错误（HTTP {error.code}）"
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):  # socket.timeout too
        return "连接超时"
    if isinstance(reason, socket.gaierror):
        return "无法连接：找不到服务器地址"
    if isinstance(reason, ssl.SSLError):
        return "无法连接：安全连接（证书）校验失败"
    if isinstance(reason, ConnectionRefusedError):
        return "无法连接：对方拒绝连接"
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return "连接中断，对方没有正常应答"
    if isinstance(error, ValueError):
        return "机器人地址无效"
    return "无法连接"


# What rows written before these words held (urllib's English), read the same way
_ENGLISH = [
    (re.compile(r"^HTTP Error (\d{3})"), lambda m: f"对方服务器返回错误（HTTP {m[1]}）"),
    (re.compile(r"^errcode (\S*): (.*)$", re.S), lambda m: refused(m[1], m[2])),
    (re.compile(r"timed out", re.I), lambda m: "连接超时"),
    (re.compile(r"Name or service not known|nodename nor servname|getaddrinfo|name resolution", re.I),
     lambda m: "无法连接：找不到服务器地址"),
    (re.compile(r"SSL|CERTIFICATE", re.I), lambda m: "无法连接：安全连接（证书）校验失败"),
    (re.compile(r"Connection refused", re.I), lambda m: "无法连接：对方拒绝连接"),
    (re.compile(r"Connection (reset|aborted)|Remote end closed|BadStatusLine|IncompleteRead", re.I),
     lambda m: "连接中断，对方没有正常应答"),
]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def error_text(stored: str | None) -> str:
    """A row's last_error as the robot page shows it: as written, or, for a row written in urllib's English before
    the errors were worded here, its Chinese (anything else unknown: 无法连接, with the words as they came)."""
    stored = stored or ""
    if not stored or _CHINESE.search(stored):
        return stored
    for pattern, say in _ENGLISH:
        if (found := pattern.search(stored)) is not None:
            return say(found)
    return f"无法连接（{stored}）"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes, at most 6 hours between tries."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def due_messages(now: datetime) -> list[int]:
    """Ids of the rows due for a (first or next) attempt, oldest first. The office's messages wait while its
    robot is not configured (they go once it is)."""
    query = (select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                                            OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(BATCH))
    if office_robot() is None:
        query = query.where(OutboxMessage.unit_id.is_not(None))
    return list(db.session.scalars(query))


def _target(row: OutboxMessage) -> tuple[str, str] | None:
    if row.unit_id is None:
        return office_robot()
    robot = unit_robot(row.unit_id)
    return (robot.url, robot.secret or "") if robot is not None else None


def deliver(message_id: int, now: datetime) -> bool:
    """Post one row and record the outcome (flushes; the caller commits). Never raises for a delivery problem: a
    failure is retried later with growing delays, and given up after MAX_ATTEMPTS. A unit's message whose robot
    was removed meanwhile is given up at once."""
    row = db.session.get(OutboxMessage, message_id)
    target = _target(row)
    row.attempts += 1
    try:
        if target is None:
            raise DeliveryError("该单位已取消机器人推送")
        url, secret = target
        post(signed_url(url, secret, now) if secret else url, json.loads(row.payload_json),
             float(current_app.config["WEBHOOK_TIMEOUT"]))
    except DeliveryError as error:
        row.last_error = str(error)[:500]
        cause = f"{error} ({error.__cause__})" if error.__cause__ is not None else str(error)
        if row.attempts >= MAX_ATTEMPTS or target is None:
            row.failed_at = now
            log.error("robot message %s given up after %d attempts: %s", row.id, row.attempts, cause)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            log.warning("robot message %s failed (attempt %d), retrying at %s: %s", row.id,
                        row.attempts, row.next_attempt_at.isoformat(), cause)
        db.session.flush()
        return False
    row.sent_at = now
    row.last_error = ""
    db.session.flush()
    return True


# ----------------------------------------------------------------------------- a unit's robot

def check_robot_url(url: str) -> str:
    """https, on one of ROBOT_HOSTS (the WeCom and DingTalk robot APIs): the server posts where a clerk pointed
    it, so nothing inside the network."""
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    hosts = tuple(current_app.config["ROBOT_HOSTS"])
    if len(url) > 500 or parts.scheme != "https" or (parts.hostname or "") not in hosts or parts.username \
            or parts.password or parts.port not in (None, 443):
        raise Invalid("机器人地址应为企业微信群机器人（https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…）"
                      "或钉钉群机器人（https://oapi.dingtalk.com/robot/send?access_token=…）的 Webhook 地址。",
                      code="invalid_robot_url")
    return url


def set_robot(unit_id: int, url: str, secret: str | None, enabled: bool, user_id: int | None,
              now: datetime) -> UnitRobot:
    """Save a unit's robot; `secret` None keeps the one saved (it is never shown again), "" clears it."""
    url = check_robot_url(url)
    if secret is not None:
        secret = secret.strip()
        if len(secret) > 200 or any(c.isspace() for c in secret):
            raise Invalid("加签密钥格式不正确。", code="invalid_secret")
    lock_setting(f"unit-robot:{unit_id}")  # saved twice at once (a double click, two tabs): the later one wins
    robot = db.session.get(UnitRobot, unit_id)
    if robot is None:
        robot = UnitRobot(unit_id=unit_id, pushed_until=now, secret="")
        db.session.add(robot)
    if secret is not None:
        robot.secret = secret
    robot.url, robot.enabled, robot.updated_at, robot.updated_by = url, enabled, now, user_id
    db.session.flush()
    return robot


def remove_robot(unit_id: int) -> bool:
    robot = db.session.get(UnitRobot, unit_id)
    if robot is None:
        return False
    db.session.delete(robot)
    db.session.flush()
    return True


def recent_messages(unit_id: int, limit: int = 10) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.unit_id == unit_id)
                                   .order_by(OutboxMessage.id.desc()).limit(limit)))


def message_text(row: OutboxMessage) -> str:
    try:
        return json.loads(row.payload_json)["text"]["content"]
    except (ValueError, KeyError, TypeError):
        return ""



