"""The one registry of key-task actions: who may (checked before any input is read, so a refused request never
costs an upload), how the input is read (a page's form and the API's JSON or multipart body alike), which operation
runs, and what a page says after it. web.py and api.py both call `perform`."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..common.errors import Forbidden, NotFound
from ..common.flags import flag
from ..policy import OFFICE, UNITS
from . import services
from .models import KeyTask


@dataclass(frozen=True)
class TaskAction:
    name: str
    roles: frozenset
    parse: Callable[..., dict]         # (fields, files) -> keyword arguments of the operation
    operation: Callable[..., object]   # operation(user, task, now, **arguments)
    message: Callable[[object], str]   # shown on the page after it succeeded (given the operation's result)
    multipart: bool = False            # the API reads a multipart form (files) instead of JSON


def _report_input(fields: Mapping, files) -> dict:
    claims = fields.get("claims_done")
    return {"text": fields.get("text"), "progress": fields.get("progress"),
            "claims_done": flag(claims, "claims_done", label="申请销号（claims_done）"),
            "files": files.getlist("files") if files else []}


ACTIONS: dict[str, TaskAction] = {a.name: a for a in (
    TaskAction("report", UNITS, _report_input, services.report,
               lambda r: "已申请销号，等待文明办审核佐证材料。" if r.claims_done else "进展情况已报送。", multipart=True),
    TaskAction("review", OFFICE, lambda f, _files: {"verdict": f.get("verdict"), "note": f.get("note")},
               services.review,
               lambda r: "已审核通过，该任务已完成销号。" if r.verdict == "accepted" else "已退回，牵头单位补充后可再次申请销号。"),
)}


def perform(name: str, user, task: KeyTask, now: datetime, fields: Mapping, files=None):
    """Run one action on a task the caller has already looked up for this user (services.get_task)."""
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound("没有这个操作。", code="unknown_action")
    if user.role not in action.roles:
        raise Forbidden("您的角色无权执行此操作。")
    return action.operation(user, task, now, **action.parse(fields, files))
