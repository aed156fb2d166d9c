"""红黑榜 scoring: per-unit counts → score under a scheme → rank within its group → red/black list → reason.

Pure; no database. services.py fills `UnitCounts` (the small input interface) from the tickets, letters,
relapses and assessment rounds; schemes.py holds the scheme (the office's JSON document).

- A unit is ranked when it had any responsibility in the period — a problem found in its area, a problem due, a
  letter, 约谈, 问责 or 回潮 charged to it, a site assessed in the period, road segments it answers for (属地 or
  包抓: patrolled every day), key tasks it leads, or sites it answers for (drawn in a round or not): services
  decides `responsible` — and something to judge it by (`UnitCounts.judged`): it was examined in the period
  (something found, something due, an assessed site, road segments, key tasks it leads) or it is at fault (an
  overdue problem, a 返工, a 回潮, a letter, 挂牌督办, 约谈 or 问责, a key task behind: every unit that could go on
  the black list is ranked). A unit whose only responsibility is sites nobody examined in the period is not
  ranked: full marks for a unit nobody looked at prove nothing, and ranking it would put it above the units that
  were examined. Units not ranked get no place and no score in the list; they come after the ranked units of
  their group with the reason (NOT_EXAMINED or NOT_RESPONSIBLE), and the 通报 names them by reason.
- Rank within the group (ranked units only): score high to low; equal scores are split by fewer deduction points
  for problems found, then fewer overdue problems, then more problems due and rectified on time, then more sites
  assessed in the period, then more road segments (the same record, examined more closely or over a larger
  patrolled area); units equal on all six share a place (并列, ranks 1, 2, 2, 4).
- 黑榜 of a group: every unit at 挂牌督办 or above (a 挂牌督办 letter, 约谈 or 问责 in the period, or a problem at
  level 2+), whatever its score, plus the bottom black_size places among units at fault (an overdue problem, a
  返工, a 回潮 or a letter) scoring below black_below (escalated units at the bottom count among those places).
  红榜: the first red_size units scoring ≥ red_floor among those examined in the period (something found,
  something due, an assessed site, road segments, key tasks) and not escalated. Units tied with the last one
  taken are taken too, as long as the list stays within half the group; a tied block that would pass it is left
  out whole (equals are never split by an arbitrary order), and the page and the 通报 say so (tied_out_text).
  Neither list takes more than half the group's *ranked* units by size (units not ranked do not count: a group
  of two ranked units has one red and one black at most; a group with one ranked unit has neither, unless it is
  escalated — it has no peers to be compared with).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..common.numbers import round_half_up
from ..tickets.rules import SOURCES
from .schemes import CHARGES, PER_TERMS, RATE_TERMS, Scheme, num

LIST_LABELS = {"red": "红榜", "black": "黑榜"}
# why a unit is not ranked (stored as its reason; the pages and the 通报 name the units not ranked by reason)
NOT_RESPONSIBLE = "本期无问题记录、无到期问题，不负责路段和点位，不参与排名"
NOT_EXAMINED = "本期所负责点位均未被抽查检查，无检查记录，不参与排名"
# the rule in the 通报's words; stored with each list published under it (services.Computed.rules_document)
PARTICIPATION_RULE = ("本期无任何责任事项的单位，以及所负责点位本期均未被抽查检查、也无其他检查记录"
                      "（发现问题、到期问题、测评点位、责任路段、牵头的创建任务）的单位，不参与排名；"
                      "有超期、返工、回潮或被督办、挂牌督办、约谈、问责的单位一律参与排名。")


@dataclass(frozen=True)
class UnitCounts:
    """What happened in the period, for one unit. `found` is {charge role: {source: problems}}."""

    found: dict[str, dict[str, int]] = field(default_factory=dict)
    relapse: int = 0
    supervised: int = 0
    listed: int = 0
    interview: int = 0
    referral: int = 0
    overdue: int = 0
    rework: int = 0                      # send-backs (返工) of its due problems, every one counted
    reworked: int = 0                    # of its due problems, those sent back at least once
    due: int = 0
    closed: int = 0
    assessment: float | None = None      # 0..100: its sites' latest in-period round score
    assessed_sites: int = 0
    at_listed: int = 0                   # problems now at 挂牌督办 or above
    segments: int = 0                    # road segments it answers for (属地 or 包抓), patrolled every day
    sites: int = 0                       # sites (点位) it answers for, drawn in a round or not
    task_lagging: int = 0                # key tasks it leads behind their time limit at the month's end
    task_unreported: int = 0             # key tasks it leads, being worked on, with no report within the month
    lead_tasks: int = 0                  # key tasks it leads in the month (a month list only)
    # counted over a territory (counts.territory_counts): whether the unit itself is at 挂牌督办 or above (its own
    # letters, 约谈, 问责, problems it leads), which alone puts it on the black list whatever its score; its units'
    # escalations count in its score. None: the figures are the unit's own, and `escalated` reads them.
    own_escalated: bool | None = None

    @property
    def found_total(self) -> int:
        return sum(sum(by_source.values()) for by_source in self.found.values())

    def found_by_source(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for by_source in self.found.values():
            for source, n in by_source.items():
                out[source] = out.get(source, 0) + n
        return out

    def rate(self, name: str) -> float:
        """On-time (按期整改率 = 1 − overdue/due), closed and rework rates; nothing due counts as fully met."""
        if not self.due:
            return 0.0 if name == "rework_rate" else 1.0
        if name == "on_time_rate":
            return max(0.0, 1.0 - self.overdue / self.due)
        if name == "closed_rate":
            return min(1.0, self.closed / self.due)
        return self.rework / self.due

    @property
    def examined(self) -> bool:
        """Something to judge the unit by in the period: a problem found, a problem due, an assessed site, or road
        segments the inspectors patrol (nothing found there is a finding), or key tasks it leads."""
        return bool(self.found_total or self.due or self.assessed_sites or self.segments or self.lead_tasks)

    @property
    def eventful(self) -> bool:
        """Anything happened to the unit in the period: a problem found or due, a site assessed, a key task it
        leads, a fault or an escalation (at_fault covers both). Road segments alone are not: with nobody out on
        the streets (a week of 春节), nothing found there is no finding."""
        return bool(self.found_total or self.due or self.assessed_sites or self.lead_tasks or self.at_fault)

    @property
    def at_fault(self) -> bool:
        """Slow or poor rectification: an overdue problem, a 返工, a 回潮, a letter, escalation, or a key task it
        leads behind its time limit. A unit whose problems were all fixed on time is not put on the black list for
        having had problems."""
        return bool(self.overdue or self.rework or self.relapse or self.supervised or self.escalated
                    or self.task_lagging)

    @property
    def judged(self) -> bool:
        """Something to rank the unit on: examined in the period, or at fault (which covers escalated), so every
        unit that could go on the black list is ranked. A unit answering only for sites nobody examined is not."""
        return self.examined or self.at_fault

    @property
    def escalated(self) -> bool:
        """At 挂牌督办 or above: on the black list whatever the score (over a territory, the unit itself)."""
        if self.own_escalated is not None:
            return self.own_escalated
        return bool(self.listed or self.interview or self.referral or self.at_listed)

    def as_dict(self) -> dict:
        data = {name: getattr(self, name) for name in
                ("relapse", "supervised", "listed", "interview", "referral", "overdue", "rework", "reworked", "due",
                 "closed", "assessment", "assessed_sites", "at_listed", "task_lagging", "task_unreported",
                 "lead_tasks")}
        data["found"] = {role: dict(sorted(v.items())) for role, v in sorted(self.found.items()) if v}
        data["found_total"] = self.found_total
        data["on_time_rate"] = round(self.rate("on_time_rate"), 4)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> UnitCounts:
        names = ("relapse", "supervised", "listed", "interview", "referral", "overdue", "rework", "reworked", "due",
                 "closed", "assessed_sites", "at_listed", "segments", "sites", "task_lagging", "task_unreported",
                 "lead_tasks")
        return cls(found={k: dict(v) for k, v in (data.get("found") or {}).items()},
                   assessment=data.get("assessment"), **{n: int(data.get(n) or 0) for n in names})


@dataclass(frozen=True)
class Line:
    """One line of a unit's score: what, how many, points (negative: deducted)."""

    key: str
    label: str
    count: float
    points: float


@dataclass(frozen=True)
class Scored:
    score: float
    problem_score: float
    found_points: float
    lines: tuple[Line, ...]


_SOURCE_ORDER = {source: i for i, source in enumerate(SOURCES)}
_PER = tuple((name, label) for name, (label, _) in PER_TERMS.items())


def score(counts: UnitCounts, scheme: Scheme) -> Scored:
    lines: list[Line] = []
    found_points = 0.0
    if counts.found:
        by_source: dict[str, list] = {}  # source -> [problems, problems weighted by the charge shares]
        for role, problems in counts.found.items():
            share = scheme.charge.get(role, 0.0)
            for source, n in problems.items():
                slot = by_source.setdefault(source, [0, 0.0])
                slot[0] += n
                slot[1] += share * n
        for source in sorted(by_source, key=lambda s: (_SOURCE_ORDER.get(s, len(_SOURCE_ORDER)), s)):
            n, weighted = by_source[source]
            if not n:
                continue
            points = weighted * scheme.found_points(source)
            found_points += points
            lines.append(Line(f"found.{source}", f"{SOURCES.get(source, source)}发现问题", n, -points))
    other = 0.0
    for name, label in _PER:
        n = getattr(counts, name)
        if n:
            points = n * scheme.per.get(name, 0.0)
            other += points
            lines.append(Line(name, label, n, -points))
    full = scheme.full_marks
    problem = scheme.problem_score(found_points + other)
    if not lines and counts.assessment is None and not scheme.rates:
        return Scored(round_half_up(full, 2), round_half_up(full, 2), 0.0, ())
    weight_a = scheme.assessment_weight if counts.assessment is not None else 0.0
    weight_r = sum(scheme.rates.values())
    total = problem * (1.0 - weight_a - weight_r)
    if weight_a:
        total += weight_a * full * max(0.0, min(100.0, counts.assessment)) / 100.0
    for name, weight in scheme.rates.items():
        value = counts.rate(name)
        total += weight * full * (value if RATE_TERMS[name][1] else max(0.0, 1.0 - value))
    return Scored(round_half_up(min(full, max(0.0, total)), 2), round_half_up(problem, 2),
                  round_half_up(found_points, 4), tuple(lines))


# ----------------------------------------------------------------------------- groups and lists

@dataclass(frozen=True)
class GroupRule:
    name: str
    red_size: int = 3
    red_floor: float = 90.0
    black_size: int = 3
    black_below: float = 100.0   # bottom places go black only when scoring below this
    order: int = 0
    note: str = ""               # who the group is, where it is not one the office set (OTHER_GROUP)
    territorial: bool = False    # each unit counted over its territory (counts.territory_counts)
    # the group's own scoring scheme (a schemes.Scheme document), else None: the list's scheme (the one in force)
    scheme: dict | None = field(default=None, compare=False, hash=False)

    def to_dict(self) -> dict:
        data = {"name": self.name, "red_size": self.red_size, "red_floor": self.red_floor,
                "black_size": self.black_size, "black_below": self.black_below, "order": self.order}
        if self.note:
            data["note"] = self.note
        if self.territorial:  # stored with a list only when on: lists published before read as they were
            data["territorial"] = True
        if self.scheme:  # likewise: the whole document, so the list says how the group was scored as it was
            data["scheme"] = self.scheme
        return data

    @classmethod
    def from_dict(cls, data: dict) -> GroupRule:
        return cls(data["name"], int(data["red_size"]), float(data["red_floor"]), int(data["black_size"]),
                   float(data["black_below"]), int(data.get("order", 0)), data.get("note") or "",
                   bool(data.get("territorial")), data.get("scheme") or None)

    def own_scheme(self) -> Scheme | None:
        return Scheme.from_dict(self.scheme) if self.scheme else None

    @property
    def scheme_text(self) -> str:
        """The group's own method, for a list's page and its 通报 ("" for a group scored under the list's scheme):
        "区县另按“区县按辖区综合评价”计分，不适用上述扣分标准：满分100分，…"."""
        own = self.own_scheme()
        if own is None:
            return ""
        return f"{self.name}另按“{own.name}”计分，不适用上述扣分标准：{own.method_text}"

    @property
    def territory_text(self) -> str:
        """The one line a list's page and its 通报 print for a group counted over its territory, else ""."""
        return (f"{self.name}按辖区（属地）汇总计分：含下属街道、社区及辖区内的问题（含市直部门在辖区内主办的问题），"
                "同一问题不重复计；辖区内的挂牌督办、约谈、问责计入得分，本级被挂牌督办、约谈或问责的一律列入黑榜。") \
            if self.territorial else ""

    @property
    def quota_text(self) -> str:
        """"其他单位（类型未归入任何分组的单位）：红榜3名，得分不低于90分；黑榜3名，得分低于100分。": the line
        the 通报 prints for each group."""
        return (f"{self.name}{f'（{self.note}）' if self.note else ''}：红榜{self.red_size}名，得分不低于"
                f"{num(self.red_floor)}分；黑榜{self.black_size}名，得分低于{num(self.black_below)}分。")

    @property
    def rule_text(self) -> str:
        return (f"红榜取组内前{self.red_size}名且得分不低于{num(self.red_floor)}分的单位；黑榜取组内后{self.black_size}名"
                f"且得分低于{num(self.black_below)}分的单位，另有挂牌督办、约谈或问责的单位一律列入黑榜；{TIE_RULE}")


# A unit placed in no group by hand whose kind no group lists (services.unit_groups). Such units are ranked among
# themselves under the defaults of GroupRule, and every page, the 通报 and the API state that rule for the group.
OTHER_GROUP = "其他单位"
OTHER_GROUP_NOTE = "单位类型未归入任何分组、也未指定分组的单位，按默认名额排名"


def rule_for(name: str, rules: dict[str, GroupRule] | None = None) -> GroupRule:
    """The rule of group `name`: the office's (`rules`, by name), else the defaults of GroupRule; the one a group
    the office did not set (其他单位) is ranked under, and the one a page or the 通报 states for it."""
    rule = (rules or {}).get(name)
    if rule is not None:
        return rule
    return GroupRule(name, order=10 ** 6, note=OTHER_GROUP_NOTE if name == OTHER_GROUP else "")


def stated_rules(stored: list[dict], names) -> list[dict]:
    """A list's group rules as stored, followed by the rule of each group among `names` (those its units are in)
    that has none stored: lists published before the rule of 其他单位 was stored with them were scored under
    rule_for's defaults all the same."""
    known = {g["name"] for g in stored}
    extra = []
    for name in names:
        if name and name not in known:
            known.add(name)
            extra.append(rule_for(name).to_dict())
    return list(stored) + extra


# the order within a group (Entry.tie_key), in the words of the page and the 通报
TIE_BREAK = ("各单位只与同组单位比较排名：得分相同的，发现问题扣分少者在前，再相同的超期问题少者在前，"
             "再相同的按期整改问题多者在前，再相同的本期测评点位多者在前，再相同的责任路段多者在前，仍相同的名次并列。")
# how ties at the last place taken and the cap of half the group go together (the page, the 通报, rule_text)
TIE_RULE = ("名次并列的一并列入；按名额列入红榜、黑榜的单位各不超过组内参与排名单位数的一半，"
            "并列单位一并列入后将超过的，该名次的并列单位均不列入。")
# what lists published before said (a tied block was also left out when it passed twice the list's size)
OLD_TIE_RULE = ("名次并列的一并列入，但按名额列入红榜、黑榜的单位各不超过组内参与排名单位数的一半"
                "（并列单位过多时均不列入）。")


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name: str
    kind: str = ""


@dataclass
class Entry:
    unit: UnitInfo
    group: str
    counts: UnitCounts
    scored: Scored
    ranked: bool
    rank: int | None = None
    list_name: str | None = None
    tied_out: str | None = None   # "red" or "black": left out with its tied block, which would pass half the group
    reason: str = ""
    ticket_ids: dict = field(default_factory=dict)
    territory: bool = False       # counted over its territory (GroupRule.territorial)

    @property
    def score(self) -> float:
        return self.scored.score

    def tie_key(self) -> tuple:
        c = self.counts
        return (-self.scored.score, self.scored.found_points, c.overdue, -(c.due - c.overdue), -c.assessed_sites,
                -c.segments)

    def figures(self) -> dict:
        data = self.counts.as_dict()
        data["problem_score"] = self.scored.problem_score
        data["lines"] = [{"key": ln.key, "label": ln.label, "count": ln.count, "points": round(ln.points, 2)}
                         for ln in self.scored.lines]
        if self.territory:  # the figures are its territory's (counts.territory_counts)
            data["territory"] = True
        return data


def rank_groups(units: list[tuple[UnitInfo, str]], counts: dict[int, UnitCounts], responsible: set[int],
                scheme: Scheme, groups: list[GroupRule]) -> list[Entry]:
    """Every unit (with its group name) scored; the responsible ones with something to judge them by
    (`UnitCounts.judged`) ranked within their group. Returned in group order, then rank, then code; the units not
    ranked last in each group: those nobody examined, then those without responsibility, each by code."""
    rules = {g.name: g for g in groups}
    order = {g.name: (g.order, i) for i, g in enumerate(groups)}
    # a group with a scheme of its own (the 区县) is scored and explained under it, every other under `scheme`
    schemes = {g.name: own for g in groups if (own := g.own_scheme()) is not None}
    by_group: dict[str, list[Entry]] = {}
    for unit, group in units:
        c = counts.get(unit.id, UnitCounts())
        entry = Entry(unit, group, c, score(c, schemes.get(group, scheme)), unit.id in responsible and c.judged)
        if not entry.ranked:
            entry.reason = NOT_EXAMINED if unit.id in responsible else NOT_RESPONSIBLE
        by_group.setdefault(group, []).append(entry)
    result: list[Entry] = []
    for group in sorted(by_group, key=lambda g: order.get(g, (10 ** 6, g))):
        rule = rule_for(group, rules)
        entries = by_group[group]
        ranked = sorted((e for e in entries if e.ranked), key=lambda e: (e.tie_key(), e.unit.code))
        _assign(ranked, rule)
        for e in ranked:
            e.reason = reason(e, schemes.get(group, scheme))
        rest = sorted((e for e in entries if not e.ranked), key=lambda e: (e.reason != NOT_EXAMINED, e.unit.code))
        result += ranked + rest
    return result


def _assign(ranked: list[Entry], rule: GroupRule) -> None:
    """Competition ranks; black for every escalated unit; red from the top among units examined in the period;
    black for the bottom places (escalated units count among them); see the module docstring. `ranked` holds the
    group's ranked units only: half the group is half of them."""
    first: dict[tuple, int] = {}
    for i, e in enumerate(ranked):
        e.rank = first.setdefault(e.tie_key(), i + 1)          # 1 + units strictly better
    half = len(ranked) // 2
    for e in ranked:
        if e.counts.escalated:
            e.list_name = "black"
    _take([e for e in ranked if e.list_name is None and e.counts.examined and e.score >= rule.red_floor],
          min(rule.red_size, half), half, "red")
    _take([e for e in reversed(ranked) if e.list_name != "red" and e.counts.at_fault and e.score < rule.black_below],
          min(rule.black_size, half), half, "black")


def _take(candidates: list[Entry], size: int, half: int, list_name: str) -> None:
    """The first `size` candidates, and those tied with the last one taken — as long as the list stays within
    half the group (`half`): a tied block that would pass it is left out whole rather than cut by an arbitrary
    order, each of its units marked `tied_out`."""
    if size <= 0 or not candidates:
        return
    last = candidates[min(size, len(candidates)) - 1].tie_key()
    block = [e for e in candidates if e.tie_key() == last]
    before = [e for e in candidates[:size] if e.tie_key() != last]
    fits = len(before) + len(block) <= half
    for e in before + (block if fits else []):
        e.list_name = list_name
    if not fits:
        for e in block:
            e.tied_out = list_name


def tied_out(entries: list[Entry]) -> dict[str, dict]:
    """{list name: {"rank", "units", "limit"}} for a group's ranked entries: the tied block left out of a list,
    its place, how many units and the cap it would pass (half the ranked units)."""
    out: dict[str, dict] = {}
    limit = sum(1 for e in entries if e.ranked) // 2
    for e in entries:
        if e.tied_out:
            slot = out.setdefault(e.tied_out, {"rank": e.rank, "units": 0, "limit": limit})
            slot["units"] += 1
    return out


def tied_out_text(list_name: str, info: dict) -> str:
    """"并列第1名的13个单位超过本组红榜名额上限（不超过参与排名单位数的一半，即10个），均未列入。"."""
    label = LIST_LABELS[list_name]
    return (f"并列第{info['rank']}名的{info['units']}个单位超过本组{label}名额上限（不超过参与排名单位数的一半，"
            f"即{info['limit']}个），均未列入{label}。")


def _unranked_reason(text: str | None) -> str:
    """A stored reason for not ranking a unit, as the 通报 says it: one that does not say 不参与排名 (a list
    published under older rules) is made to say it."""
    text = (text or "").rstrip("。")
    if not text.endswith("不参与排名"):
        text = f"{text}，不参与排名" if text else "不参与排名"
    return text


def unranked_by_reason(pairs: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """[(reason, unit names)] from (reason, name) of the units not ranked, reasons in the order they first come
    (_unranked_reason)."""
    out: dict[str, list[str]] = {}
    for text, name in pairs:
        out.setdefault(_unranked_reason(text), []).append(name)
    return list(out.items())


# the reasons above said of a whole year, for the units no monthly list of the year ranked (the year's 通报)
YEAR_REASONS = {NOT_RESPONSIBLE: "各月均无问题记录、无到期问题，不负责路段和点位，未参与排名",
                NOT_EXAMINED: "所负责点位各月均未被抽查检查，无检查记录，未参与排名"}
MIXED_REASONS = "各月均未参与排名（各月原因不一，详见各期月榜）"


def unranked_all_year(units: list[tuple[list[str], str]]) -> list[tuple[str, list[str]]]:
    """[(why, unit names)] for the units a year's monthly lists never ranked, from each one's stored reasons (one a
    month it was listed) and its name. Units whose months all give one reason are named under it, said of the year
    (YEAR_REASONS; a reason of older rules: 各月均未参与排名（月榜所列原因：…）), reasons in the order they first
    come; units whose months give different reasons come last, under MIXED_REASONS."""
    out: dict[str, list[str]] = {}
    mixed: list[str] = []
    for reasons, name in units:
        said = {_unranked_reason(text) for text in reasons}
        if len(said) != 1:
            mixed.append(name)
            continue
        text = said.pop()
        core = text.removesuffix("不参与排名").rstrip("，,、；;")
        why = YEAR_REASONS.get(text) or (f"各月均未参与排名（月榜所列原因：{core}）" if core else "各月均未参与排名")
        out.setdefault(why, []).append(name)
    return list(out.items()) + ([(MIXED_REASONS, mixed)] if mixed else [])


def red_list(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.list_name == "red"]


def black_list(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.list_name == "black"]


# ----------------------------------------------------------------------------- reasons

def pct(rate: float) -> str:
    """0.5 -> "50%", 0.875 -> "87.5%", 2/3 -> "66.7%"."""
    value = round_half_up(rate * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def _count(value: float) -> str:
    return num(value)


# what each deduction is called in a reason: short, so a black-list unit's every deduction fits its 理由 cell
REASON_LABELS = {
    "relapse": "回潮",
    "supervised": "被督办",
    "listed": "被挂牌督办",
    "interview": "被约谈",
    "referral": "被问责",
    "overdue": "超期未整改",
    "rework": "返工",
}


ESCALATIONS = ("listed", "interview", "referral")


def deductions(entry: Entry, scheme: Scheme | None = None) -> list[tuple[str, float]]:
    """[(what, points deducted)] for every line of the entry's score that deducts, most points first (equal points
    in the order of the score's lines: problems found by source, then the other terms): ("超期未整改9件", 9.0).
    Problems found that count at a share (协办, 包抓, a 主办 charged less than in full: the scheme's `charge`) say
    how many and at what share, so the points follow from the method: ("日常督查发现问题5件（其中协办2件按50%计",
    2.0) — see _item.
    挂牌督办, 约谈 and 问责 are named even where the scheme deducts nothing for them: they put a unit on the black
    list."""
    items = []
    for ln in entry.scored.lines:
        points = round_half_up(-ln.points, 2) if ln.points < 0 else 0.0
        if points > 0 or ln.key in ESCALATIONS:
            what = f"{REASON_LABELS.get(ln.key, ln.label)}{_count(ln.count)}{_word(ln.key)}"
            items.append((what + _shares(entry.counts, ln.key, scheme), points))
    return sorted(items, key=lambda item: -item[1])


def _shares(counts: UnitCounts, key: str, scheme: Scheme | None) -> str:
    """"（其中协办2件按50%计" for the problems of a line found as 协办 or 包抓 counted at less than full, else ""."""
    if scheme is None or not key.startswith("found."):
        return ""
    source = key[len("found."):]
    parts = []
    for role, label in CHARGES.items():
        n = counts.found.get(role, {}).get(source, 0)
        share = scheme.charge.get(role, 0.0)
        if n and share < 1:  # the 主办 too, where the scheme charges it less than in full
            parts.append(f"{label[:2]}{n}件按{_share(share)}计" if share else f"{label[:2]}{n}件不计")
    return f"（其中{'、'.join(parts)}" if parts else ""


def _item(what: str, points: float) -> str:
    """"超期未整改9件（扣9分）", "日常督查发现问题5件（其中协办2件按50%计，扣2分）"."""
    return f"{what}{'，' if what.endswith('计') else '（'}{_points(points)}）"


def _points(points: float) -> str:
    return f"扣{num(points)}分" if points else "不扣分"


def deduction_text(entry: Entry, scheme: Scheme | None = None) -> str:
    """Every deduction with its points, most first, and their sum, so a reader adds them up to full marks − score:
    "扣分：日常督查发现问题35件（扣17.5分）、超期未整改9件（扣9分）…；合计扣40.5分". When the score is not just
    full marks minus the deductions (扣完为止, or the scheme blends in the assessment score or rates), the parts of
    the blend follow with their shares, as the method in the 通报 states it. "" without deductions."""
    items = deductions(entry, scheme)
    if not items:
        return ""
    listed = "、".join(_item(what, points) for what, points in items)
    total = round_half_up(sum(points for _, points in items), 2)
    parts = [f"扣分：{listed}"]
    if sum(1 for _, points in items if points) > 1:
        parts.append(f"合计扣{num(total)}分")
    if entry.scored.problem_score <= 0 < total:
        parts.append("扣完为止")
    blend = _blend_text(entry, scheme) if scheme is not None else ""
    return "；".join(parts) + (f"；{blend}" if blend else "")


def _blend_text(entry: Entry, scheme: Scheme) -> str:
    """The parts of a blended score with their shares (schemes.py: 问题扣分得分 × (1 − a − Σr) + 测评得分 × a +
    Σ r × 100 × 率): "问题扣分得分90.5分（占80%），测评得分80分（占20%）"; "" when the score is the 问题扣分得分
    alone."""
    c = entry.counts
    weight_a = scheme.assessment_weight if c.assessment is not None else 0.0
    if not weight_a and not scheme.rates:
        return ""
    rest = 1.0 - weight_a - sum(scheme.rates.values())
    parts = [f"问题扣分得分{num(entry.scored.problem_score)}分（占{_share(rest)}）"]
    if weight_a:
        parts.append(f"测评得分{num(round_half_up(c.assessment, 2))}分（占{_share(weight_a)}）")
    for name, weight in scheme.rates.items():
        parts.append(f"{RATE_TERMS[name][0]}{pct(c.rate(name))}（占{_share(weight)}）")
    return "，".join(parts)


def _share(share: float) -> str:
    return f"{num(round(share * 100, 1))}%"


def reason(entry: Entry, scheme: Scheme | None = None) -> str:
    """One line of Chinese from the entry's counts. A unit on the red list, or one with nothing deducted off the
    lists: why it did well (and what it lost, if anything). Any other: every deduction with its points, most
    first, and their sum (deduction_text), after what put it at 挂牌督办 when no letter in the period did."""
    c = entry.counts
    if entry.list_name == "red" or (not entry.scored.lines and entry.list_name != "black"):
        parts = ["本期未发现问题" if not c.found_total else f"发现问题{c.found_total}件"]
        if c.due:
            parts.append("到期问题均按期整改" if not c.overdue else f"超期{c.overdue}件")
        if not c.rework and c.due:
            parts.append("无返工")
        if c.lead_tasks and not c.task_lagging and not c.task_unreported:
            parts.append(f"牵头的{c.lead_tasks}项创建任务无滞后、按月报送")
        if c.assessment is not None:
            parts.append(f"测评得分{num(round_half_up(c.assessment, 1))}")
        lost = round_half_up(sum(points for _, points in deductions(entry)), 2)
        if lost:
            parts.append(f"共扣{num(lost)}分")
        return "，".join(parts)
    text = deduction_text(entry, scheme)
    if c.at_listed and not c.listed:
        return f"{c.at_listed}件问题处于挂牌督办" + (f"；{text}" if text else "")
    return text or "本期未发现问题"


def _word(key: str) -> str:
    if key.startswith("found."):
        return "件"
    return PER_TERMS.get(key, ("", "件"))[1]


__all__ = ["CHARGES", "Entry", "GroupRule", "LIST_LABELS", "NOT_EXAMINED", "NOT_RESPONSIBLE", "OTHER_GROUP",
           "PARTICIPATION_RULE", "UnitCounts", "UnitInfo", "rank_groups", "rule_for", "score", "stated_rules"]
