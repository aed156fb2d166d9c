"""Command line: flask --app run COMMAND (see docs/api.md)."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import inspect as sa_inspect

from .common.commands import in_transaction
from .common.errors import ServiceError
from .common.timeutil import utcnow
from .extensions import db
from .policy import ROLES


def init_schema() -> str:
    """Create or upgrade the schema. With migrations present, Alembic runs them; a database made
    before migrations existed is stamped first so upgrades start from the right place."""
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
    upgrade(directory=str(migrations))
    return "upgraded"


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the database schema (safe to run again)."""
        result = init_schema()
        click.echo({"created": "数据库表已创建。", "stamped": "已标记现有数据库版本。",
                    "upgraded": "数据库已升级到最新版本。"}[result])

    @app.cli.command("seed-demo")
    @click.option("--password", default=None, help="Password for every demo account.")
    @click.option("--activity/--no-activity", default=True,
                  help="Also replay six weeks of reports, letters and lists (only while there are no tickets).")
    def seed_demo_command(password, activity):
        """Load the demo city: units, road segments, categories, accounts and (by default) six weeks of activity."""
        from .boundary import transaction
        from .demo.seed import DEFAULT_PASSWORD, DEMO_LOGIN_HELP, seed_demo

        init_schema()
        now = utcnow()
        with transaction():
            added = seed_demo(now, password or DEFAULT_PASSWORD)
        click.echo(f"已加载演示城市：新增单位 {added['units']} 个，路段 {added['segments']} 条，"
                   f"问题类别 {added['categories']} 个，账号 {added['users']} 个，测评点位 {added['sites']} 个，"
                   f"测评项目 {added['checklist_items']} 项。")
        if activity:
            from .demo.activity import seed_activity, summary_line
            from .demo.assessment import seed_rounds

            with transaction():
                click.echo(summary_line(seed_activity(now)))
            with transaction():
                rounds = seed_rounds(now)
            click.echo(f"测评轮次 {rounds['rounds']} 轮，生成整改任务 {rounds['tickets']} 项。")
            from .demo.outside import seed_outside, summary_line as outside_line

            with transaction():
                click.echo(outside_line(seed_outside(now)))
        click.echo(DEMO_LOGIN_HELP.format(password=password or DEFAULT_PASSWORD))

    @app.cli.command("create-user")
    @click.argument("name")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--unit", "unit_code", default=None, help="Unit code, for role unit.")
    @click.option("--password", default=None, help="Password (asked for when omitted).")
    @in_transaction
    def create_user_command(name, role, unit_code, password):
        """Create an account."""
        from .auth.services import create_user
        from .units.models import Unit

        unit = None
        if unit_code:
            unit = db.session.scalar(db.select(Unit).where(Unit.code == unit_code))
            if unit is None:
                raise click.ClickException(f"单位编码 {unit_code} 不存在。")
        if password is None:
            password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
        try:
            user = create_user(name, role, password, utcnow(), unit=unit)
            db.session.flush()
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"已创建账号 {user.username}（{user.role_label}）。")
