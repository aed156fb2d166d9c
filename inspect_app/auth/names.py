"""Usernames: one form however they are typed. NFKC makes a full-width ＳＺ０１ｂ (a Chinese input method's) the
name sz01b it looks like, and a name holding what cannot be seen (a zero-width space, a control character, a
space inside) is refused: it would look exactly like another account in every list and in the 操作日志. Names
are compared without letter case. The same form on create, import and login (and for the login throttle)."""
from __future__ import annotations

import unicodedata

MAX_USERNAME = 64


def normal_username(value) -> str:
    """The name as it is kept and looked up: NFKC, ends trimmed."""
    return unicodedata.normalize("NFKC", str(value or "")).strip()


def username_key(value) -> str:
    """The form two names are compared in: SZ01b, sz01b and ＳＺ０１ｂ are one key."""
    return normal_username(value).lower()


def username_problem(name: str) -> str | None:
    """Why a (normalised) name cannot be an account's, in Chinese, or None."""
    if not name or len(name) > MAX_USERNAME:
        return f"用户名不能为空，且不超过{MAX_USERNAME}个字符。"
    # C*: control, format (zero-width, direction marks), private and unassigned; Z*: spaces and line breaks
    if any(unicodedata.category(c)[0] in "CZ" for c in name):
        return "用户名不能包含空格、换行或零宽空格等不可见字符。"
    return None
