"""Yes-or-no input, read one way everywhere: a JSON true/false, a form's checkbox ("1", "on"), a query's
?overdue=1, a script's dry_run=True. Each place once kept its own list of words, and a word missing from one was
read as "no" without a word said: dry_run=True wrote the import it should have previewed, ?overdue=True listed
every ticket."""
from __future__ import annotations

from .errors import BadRequest

YES = frozenset({"1", "true", "yes", "on", "y"})
NO = frozenset({"0", "false", "no", "off", "n"})


def flag(value, name: str, default: bool | None = False, label: str | None = None) -> bool | None:
    """True or False from a JSON boolean or from text in any letter case (1/true/yes/on/y, 0/false/no/off/n; a JSON
    1 or 0 too); absent or blank gives `default`. Anything else answers 400 `invalid_<name>` naming the field
    (`label`, else "参数 <name>") and the value, rather than being taken for either."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES:
            return True
        if word in NO:
            return False
    shown = str(value).strip()
    shown = shown if len(shown) <= 20 else shown[:19] + "…"
    what = label or f"参数 {name} "
    raise BadRequest(f"{what}的值“{shown}”无法识别：应为 1 或 0（也可写 true/false、yes/no、on/off）。",
                     code=f"invalid_{name}")
