"""Failed-login throttling, kept in the database so every process sees the same counts.

Each attempt is counted BEFORE its password is checked, and the edge commits the count first: parallel requests
then queue on the counter row and cannot all slip under the limit. Two counters:

- one account from one address (an IPv6 address counts by its /64): LOGIN_FREE_ATTEMPTS in a row, then a wait
  of LOGIN_FIRST_DELAY_SECONDS doubling after each further attempt up to LOGIN_MAX_DELAY_SECONDS. A success from
  that address, or LOGIN_FORGET_HOURS of quiet, starts over. Guessing from elsewhere never locks the owner out.
- one address over all accounts: at most LOGIN_ADDRESS_LIMIT failures per LOGIN_ADDRESS_WINDOW_MINUTES, against
  password spraying. A success gives its count back, so an office behind one address can log in all day.

Rows are updated by compare-and-swap on `version` (portable to SQLite and PostgreSQL); old rows are pruned as
attempts come in.
"""
from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, select, update

from ..common.errors import ServiceError
from ..common.sql import insert_on_conflict
from ..extensions import db
from . import names
from .models import LoginThrottle

ACCOUNT, ADDRESS = "account", "address"
MAX_TRIES = 50  # compare-and-swap rounds; each lost round means another request got its turn


class TooManyAttempts(ServiceError):
    status, code = 429, "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def client_key(address: str | None) -> str:
    """The address an attempt is counted against: IPv4 as is, IPv6 by its /64 network."""
    raw = (address or "").strip()
    try:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return raw[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def username_key(username: str | None) -> str:
    """One account's attempts however its name is typed (ＳＺ０１ｂ, sz01b: names.username_key)."""
    return names.username_key(username)[:64]


def _wait_text(seconds: int) -> str:
    return f"{max(math.ceil(seconds / 60), 1)}分钟"


def _setting(name: str) -> int:
    return int(current_app.config[name])


def admit(username: str, address: str, now: datetime) -> None:
    """Count one login attempt, or raise TooManyAttempts (429) without counting it. The caller commits before
    checking the password (and rolls back on TooManyAttempts)."""
    address_key = client_key(address)
    db.session.execute(delete(LoginThrottle).where(
        LoginThrottle.last_at < now - timedelta(hours=_setting("LOGIN_FORGET_HOURS"))))
    _take(ACCOUNT, address_key, username_key(username), now, _next_account_state)
    _take(ADDRESS, address_key, "", now, _next_address_state)


def succeeded(username: str, address: str, now: datetime) -> None:
    """The password was right: this account starts over from this address, and the address gets its count back."""
    address_key = client_key(address)
    db.session.execute(
        update(LoginThrottle)
        .where(_key(ACCOUNT, address_key, username_key(username)))
        .values(failures=0, blocked_until=None, last_at=now, version=LoginThrottle.version + 1))
    db.session.execute(
        update(LoginThrottle)
        .where(_key(ADDRESS, address_key, ""), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1, version=LoginThrottle.version + 1))


def _key(scope: str, address: str, username: str):
    return and_(LoginThrottle.scope == scope, LoginThrottle.address == address, LoginThrottle.username == username)


def _take(scope: str, address: str, username: str, now: datetime, next_state) -> None:
    key = _key(scope, address, username)
    columns = (LoginThrottle.failures, LoginThrottle.window_start, LoginThrottle.last_at,
               LoginThrottle.blocked_until, LoginThrottle.version)
    for _ in range(MAX_TRIES):
        row = db.session.execute(select(*columns).where(key)).one_or_none()
        if row is None:
            _insert_if_missing(scope, address, username, now)
            continue
        values = next_state(row, now)  # raises TooManyAttempts
        changed = db.session.execute(
            update(LoginThrottle).where(key, LoginThrottle.version == row.version)
            .values(**values, version=row.version + 1)).rowcount
        if changed == 1:
            return
    raise TooManyAttempts("登录请求过于频繁，请稍后再试。", 1)


def _insert_if_missing(scope: str, address: str, username: str, now: datetime) -> None:
    db.session.execute(insert_on_conflict(LoginThrottle).values(
        scope=scope, address=address, username=username, failures=0, window_start=now, last_at=now,
        blocked_until=None, version=0).on_conflict_do_nothing())


def _next_account_state(row, now: datetime) -> dict:
    free = _setting("LOGIN_FREE_ATTEMPTS")
    failures = row.failures
    if row.last_at < now - timedelta(hours=_setting("LOGIN_FORGET_HOURS")):
        failures = 0
    elif row.blocked_until is not None and now < row.blocked_until:
        wait = math.ceil((row.blocked_until - now).total_seconds())
        raise TooManyAttempts(f"登录失败次数过多，请{_wait_text(wait)}后再试；忘记密码请联系文明办重置。", wait)
    failures += 1
    blocked_until = None
    if failures >= free:
        delay = min(_setting("LOGIN_FIRST_DELAY_SECONDS") * 2 ** min(failures - free, 30),
                    _setting("LOGIN_MAX_DELAY_SECONDS"))
        blocked_until = now + timedelta(seconds=delay)
    return {"failures": failures, "last_at": now, "blocked_until": blocked_until}


def _next_address_state(row, now: datetime) -> dict:
    window = timedelta(minutes=_setting("LOGIN_ADDRESS_WINDOW_MINUTES"))
    failures, start = row.failures, row.window_start
    if start <= now - window:
        failures, start = 0, now
    if failures >= _setting("LOGIN_ADDRESS_LIMIT"):
        wait = max(math.ceil((start + window - now).total_seconds()), 1)
        raise TooManyAttempts(f"您所在网络地址的登录失败次数过多，请{_wait_text(wait)}后再试。", wait)
    return {"failures": failures + 1, "window_start": start, "last_at": now}
