"""Configuration from the environment, with defaults that suit a laptop."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults; every key can be overridden by an environment variable of the same name."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(PROJECT_ROOT / "uploads"))
    SCHEDULER_ENABLED = _bool(os.environ.get("SCHEDULER_ENABLED"), True)
    # Whole-request cap; photos are scaled down in the phone browser, so this is generous.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "32")) * 1024 * 1024
    MAX_PHOTOS_PER_REPORT = 9
    DISPATCH_RADIUS_M = float(os.environ.get("DISPATCH_RADIUS_M", "500"))
    API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "720"))
    TIMEZONE = "Asia/Shanghai"
    OFFICE_NAME = os.environ.get("OFFICE_NAME", "临江市精神文明建设指导委员会办公室")
    OFFICE_SHORT_NAME = os.environ.get("OFFICE_SHORT_NAME", "临江市文明办")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Served over HTTPS (directly or behind nginx): cookies then never travel over plain HTTP.
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    SESSION_COOKIE_SECURE = _bool(os.environ.get("SESSION_COOKIE_SECURE"), PREFERRED_URL_SCHEME == "https")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=int(os.environ.get("REMEMBER_DAYS", "30")))  # ASVS 3.3.2: 30 days
    # Every login is a row in login_sessions; logout deletes it, so a copied cookie dies with it. A login without
    # "在本机保持登录" lasts at most this long on the server (ASVS 3.3.2 level 2: 12 hours), even if the browser
    # stays open; one with it lasts REMEMBER_COOKIE_DURATION from the login or from the last time the remember-me
    # cookie restored it.
    LOGIN_SESSION_HOURS = int(os.environ.get("LOGIN_SESSION_HOURS", "12"))
    # The remember-me token changes each time it restores a session; requests that raced the change may still
    # present the old one for this many seconds (a page and its images after the browser restarts).
    REMEMBER_ROTATION_GRACE_SECONDS = int(os.environ.get("REMEMBER_ROTATION_GRACE_SECONDS", "60"))
    # Failed-login throttle, per account and client address (an IPv6 address counts by its /64). Each attempt is
    # counted before its password is checked. After LOGIN_FREE_ATTEMPTS in a row the next waits
    # LOGIN_FIRST_DELAY_SECONDS, then twice as long each time, up to LOGIN_MAX_DELAY_SECONDS; a success from that
    # address, or LOGIN_FORGET_HOURS of quiet, starts over. Nobody elsewhere is locked out.
    LOGIN_FREE_ATTEMPTS = int(os.environ.get("LOGIN_FREE_ATTEMPTS", "5"))
    LOGIN_FIRST_DELAY_SECONDS = int(os.environ.get("LOGIN_FIRST_DELAY_SECONDS", "60"))
    LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_MAX_DELAY_SECONDS", "900"))
    LOGIN_FORGET_HOURS = int(os.environ.get("LOGIN_FORGET_HOURS", "24"))
    # One address's failed logins over all accounts (password spraying): at most this many per window. Generous,
    # since a whole office may share one address behind NAT; successful logins do not count.
    LOGIN_ADDRESS_LIMIT = int(os.environ.get("LOGIN_ADDRESS_LIMIT", "100"))
    LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "15"))
    # werkzeug's password hash; unknown and disabled accounts are checked against a dummy hash of the same kind,
    # so a login costs the same whether or not the account exists.
    PASSWORD_HASH_METHOD = "scrypt"
    # JSON request bodies nested deeper than this are refused (400) before any route sees them.
    MAX_JSON_DEPTH = int(os.environ.get("MAX_JSON_DEPTH", "32"))
    # How many reverse proxies (nginx: 1) stand in front; their X-Forwarded-For/-Proto/-Host/-Prefix are
    # believed (werkzeug ProxyFix). 0: none are, as when the app faces clients directly.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    WTF_CSRF_TIME_LIMIT = None  # a filing form may stay open for a long walk
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    JSON_AS_ASCII = False


class TestConfig(Config):
    TESTING = True
    SCHEDULER_ENABLED = False
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
