"""A command or `python run.py` that cannot reach its database, or is given a DATABASE_URL or a setting it cannot
use, says so in one Chinese line, with the address it tried (its password hidden) and what to check, and exits 1;
before, a newcomer with a typo in DATABASE_URL read a 40-line SQLAlchemy traceback. A database error after
connecting (a bug, a missing table) keeps its traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy.exc import OperationalError

from inspect_app import create_app

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql+psycopg://inspect:s3cret@127.0.0.1:1/inspect"  # nothing listens on port 1


def invoke(tmp_path: Path, url: str, *args: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "up"), "SECRET_KEY": "t",
                      "SCHEDULER_ENABLED": False})
    return app.test_cli_runner().invoke(args=list(args))


def test_a_command_that_cannot_reach_postgresql_says_so(tmp_path):
    for command in (["init-db"], ["escalate"], ["backup", str(tmp_path / "b")]):
        result = invoke(tmp_path, UNREACHABLE, *command)
        assert result.exit_code == 1, (command, result.output)
        assert "无法连接数据库 postgresql+psycopg://inspect:***@127.0.0.1:1/inspect：" in result.output
        assert "请确认数据库服务已启动" in result.output
        assert "s3cret" not in result.output and "Traceback" not in result.output


def test_a_command_that_cannot_open_sqlite_says_so(tmp_path):
    result = invoke(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'inspect.db'}", "init-db")
    assert result.exit_code == 1
    assert "无法打开数据库" in result.output and "unable to open database file" in result.output
    assert "文件夹存在" in result.output


def test_an_error_after_connecting_keeps_its_traceback(tmp_path):
    result = invoke(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", "escalate")  # no tables: a statement failed
    assert result.exit_code == 1 and isinstance(result.exception, OperationalError)
    assert "no such table" in str(result.exception)


def test_run_py_that_cannot_reach_its_database_says_so(tmp_path):
    env = {**os.environ, "DATABASE_URL": UNREACHABLE, "UPLOAD_FOLDER": str(tmp_path / "up"),
           "SCHEDULER_ENABLED": "0"}
    done = subprocess.run([sys.executable, "run.py", "--port", "0"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("启动失败：无法连接数据库 postgresql+psycopg://inspect:***@127.0.0.1:1/inspect")
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr


@pytest.mark.parametrize("url, says", [
    ("mysql://inspect:s3cret@db/inspect", "DATABASE_URL 的数据库类型不受支持：mysql://inspect:***@db/inspect。"),
    ("postgresql+psycopg2://inspect:s3cret@db/inspect", "数据库类型不受支持"),  # psycopg 3 only
    ("sqllite:///inspect.db", "数据库类型不受支持：sqllite:///inspect.db"),
    ("postgresql+psycopg://inspect:s3cret@db:5432x/inspect", "DATABASE_URL 无法识别：postgresql+psycopg://inspect:***@db"),
    ("inspect.db", "DATABASE_URL 无法识别：inspect.db。应为 postgresql+psycopg://"),
])
def test_a_database_url_the_app_cannot_use_is_named(tmp_path, url, says):
    with pytest.raises(click.ClickException) as refused:  # ConfigError (a test may have reloaded config.py)
        create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "up"), "SECRET_KEY": "t"})
    assert says in refused.value.message and "s3cret" not in refused.value.message


def test_a_prepare_threshold_that_is_not_a_number_is_named(tmp_path):
    with pytest.raises(click.ClickException) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE, "UPLOAD_FOLDER": str(tmp_path / "up"), "SECRET_KEY": "t",
                    "DATABASE_PREPARE_THRESHOLD": "5x"})
    assert refused.value.message == "DATABASE_PREPARE_THRESHOLD 应为整数或 off，现为 '5x'。"


@pytest.mark.parametrize("command", [["run.py"], ["-m", "flask", "--app", "run", "init-db"]], ids=["run.py", "flask"])
def test_a_setting_that_is_not_a_number_is_named(tmp_path, command):
    # Before: a ValueError traceback from inside config.py, raised while the app was being imported.
    env = {**os.environ, "MAX_UPLOAD_MB": "32MB", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "UPLOAD_FOLDER": str(tmp_path / "up"), "SCHEDULER_ENABLED": "0"}
    done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "环境变量 MAX_UPLOAD_MB 应为整数，现为 '32MB'。" in done.stderr
