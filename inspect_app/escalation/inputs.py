"""Reading the escalation feature's input, the same from a JSON body and from a form: id lists, dates, times
(yes-or-no fields: common/flags.py). Bad values answer 400 with a message naming the field."""
from __future__ import annotations

from datetime import date, datetime

from ..common.errors import BadRequest
from ..common.ids import MAX_ID
from ..common.timeutil import parse_iso, shanghai_day


def values(fields, name: str) -> list:
    """Every value of a field: a JSON list, a form's repeated field, or one comma-separated string."""
    if hasattr(fields, "getlist"):
        raw = fields.getlist(name)
        if len(raw) == 1 and isinstance(raw[0], str) and "," in raw[0]:
            raw = raw[0].split(",")
    else:
        raw = fields.get(name)
        if raw is None:
            raw = []
        elif isinstance(raw, str):
            raw = raw.split(",")
        elif not isinstance(raw, (list, tuple)):
            raw = [raw]
    return [value for value in raw if not (isinstance(value, str) and not value.strip())]


def ids(fields, name: str, what: str) -> list[int] | None:
    """A list of positive integer ids, in the order given, duplicates dropped; None when the field is absent."""
    if name not in fields:
        return None
    result: list[int] = []
    for value in values(fields, name):
        number = _id(value, name, what)
        if number not in result:
            result.append(number)
    return result


def _id(value, name: str, what: str) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"{what}编号应为整数。", code=f"invalid_{name}")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{what}编号应为整数。", code=f"invalid_{name}") from None
    if not 1 <= number <= MAX_ID:
        raise BadRequest(f"{what}编号超出范围。", code=f"invalid_{name}")
    return number


def pairs(fields, name: str, what: str) -> list[tuple[int, int]] | None:
    """A list of (ticket id, unit id): "12:3" each (a form's checkbox, a JSON string), or [12, 3] in JSON; in the
    order given, duplicates dropped; None when the field is absent."""
    if name not in fields:
        return None
    result: list[tuple[int, int]] = []
    for value in values(fields, name):
        parts = value.split(":") if isinstance(value, str) else value if isinstance(value, (list, tuple)) else ()
        if len(parts) != 2:
            raise BadRequest(f"{what}应写作“问题编号:单位编号”。", code=f"invalid_{name}")
        pair = (_id(parts[0], name, what), _id(parts[1], name, what))
        if pair not in result:
            result.append(pair)
    return result


def integer(value, what: str, low: int, high: int, code: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise BadRequest(f"{what}应为整数。", code=code)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{what}应为整数。", code=code) from None
    if not low <= number <= high:
        raise BadRequest(f"{what}应在 {low} 到 {high} 之间。", code=code)
    return number


def day(value, what: str, code: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):  # a JSON number (20261231) or list is no day
        raise BadRequest(f"{what}格式应为 YYYY-MM-DD。", code=code)
    try:
        return shanghai_day(value)
    except ValueError:
        raise BadRequest(f"{what}格式应为 YYYY-MM-DD。", code=code) from None


def moment(value, what: str, code: str) -> datetime | None:
    """A date and time (a form's datetime-local "2026-12-01T09:30", or ISO 8601); naive means Shanghai."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise BadRequest(f"请填写{what}的日期和时间。", code=code)
    text = value.strip()
    if len(text) <= 10:
        raise BadRequest(f"请填写{what}的日期和时间。", code=code)
    try:
        return parse_iso(text)
    except (ValueError, OverflowError):
        raise BadRequest(f"{what}格式应为 YYYY-MM-DD HH:MM。", code=code) from None

