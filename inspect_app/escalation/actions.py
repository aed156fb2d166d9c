"""The one registry of letter actions: for each, who may (checked before any input is read, so a refused request
never costs an upload), how its input is read, which operation runs, and what a page says after it. The pages
(web.py) and the API (api.py) both call `perform`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ..common.errors import Forbidden, NotFound
from ..common.flags import flag
from ..policy import LEADERSHIP, OFFICE, UNITS
from . import compose, followup, inputs, replies, signing
from .models import Letter
from .services import NOT_FOUND, can_view_letter


@dataclass(frozen=True)
class LetterAction:
    name: str
    roles: frozenset
    parse: Callable[..., dict]        # (fields, files, user, now) -> keyword arguments of the operation
    operation: Callable[..., object]  # operation(user, letter, now, **arguments)
    message: Callable[[Letter], str]  # shown on the page after it succeeded
    multipart: bool = False           # the API reads a multipart form (files) instead of JSON


def _none(*_args) -> dict:
    return {}


def _cleared_message(letter) -> str:
    if letter.status != "done":
        return "已记录销号结果。"
    moved = sum(1 for item in letter.items if item.outcome == "moved")
    return f"已办结：其余问题已销号，{moved}件已移出（责任单位已不再负责）。" if moved else "已办结：全部问题已销号。"


ACTIONS: dict[str, LetterAction] = {a.name: a for a in (
    LetterAction("edit", OFFICE, lambda f, *_: {"fields": f}, compose.update_draft, lambda _l: "草稿已保存。"),
    LetterAction("discard", OFFICE, _none, compose.discard_draft, lambda _l: "草稿已删除，其中的督办建议已退回。"),
    LetterAction("sign", LEADERSHIP, lambda f, *_: {"revision": f.get("revision")}, signing.sign,
                 lambda l: f"已签发 {l.number}，已通知主送单位。"),
    LetterAction("return", LEADERSHIP, lambda f, *_: {"note": f.get("note"), "revision": f.get("revision")},
                 signing.return_draft, lambda _l: "已退回文明办修改，修改后将重新送您签发。"),
    LetterAction("acknowledge", UNITS, _none, replies.acknowledge,  # what it asks by when: 整改反馈, 书面报送整改情况
                 lambda l: f"已签收 {l.number}，请于{l.asks}。" if l.asks else f"已签收 {l.number}。"),
    LetterAction("reply", UNITS, lambda f, files, *_: {"text": f.get("text"), "files": files.getlist("files") if files else []},
                 replies.reply, lambda _l: "书面回复已提交，等待文明办核查销号。", multipart=True),
    LetterAction("clear", OFFICE,
                 lambda f, *_: {"ticket_id": f.get("ticket_id"),
                                "cleared": flag(f.get("cleared"), "cleared", True, label="是否销号（cleared）"),
                                "note": f.get("note"), "unit_id": f.get("unit_id")},
                 replies.clear_item, lambda l: _cleared_message(l)),
    LetterAction("recheck", OFFICE,
                 lambda f, *_: {"ticket_ids": inputs.ids(f, "ticket_ids", "问题"), "days": f.get("days"),
                                "inspector_id": f.get("inspector_id")},
                 followup.queue_rechecks, lambda _l: "已安排回头看，到期后督查员将现场复查。"),
)}


def lookup(name: str) -> LetterAction:
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound("没有这个操作。", code="unknown_action")
    return action


def perform(name: str, user, letter: Letter, now: datetime, fields: Mapping, files=None, **extra):
    """Run one action on a letter the user may see; returns what the operation returned."""
    action = lookup(name)
    if not can_view_letter(user, letter):
        raise NotFound(NOT_FOUND)
    if user.role not in action.roles:
        raise Forbidden("您的角色无权执行此操作。")
    arguments = {**action.parse(fields, files, user, now), **extra}
    return action.operation(user, letter, now, **arguments)
