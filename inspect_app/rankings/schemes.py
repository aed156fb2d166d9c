"""Scoring schemes (评分方案) as data: a JSON document the office edits, stored with every published list.

A scheme starts each unit at full marks and deducts per problem found in its area of responsibility (weighted by
how it was found: the ticket's `source`), per 回潮, per 督办 / 挂牌 / 约谈 / 问责, per overdue problem and per 返工,
and in a month's list per key task it leads that is 滞后 or not reported that month, down to zero (扣完为止). That
is the 问题扣分 part. It may then be blended with the unit's sites' assessment score (测评得分) and with closure-rate
terms (按期结案率 etc.):

    综合得分 = 问题扣分得分 × (1 − a − Σr) + 测评得分 × a + Σ (r × 100 × 率)

where a is `assessment_weight` (left out, and its share given to the 问题扣分 part, for a unit without an assessed
site in the period) and r the weights of `rates`. A rate counts as fully met when nothing fell due (nothing was
late), so a unit where nothing was found and nothing is overdue scores full marks under every scheme.

Pure: no database. `Scheme.from_dict` validates what the office typed (Invalid, 422, Chinese message);
`Scheme.method_text` is the plain-language method printed in the 通报.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..common.errors import Invalid
from ..common.text import text_value
from ..tickets.rules import SOURCES, SPLIT_SOURCES

# deduction terms besides problems found: name -> (label, unit word)
PER_TERMS = {
    "relapse": ("回潮（整改后问题反弹）", "件"),
    "supervised": ("被下发督办函", "次"),
    "listed": ("被挂牌督办", "次"),
    "interview": ("被约谈", "次"),
    "referral": ("被问责", "次"),
    "overdue": ("问题超期未整改", "件"),
    "rework": ("整改不到位被退回返工", "次"),
    # the key tasks it leads (创建任务, keytasks/), in month lists only: as they stood at the month's end
    "task_lagging": ("牵头的创建任务滞后", "项"),
    "task_unreported": ("牵头的创建任务当月未报送进展", "项"),
}
TASK_TERMS = ("task_lagging", "task_unreported")
# closure-rate terms (options): name -> (label, higher is better)
RATE_TERMS = {
    "on_time_rate": ("按期整改率", True),
    "closed_rate": ("结案率", True),
    "rework_rate": ("返工率", False),
}
# Who answers for a problem (the ticket's units): the 主办 unit, a 协办 unit, the segment's 包抓 unit.
CHARGES = {"lead": "主办单位", "assist": "协办单位", "adopting": "包抓单位"}


def num(value: float) -> str:
    """0.5 -> "0.5", 2.0 -> "2"."""
    return f"{value:g}"


@dataclass(frozen=True)
class Scheme:
    code: str
    name: str
    full_marks: float
    found: dict[str, float]                   # source -> points per problem found
    per: dict[str, float]                     # PER_TERMS name -> points per occurrence
    charge: dict[str, float] = field(default_factory=lambda: {"lead": 1.0, "assist": 0.5, "adopting": 1.0})
    assessment_weight: float = 0.0            # 0..1
    rates: dict[str, float] = field(default_factory=dict)  # RATE_TERMS name -> weight (0..1)
    note: str = ""

    # ------------------------------------------------------------------ scoring

    def found_points(self, source: str) -> float:
        """The points a problem found this way costs: the scheme's own for the source; for a source told apart from
        another since the scheme was written (领导交办 from 领导督导), the other's, as before; else its "*"."""
        if source not in self.found and SPLIT_SOURCES.get(source) in self.found:
            source = SPLIT_SOURCES[source]
        return self.found.get(source, self.found.get("*", 0.0))

    def problem_score(self, deducted: float) -> float:
        return max(0.0, self.full_marks - deducted)

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "full_marks": self.full_marks, "found": dict(self.found),
                "per": dict(self.per), "charge": dict(self.charge), "assessment_weight": self.assessment_weight,
                "rates": dict(self.rates), "note": self.note}

    # ------------------------------------------------------------------ plain language

    def method_lines(self) -> list[str]:
        """The method as the 通报 prints it, sentence by sentence."""
        full = num(self.full_marks)
        by_points: dict[float, list[str]] = {}
        for source, points in self.found.items():
            if points > 0 and source != "*":
                by_points.setdefault(points, []).append(SOURCES.get(source, source))
                # a source weighed as this one (found_points) is named beside it
                by_points[points].extend(SOURCES[s] for s, parent in SPLIT_SOURCES.items()
                                         if parent == source and s not in self.found)
        parts = []
        for points in sorted(by_points):
            names = "、".join(by_points[points])
            parts.append(f"{names}发现问题每件扣{num(points)}分")
        if self.found.get("*"):
            parts.append(f"其他途径发现问题每件扣{num(self.found['*'])}分")
        for name, (label, word) in PER_TERMS.items():
            if self.per.get(name):
                parts.append(f"{label}每{word}扣{num(self.per[name])}分")
        first = f"满分{full}分，" + "，".join(parts) + "，扣完为止。" if parts else f"满分{full}分。"
        lines = [first]
        if any(self.per.get(name) for name in TASK_TERMS):
            lines.append("创建任务按其牵头单位计，以当月月末（当月榜单为截至发布时）的推进情况为准，周榜不计。")
        lead = self.charge.get("lead", 1.0)  # the office may charge the 主办 less than in full (scoring.score)
        lead_text = "全额计扣" if lead >= 1 else f"按{_share(lead)}计扣" if lead > 0 else "不计扣"
        shares = [f"{CHARGES[k]}按{_share(v)}计" for k, v in self.charge.items() if k != "lead" and v > 0]
        lines.append("问题计入其责任区域的单位：" + "，".join([f"主办单位{lead_text}", *shares]) + "。")
        rest = 1.0 - self.assessment_weight - sum(self.rates.values())
        if self.assessment_weight or self.rates:
            pieces = [f"问题扣分得分占{_pct(rest)}"]
            if self.assessment_weight:
                pieces.append(f"本期测评中其负责点位的测评得分占{_pct(self.assessment_weight)}")
            for name, weight in self.rates.items():
                pieces.append(f"{RATE_TERMS[name][0]}占{_pct(weight)}")
            lines.append("综合得分中，" + "，".join(pieces) + "。")
            if self.assessment_weight:
                lines.append("本期无测评点位的单位，测评得分所占比例计入问题扣分得分。")
            if self.rates:
                lines.append("本期无到期问题的单位，整改率按满分计。")
        lines.append("本期未发现问题且无超期问题的单位得满分。")
        return lines

    @property
    def method_text(self) -> str:
        return "".join(self.method_lines())

    # ------------------------------------------------------------------ validation

    @classmethod
    def from_dict(cls, data) -> Scheme:
        if not isinstance(data, dict):
            raise Invalid("评分方案应为 JSON 对象。", code="invalid_scheme")
        # text as text: a list or a number answers 400 naming the field (str() stored ["x"] as "['x']")
        code = _text(data.get("code"), "方案编码（code）", 32)
        name = _text(data.get("name"), "方案名称（name）", 60)
        note = _text(data.get("note"), "方案说明（note）", 300)
        if not code or not name:
            raise Invalid("评分方案应有编码（code）和名称（name）。", code="invalid_scheme")
        full = _number(data.get("full_marks", 100), "满分", 1, 1000)
        found_raw = data.get("found")
        if not isinstance(found_raw, dict) or not found_raw:
            raise Invalid("found（各发现途径每件扣分）应为对象，例如 {\"daily\": 0.5, \"undercover\": 1}。",
                          code="invalid_scheme")
        found = {}
        for source, points in found_raw.items():
            if source not in SOURCES and source != "*":
                names = "、".join(f"{k}（{v}）" for k, v in SOURCES.items())
                raise Invalid(f"发现途径“{source}”不存在，应为以下之一：{names}，或 *（其他）。", code="invalid_scheme")
            found[source] = _number(points, f"{SOURCES.get(source, '其他途径')}每件扣分", 0, full)
        per_raw = data.get("per") or {}
        if not isinstance(per_raw, dict):
            raise Invalid("per（其他扣分项）应为对象。", code="invalid_scheme")
        per = {}
        for term, points in per_raw.items():
            if term not in PER_TERMS:
                names = "、".join(f"{k}（{v[0]}）" for k, v in PER_TERMS.items())
                raise Invalid(f"扣分项“{term}”不存在，应为以下之一：{names}。", code="invalid_scheme")
            per[term] = _number(points, f"{PER_TERMS[term][0]}扣分", 0, full)
        charge_raw = data.get("charge") or {"lead": 1, "assist": 0.5, "adopting": 1}
        if not isinstance(charge_raw, dict) or any(k not in CHARGES for k in charge_raw):
            raise Invalid("charge 的键应为 lead（主办）、assist（协办）、adopting（包抓）。", code="invalid_scheme")
        charge = {k: _number(v, f"{CHARGES[k]}计扣比例", 0, 1) for k, v in charge_raw.items()}
        charge.setdefault("lead", 1.0)
        assessment = _number(data.get("assessment_weight", 0), "测评得分比例", 0, 1)
        rates_raw = data.get("rates") or {}
        if not isinstance(rates_raw, dict) or any(k not in RATE_TERMS for k in rates_raw):
            names = "、".join(f"{k}（{v[0]}）" for k, v in RATE_TERMS.items())
            raise Invalid(f"rates 的键应为以下之一：{names}。", code="invalid_scheme")
        # a rate left empty (null, "") weighs nothing, as one at 0; anything else must be a number ("30%" is not)
        weights = {k: _number(v, f"rates.{k}（{RATE_TERMS[k][0]}所占比例）", 0, 1)
                   for k, v in rates_raw.items() if v is not None and v != ""}
        rates = {k: w for k, w in weights.items() if w}
        if assessment + sum(rates.values()) > 0.9 + 1e-9:
            raise Invalid("测评得分与整改率所占比例之和不能超过90%，问题扣分应为主体。", code="invalid_scheme")
        return cls(code=code, name=name, full_marks=full, found=found, per=per, charge=charge,
                   assessment_weight=assessment, rates=rates, note=note)


def _pct(share: float) -> str:
    value = round(share * 100, 1)
    return f"{value:g}%"


def _share(share: float) -> str:
    return "全额" if share >= 1 else f"{num(round(share * 100, 1))}%"


def _text(value, label: str, limit: int) -> str:
    """Trimmed text; longer than `limit` is 400 text_too_long naming the field (it was cut without a word: a 方案说明
    of 400 characters was saved as its first 300)."""
    text = text_value(value, label).strip()
    if len(text) > limit:
        raise Invalid(f"{label}不能超过{limit}字。", code="text_too_long", status=400)
    return text


def _number(value, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise Invalid(f"{what}应为数字。", code="invalid_scheme")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Invalid(f"{what}应为数字。", code="invalid_scheme") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise Invalid(f"{what}应在{num(low)}到{num(high)}之间。", code="invalid_scheme")
    return number


# The schemes shipped. DEFAULT: problems found weigh by how they were found; supervision and relapses cost more;
# the sites' assessment scores count for a fifth. CITY_B: a city that keeps 按期整改率 in the score and punishes
# media exposure and 问责 harder, with no assessment blend.
DEFAULT_SCHEME = {
    "code": "default",
    "name": "问题扣分制（默认方案）",
    "full_marks": 100,
    "found": {"daily": 0.5, "citizen": 0.5, "hotline": 0.5, "spot_check": 1, "leader": 1, "joint": 1,
              "undercover": 1, "mock_assessment": 1, "media": 2, "superior": 3},
    "per": {"relapse": 1, "supervised": 1, "listed": 3, "interview": 5, "referral": 10, "overdue": 1,
            "rework": 0.5, "task_lagging": 1, "task_unreported": 0.5},
    "charge": {"lead": 1, "assist": 0.5, "adopting": 1},
    "assessment_weight": 0.2,
    "rates": {},
    "note": "问题多少、发现途径和整改表现共同决定得分；测评得分占两成。",
}
CITY_B_SCHEME = {
    "code": "city_b",
    "name": "扣分与按期整改并重（乙市方案）",
    "full_marks": 100,
    "found": {"daily": 0.3, "citizen": 0.3, "hotline": 0.3, "spot_check": 0.5, "leader": 1, "joint": 0.5,
              "undercover": 1.5, "mock_assessment": 1.5, "media": 3, "superior": 4},
    "per": {"relapse": 2, "supervised": 2, "listed": 4, "interview": 6, "referral": 15, "overdue": 2,
            "rework": 1, "task_lagging": 2, "task_unreported": 1},
    "charge": {"lead": 1, "assist": 0.3, "adopting": 0.5},
    "assessment_weight": 0,
    "rates": {"on_time_rate": 0.3},
    "note": "参照乙市做法：按期整改率占三成，媒体曝光和问责从重扣分，不计测评得分。",
}
# DISTRICT: for a group counted over its territory (the 区县: scoring.GroupRule.territorial). A district answers
# for every problem on its ground, a street's hundreds a month: at a street's 0.5 a problem it scores 0 and its group
# is ordered by the tie-break alone. Each problem weighs a tenth as much; how well the territory rectifies (按期整改率)
# and its sites' assessment scores carry three tenths each.
DISTRICT_SCHEME = {
    "code": "district",
    "name": "区县按辖区综合评价",
    "full_marks": 100,
    "found": {"daily": 0.05, "citizen": 0.05, "hotline": 0.05, "spot_check": 0.1, "leader": 0.1, "joint": 0.1,
              "undercover": 0.2, "mock_assessment": 0.2, "media": 1, "superior": 2},
    "per": {"relapse": 0.2, "supervised": 0.5, "listed": 2, "interview": 3, "referral": 5, "overdue": 0.2,
            "rework": 0.1, "task_lagging": 1, "task_unreported": 0.5},
    "charge": {"lead": 1, "assist": 0.5, "adopting": 1},
    "assessment_weight": 0.3,
    "rates": {"on_time_rate": 0.3},
    "note": "用于按辖区汇总计分的区县：辖区问题多，每件从轻扣分；测评得分和按期整改率各占三成，比整改成效而非问题件数。",
}
SHIPPED = (DEFAULT_SCHEME, CITY_B_SCHEME, DISTRICT_SCHEME)
