"""红黑榜 scoring without a database: formula, ranks and ties, lists, 样本不足, reasons, periods, rules."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from inspect_app.common.errors import BadRequest, Invalid
from inspect_app.rankings.periods import containing, parse_period
from inspect_app.rankings.scoring import DEFAULT_RULES, Figures, Rules, UnitInfo, black_list, pct, rank_units, red_list


def unit(code: str) -> UnitInfo:
    return UnitInfo(id=int.from_bytes(code.encode(), "big") % 100000, code=code, name=f"单位{code}")


def ranked(figures: dict[str, Figures], rules: Rules = DEFAULT_RULES):
    return rank_units({unit(code): f for code, f in figures.items()}, rules)


def by_code(entries):
    return {e.unit.code: e for e in entries}


PERFECT = Figures(due=10, closed=10, on_time=10)


# ----------------------------------------------------------------------------- formula

def test_default_formula_by_hand():
    # 8 due, 4 closed, 3 on time, 3 reworks, 2 supervised, 1 listed:
    # 3/8×50 + 4/8×30 + (1 − 3/8)×10 + max(0, 10 − 0.5×2 − 1×1) = 18.75 + 15 + 6.25 + 8 = 48
    f = Figures(due=8, closed=4, on_time=3, rework=3, extended=1, overdue=3, supervised=2, listed=1,
                overdue_supervised=2)
    assert DEFAULT_RULES.score(f) == 48.0
    assert DEFAULT_RULES.score(PERFECT) == 100.0
    assert DEFAULT_RULES.text == "综合得分 = 按期结案率×50 + 结案率×30 + (1−返工率)×10 + max(0, 10 − 0.5×督办数 − 1×挂牌数)"


def test_deduction_floors_at_zero_and_rework_rate_above_one_does_not_go_negative():
    f = Figures(due=3, closed=3, on_time=3, rework=7, supervised=30, listed=3)
    # 50 + 30 + max(0, 1 − 7/3)×10 = 0 + max(0, 10 − 15 − 3) = 0
    assert DEFAULT_RULES.score(f) == 80.0


def test_rounding_is_half_up_to_hundredths():
    f = Figures(due=3, closed=2, on_time=1)  # 16.666… + 20 + 10 + 10
    assert DEFAULT_RULES.score(f) == 56.67


def test_an_office_formula_with_other_terms():
    rules = Rules.from_dict({"name": "另一城市", "terms": [
        {"type": "rate", "of": "closed_rate", "weight": 30},
        {"type": "rate", "of": "on_time_rate", "weight": 20},
        {"type": "inverse", "of": "rework_rate", "weight": 20},
        {"type": "inverse", "of": "overdue_rate", "weight": 20},
        {"type": "inverse", "of": "extension_rate", "weight": 10},
    ], "red": {"size": 3, "min_score": 85}, "black": {"size": 2, "max_score": 50}, "min_sample": 5})
    assert rules.text == ("综合得分 = 结案率×30 + 按期结案率×20 + (1−返工率)×20 + (1−超期未结率)×20 + (1−延期率)×10")
    f = Figures(due=10, closed=8, on_time=6, rework=1, extended=5, overdue=2)
    # 24 + 12 + 18 + 16 + 5
    assert rules.score(f) == 75.0
    assert (rules.red.size, rules.red.threshold, rules.black.size, rules.black.threshold, rules.min_sample) == (
        3, 85.0, 2, 50.0, 5)
    assert Rules.from_dict(rules.to_dict()) == rules


@pytest.mark.parametrize("data,message", [
    ({"terms": []}, "至少"),
    ({"terms": [{"type": "rate", "of": "on_time_rate", "weight": 90}]}, "100分"),
    ({"terms": [{"type": "rate", "of": "nonsense", "weight": 100}]}, "指标"),
    ({"terms": [{"type": "rate", "of": "on_time_rate", "weight": "abc"}]}, "数字"),
    ({"terms": [{"type": "power", "of": "on_time_rate", "weight": 100}]}, "type"),
    ({"terms": [{"type": "deduction", "base": 100, "per": {"due": 1}}]}, "扣分项"),
    ({"terms": [{"type": "rate", "of": "on_time_rate", "weight": 100}], "red": {"min_score": 50},
      "black": {"max_score": 70}}, "分数线"),
    ({"terms": [{"type": "rate", "of": "on_time_rate", "weight": 100}], "min_sample": 2.5}, "整数"),
    ("not a dict", "JSON"),
])
def test_bad_rules_are_refused(data, message):
    with pytest.raises(Invalid) as problem:
        Rules.from_dict(data)
    assert message in problem.value.message


# ----------------------------------------------------------------------------- ranks and ties

def test_ties_break_by_on_time_rate_then_fewer_overdue_then_code():
    entries = ranked({
        # 97.5 each: 100% on time with 5 supervised, or 95% on time with none
        "B95": Figures(due=20, closed=20, on_time=19),
        "A100": Figures(due=10, closed=10, on_time=10, supervised=5),
        # 84 each, same on-time rate: fewer overdue first, then code
        "P": Figures(due=10, closed=8, on_time=8, overdue=2),
        "R": Figures(due=10, closed=8, on_time=8),
        "Q": Figures(due=10, closed=8, on_time=8),
    })
    assert [(e.unit.code, e.score, e.rank) for e in entries] == [
        ("A100", 97.5, 1), ("B95", 97.5, 2), ("Q", 84.0, 3), ("R", 84.0, 4), ("P", 84.0, 5)]


def test_same_data_gives_the_same_list_whatever_the_input_order():
    data = {f"U{i:02d}": Figures(due=5, closed=5 - i % 3, on_time=5 - i % 3) for i in range(12)}
    first = [(e.unit.code, e.rank) for e in ranked(data)]
    second = [(e.unit.code, e.rank) for e in ranked(dict(reversed(list(data.items()))))]
    assert first == second


# ----------------------------------------------------------------------------- lists

def test_red_list_is_the_best_ten_at_90_or_more_without_level_two():
    data = {f"U{i:02d}": PERFECT for i in range(13)}
    data["U00"] = Figures(due=10, closed=10, on_time=10, supervised=1, listed=1)  # 98.5 but 挂牌: black, not red
    data["U12"] = Figures(due=10, closed=9, on_time=8)  # 40 + 27 + 10 + 10 = 87: below the red line
    entries = by_code(ranked(data))
    reds = [e.unit.code for e in red_list(list(entries.values()))]
    assert reds == [f"U{i:02d}" for i in range(1, 11)]
    assert entries["U11"].list_name is None  # good enough, but the ten places are taken
    assert entries["U00"].list_name == "black"
    assert entries["U12"].list_name is None


def test_black_list_is_the_worst_ten_below_60_plus_every_unit_with_level_two():
    data = {f"W{i:02d}": Figures(due=5, closed=1, on_time=1) for i in range(12)}  # 10 + 6 + 10 + 10 = 36
    data["OK"] = PERFECT
    data["LISTED"] = Figures(due=10, closed=10, on_time=9, supervised=2, listed=1)  # 45+30+10+8 = 93, but 挂牌
    data["SMALL"] = Figures(due=2, closed=0, on_time=0, overdue=2, supervised=2, listed=2, overdue_supervised=2)
    entries = ranked(data)
    codes = by_code(entries)
    black = [e.unit.code for e in black_list(entries)]
    # ranked ones worst first (ties by code, so the last in code order is the worst), then the 样本不足 one
    assert black == ["W11", "W10", "W09", "W08", "W07", "W06", "W05", "W04", "W03", "W02", "LISTED", "SMALL"]
    assert codes["W01"].list_name is None and codes["W00"].list_name is None
    assert codes["OK"].list_name == "red"
    assert codes["SMALL"].insufficient and codes["SMALL"].rank is None


def test_insufficient_sample_is_listed_but_not_ranked():
    entries = ranked({"BIG": PERFECT, "TWO": Figures(due=2, closed=2, on_time=2), "NONE": Figures()})
    codes = by_code(entries)
    assert [e.unit.code for e in entries] == ["BIG", "NONE", "TWO"]  # ranked first, then 样本不足 by code
    assert codes["TWO"].insufficient and codes["TWO"].rank is None and codes["TWO"].list_name is None
    assert codes["TWO"].reason == "应结案2件，不足3件，样本不足"
    assert codes["NONE"].reason == "本期无应结案问题，不足3件，样本不足"
    assert codes["BIG"].rank == 1


# ----------------------------------------------------------------------------- reasons

def test_reasons_are_built_from_the_figures():
    entries = by_code(ranked({
        "RED": PERFECT,
        "RED2": Figures(due=10, closed=10, on_time=10, rework=1, extended=2),
        "BAD": Figures(due=5, closed=1, on_time=1, overdue=3, supervised=2, overdue_supervised=2, rework=1),
        "MID": Figures(due=4, closed=3, on_time=3, overdue=1),
        "LISTED": Figures(due=6, closed=5, on_time=5, overdue=1, supervised=1, listed=1, overdue_supervised=1),
    }))
    assert entries["RED"].reason == "按期结案率100%，无返工"
    assert entries["RED2"].reason == "按期结案率100%，返工1次，延期2件"
    assert entries["BAD"].reason == "2件超期经督办仍未整改，另有1件超期未结，按期结案率20%，返工1次"
    assert entries["MID"].reason == "按期结案率75%，结案率75%，1件超期未结"
    assert entries["LISTED"].reason == "1件超期经督办仍未整改（挂牌督办1件），按期结案率83.3%"


def test_pct():
    assert [pct(x) for x in (1, 0, 0.5, 0.875, 2 / 3, 0.9995)] == ["100%", "0%", "50%", "87.5%", "66.7%", "100%"]


# ----------------------------------------------------------------------------- periods

def test_month_period_runs_between_shanghai_midnights():
    p = parse_period("2026-11")
    assert (p.kind, p.first_day, p.last_day, p.label) == ("month", date(2026, 11, 1), date(2026, 11, 30), "2026年11月")
    assert p.start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)
    assert p.end == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert parse_period("2026-12").end == datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)
    assert p.previous().key == "2026-10" and p.next().key == "2026-12"
    assert parse_period("2027-01").previous().key == "2026-12"


def test_iso_week_period():
    p = parse_period("2026-w48")
    assert (p.key, p.first_day, p.last_day) == ("2026-W48", date(2026, 11, 23), date(2026, 11, 29))
    assert p.start == datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)
    assert p.label == "2026年第48周（11月23日—11月29日）"
    assert parse_period("2026-W53").last_day == date(2027, 1, 3)  # 2026 has 53 ISO weeks
    assert parse_period("2027-W01").previous().key == "2026-W53"
    # 2026-11-30 00:30 Shanghai is Monday of W49, though still 29 November in UTC
    assert containing(datetime(2026, 11, 29, 16, 30, tzinfo=timezone.utc), "week").key == "2026-W49"
    assert containing(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc), "month").key == "2026-12"


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-00", "26-11", "2025-W53", "2026-W00", "2026-W1",
                                  "2026/11", None, "1999-01", "2026-11-01"])
def test_bad_periods_answer_400(text):
    with pytest.raises(BadRequest) as problem:
        parse_period(text)
    assert problem.value.code == "invalid_period"
