"""An uploaded import file kept between its preview and its confirmation (instance/imports/).

The name carries the import kind and the uploader, so one admin cannot confirm another's file."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from ..common.errors import Invalid

KEEP_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(kind: str, user_id: int, token: str) -> Path:
    if not _TOKEN.match(token or ""):
        raise Invalid("导入文件已失效，请重新上传。", code="upload_expired")
    return _folder() / f"{kind}-{user_id}-{token}"


def keep(kind: str, user_id: int, filename: str, data: bytes) -> str:
    _prune()
    token = secrets.token_hex(16)
    path = _path(kind, user_id, token)
    path.write_bytes(data)
    path.with_suffix(".name").write_text(filename or "", encoding="utf-8")
    return token


def load(kind: str, user_id: int, token: str) -> tuple[str, bytes]:
    path = _path(kind, user_id, token)
    if not path.exists():
        raise Invalid("导入文件已失效（超过一天或已导入），请重新上传。", code="upload_expired")
    name_file = path.with_suffix(".name")
    return (name_file.read_text(encoding="utf-8") if name_file.exists() else ""), path.read_bytes()


def discard(kind: str, user_id: int, token: str) -> None:
    path = _path(kind, user_id, token)
    path.unlink(missing_ok=True)
    path.with_suffix(".name").unlink(missing_ok=True)


def _prune() -> None:
    cutoff = time.time() - KEEP_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass
