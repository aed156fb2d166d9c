"""Every setting, with its default and what it means. Nothing else reads the environment.

Each key can be set by an environment variable of the same name (a few have a shorter historical name, noted), or
passed to create_app({...}) (tests, scripts). Values that are structures (schedules, wording) are set from code or
a config object, not the environment.
"""
from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path

import click

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(click.ClickException):
    """A setting the app cannot start with, said in one Chinese line: `flask --app run …` prints it as "Error: …"
    and exits 1, and so does `python run.py` (启动失败：…), instead of a traceback."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _parsed(name: str, default, parse, kind: str):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return parse(value)
    except ValueError:
        raise ConfigError(f"环境变量 {name} 应为{kind}，现为 {value!r}。") from None


def _date(value: str) -> date:
    return date.fromisoformat(value.strip())


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    return _parsed(name, default, int, "整数")


def _float(name: str, default: float) -> float:
    return _parsed(name, default, float, "数字")


def _json(name: str, default):
    return _parsed(name, default, json.loads, " JSON")  # json.JSONDecodeError is a ValueError


class Config:
    # --- the application
    SECRET_KEY = _env("SECRET_KEY")                       # empty: a random key kept in instance/secret_key
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")        # empty: SQLite under instance/
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # PostgreSQL: psycopg prepares a statement once it has run this many times on a connection, so the server
    # plans the hot reads once per connection, not on every request (boundary._end_read). "off" behind a
    # connection pooler in transaction mode that cannot keep prepared statements (PgBouncer before 1.21).
    DATABASE_PREPARE_THRESHOLD = _env("DATABASE_PREPARE_THRESHOLD", "5")
    UPLOAD_FOLDER = _env("UPLOAD_FOLDER", str(PROJECT_ROOT / "uploads"))  # photos, letter and list PDFs, exports
    # 待办事项 warns the office when the upload folder's disk (or SQLite's) has less room than this (ops/disk.py)
    DISK_FREE_WARN_MB = _int("DISK_FREE_WARN_MB", 1024)
    # 待办事项 says when no backup has been made for this many hours, or the last one failed (ops/backups.py); 0: not
    BACKUP_WARN_HOURS = _int("BACKUP_WARN_HOURS", 48)
    TIMEZONE = "Asia/Shanghai"                            # every date shown and every deadline is Shanghai time
    OFFICE_NAME = _env("OFFICE_NAME", "临江市精神文明建设指导委员会办公室")  # 落款 of letters and lists
    OFFICE_SHORT_NAME = _env("OFFICE_SHORT_NAME", "临江市文明办")           # page headers, messages
    JSON_AS_ASCII = False
    # Scripts (static/js, the service worker) are served minified (inspect_app/assets.py), so a phone downloads and
    # parses less; false serves the readable sources as they are, to debug in the browser.
    MINIFY_JS = _bool("MINIFY_JS", True)

    # --- the scheduler (escalation sweeps, webhook delivery, red/black lists, dashboard refresh)
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", True)  # false on all but one process when several serve

    # --- filing
    MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 32) * 1024 * 1024  # whole request; phones send scaled photos
    # One text field of a form (multipart or urlencoded; a urlencoded body counts whole): read as a JSON body is, up to
    # the request's cap, so each field's own limit answers (400 text_too_long naming it). Werkzeug's default, 500 kB,
    # answered a 510 kB 问题描述 413 "单次上传上限32MB，请减少照片数量" though 480 kB got the field's message.
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    MAX_PHOTOS_PER_REPORT = _int("MAX_PHOTOS_PER_REPORT", 9)     # the page offers and the server accepts this many
    DISPATCH_RADIUS_M = _float("DISPATCH_RADIUS_M", 500)         # nearest segment within this of the report
    # The filing page warns that the phone is far from every segment (a wrong fix, or out of town) beyond this.
    FAR_FROM_SEGMENTS_M = _float("FAR_FROM_SEGMENTS_M", 2000)
    # A new or moved segment this far outside the city's other segments is refused as a typo (a digit or a system
    # wrong): 112.93 typed as 113.93 is 100 km off. 0 turns the check off (a city adding a distant county).
    # A site (点位) is held to the same box around the segments, on its form and in its import.
    SEGMENT_CITY_MARGIN_KM = _float("SEGMENT_CITY_MARGIN_KM", 50)

    # --- rework (返工): a ticket sent back gets the later of its original deadline and this long from the
    # rejection, unless its category sets its own (categories.rework_hours / rework_workdays). Workdays win when
    # both are set; hours count round the clock.
    REWORK_DEADLINE_HOURS = _int("REWORK_DEADLINE_HOURS", 24)
    REWORK_DEADLINE_WORKDAYS = _int("REWORK_DEADLINE_WORKDAYS", 0)

    # --- trustworthy after-photos: the verifier's page flags an after-photo taken farther than this from the
    # report's place (or before the report was filed).
    AFTER_PHOTO_MAX_DISTANCE_M = _float("AFTER_PHOTO_MAX_DISTANCE_M", 200)
    # ... and a before-photo taken more than this many hours before its report (0: no such flag); the distance is
    # the same AFTER_PHOTO_MAX_DISTANCE_M.
    BEFORE_PHOTO_MAX_AGE_HOURS = _float("BEFORE_PHOTO_MAX_AGE_HOURS", 72)

    # 回潮 (tickets/relapse.py): a new report of the same category within this many metres of a ticket closed in
    # the last RELAPSE_DAYS days is flagged as a relapse of it. 0 turns the check off.
    RELAPSE_RADIUS_M = _float("RELAPSE_RADIUS_M", 50)
    RELAPSE_DAYS = _int("RELAPSE_DAYS", 30)
    # 疑似重复 (tickets/duplicates.py): open problems of the same category within this many metres are named on the
    # filing page, a ticket's page and a citizen's report in the queue. 0 turns it off.
    DUPLICATE_RADIUS_M = _float("DUPLICATE_RADIUS_M", 50)
    # 巡查打卡 (inspect_app/patrols): a check-in counts on a segment within this many metres of the phone's position,
    # and only with a position this precise or better (the phone's own estimate).
    PATROL_RADIUS_M = _float("PATROL_RADIUS_M", 200)
    # 打卡照片: a city may require a photo of the street with every check-in (one photo; optional by default)
    PATROL_PHOTO_REQUIRED = _bool("PATROL_PHOTO_REQUIRED", False)
    # The day the office began using 巡查打卡 (YYYY-MM-DD): no working day before it is anyone's missed day (缺). Unset,
    # the day of the first check-in ever is taken, so one trial check-in weeks before the roll-out marked every
    # working day since then 缺 in 巡查月历, 督查员工作量 and 待办事项.
    PATROLS_BEGAN = _parsed("PATROLS_BEGAN", None, _date, "日期（如 2026-11-02）")

    # --- photo ingest (inspect_app/photos, docs/photos.md). Stored long side: the phone page already sends <= 1600 px; a raw
    # camera JPEG is decoded at 1/2, 1/4 or 1/8 scale to land in [2/3, 1] of this without resampling (8 MP 3264 px
    # -> 1632, 12 MP 4000/4032 -> 2000/2016, 50 MP 8160 -> 2040, 200 MP 16320 -> 2040).
    PHOTO_LONG_SIDE = _int("PHOTO_LONG_SIDE", 2048)
    PHOTO_THUMB_LONG_SIDE = 480  # at most; like the photo, a DCT scale or box reduce landing in [2/3, 1] of it
    # Pixel limits, from what phones write (checked from the headers, before any decoding):
    # HEIF and progressive JPEG are decoded whole (no scaled decode; a progressive JPEG keeps every coefficient until
    # its last scan): 48 MP iPhone main camera 8064x6048 = 48.8 MP, 50 MP sensors 8192x6144 = 50.3 MP.
    PHOTO_MAX_PIXELS = _int("PHOTO_MAX_PIXELS", 52000000)
    # Baseline JPEG is decoded at 1/8 scale when that large, so memory follows the stored size: 108 MP modes
    # 12000x9000, 200 MP modes 16320x12240 = 199.8 MP (Samsung HP2) and 16384x12288 = 201.3 MP (HP1/HP3).
    PHOTO_MAX_PIXELS_JPEG = _int("PHOTO_MAX_PIXELS_JPEG", 205000000)
    # PNG and WebP: no phone camera writes them; screenshots (a 5K screen is 14.7 MP) and pictures saved from apps.
    # Decoded whole into RGB(A), and WebP's decoder keeps copies: 16 MP peaks at ~+300 MB (WebP) / ~+130 MB (PNG).
    PHOTO_MAX_PIXELS_PNG_WEBP = _int("PHOTO_MAX_PIXELS_PNG_WEBP", 16000000)
    # Progressive JPEG costs one pass over every block per scan, and a scan can be a few bytes (end-of-band runs:
    # libjpeg-turbo's LJT-01-003). Encoders write 6-11 scans (libjpeg 10, mozjpeg 8-10, Photoshop 3-5).
    PHOTO_JPEG_MAX_SCANS = _int("PHOTO_JPEG_MAX_SCANS", 32)
    # ...and scans x pixels at most this: a 50 MP progressive JPEG with libjpeg's 10 scans passes (~0.6 s here).
    PHOTO_JPEG_MAX_SCAN_PIXELS = _int("PHOTO_JPEG_MAX_SCAN_PIXELS", 600000000)
    # CPU seconds of decoding one request may spend on its photos; the photo that would start past it is refused
    # (413). Nine 24 MP iPhone HEICs, the heaviest honest upload within MAX_UPLOAD_MB, take ~13 s here; the worst
    # case stays below gunicorn's 30 s worker timeout.
    PHOTO_REQUEST_DECODE_SECONDS = _float("PHOTO_REQUEST_DECODE_SECONDS", 15)
    # Requests of one user decoding photos at once, across all worker processes of this host (file locks); one
    # more waits up to PHOTO_DECODE_WAIT_SECONDS, then gets 429. A phone files one report at a time; 2 lets a
    # retry overlap a slow original.
    PHOTO_DECODES_PER_USER = _int("PHOTO_DECODES_PER_USER", 2)
    # Decodes at once in one process (threaded servers); one more waits, then gets 503. Bounds memory per process.
    PHOTO_DECODES_PER_PROCESS = _int("PHOTO_DECODES_PER_PROCESS", 1)
    PHOTO_DECODE_WAIT_SECONDS = _float("PHOTO_DECODE_WAIT_SECONDS", 3)
    # Folder of the per-user decode lock files; empty: instance/photo-locks, beside the other cross-process locks.
    PHOTO_LOCK_DIR = _env("PHOTO_LOCK_DIR")

    # --- sessions, logins, tokens
    API_TOKEN_HOURS = _int("API_TOKEN_HOURS", 720)        # bearer tokens last this long
    # Each process remembers a valid bearer token's user this long instead of looking it up on every API request
    # (auth/token_cache.py); any commit that changes a user, unit or token forgets every entry on the host at once,
    # through the stamp file below. 0: no cache. Several hosts behind one database: share the stamp's folder or 0.
    API_TOKEN_CACHE_SECONDS = _float("API_TOKEN_CACHE_SECONDS", 30.0)
    API_TOKEN_CACHE_STAMP = _env("API_TOKEN_CACHE_STAMP")  # default: <instance folder>/api-token-cache.stamp
    # werkzeug's password hash; unknown and disabled accounts are checked against a dummy hash of the same kind,
    # so a login costs the same whether or not the account exists.
    PASSWORD_HASH_METHOD = _env("PASSWORD_HASH_METHOD", "scrypt")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Served over HTTPS (directly or behind nginx): cookies then never travel over plain HTTP.
    PREFERRED_URL_SCHEME = _env("PREFERRED_URL_SCHEME", "http")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", PREFERRED_URL_SCHEME == "https")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=_int("REMEMBER_DAYS", 30))  # ASVS 3.3.2: 30 days
    # Every login is a row in login_sessions; logout deletes it, so a copied cookie dies with it. A login without
    # "在本机保持登录" lasts at most this long on the server (ASVS 3.3.2 level 2: 12 hours), even if the browser
    # stays open; one with it lasts REMEMBER_COOKIE_DURATION from the login or from the last time the remember-me
    # cookie restored it.
    LOGIN_SESSION_HOURS = _int("LOGIN_SESSION_HOURS", 12)
    # The remember-me token changes each time it restores a session; requests that raced the change may still
    # present the old one for this many seconds (a page and its images after the browser restarts).
    REMEMBER_ROTATION_GRACE_SECONDS = _int("REMEMBER_ROTATION_GRACE_SECONDS", 60)
    # Failed-login throttle, per account and client address (an IPv6 address counts by its /64). Each attempt is
    # counted before its password is checked. After LOGIN_FREE_ATTEMPTS in a row the next waits
    # LOGIN_FIRST_DELAY_SECONDS, then twice as long each time, up to LOGIN_MAX_DELAY_SECONDS; a success from that
    # address, or LOGIN_FORGET_HOURS of quiet, starts over. Nobody elsewhere is locked out.
    LOGIN_FREE_ATTEMPTS = _int("LOGIN_FREE_ATTEMPTS", 5)
    LOGIN_FIRST_DELAY_SECONDS = _int("LOGIN_FIRST_DELAY_SECONDS", 60)
    LOGIN_MAX_DELAY_SECONDS = _int("LOGIN_MAX_DELAY_SECONDS", 900)
    LOGIN_FORGET_HOURS = _int("LOGIN_FORGET_HOURS", 24)
    # One address's failed logins over all accounts (password spraying): at most this many per window. Generous,
    # since a whole office may share one address behind NAT; successful logins do not count.
    LOGIN_ADDRESS_LIMIT = _int("LOGIN_ADDRESS_LIMIT", 100)
    LOGIN_ADDRESS_WINDOW_MINUTES = _int("LOGIN_ADDRESS_WINDOW_MINUTES", 15)
    # JSON request bodies nested deeper than this are refused (400) before any route sees them.
    MAX_JSON_DEPTH = _int("MAX_JSON_DEPTH", 32)
    # How many reverse proxies (nginx: 1) stand in front; their X-Forwarded-For/-Proto/-Host/-Prefix are
    # believed (werkzeug ProxyFix). 0: none are, as when the app faces clients directly.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    WTF_CSRF_TIME_LIMIT = None  # a filing form may stay open for a long walk

    # --- office data (Excel/CSV import)
    OFFICE_IMPORT_MAX_ROWS = _int("OFFICE_IMPORT_MAX_ROWS", 5000)  # data rows one file may hold (more: 413)
    # What reading one uploaded spreadsheet may cost, counted while streaming; the first excess answers 413.
    # Rows present (blank ones too) and the highest row number:
    SPREADSHEET_MAX_ROWS = _int("SPREADSHEET_MAX_ROWS", 20000)
    # The highest column holding data (A = 1); the templates have 7 columns:
    SPREADSHEET_MAX_COLUMNS = _int("SPREADSHEET_MAX_COLUMNS", 100)
    # Cells present, empty ones included (what the parser works through; a "spreadsheet bomb" declares millions):
    SPREADSHEET_MAX_CELLS = _int("SPREADSHEET_MAX_CELLS", 200000)
    # An .xlsx unzipped, all parts together:
    SPREADSHEET_MAX_UNPACKED_MB = _int("SPREADSHEET_MAX_UNPACKED_MB", 50)
    # Exports of more rows than this run as background jobs (progress page, download link); smaller ones stream
    # at once. About 2 s of a worker at the export's speed, so no click holds a web worker for long.
    EXPORT_INLINE_MAX_ROWS = _int("EXPORT_INLINE_MAX_ROWS", 20000)
    # Imports run as background jobs above this many rows, or (accounts) this many new passwords to hash:
    IMPORT_INLINE_MAX_ROWS = _int("IMPORT_INLINE_MAX_ROWS", 1000)
    IMPORT_INLINE_MAX_NEW_ACCOUNTS = _int("IMPORT_INLINE_MAX_NEW_ACCOUNTS", 10)
    # Background jobs (inspect_app/background). Runner threads per web process, started when a job is queued
    # (0: web processes run none, and the scheduler's poll below runs them all):
    JOBS_WORKER_THREADS = _int("JOBS_WORKER_THREADS", 1)
    # How often the scheduler looks for queued jobs nobody is running:
    JOBS_POLL_SECONDS = _int("JOBS_POLL_SECONDS", 15)
    # A running job records progress (its heartbeat) at most this often; one silent for JOBS_STALE_SECONDS
    # lost its runner and is queued again, failed after JOBS_MAX_ATTEMPTS runs.
    JOBS_HEARTBEAT_SECONDS = _float("JOBS_HEARTBEAT_SECONDS", 2)
    JOBS_STALE_SECONDS = _int("JOBS_STALE_SECONDS", 120)
    JOBS_MAX_ATTEMPTS = _int("JOBS_MAX_ATTEMPTS", 2)
    # Queued or running jobs one user may have at once (more: 429).
    JOBS_MAX_ACTIVE_PER_USER = _int("JOBS_MAX_ACTIVE_PER_USER", 3)
    # Result files are kept this long, then removed; results with initial passwords go once shown, or after:
    JOBS_KEEP_DAYS = _int("JOBS_KEEP_DAYS", 3)
    JOBS_SECRET_KEEP_MINUTES = _int("JOBS_SECRET_KEEP_MINUTES", 60)

    # --- escalation (督办函): see inspect_app/escalation/settings.py for what each level means
    # propose: the sweep writes 督办建议 (proposals) and the office compiles letters a leader signs (签发);
    # auto: the sweep issues one letter per unit and level by itself, numbered at once (the older behaviour).
    ESCALATION_MODE = _env("ESCALATION_MODE", "propose")
    LETTER_ADMIN_MAY_SIGN = _bool("LETTER_ADMIN_MAY_SIGN", False)  # 签发 by the office's admins too, not leaders only
    LETTER_REPLY_MAX_FILES = _int("LETTER_REPLY_MAX_FILES", 9)     # photos and PDFs one written reply may carry
    LETTER_PDF_MAX_MB = _float("LETTER_PDF_MAX_MB", 10)            # one PDF attached to a reply or a 约谈 record
    RECHECK_DAYS = _int("RECHECK_DAYS", 30)                        # 回头看: days after 销号 an item is checked again
    # 创建任务 调度: each month's progress report is due by this day of the month (1-28). Until it, the month before
    # is the one checked for 未报送; a task added after a month's due day owes nothing for that month.
    KEYTASK_REPORT_DUE_DAY = _int("KEYTASK_REPORT_DUE_DAY", 25)
    # Robots: the office's (WEBHOOK_URL) hears of 督办建议 and signed letters; a unit's own robot (set up on its
    # page, inspect_app/outbox) hears of the letters addressed to it.
    ESCALATION_LEVEL_DELAYS = {1: 3, 2: 5, 3: 5}          # working days a unit gets to reply, per level
    ESCALATION_LEVEL_TEXT: dict = {}                      # wording per level, merged over the built-in wording
    ESCALATION_STATUSES = ("assigned",)                   # statuses that escalate; add "disputed" to escalate 退单
    ESCALATION_SCHEDULE = {"hour": 9, "minute": 0}        # cron fields, Shanghai time, for the daily sweep
    ESCALATION_WORKDAYS_ONLY = _bool("ESCALATION_WORKDAYS_ONLY", True)  # no sweep, nor catch-up, on days off
    LETTER_NUMBER_PREFIX = _env("LETTER_NUMBER_PREFIX")  # empty: the office's place + 文明督 → 临江文明督〔2026〕8号
    LETTER_BANNER = _env("LETTER_BANNER")                 # red banner text; empty: OFFICE_NAME
    LETTER_FONT_PATH = _env("LETTER_FONT_PATH")           # the office's own TrueType body face (仿宋), optional
    LETTER_CONTACT = _env("LETTER_CONTACT")               # e.g. "联系人：王敏，电话：0731-1234567"
    WEBHOOK_URL = _env("WEBHOOK_URL")                     # DingTalk / WeCom group robot; empty: no messages
    WEBHOOK_SECRET = _env("WEBHOOK_SECRET")               # DingTalk 加签 secret, optional
    WEBHOOK_TIMEOUT = _float("WEBHOOK_TIMEOUT", 5.0)      # seconds per post

    # --- responsibility: 门前四包 (inspect_app/frontages)
    # A frontage with at least this many problems (voided ones aside) within this many days is a repeat offender,
    # listed for its street office to follow up and name.
    FRONTAGE_REPEAT_COUNT = _int("FRONTAGE_REPEAT_COUNT", 3)
    FRONTAGE_REPEAT_DAYS = _int("FRONTAGE_REPEAT_DAYS", 90)

    # --- intake from outside (inspect_app/intake, docs/intake.md): the public 随手拍 page and the 12345 hotline
    CITIZEN_REPORTS_ENABLED = _bool("CITIZEN_REPORTS_ENABLED", True)  # false: the public page says it is closed
    CITIZEN_MAX_PHOTOS = _int("CITIZEN_MAX_PHOTOS", 3)                # photos one citizen report may carry
    # Submissions admitted per device (a cookie the page sets), per client address (an IPv6 address by its /64;
    # generous: a carrier's NAT puts many phones behind one address) and from everyone together; one more is
    # refused with 429 before its photos are read. The moderation queue never holds more than these allow.
    CITIZEN_DEVICE_PER_HOUR = _int("CITIZEN_DEVICE_PER_HOUR", 5)
    # A submission refused for what it sent (a photo too many, no place; nothing saved) does not use up the device's
    # allowance above; every try, refused or not, counts here (and against the address and everyone).
    CITIZEN_DEVICE_TRIES_PER_HOUR = _int("CITIZEN_DEVICE_TRIES_PER_HOUR", 15)
    CITIZEN_DEVICE_PER_DAY = _int("CITIZEN_DEVICE_PER_DAY", 20)
    CITIZEN_ADDRESS_PER_HOUR = _int("CITIZEN_ADDRESS_PER_HOUR", 30)
    CITIZEN_ALL_PER_HOUR = _int("CITIZEN_ALL_PER_HOUR", 300)
    # Receipt lookups per client address and window: a receipt code (10 characters of 31) cannot be found by trying.
    RECEIPT_LOOKUPS_PER_ADDRESS = _int("RECEIPT_LOOKUPS_PER_ADDRESS", 30)
    RECEIPT_LOOKUP_WINDOW_MINUTES = _int("RECEIPT_LOOKUP_WINDOW_MINUTES", 10)
    CITIZEN_DEVICE_COOKIE_DAYS = _int("CITIZEN_DEVICE_COOKIE_DAYS", 365)  # the device cookie's lifetime
    # 问卷调查 (inspect_app/surveys): answers admitted per client address and from everyone in an hour. One phone
    # answers a questionnaire once (the device cookie); the address limit is generous, as a community centre's Wi-Fi
    # or a carrier's NAT puts many phones behind one address when a community spreads the QR code.
    # Where residents' phones reach the public pages (随手拍, 问卷), e.g. https://wmb.example.gov.cn: the 问卷 link and
    # its QR code are built on it. Empty: on the address the office opened the page at (right when both are one).
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL")
    SURVEY_ADDRESS_PER_HOUR = _int("SURVEY_ADDRESS_PER_HOUR", 300)
    SURVEY_ALL_PER_HOUR = _int("SURVEY_ALL_PER_HOUR", 10000)

    # --- telling units (inspect_app/notices): unread counts, each unit's own group robot, the daily digest
    INBOX_WINDOW_DAYS = _int("INBOX_WINDOW_DAYS", 7)        # a clerk who never opened the inbox sees this far back
    NOTICE_PUSH_MINUTES = _int("NOTICE_PUSH_MINUTES", 5)    # new tickets and letters reach units' robots this often
    DIGEST_SCHEDULE = {"hour": 8, "minute": 30}             # cron fields, Shanghai time: each robot's daily digest
    DIGEST_WORKDAYS_ONLY = _bool("DIGEST_WORKDAYS_ONLY", True)
    # Hosts a unit's robot URL may point at (https only): the WeCom and DingTalk robot APIs. The server posts to
    # what a unit clerk typed, so anything else (an address inside the network) is refused.
    ROBOT_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")

    # --- official documents (PDF, GB/T 9704-2012; see inspect_app/pdf/ and docs/official-documents.md)
    # The office's own licensed TrueType faces, one file per role (".ttf", or "file.ttc#n" for face n of a
    # collection; CFF-flavoured .otf cannot be embedded). Empty, missing or unusable: the Debian stand-in of
    # PDF_SYSTEM_FONTS, then the bundled WenQuanYi Micro Hei. Faces are embedded (subset) either way.
    PDF_FONT_TITLE = _env("PDF_FONT_TITLE")  # 小标宋 (方正小标宋简体): titles, 发文机关标志
    PDF_FONT_BODY = _env("PDF_FONT_BODY")  # 仿宋 (仿宋_GB2312): body text, 署名, 版记
    PDF_FONT_HEI = _env("PDF_FONT_HEI")  # 黑体: "一、" headings, the 附件 label
    PDF_FONT_KAI = _env("PDF_FONT_KAI")  # 楷体 (楷体_GB2312): "（一）" headings
    PDF_FONT_SONG = _env("PDF_FONT_SONG")  # 宋体: tables, page numbers
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
    PDF_SEAL_IMAGE = _env("PDF_SEAL_IMAGE")
    PDF_SEAL_DIAMETER_MM = _float("PDF_SEAL_DIAMETER_MM", 42)  # the printed seal's width
    # 督查通报 signed in the letters feature: their 文号 series prefix (临江文明通〔2026〕3号, counter "bulletin";
    # empty: the office's place + 文明通). The 版记 of the 通报 printed in 文件格式 (红黑榜, a 测评 round's, the
    # drafted ones): 报 (leaders, "、"-separated) and 抄送 (organs, never a person).
    BULLETIN_NUMBER_PREFIX = _env("BULLETIN_NUMBER_PREFIX")
    BULLETIN_REPORT_TO = _env("BULLETIN_REPORT_TO", "市文明委主任、副主任")
    BULLETIN_CC = _env("BULLETIN_CC", "市委督查室、市政府督查室，市文明委各成员单位")
    # --- assessment rounds (测评): the 督查通报 of a round has its own 文号 series → 临江文明测〔2026〕3号 (empty: the
    # office's place + 文明测)
    ASSESSMENT_BULLETIN_PREFIX = _env("ASSESSMENT_BULLETIN_PREFIX")
    ASSESSMENT_WORST_SITES = _int("ASSESSMENT_WORST_SITES", 5)  # sites shown with photos in the 通报

    # --- red/black lists (红黑榜)
    # 红黑榜 通报 have their own 文号 series: 临江文明榜〔2026〕3号 (numbered at publication, gap-free per year; empty:
    # the office's place + 文明榜).
    RANKINGS_NUMBER_PREFIX = _env("RANKINGS_NUMBER_PREFIX")
    RANKINGS_MONTHLY_SCHEDULE = {"day": "1-15", "hour": 9, "minute": 0}  # first working day of the month wins
    RANKINGS_WEEKLY_SCHEDULE = {"hour": 9, "minute": 0}  # every day: the week's first working day wins
    RANKINGS_WEEKLY_ENABLED = _bool("RANKINGS_WEEKLY_ENABLED", True)
    RANKINGS_PDF_FOLDER = _env("RANKINGS_PDF_FOLDER")     # empty: UPLOAD_FOLDER/rankings

    # --- leadership dashboard
    DASHBOARD_CACHE_SECONDS = _float("DASHBOARD_CACHE_SECONDS", 60)      # the whole page's figures are this fresh
    DASHBOARD_SETTLED_SECONDS = _float("DASHBOARD_SETTLED_SECONDS", 3600)  # ended weeks, months and days


# The 文号 series and the word each prefix ends in. A prefix left empty is the office's place (office_place) and
# this word: OFFICE_SHORT_NAME 清源市文明办 numbers its letters 清源文明督〔2026〕1号, and the demo's 临江市文明办 keeps
# 临江文明督. A number is never changed once taken, so a city sets its prefixes before its first document goes out.
NUMBER_SERIES = {"LETTER_NUMBER_PREFIX": "文明督", "BULLETIN_NUMBER_PREFIX": "文明通",
                 "ASSESSMENT_BULLETIN_PREFIX": "文明测", "RANKINGS_NUMBER_PREFIX": "文明榜"}
# A place's name before its level: 清源市 → 清源, 河西县 → 河西 (two characters at least: 沙县 stays 沙县)
_PLACE = re.compile(r"(.{2,}?)[市县区州盟旗]")


def office_place(short_name: str, name: str = "") -> str:
    """The city (or county) the office serves, as its 文号 begin: 清源市文明办 → 清源, 河西县文明办 → 河西; from the
    full name (清源市精神文明建设指导委员会办公室) when the short one names no place."""
    for text in (short_name, name):
        found = _PLACE.match((text or "").strip())
        if found:
            return found.group(1)
    return (short_name or "").strip().removesuffix("文明办")


def fill_number_prefixes(config) -> None:
    """Every 文号 prefix not set, from the office's place (NUMBER_SERIES)."""
    place = office_place(config.get("OFFICE_SHORT_NAME") or "", config.get("OFFICE_NAME") or "")
    for key, word in NUMBER_SERIES.items():
        if not str(config.get(key) or "").strip():
            config[key] = place + word


class TestConfig(Config):
    TESTING = True
    SCHEDULER_ENABLED = False
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast hashing keeps the suite quick
    DASHBOARD_CACHE_SECONDS = 0                  # tests see figures as the database holds them now
    DASHBOARD_SETTLED_SECONDS = 0
    JOBS_WORKER_THREADS = 0                      # tests run background jobs explicitly (background.service)
