"""红黑榜 scoring: figures per unit → 100-point score → rank → red/black list → one-line reason. Pure; no database.

Definitions (also printed in every list's 说明; see services.py for the SQL that counts them):

- 统计周期: a month (2026-11) or ISO week (2026-W48) in Asia/Shanghai time, [first day 00:00, day after last 00:00).
- 应结案数 (due): tickets dispatched to the unit, not 作废 (cancelled), whose current deadline (after any approved
  extension) fell in the period and has passed by the time of computing. Before the period ends only deadlines
  already passed count, so a mid-period preview does not punish work that is not yet due.
- 结案数 (closed): of those, tickets closed (核查结案) by the time of computing.
- 按期结案数 (on_time): closed tickets whose accepted rectification was reported by the deadline
  (rectified_at ≤ deadline; a rework clears rectified_at, so a late redo after a rework is late).
- 返工数 (rework): sum of rework_count (every send-back counts). 返工率 = 返工数 / 应结案数.
- 延期数 (extended): tickets with at least one approved extension. 延期率 = 延期数 / 应结案数.
- 超期未结数 (overdue): tickets still open — 待派遣/待整改/退单待审 (pending/assigned/disputed) — past their deadline.
  A ticket rectified late and waiting for verification (待核查) is not 超期未结: the unit has acted and the
  office owes the check; it simply is not 按期结案. 超期未结率 = 超期未结数 / 应结案数.
- 督办数 (supervised): tickets at escalation level 1+ (督办函); 挂牌数 (listed): level 2+ (挂牌督办, 约谈).
  督办后仍超期 (overdue_supervised): overdue tickets at level 1+.
- Rates are 0 when 应结案数 is 0; a "(1 − rate)" term never goes below 0 (返工率 can exceed 1).
- Default score (100 points): 按期结案率×50 + 结案率×30 + (1−返工率)×10 + max(0, 10 − 0.5×督办数 − 1×挂牌数),
  rounded half-up to 0.01 and kept within 0–100. The office may change weights and terms (Rules.from_dict);
  the terms' full marks must add up to 100. Every list stores and prints the formula it used.
- Units with fewer than `min_sample` (default 3) due tickets are 样本不足: shown, scored, not ranked.
- Ranking: score desc, then 按期结案率 desc, then fewer 超期未结, then unit code — the same data always gives the
  same order; ranks are 1..n with no shared places.
- 红榜: walking down the ranking, the first `red.size` (10) units with score ≥ `red.min_score` (90) and no ticket
  at level 2+. 黑榜: walking up from the bottom, the first `black.size` (10) units with score < `black.max_score`
  (60), plus every unit (ranked or 样本不足) with a level-2+ ticket among its due tickets.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ..common.errors import Invalid

COUNTS = ("due", "closed", "on_time", "rework", "extended", "overdue", "supervised", "listed", "overdue_supervised")
COUNT_LABELS = {
    "due": "应结案数",
    "closed": "结案数",
    "on_time": "按期结案数",
    "rework": "返工数",
    "extended": "延期数",
    "overdue": "超期未结数",
    "supervised": "督办数",
    "listed": "挂牌数",
    "overdue_supervised": "督办后仍超期数",
}
# rate name -> (label, numerator)
RATES = {
    "closed_rate": ("结案率", "closed"),
    "on_time_rate": ("按期结案率", "on_time"),
    "rework_rate": ("返工率", "rework"),
    "extension_rate": ("延期率", "extended"),
    "overdue_rate": ("超期未结率", "overdue"),
}
LIST_LABELS = {"red": "红榜", "black": "黑榜"}
MAX_TOTAL = 100.0


@dataclass(frozen=True)
class Figures:
    due: int = 0
    closed: int = 0
    on_time: int = 0
    rework: int = 0
    extended: int = 0
    overdue: int = 0
    supervised: int = 0
    listed: int = 0
    overdue_supervised: int = 0

    def rate(self, name: str) -> float:
        numerator = getattr(self, RATES[name][1])
        return numerator / self.due if self.due else 0.0

    def as_dict(self) -> dict:
        data = {name: int(getattr(self, name)) for name in COUNTS}
        data.update({name: round(self.rate(name), 4) for name in RATES})
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Figures:
        return cls(**{name: int(data.get(name) or 0) for name in COUNTS})


# ----------------------------------------------------------------------------- the formula

def _num(value: float) -> str:
    """50.0 -> "50", 0.5 -> "0.5"."""
    return f"{value:g}"


@dataclass(frozen=True)
class Term:
    """One part of the score.

    rate:      weight × rate                       e.g. 按期结案率×50
    inverse:   weight × max(0, 1 − rate)           e.g. (1−返工率)×10
    deduction: max(0, base − Σ points × count)     e.g. max(0, 10 − 0.5×督办数 − 1×挂牌数)
    """

    type: str
    of: str | None = None
    weight: float = 0.0
    base: float = 0.0
    per: tuple[tuple[str, float], ...] = ()

    @property
    def full_marks(self) -> float:
        return self.base if self.type == "deduction" else self.weight

    def points(self, figures: Figures) -> float:
        if self.type == "rate":
            return self.weight * figures.rate(self.of)
        if self.type == "inverse":
            return self.weight * max(0.0, 1.0 - figures.rate(self.of))
        return max(0.0, self.base - sum(p * getattr(figures, name) for name, p in self.per))

    @property
    def text(self) -> str:
        if self.type == "rate":
            return f"{RATES[self.of][0]}×{_num(self.weight)}"
        if self.type == "inverse":
            return f"(1−{RATES[self.of][0]})×{_num(self.weight)}"
        parts = "".join(f" − {_num(p)}×{COUNT_LABELS[name]}" for name, p in self.per)
        return f"max(0, {_num(self.base)}{parts})"

    def to_dict(self) -> dict:
        if self.type == "deduction":
            return {"type": "deduction", "base": self.base, "per": {name: p for name, p in self.per}}
        return {"type": self.type, "of": self.of, "weight": self.weight}


@dataclass(frozen=True)
class ListRule:
    size: int
    threshold: float


@dataclass(frozen=True)
class Rules:
    """The formula and the list rules an office uses; stored with every published list."""

    terms: tuple[Term, ...]
    red: ListRule = ListRule(10, 90.0)       # threshold: minimum score
    black: ListRule = ListRule(10, 60.0)     # threshold: score must be below it
    min_sample: int = 3
    name: str = "默认公式"

    @property
    def text(self) -> str:
        return "综合得分 = " + " + ".join(t.text for t in self.terms)

    @property
    def list_text(self) -> str:
        return (f"红榜：综合得分≥{_num(self.red.threshold)}分且无挂牌督办问题的前{self.red.size}名；"
                f"黑榜：综合得分<{_num(self.black.threshold)}分的后{self.black.size}名，以及所有有挂牌督办问题的单位；"
                f"应结案数少于{self.min_sample}件的单位列为样本不足，不参与排名。")

    def score(self, figures: Figures) -> float:
        total = sum(term.points(figures) for term in self.terms)
        return _round_half_up(min(MAX_TOTAL, max(0.0, total)), 2)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "terms": [t.to_dict() for t in self.terms],
            "red": {"size": self.red.size, "min_score": self.red.threshold},
            "black": {"size": self.black.size, "max_score": self.black.threshold},
            "min_sample": self.min_sample,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Rules:
        """Validate what the office entered (or what was stored); bad input raises Invalid (422)."""
        if not isinstance(data, dict):
            raise Invalid("评分规则应为 JSON 对象。", code="invalid_formula")
        raw_terms = data.get("terms")
        if not isinstance(raw_terms, list) or not raw_terms or len(raw_terms) > 12:
            raise Invalid("评分公式至少应有一项（最多12项）。", code="invalid_formula")
        terms = tuple(_term(raw) for raw in raw_terms)
        total = sum(t.full_marks for t in terms)
        if not math.isclose(total, MAX_TOTAL, abs_tol=0.01):
            raise Invalid(f"各项满分之和应为100分，现为{_num(total)}分。", code="invalid_formula")
        red, black = data.get("red") or {}, data.get("black") or {}
        rules = cls(
            terms=terms,
            red=ListRule(_int(red.get("size", 10), "红榜名额", 0, 1000), _number(red.get("min_score", 90), "红榜分数线")),
            black=ListRule(_int(black.get("size", 10), "黑榜名额", 0, 1000),
                           _number(black.get("max_score", 60), "黑榜分数线")),
            min_sample=_int(data.get("min_sample", 3), "最少样本数", 1, 10000),
            name=str(data.get("name") or "自定义公式").strip()[:40] or "自定义公式",
        )
        if not 0 <= rules.black.threshold <= rules.red.threshold <= MAX_TOTAL:
            raise Invalid("分数线应满足 0 ≤ 黑榜分数线 ≤ 红榜分数线 ≤ 100。", code="invalid_formula")
        return rules


def _round_half_up(value: float, places: int) -> float:
    """Half-up rounding of a non-negative number (round() is half-even); the epsilon absorbs binary noise such as
    2/3×50 + 20 + 10 + 10 = 56.666…6 or 87.5 − 1e-15."""
    scale = 10 ** places
    return math.floor(value * scale + 0.5 + 1e-9) / scale


def _number(value, what: str, low: float = 0.0, high: float = MAX_TOTAL) -> float:
    if isinstance(value, bool):
        raise Invalid(f"{what}应为数字。", code="invalid_formula")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{what}应为数字。", code="invalid_formula") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise Invalid(f"{what}应在{_num(low)}到{_num(high)}之间。", code="invalid_formula")
    return number


def _int(value, what: str, low: int, high: int) -> int:
    number = _number(value, what, low, high)
    if number != int(number):
        raise Invalid(f"{what}应为整数。", code="invalid_formula")
    return int(number)


def _term(raw) -> Term:
    if not isinstance(raw, dict):
        raise Invalid("公式的每一项应为 JSON 对象。", code="invalid_formula")
    kind = raw.get("type")
    if kind in ("rate", "inverse"):
        if raw.get("of") not in RATES:
            names = "、".join(f"{k}（{v[0]}）" for k, v in RATES.items())
            raise Invalid(f"指标应为以下之一：{names}。", code="invalid_formula")
        return Term(kind, of=raw["of"], weight=_number(raw.get("weight"), f"{RATES[raw['of']][0]}权重"))
    if kind == "deduction":
        per = raw.get("per") or {}
        if not isinstance(per, dict) or any(name not in COUNT_LABELS or name == "due" for name in per):
            names = "、".join(f"{k}（{v}）" for k, v in COUNT_LABELS.items() if k != "due")
            raise Invalid(f"扣分项应为以下之一：{names}。", code="invalid_formula")
        return Term("deduction", base=_number(raw.get("base"), "扣分项基础分"),
                    per=tuple((name, _number(p, f"{COUNT_LABELS[name]}扣分")) for name, p in per.items()))
    raise Invalid("公式项的 type 应为 rate、inverse 或 deduction。", code="invalid_formula")


DEFAULT_RULES = Rules(terms=(
    Term("rate", of="on_time_rate", weight=50),
    Term("rate", of="closed_rate", weight=30),
    Term("inverse", of="rework_rate", weight=10),
    Term("deduction", base=10, per=(("supervised", 0.5), ("listed", 1.0))),
))


# ----------------------------------------------------------------------------- ranking

@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str = ""


@dataclass
class Entry:
    unit: UnitInfo
    figures: Figures
    score: float
    insufficient: bool
    rank: int | None = None
    list_name: str | None = None
    reason: str = ""
    ticket_ids: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["figures"] = self.figures.as_dict()
        return data


def sort_key(entry: Entry):
    f = entry.figures
    # Float division is correctly rounded, so equal fractions (1/3, 2/6) compare equal, as ties must.
    return (-entry.score, -f.rate("on_time_rate"), f.overdue, entry.unit.code)


def rank_units(figures_by_unit: dict[UnitInfo, Figures], rules: Rules) -> list[Entry]:
    """All units in order: ranked ones by rank, then the 样本不足 ones by code; lists and reasons filled in."""
    entries = [Entry(unit, figures, rules.score(figures), figures.due < rules.min_sample)
               for unit, figures in figures_by_unit.items()]
    ranked = sorted((e for e in entries if not e.insufficient), key=sort_key)
    for position, entry in enumerate(ranked, start=1):
        entry.rank = position

    reds = 0
    for entry in ranked:
        if reds >= rules.red.size:
            break
        if entry.score >= rules.red.threshold and entry.figures.listed == 0:
            entry.list_name, reds = "red", reds + 1
    blacks = 0
    for entry in reversed(ranked):
        if blacks >= rules.black.size:
            break
        if entry.score < rules.black.threshold and entry.list_name is None:
            entry.list_name, blacks = "black", blacks + 1
    for entry in entries:
        if entry.figures.listed > 0:
            entry.list_name = "black"  # red already requires none at level 2+

    insufficient = sorted((e for e in entries if e.insufficient), key=lambda e: e.unit.code)
    ordered = ranked + insufficient
    for entry in ordered:
        entry.reason = reason(entry, rules)
    return ordered


def red_list(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.list_name == "red"]


def black_list(entries: list[Entry]) -> list[Entry]:
    """Worst first: ranked ones from the bottom up, then the 样本不足 ones put there by 挂牌督办."""
    black = [e for e in entries if e.list_name == "black"]
    return sorted(black, key=lambda e: (e.rank is None, -(e.rank or 0), e.unit.code))


# ----------------------------------------------------------------------------- reasons

def pct(rate: float) -> str:
    """0.5 -> "50%", 0.875 -> "87.5%", 2/3 -> "66.7%"."""
    value = _round_half_up(rate * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def reason(entry: Entry, rules: Rules) -> str:
    """One line of Chinese built from the entry's figures."""
    f = entry.figures
    on_time = pct(f.rate("on_time_rate"))
    if entry.insufficient:
        sample = ("本期无应结案问题" if f.due == 0 else f"应结案{f.due}件") + f"，不足{rules.min_sample}件，样本不足"
        if f.listed:
            return f"{f.listed}件问题被挂牌督办（{sample}，未排名）"
        return sample
    if entry.list_name == "red":
        parts = [f"按期结案率{on_time}"]
        if f.closed < f.due:
            parts.append(f"结案率{pct(f.rate('closed_rate'))}")
        parts.append("无返工" if f.rework == 0 else f"返工{f.rework}次")
        if f.extended:
            parts.append(f"延期{f.extended}件")
        return "，".join(parts)
    if entry.list_name == "black":
        parts = []
        if f.overdue_supervised:
            parts.append(f"{f.overdue_supervised}件超期经督办仍未整改" + (f"（挂牌督办{f.listed}件）" if f.listed else ""))
        elif f.listed:
            parts.append(f"{f.listed}件被挂牌督办")
        rest = f.overdue - f.overdue_supervised
        if rest > 0:
            parts.append(f"另有{rest}件超期未结" if f.overdue_supervised else f"{rest}件超期未结")
        parts.append(f"按期结案率{on_time}")
        if f.rework:
            parts.append(f"返工{f.rework}次")
        return "，".join(parts[:4])
    parts = [f"按期结案率{on_time}", f"结案率{pct(f.rate('closed_rate'))}"]
    if f.overdue:
        parts.append(f"{f.overdue}件超期未结")
    elif f.rework:
        parts.append(f"返工{f.rework}次")
    return "，".join(parts)
