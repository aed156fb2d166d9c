"""Normalising text on the way in: what a form or a JSON body gives is stored clean, so a page, a spreadsheet or a
PDF table never meets a control character or a wall of line breaks in a one-line field."""
from __future__ import annotations

import re
import unicodedata

from .errors import BadRequest

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"[\s\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def text_value(value, name: str) -> str:
    """A text field as given, "" for none; a JSON list, object, number or true/false answers 400 naming the field
    (stored as str() it read "['x']" or "123"). A form and a spreadsheet row only ever give strings."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name}应为文字。", code="invalid_text")
    return value


def one_line(value) -> str:
    """Line breaks, tabs and control characters become single spaces; ends trimmed."""
    text = unicodedata.normalize("NFC", str(value or ""))
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


# A Chinese input method's full-width letters, digits and signs (ＧＤ２０２６, １３８…) and its space, as ASCII
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def key_text(value) -> str:
    """A key another system gave (a 12345 工单编号) as one line in NFKC: ＧＤ２０２６１２０６０００２ typed on a Chinese
    input method is GD202612060002, not a second case."""
    return one_line(unicodedata.normalize("NFKC", str(value or "")))


def narrow(value: str) -> str:
    """Full-width ASCII (a Chinese input method's １３８００１３８０００) folded to ASCII; nothing else changed, so a
    circled ① or a superscript ² stays what it is (NFKC would make it a digit)."""
    return value.translate(_FULL_WIDTH)


# Of those, what a name or an address folds: digits, Latin letters and the signs of a house number (１２０－３号,
# ３＃楼), not the Chinese punctuation that is full-width by rule (（）：，、！？)
_FULL_WIDTH_ALNUM = {code: _FULL_WIDTH[code] for code in _FULL_WIDTH
                     if chr(_FULL_WIDTH[code]).isalnum() or chr(_FULL_WIDTH[code]) in "-#/ "}


def narrow_alnum(value: str) -> str:
    """A name or an address as it is searched for: full-width digits and letters (太平街１２０号, ＫＦＣ) and the －
    ＃ ／ of a house number folded to ASCII, the ideographic space to a space; its Chinese punctuation kept
    (华莱士（太平街店） stays as written)."""
    return value.translate(_FULL_WIDTH_ALNUM)


def name_text(value) -> str:
    """A name as it is stored and compared (类别名称: office/reference.py category_name; a 门前四包 shop's name,
    address and contact as its import stores them, as the form does): on one line, a run of spaces one, full-width
    digits and letters folded (narrow_alnum). A category's compared without letter case (LED屏 is led屏):
    units/services.py same_category_name."""
    return narrow_alnum(one_line(value))


def ascii_digits(value: str) -> int:
    """How many of 0-9 the text has (str.isdigit() also counts ①, ² and other scripts' digits)."""
    return sum("0" <= c <= "9" for c in value)


def multi_line(value) -> str:
    """Line breaks kept (\\r\\n and \\r become \\n, at most one blank line in a row); other control characters go."""
    text = unicodedata.normalize("NFC", str(value or "")).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\t", " "))
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(value, name: str, limit: int, *, multiline: bool = False) -> str:
    """Normalised text, or 400 naming the field when it is not text (text_value) or is longer than `limit`
    characters."""
    value = text_value(value, name)
    text = multi_line(value) if multiline else one_line(value)
    if len(text) > limit:
        raise BadRequest(f"{name}不能超过{limit}字。", code="text_too_long")
    return text


def join_clauses(parts, end: str = "") -> str:
    """Messages as one sentence: each without its own 。, joined by ；, ended by `end` (a row's problems read
    缺少诉求内容；坐标系“X”无法识别，应为 WGS84、GCJ02 或 BD09, not …。；…。。)."""
    return "；".join(part.rstrip("。") for part in parts if part) + end
