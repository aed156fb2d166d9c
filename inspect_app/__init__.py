"""文明城市督查整改系统 — application factory."""
from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Request, jsonify
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from .config import PROJECT_ROOT, Config, ConfigError, fill_number_prefixes
from .features import feature_modules
from .extensions import SessionCookies, csrf, db, login_manager, migrate
from .common.ids import MAX_ID

log = logging.getLogger(__name__)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route is a row id. A number past MAX_ID matches no route (404, like any missing row)
    instead of reaching PostgreSQL, which refuses it as out of range (a 500)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


class UploadClosingRequest(Request):
    """A request that closes every upload it spooled to a temporary file when it ends, also those of a form whose
    parsing stopped midway (a phone that lost its connection, too many parts, a field over its limit): werkzeug's
    parser drops them unclosed then, and each stayed open until the garbage collector found it."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_spooled", []).append(stream)
        return stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            for stream in self.__dict__.pop("_spooled", ()):
                stream.close()


class App(Flask):
    """Flask, with its per-call check for `async def` views and hooks made once per function, and requests that
    close the uploads they spooled."""

    request_class = UploadClosingRequest

    _SYNC_CACHE_MAX = 4096  # views and hooks are a few hundred; callers passing fresh closures are not cached

    def ensure_sync(self, func):
        # Flask asks inspect.iscoroutinefunction on every hook and view of every request (about 10 per request).
        known = self.__dict__.setdefault("_sync_funcs", {})
        found = known.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(known) < self._SYNC_CACHE_MAX:
                known[func] = found
        return found


def create_app(config: dict | type | None = None) -> Flask:
    app = App(__name__, template_folder=str(PROJECT_ROOT / "templates"),
              static_folder=str(Path(__file__).parent / "static"), instance_relative_config=True)
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _configure_defaults(app)
    _log_through_gunicorn()
    app.url_map.converters["int"] = IdConverter  # before any route is added
    if app.config.get("TRUSTED_PROXIES"):  # behind nginx: client address and scheme from X-Forwarded-*
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    register_extensions(app)
    from .input_guard import register_input_guard
    register_input_guard(app)  # before any route's hooks: NUL, lone surrogates, deep JSON are 400
    from .ops.schema import register_schema_guard
    register_schema_guard(app)  # a database not upgraded to this code: 503 in words, not 500s
    register_blueprints(app)
    register_cli(app)
    register_template_helpers(app)
    from . import assets
    assets.register(app)  # scripts served minified (MINIFY_JS)
    from .errors import register_error_handlers
    register_error_handlers(app)
    from .auth import token_cache
    token_cache.listen()  # a commit that changes users, units or tokens empties the API token cache everywhere
    from . import boundary
    from .audit.trail import listen as audit_changes
    audit_changes()  # every change to accounts and reference data goes into the 操作日志
    boundary.register(app)  # last: its after_request runs first, the others see the final response
    return app


def _log_through_gunicorn() -> None:
    """Under gunicorn, the app's own lines (a photo's file missing, the database unavailable, a health check failed)
    go out through gunicorn's error log: its --error-logfile, its format with time and level, its --log-level. Nothing
    configured logging in a gunicorn worker, so they went to Python's last-resort handler: bare stderr, no time or
    level, INFO dropped. Elsewhere nothing changes: run.py and the scheduler configure logging themselves, tests
    capture it."""
    gunicorn = logging.getLogger("gunicorn.error")
    if not gunicorn.handlers:
        return
    ours = logging.getLogger(__name__)
    for handler in gunicorn.handlers:
        if handler not in ours.handlers:  # create_app may run more than once in a process
            ours.addHandler(handler)
    ours.setLevel(gunicorn.level)
    ours.propagate = False  # a root handler someone adds would print every line twice


def _configure_defaults(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    fill_number_prefixes(app.config)  # 文号 prefixes not set: the office's own place's (清源文明督), never the demo's
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "inspect.db")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    _check_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite"):
        # Waiting writers queue (for up to 30 s) instead of failing with "database is locked", and in fine steps
        # rather than SQLite's own sleeps of up to 100 ms (common/sqlite.py).
        from .common.sqlite import connection_class
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 0, "factory": connection_class(30)}}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        threshold = str(app.config.get("DATABASE_PREPARE_THRESHOLD", "5")).strip().lower()
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        if threshold not in ("off", "none", "") and not threshold.isdigit():
            raise ConfigError(f"DATABASE_PREPARE_THRESHOLD 应为整数或 off，现为 {threshold!r}。")
        connect_args.setdefault("prepare_threshold", None if threshold in ("off", "none", "") else int(threshold))
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app)
    upload = Path(app.config["UPLOAD_FOLDER"])
    try:
        upload.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"UPLOAD_FOLDER 无法创建：{upload}（{error.strerror}）。请确认它的上级文件夹存在，且本服务"
                          f"有权在其中写入；照片和督办函、红黑榜 PDF 都存在这里。") from None


def _check_database_url(uri: str) -> None:
    """A DATABASE_URL this app can use, or ConfigError saying what is wrong with it (password hidden)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", uri)
    try:
        url = make_url(uri)
    except (ArgumentError, ValueError):
        raise ConfigError(f"DATABASE_URL 无法识别：{shown}。应为 postgresql+psycopg://用户名:密码@主机:端口/数据库名，"
                          f"或 sqlite:///数据库文件路径。") from None
    backend, _, driver = url.drivername.partition("+")  # by name: asking SQLAlchemy loads (or fails to) a dialect
    if (backend, driver) not in (("postgresql", "psycopg"), ("sqlite", ""), ("sqlite", "pysqlite")):
        raise ConfigError(f"DATABASE_URL 的数据库类型不受支持：{shown}。只支持 PostgreSQL（postgresql+psycopg://…，"
                          f"驱动 psycopg 3）和 SQLite（sqlite:///…）。")


def _instance_secret(app: Flask) -> str:
    """A random key kept in instance/, so sessions survive restarts without configuration.

    Several gunicorn workers start at once: the key is written to a private temp file and linked into place,
    so exactly one key wins and nobody reads a half-written or world-readable file."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=app.instance_path, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (all tables known to metadata)

    app.session_interface = SessionCookies()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"  # its message and where it comes back to: auth.web.unauthorized

    from .auth.web import load_user, unauthorized
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from sqlalchemy import event

        with app.app_context():
            @event.listens_for(db.engine, "connect")
            def _sqlite_pragmas(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()


def register_blueprints(app: Flask) -> None:
    """Each feature's web.py and api.py hold a blueprint named `bp`."""
    for kind in ("web", "api"):
        for module in feature_modules(kind):
            app.register_blueprint(module.bp)

    from .http import forget_user
    from .policy import public

    @app.get("/healthz")
    @public
    def healthz():
        from .ops.schema import schema_problem
        try:
            db.session.execute(text("SELECT 1"))
            behind = schema_problem()
        except Exception as error:  # the database is what this checks
            log.error("health check failed: %s", error)
            forget_user()  # a probe that sends a session cookie: its user is not looked up again afterwards
            return jsonify({"status": "error", "message": "数据库无响应"}), 503
        if behind:
            forget_user()
            return jsonify({"status": "error", "message": behind}), 503
        return jsonify({"status": "ok"})


def register_cli(app: Flask) -> None:
    """Core commands, then each feature's cli.py `register(app)`."""
    from .cli import explain_database_errors, register
    register(app)
    for module in feature_modules("cli"):
        module.register(app)
    explain_database_errors(app.cli)


def register_template_helpers(app: Flask) -> None:
    from .web_helpers import register
    register(app)
