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
