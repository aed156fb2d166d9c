"""Serve the app with its scheduler in one process: python run.py [--host H] [--port P] [--demo] [--https]."""
from __future__ import annotations

import argparse
import logging
import sys

import click

try:
    from inspect_app import create_app
except click.ClickException as error:  # a setting read at import (an environment variable that is not a number)
    if __name__ != "__main__":
        raise  # `flask --app run …`: click prints it and exits 1
    sys.exit(f"启动失败：{error.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description="文明城市督查整改系统")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--demo", action="store_true", help="load the demo city into an empty database first")
    parser.add_argument("--https", action="store_true",
                        help="serve over HTTPS with a self-signed certificate (phones give location only to HTTPS)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:  # a setting it cannot start with, or a database it cannot reach: one line, not a traceback
        app = create_app()
        with app.app_context():
            from inspect_app.cli import explained, start_schema
            from inspect_app.common.timeutil import utcnow

            explained(start_schema)(utcnow(), print)  # migrations pending: SQLite's file is copied first
    except click.ClickException as error:
        sys.exit(f"启动失败：{error.message}")
    with app.app_context():
        from inspect_app.common.timeutil import utcnow
        from inspect_app.extensions import db

        if args.demo:
            from inspect_app.auth.models import User
            from inspect_app.demo import load
            from inspect_app.demo.seed import DEFAULT_PASSWORD, DEMO_LOGIN_HELP

            if db.session.query(User.id).first() is None:
                load(utcnow(), DEFAULT_PASSWORD)
            print(DEMO_LOGIN_HELP.format(password=DEFAULT_PASSWORD))

    if app.config["SCHEDULER_ENABLED"]:
        from inspect_app.scheduler import start_background

        start_background(app)

    ssl_context = None
    if args.https:
        from inspect_app.devcert import self_signed_context
        ssl_context = self_signed_context(app.instance_path, args.host)
    scheme = "https" if ssl_context else "http"
    print(f"打开浏览器访问 {scheme}://{args.host}:{args.port}/ （Ctrl+C 停止）")
    app.run(host=args.host, port=args.port, ssl_context=ssl_context, use_reloader=False, threaded=True)


if __name__ == "__main__":
    main()
