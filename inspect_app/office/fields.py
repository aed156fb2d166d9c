"""Field checks shared by the office's forms, the API and spreadsheet rows. Each raises Invalid with
a Chinese message naming the field."""
from __future__ import annotations

import re

from ..common.errors import Invalid
from ..common.text import ascii_digits, narrow, text_value

CODE_RE = re.compile(r"^[A-Za-z0-9_\-\.]{1,32}$")
CODE_RULE = "字母、数字、点、下划线或短横线，最多32位"  # what CODE_RE accepts, as every code's message and help say it
PHONE_DIGITS = 5  # enough to tell a number from a note; offices write "0731-8888 转 801", "138… / 0731-…"


def text(value, label: str, limit: int, required: bool = False) -> str:
    """Trimmed text; 422 required when empty and required; too long is 400 text_too_long naming the field, as
    clean_text answers (docs/api.md), raised as an Invalid so an import reports it on its row."""
    value = text_value(value, label).strip()
    if required and not value:
        raise Invalid(f"{label}不能为空。", code="required")
    if len(value) > limit:
        raise Invalid(f"{label}不能超过{limit}个字符。", code="text_too_long", status=400)
    return value


def code(value, label: str = "编码") -> str:
    """A code as typed, full-width letters and digits (ＪＦ－９００７, a Chinese input method's) stored as ASCII."""
    value = narrow(text(value, label, 32, required=True)).strip()
    if not CODE_RE.match(value):
        raise Invalid(f"{label}“{value}”不正确：应为{CODE_RULE}。", code="invalid_code")
    return value


def choice(value, label: str, choices) -> str:
    value = text(value, label, 32, required=True)
    if value not in choices:
        raise Invalid(f"{label}“{value}”不正确，应为：{'、'.join(choices)}。", code="invalid_choice")
    return value


def phone(value, label: str = "联系电话") -> str:
    """A phone number with at least PHONE_DIGITS digits 0-9, stored as it can be dialled: full-width digits typed
    on a Chinese input method (１３８…) become ASCII; ①②③ or another script's digits are no phone's (isdigit()
    counted them)."""
    value = narrow(text(value, label, 32))
    if value and (ascii_digits(value) < PHONE_DIGITS or any(c.isdigit() and not c.isascii() for c in value)):
        raise Invalid(f"{label}“{value}”格式不正确（号码请用数字0-9）。", code="invalid_phone")
    return value


def integer(value, label: str, low: int, high: int, required: bool = True) -> int | None:
    raw = "" if value is None else str(value).strip()
    if raw == "":
        if required:
            raise Invalid(f"请填写{label}。", code="required")
        return None
    try:
        number = int(raw)
    except ValueError:
        raise Invalid(f"{label}应为整数。", code="invalid_number") from None
    if not low <= number <= high:
        raise Invalid(f"{label}应在 {low} 到 {high} 之间。", code="invalid_number")
    return number


ACTIVE_WORDS = {"": True, "在用": True, "启用": True, "正常": True, "是": True, "1": True, "true": True,
                "停用": False, "已停用": False, "撤销": False, "否": False, "0": False, "false": False}


def active_flag(value, label: str = "状态") -> bool:
    key = ("" if value is None else str(value)).strip().lower()
    if key not in ACTIVE_WORDS:
        raise Invalid(f"{label}“{value}”不正确，应为“在用”或“停用”。", code="invalid_status")
    return ACTIVE_WORDS[key]
