"""Keeping floods out of the public 随手拍 page: fixed-window counters in the database, so every worker process
counts the same requests.

Each admitted request takes one hit in each of its counters (the device, the address, everyone) with one
conditional UPDATE, `hits < limit`, so parallel requests cannot all slip under a limit; a request over any limit
is refused with 429 before it costs a photo decode or a row. The caller commits the hits before doing the work
(as the login throttle does), so a request that then fails still counted. A 随手拍 refused for what it sent (too
many photos, no place: nothing saved) gives its device's allowance back (give_back_citizen_report); its try stays
counted in the device's looser count of tries, and in the address's and everyone's, so refused floods are still
stopped.

Addresses and devices are kept as keyed digests (HMAC with SECRET_KEY): the counters and the moderation queue can
tell one sender from another without storing who they are.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, update

from ..auth.throttle import client_key
from ..common.errors import ServiceError
from ..common.sql import insert_on_conflict
from ..common.timeutil import local, local_midnight
from ..extensions import db
from .models import RateCounter


class TooMany(ServiceError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def digest(kind: str, value: str) -> str:
    """A keyed digest of an address or a device token (64 hex characters)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def address_digest(remote_addr: str | None) -> str:
    """The client address as the login throttle counts it (an IPv6 address by its /64), digested."""
    return digest("address", client_key(remote_addr))


DAY = timedelta(days=1)


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window `now` falls in. A window of whole days starts at midnight in Shanghai: a
    citizen's "today" (您今天已提交较多问题，请明天再提交) is the calendar day, not 08:00 to 08:00 as windows aligned
    to the Unix epoch (UTC midnight) made it. Shorter windows stay aligned to the epoch (an hour's is the same
    hour either way)."""
    if window >= DAY and window % DAY == timedelta(0):
        days = window // DAY
        ordinal = local(now).date().toordinal()
        return local_midnight(date.fromordinal(ordinal - ordinal % days))
    seconds = window.total_seconds()
    epoch = now.timestamp()
    return datetime.fromtimestamp(math.floor(epoch / seconds) * seconds, timezone.utc)


def _insert_if_missing(scope: str, key: str, start: datetime) -> None:
    db.session.execute(insert_on_conflict(RateCounter).values(scope=scope, key=key, window_start=start, hits=0)
                       .on_conflict_do_nothing())


def take(scope: str, key: str, limit: int, window: timedelta, now: datetime, message: str) -> None:
    """One hit for (scope, key) in the current window, or TooMany (429) when the window is full."""
    if limit <= 0:
        raise TooMany(message, int(window.total_seconds()))
    start = window_start(now, window)
    _insert_if_missing(scope, key, start)
    taken = db.session.execute(
        update(RateCounter).where(RateCounter.scope == scope, RateCounter.key == key,
                                  RateCounter.window_start == start, RateCounter.hits < limit)
        .values(hits=RateCounter.hits + 1).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        wait = max(int((start + window - now).total_seconds()), 1)
        raise TooMany(message, wait)


def _wait_words(seconds: int) -> str:
    if seconds >= 3600:
        return f"{math.ceil(seconds / 3600)}小时"
    return f"{max(math.ceil(seconds / 60), 1)}分钟"


TOO_OFTEN = "您提交得太频繁了，请稍后再提交。感谢您对文明城市创建的支持！"
# the device's allowance: what a refusal for its input gives back (give_back_citizen_report)
ALLOWANCE = (("citizen-device-hour", timedelta(hours=1)), ("citizen-device-day", DAY))


def admit_citizen_report(device: str, address: str, now: datetime) -> None:
    """Count one public submission against its device (its tries, and its allowance), its address and everyone
    (settings CITIZEN_*); 429 when any is full. The caller commits before reading the photos."""
    config = current_app.config
    hour, day = timedelta(hours=1), timedelta(days=1)
    checks = [
        ("citizen-device-tries", device, config["CITIZEN_DEVICE_TRIES_PER_HOUR"], hour, TOO_OFTEN),
        ("citizen-device-hour", device, config["CITIZEN_DEVICE_PER_HOUR"], hour, TOO_OFTEN),
        ("citizen-device-day", device, config["CITIZEN_DEVICE_PER_DAY"], day,
         "您今天已提交较多问题，请明天再提交。感谢您对文明城市创建的支持！"),
        ("citizen-address-hour", address, config["CITIZEN_ADDRESS_PER_HOUR"], hour,
         "您所在网络提交的问题过多，请稍后再试。"),
        ("citizen-all-hour", "all", config["CITIZEN_ALL_PER_HOUR"], hour,
         "当前提交的问题过多，系统繁忙，请稍后再试，或拨打12345热线反映。"),
    ]
    for scope, key, limit, window, message in checks:
        try:
            take(scope, key, int(limit), window, now, message)
        except TooMany as refused:
            raise TooMany(f"{refused.message}（约{_wait_words(refused.retry_after)}后可再提交）",
                          refused.retry_after) from None


def give_back_citizen_report(device: str, now: datetime) -> None:
    """A submission admitted at `now` (the request's moment: the same windows) and then refused for what it sent,
    nothing saved: the device's allowance (CITIZEN_DEVICE_PER_HOUR, _PER_DAY) gets its hit back, so a citizen who
    picked a photo too many or left out the place is not locked out by their own corrections. Its try stays
    counted (CITIZEN_DEVICE_TRIES_PER_HOUR), and so does the address's and everyone's hit. The caller commits."""
    for scope, window in ALLOWANCE:
        db.session.execute(
            update(RateCounter).where(RateCounter.scope == scope, RateCounter.key == device,
                                      RateCounter.window_start == window_start(now, window), RateCounter.hits > 0)
            .values(hits=RateCounter.hits - 1).execution_options(synchronize_session=False))


def admit_receipt_lookup(address: str, now: datetime) -> None:
    """Count one receipt lookup against its address (settings RECEIPT_LOOKUPS_*): codes cannot be guessed
    by trying many."""
    config = current_app.config
    take("receipt-lookup", address, int(config["RECEIPT_LOOKUPS_PER_ADDRESS"]),
         timedelta(minutes=int(config["RECEIPT_LOOKUP_WINDOW_MINUTES"])), now,
         "查询过于频繁，请稍后再试。")


def prune(now: datetime) -> int:
    """Drop counters of windows that ended more than a day ago."""
    return db.session.execute(delete(RateCounter).where(RateCounter.window_start < now - timedelta(days=2))
                              ).rowcount or 0
