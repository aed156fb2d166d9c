"""Failed-login throttling, per account and per address, kept in a table so every process sees it.

Limits: 5 failures for one account, or 20 from one address, within 15 minutes → 429 until the oldest
counted failure ages out. A successful login clears that account's failures (not the address's).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Boolean, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from ..common.errors import ServiceError
from ..common.types import UTCDateTime
from ..extensions import db

WINDOW = timedelta(minutes=15)
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20
KEEP = timedelta(days=1)


class LoginAttempt(db.Model):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # lower-cased, as typed
    address: Mapped[str] = mapped_column(String(64), index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class TooManyAttempts(ServiceError):
    status, code = 429, "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _key(username: str) -> str:
    return (username or "").strip().lower()[:64]


def _failures(condition, now: datetime) -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(
        select(func.count(LoginAttempt.id), func.min(LoginAttempt.at))
        .where(condition, LoginAttempt.success.is_(False), LoginAttempt.at > now - WINDOW)).one()
    return count, oldest


def check_allowed(username: str, address: str, now: datetime) -> None:
    """Raise TooManyAttempts when the account or the address is locked out."""
    for condition, limit, what in (
            (LoginAttempt.username == _key(username), MAX_PER_ACCOUNT, "该账号"),
            (LoginAttempt.address == (address or "")[:64], MAX_PER_ADDRESS, "您所在的网络地址")):
        count, oldest = _failures(condition, now)
        if count >= limit:
            wait = max(int((oldest + WINDOW - now).total_seconds()), 1)
            minutes = (wait + 59) // 60
            raise TooManyAttempts(f"{what}登录失败次数过多，请{minutes}分钟后再试；忘记密码请联系文明办重置。", wait)


def record(username: str, address: str, success: bool, now: datetime) -> None:
    """Note an attempt; a success clears the account's failures. Old rows are pruned as we go."""
    key = _key(username)
    if success:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == key))
    else:
        db.session.add(LoginAttempt(at=now, username=key, address=(address or "")[:64], success=False))
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
