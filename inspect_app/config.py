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
    # How many reverse proxies (nginx: 1) stand in front; their X-Forwarded-For/-Proto/-Host/-Prefix are
    # believed (werkzeug ProxyFix). 0: none are, as when the app faces clients directly.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    WTF_CSRF_TIME_LIMIT = None  # a filing form may stay open for a long walk
    # Office imports (.xlsx/.csv): data rows one file may hold (more: 413, split the file).
    OFFICE_IMPORT_MAX_ROWS = int(os.environ.get("OFFICE_IMPORT_MAX_ROWS", "5000"))
    # What reading one uploaded spreadsheet may cost, counted while streaming; the first excess answers 413.
    # Rows present (blank ones too) and the highest row number:
    SPREADSHEET_MAX_ROWS = int(os.environ.get("SPREADSHEET_MAX_ROWS", "20000"))
    # The highest column holding data (A = 1); the templates have 7 columns:
    SPREADSHEET_MAX_COLUMNS = int(os.environ.get("SPREADSHEET_MAX_COLUMNS", "100"))
    # Cells present, empty ones included (what the parser works through; a "spreadsheet bomb" declares millions):
    SPREADSHEET_MAX_CELLS = int(os.environ.get("SPREADSHEET_MAX_CELLS", "200000"))
    # An .xlsx unzipped, all parts together:
    SPREADSHEET_MAX_UNPACKED_MB = int(os.environ.get("SPREADSHEET_MAX_UNPACKED_MB", "50"))
    # Exports of more rows than this run as background jobs (progress page, download link); smaller ones stream
    # at once. About 2 s of a worker at the export's speed, so no click holds a web worker for long.
    EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "20000"))
    # Imports run as background jobs above this many rows, or (accounts) this many new passwords to hash:
    IMPORT_INLINE_MAX_ROWS = int(os.environ.get("IMPORT_INLINE_MAX_ROWS", "1000"))
    IMPORT_INLINE_MAX_NEW_ACCOUNTS = int(os.environ.get("IMPORT_INLINE_MAX_NEW_ACCOUNTS", "10"))
    # Background jobs (inspect_app/background). Runner threads per web process, started when a job is queued
    # (0: web processes run none, and the scheduler's poll below runs them all):
    JOBS_WORKER_THREADS = int(os.environ.get("JOBS_WORKER_THREADS", "1"))
    # How often the scheduler looks for queued jobs nobody is running:
    JOBS_POLL_SECONDS = int(os.environ.get("JOBS_POLL_SECONDS", "15"))
    # A running job records progress (its heartbeat) at most this often; one silent for JOBS_STALE_SECONDS
    # lost its runner and is queued again, failed after JOBS_MAX_ATTEMPTS runs.
    JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "2"))
    JOBS_STALE_SECONDS = int(os.environ.get("JOBS_STALE_SECONDS", "120"))
    JOBS_MAX_ATTEMPTS = int(os.environ.get("JOBS_MAX_ATTEMPTS", "2"))
    # Queued or running jobs one user may have at once (more: 429).
    JOBS_MAX_ACTIVE_PER_USER = int(os.environ.get("JOBS_MAX_ACTIVE_PER_USER", "3"))
    # Result files are kept this long, then removed; results with initial passwords go once shown, or after:
    JOBS_KEEP_DAYS = int(os.environ.get("JOBS_KEEP_DAYS", "3"))
    JOBS_SECRET_KEEP_MINUTES = int(os.environ.get("JOBS_SECRET_KEEP_MINUTES", "60"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    JSON_AS_ASCII = False


class TestConfig(Config):
    TESTING = True
    SCHEDULER_ENABLED = False
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    JOBS_WORKER_THREADS = 0  # tests run background jobs explicitly (background.service.run_pending)
