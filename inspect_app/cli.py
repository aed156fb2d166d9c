"""Command line: flask --app run COMMAND (see docs/api.md)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import click
from flask import Flask
from sqlalchemy import inspect as sa_inspect

from .common.commands import in_transaction
from .common.errors import DATABASE_UNAVAILABLE, ServiceError, database_answer
from .common.timeutil import utcnow
from .extensions import db
from .policy import ROLES


NEWER_DATABASE = ("数据库来自较新的程序版本（数据库结构版本为 {found}，本程序的最新版本为 {heads}），"
                  "本程序无法使用或升级它。请部署与数据库相同或更新的程序版本；如确需用这个版本，请恢复用这个版本做的备份"
                  "（flask --app run restore，见部署文档）。")


def schema_revisions() -> tuple[set[str], set[str]]:
    """This code's migrations: (the heads, every revision). Empty without migrations."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    return set(script.get_heads()), {revision.revision for revision in script.walk_revisions()}


def database_revisions() -> list[str]:
    """The Alembic revisions the database is at; empty when it has no alembic_version table."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        if not sa_inspect(conn).has_table("alembic_version"):
            return []
        return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def init_schema(before_upgrade: Callable[[list[str], set[str]], None] | None = None) -> str:
    """Create or upgrade the schema. With migrations present, Alembic runs them; a database made
    before migrations existed is stamped first so upgrades start from the right place. A database at a revision
    these migrations do not know (made by a newer release, then the code was rolled back) is refused in words,
    not with Alembic's "Can't locate revision". `before_upgrade(found, heads)` is called before migrations run on a
    database that has some already (not on a new, empty one), and only when some are pending."""
    from pathlib import Path

    from flask import current_app
    from flask_migrate import stamp, upgrade

    migrations = Path(current_app.extensions["migrate"].directory)
    if not (migrations / "versions").is_dir() or not any((migrations / "versions").glob("*.py")):
        db.create_all()
        return "created"
    tables = set(sa_inspect(db.engine).get_table_names())
    if "users" in tables and "alembic_version" not in tables:
        stamp(directory=str(migrations), revision="head")
        return "stamped"
    heads, known = schema_revisions()
    found = database_revisions()
    if any(revision not in known for revision in found):
        raise click.ClickException(NEWER_DATABASE.format(found="、".join(found), heads="、".join(sorted(heads))))
    if before_upgrade is not None and found and set(found) != heads:
        before_upgrade(found, heads)
    upgrade(directory=str(migrations))
    return "upgraded"


UPGRADE_COPY = ("数据库结构将从版本 {found} 升级到 {heads}。升级前已将数据库文件备份到 {copy}；"
                "如升级出错需要回到升级前，请停止服务，用这个文件替换 {database}（同时删除其旁边的 {database_name}-wal "
                "和 {database_name}-shm 文件，如有），再用升级前的程序版本启动。")
UPGRADE_WARNING = ("注意：PostgreSQL 数据库的结构将从版本 {found} 升级到 {heads}。python run.py 不会自动备份 PostgreSQL "
                   "数据库：升级前应已用 flask --app run backup 备份位置（例如 flask --app run backup "
                   "/srv/backup/inspect/升级前.tar.gz）做好备份（见部署文档“Upgrading”），"
                   "否则升级出错时将无法回到升级前。")


def start_schema(now: datetime, say: Callable[[str], None] = click.echo) -> str:
    """`python run.py`'s init_schema: with migrations pending on a database that has data, an SQLite database's
    file is first copied beside it (ops.backup.copy_before_upgrade; a copy that cannot be made stops the start, the
    database not upgraded), and said where; PostgreSQL is not dumped (that is `flask --app run backup`, to a place
    the operator chooses), a warning names that command."""
    def before_upgrade(found: list[str], heads: set[str]) -> None:
        from .ops.backup import OpsError, copy_before_upgrade

        words = {"found": "、".join(found), "heads": "、".join(sorted(heads))}
        if db.engine.dialect.name != "sqlite":
            say(UPGRADE_WARNING.format(**words))
            return
        try:
            database, copy = copy_before_upgrade(db.engine, now)
        except OpsError as error:
            raise click.ClickException(str(error)) from None
        say(UPGRADE_COPY.format(copy=copy, database=database, database_name=database.name, **words))
    return init_schema(before_upgrade)


def database_problem(error: BaseException, url) -> str | None:
    """One Chinese line for a database error a command or `python run.py` meets before it could do anything: the
    database could not be reached (a connection refused, a wrong password or database name), or it will not write.
    None for any other error (a bug keeps its traceback). `url`: the engine's, shown without its password."""
    answer = database_answer(error)
    where = url.render_as_string(hide_password=True)
    if answer is None:
        return None
    text = str(getattr(error, "orig", error)).strip()
    driver = text.splitlines()[0] if text else type(error).__name__
    if answer != DATABASE_UNAVAILABLE:
        return f"{answer[1]}（{where}：{driver}）"
    if getattr(error, "statement", None) is not None:  # connected, then a statement failed: not a connection
        return None
    if url.get_backend_name() == "sqlite":
        return f"无法打开数据库 {where}：{driver}。请确认数据库文件所在的文件夹存在，且本服务有权读写它。"
    return (f"无法连接数据库 {where}：{driver}。请确认数据库服务已启动，DATABASE_URL 中的主机、端口、数据库名、"
            f"用户名和密码正确。")


def explain_database_errors(group: click.Group) -> None:
    """Every command of `group` (and its subgroups) answers a database it cannot reach with database_problem's
    line and exit code 1, not a traceback."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            explain_database_errors(command)
        elif command.callback is not None and not getattr(command.callback, "_explains_database", False):
            command.callback = explained(command.callback)


def explained(callback):
    """`callback` raising click.ClickException with database_problem's line for a database error it can name."""
    import functools

    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception as error:
            problem = database_problem(error, db.engine.url)
            if problem is None:
                raise
            raise click.ClickException(problem) from None
    run._explains_database = True
    return run


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema (safe to run again)."""
        result = init_schema()
        click.echo({"created": "数据库表已创建。", "stamped": "已标记现有数据库版本。",
                    "upgraded": "数据库已升级到最新版本。"}[result])

    @app.cli.command("seed-demo")
    @click.option("--password", default=None,
                  help="Password for every demo account (at least 8 characters; only when the accounts are made).")
    @click.option("--activity/--no-activity", default=True,
                  help="Also replay six weeks of reports, letters and lists (only while there are no tickets).")
    def seed_demo_command(password, activity):
        """Load the demo city: units, road segments, categories, accounts and (by default) six weeks of activity."""
        from .auth.services import MIN_PASSWORD_LENGTH
        from .demo import load
        from .demo.seed import DEFAULT_PASSWORD, DEMO_LOGIN_HELP, DEMO_LOGINS_KEPT, demo_accounts_present

        if password is not None and len(password) < MIN_PASSWORD_LENGTH:  # as create-user: every account had "1"
            raise click.ClickException(f"密码至少{MIN_PASSWORD_LENGTH}位。")
        init_schema()
        present = demo_accounts_present()
        if present and password is not None:
            # the accounts are only ever made, never changed: "--password P" said every account had P, none had
            raise click.ClickException(f"演示城市已加载（已有 {present} 个演示账号），账号的密码未改动：--password 只在"
                                       "首次加载、创建演示账号时使用。如需改密码，请以管理员登录后在“账号管理”中重置。")
        load(utcnow(), password or DEFAULT_PASSWORD, activity=activity, say=click.echo)
        click.echo(DEMO_LOGINS_KEPT if present else DEMO_LOGIN_HELP.format(password=password or DEFAULT_PASSWORD))

    @app.cli.command("create-user")
    @click.argument("name")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--unit", "unit_code", default=None, help="Unit code (any letter case), for role unit only.")
    @click.option("--password", default=None, help="Password (asked for when omitted).")
    @in_transaction
    def create_user_command(name, role, unit_code, password):
        """Create an account."""
        from .auth.services import create_user
        from .common.codes import same_code
        from .units.models import Unit

        unit = None
        if unit_code:
            if role != "unit":  # it was dropped without a word: only a unit's account belongs to a unit
                raise click.ClickException(f"只有责任单位账号（--role unit）属于某个单位，{role} 账号不能指定 --unit。")
            # a unit code is one code whatever its case (common/codes.py): jd0105, as seed-demo's logins are, is JD0105
            unit = db.session.scalar(db.select(Unit).where(same_code(Unit.code, unit_code))
                                     .order_by((Unit.code == unit_code.strip()).desc()))
            if unit is None:
                raise click.ClickException(f"单位编码 {unit_code} 不存在。")
            if not unit.active:
                raise click.ClickException(f"单位“{unit.name}”（{unit.code}）已停用，不能绑定新账号。")
        if password is None:
            password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(name, role, password, utcnow(), unit=unit)
            db.session.flush()
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"已创建账号 {user.username}（{user.role_label}）。")
