"""flask --app run rank --period 2026-11|2026-W48 [--publish [--early]] [--now ISO]"""
from __future__ import annotations

import click
from flask import Flask

from ..common.commands import in_transaction, now_option
from ..common.errors import ServiceError
from ..common.timeutil import local


def register(app: Flask) -> None:
    @app.cli.command("rank")
    @click.option("--period", "period_text", required=True, help="2026-11 (month) or 2026-W48 (ISO week).")
    @click.option("--publish", is_flag=True, help="Store the list as a new published version.")
    @click.option("--early", is_flag=True, help="Publish a period that has not ended yet (data stop at --now).")
    @now_option("Compute as of this time (ISO 8601; naive means Shanghai).")
    @in_transaction
    def rank(period_text, publish, early, now):
        """Compute (and with --publish, publish) the red/black list of a month or ISO week."""
        from . import services
        from .periods import parse_period

        try:
            period = parse_period(period_text)
            computed = services.compute(period, now)
        except ServiceError as error:
            raise click.ClickException(error.message) from None
        click.echo(f"{period.short_label} 红黑榜（数据截至 {local(now):%Y-%m-%d %H:%M}，{computed.scheme.name}）")
        click.echo(computed.scheme.method_text)
        for group in computed.groups:
            members = [e for e in computed.entries if e.group == group.name and e.ranked]
            click.echo(f"【{group.name}】参与排名 {len(members)} 个单位")
            if group.scheme_text:
                click.echo(f"  {group.scheme_text}")
            for title, name in (("红榜", "red"), ("黑榜", "black")):
                chosen = [e for e in members if e.list_name == name]
                click.echo(f"  {title}（{len(chosen)}个）：")
                for e in chosen:
                    click.echo(f"    {e.rank:>3}  {e.unit.name}  {e.score:.2f}分  {e.reason}")
        click.echo(f"参与排名 {sum(1 for e in computed.entries if e.ranked)} 个单位，"
                   f"未参与排名 {len(computed.unranked)} 个。")
        if publish:
            try:
                ranking = services.publish(period, now, early=early, choose_early="请加 --early")
            except ServiceError as error:
                raise click.ClickException(error.message) from None
            click.echo(f"已发布：{period.key} 第{ranking.version}版，{ranking.number}（编号 {ranking.id}）。")
        else:
            click.echo("（预览，未发布；加 --publish 发布。）")
