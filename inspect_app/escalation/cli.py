"""flask --app run escalate [--now ISO]  (and `scheduler`, the shared scheduler in the foreground)."""
from __future__ import annotations

import click
from flask import Flask

from ..common.commands import now_option
from ..common.timeutil import utcnow


def register(app: Flask) -> None:
    @app.cli.command("escalate")
    @now_option("Sweep as of this time (ISO 8601; naive means Shanghai).")
    def escalate(now):
        """One escalation sweep: overdue tickets become 督办建议 (or, with ESCALATION_MODE=auto, numbered 督办函)."""
        from .jobs import deliver_due, run_sweep

        result = run_sweep(now, ran_at=utcnow())
        if result.skipped:
            click.echo("另一个督办扫描正在进行，本次跳过。")
            return
        if result.letters:
            click.echo(f"已印发督办函 {len(result.letters)} 件，涉及问题 {result.tickets} 件：")
            for letter in result.letters:
                click.echo(f"  {letter.number}  {letter.unit.name}  {len(letter.items)} 件")
        elif result.proposals:
            units = len({p.unit_id for p in result.proposals})
            click.echo(f"新增督办建议 {len(result.proposals)} 条，涉及 {units} 个单位，待文明办审核编制督办函。")
        else:
            click.echo("没有新达到督办条件的问题。")
        if result.lapsed:
            click.echo(f"已关闭不再适用的督办建议 {result.lapsed} 条（问题已整改、改派或时限延长）。")
        if result.pdf_errors:
            click.echo(f"有 {result.pdf_errors} 份督办函 PDF 生成失败，将在下次扫描时重试（见日志）。", err=True)
        sent = deliver_due(now)
        if sent["failed"]:
            click.echo(f"群消息发送失败 {sent['failed']} 条，将自动重试。", err=True)

    if "scheduler" not in app.cli.commands:
        from ..scheduler import register_cli
        register_cli(app)
