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
    # --- Photo ingest (inspect_app/photos). Stored long side: the phone page already sends <= 1600 px; a raw
    # camera JPEG is decoded at 1/2, 1/4 or 1/8 scale to land in [2/3, 1] of this without resampling (8 MP 3264 px
    # -> 1632, 12 MP 4000/4032 -> 2000/2016, 50 MP 8160 -> 2040, 200 MP 16320 -> 2040).
    PHOTO_LONG_SIDE = int(os.environ.get("PHOTO_LONG_SIDE", "2048"))
    PHOTO_THUMB_LONG_SIDE = 480
    # Pixel limits, from what phones write (checked from the headers, before any decoding):
    # HEIF and progressive JPEG are decoded whole (no scaled decode; a progressive JPEG keeps every coefficient until
    # its last scan): 48 MP iPhone main camera 8064x6048 = 48.8 MP, 50 MP sensors 8192x6144 = 50.3 MP.
    PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", "52000000"))
    # Baseline JPEG is decoded at 1/8 scale when that large, so memory follows the stored size: 108 MP modes
    # 12000x9000, 200 MP modes 16320x12240 = 199.8 MP (Samsung HP2) and 16384x12288 = 201.3 MP (HP1/HP3).
    PHOTO_MAX_PIXELS_JPEG = int(os.environ.get("PHOTO_MAX_PIXELS_JPEG", "205000000"))
    # PNG and WebP: no phone camera writes them; screenshots (a 5K screen is 14.7 MP) and pictures saved from apps.
    # Decoded whole into RGB(A), and WebP's decoder keeps copies: 16 MP peaks at ~+300 MB (WebP) / ~+130 MB (PNG).
    PHOTO_MAX_PIXELS_PNG_WEBP = int(os.environ.get("PHOTO_MAX_PIXELS_PNG_WEBP", "16000000"))
    # Progressive JPEG costs one pass over every block per scan, and a scan can be a few bytes (end-of-band runs:
    # libjpeg-turbo's LJT-01-003). Encoders write 6-11 scans (libjpeg 10, mozjpeg 8-10, Photoshop 3-5).
    PHOTO_JPEG_MAX_SCANS = int(os.environ.get("PHOTO_JPEG_MAX_SCANS", "32"))
    # ...and scans x pixels at most this: a 50 MP progressive JPEG with libjpeg's 10 scans passes (~0.6 s here).
    PHOTO_JPEG_MAX_SCAN_PIXELS = int(os.environ.get("PHOTO_JPEG_MAX_SCAN_PIXELS", "600000000"))
    # CPU seconds of decoding one request may spend on its photos; the photo that would start past it is refused
    # (413). Nine 24 MP iPhone HEICs, the heaviest honest upload within MAX_UPLOAD_MB, take ~13 s here; the worst
    # case stays below gunicorn's 30 s worker timeout.
    PHOTO_REQUEST_DECODE_SECONDS = float(os.environ.get("PHOTO_REQUEST_DECODE_SECONDS", "15"))
    # Requests of one user decoding photos at once, across all worker processes of this host (file locks); one
    # more waits up to PHOTO_DECODE_WAIT_SECONDS, then gets 429. A phone files one report at a time; 2 lets a
    # retry overlap a slow original.
    PHOTO_DECODES_PER_USER = int(os.environ.get("PHOTO_DECODES_PER_USER", "2"))
    # Decodes at once in one process (threaded servers); one more waits, then gets 503. Bounds memory per process.
    PHOTO_DECODES_PER_PROCESS = int(os.environ.get("PHOTO_DECODES_PER_PROCESS", "1"))
    PHOTO_DECODE_WAIT_SECONDS = float(os.environ.get("PHOTO_DECODE_WAIT_SECONDS", "3"))
    # Folder of the per-user decode lock files; empty: instance/photo-locks, beside the other cross-process locks.
    PHOTO_LOCK_DIR = os.environ.get("PHOTO_LOCK_DIR", "")
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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    JSON_AS_ASCII = False


class TestConfig(Config):
    TESTING = True
    SCHEDULER_ENABLED = False
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
