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

    # --- Official documents (PDF, GB/T 9704-2012; see inspect_app/pdf/) ---
    # The office's own licensed TrueType faces, one file per role (".ttf", or "file.ttc#n" for face n of a
    # collection; CFF-flavoured .otf cannot be embedded). Empty, missing or unusable: the Debian stand-in of
    # PDF_SYSTEM_FONTS, then the bundled WenQuanYi Micro Hei. Faces are embedded (subset) either way.
    PDF_FONT_TITLE = os.environ.get("PDF_FONT_TITLE", "")  # 小标宋 (方正小标宋简体): titles, 发文机关标志
    PDF_FONT_BODY = os.environ.get("PDF_FONT_BODY", "")  # 仿宋 (仿宋_GB2312): body text, 署名, 版记
    PDF_FONT_HEI = os.environ.get("PDF_FONT_HEI", "")  # 黑体: "一、" headings, the 附件 label
    PDF_FONT_KAI = os.environ.get("PDF_FONT_KAI", "")  # 楷体 (楷体_GB2312): "（一）" headings
    PDF_FONT_SONG = os.environ.get("PDF_FONT_SONG", "")  # 宋体: tables, page numbers
    # Stand-ins tried in order when the office has no face for a role (Debian packages fonts-arphic-uming: AR PL
    # UMing, a Ming/Song face; fonts-arphic-ukai: AR PL UKai, a Kai face). The bundled face is always last.
    PDF_SYSTEM_FONTS: dict = {
        "title": ["/usr/share/fonts/truetype/arphic/uming.ttc"],
        "body": ["/usr/share/fonts/truetype/arphic/uming.ttc"],
        "hei": ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"],
        "kai": ["/usr/share/fonts/truetype/arphic/ukai.ttc"],
        "song": ["/usr/share/fonts/truetype/arphic/uming.ttc"],
    }
    # The office's seal as a transparent PNG (red on transparent), printed over 署名 and 成文日期 of issued
    # documents (never on drafts). Empty: the space for a wet seal is left instead.
    PDF_SEAL_IMAGE = os.environ.get("PDF_SEAL_IMAGE", "")
    PDF_SEAL_DIAMETER_MM = float(os.environ.get("PDF_SEAL_DIAMETER_MM", "42"))  # the printed seal's width
    # 通报 (红黑榜) in 文件格式: the 文号 series prefix (临江文明通〔2026〕3号; the number is left blank until the list
    # has one), and its 版记: 报 (leaders, "、"-separated) and 抄送 (organs, never a person).
    BULLETIN_NUMBER_PREFIX = os.environ.get("BULLETIN_NUMBER_PREFIX", "临江文明通")
    BULLETIN_REPORT_TO = os.environ.get("BULLETIN_REPORT_TO", "市文明委主任、副主任")
    BULLETIN_CC = os.environ.get("BULLETIN_CC", "市委督查室、市政府督查室，市文明委各成员单位")
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
