"""Shared pieces of the command line: the --now option operator commands take, and the transaction a command
that changes data runs in (a command is an edge: it commits once, at the end, or rolls back)."""
from __future__ import annotations

from functools import wraps

import click

from ..boundary import transaction

from .timeutil import parse_iso, utcnow


def parse_now(value: str | None):
    """--now for the operator commands: ISO time, naive means Shanghai; absent means now."""
    if not value:
        return utcnow()
    try:
        return parse_iso(value)
    except ValueError:
        raise click.BadParameter("时间格式应为 ISO 8601，例如 2026-11-28T09:00:00+08:00") from None


def now_option(help_text: str):
    """`--now ISO` passed to the command as a datetime (`now`)."""
    return click.option("--now", "now", default=None, help=help_text,
                        callback=lambda _ctx, _param, value: parse_now(value))


def in_transaction(command):
    """Run the command's body in one transaction: committed when it returns, rolled back when it raises."""
    @wraps(command)
    def wrapper(*args, **kwargs):
        with transaction():
            return command(*args, **kwargs)
    return wrapper
