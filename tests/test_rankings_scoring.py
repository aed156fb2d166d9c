"""红黑榜 scoring without a database, every figure by hand: each deduction term, shares, the assessment blend,
closure rates, both shipped schemes and switching between them, the plain-language method, groups, ties, the red
and black rules and who is ranked (responsible and examined or at fault); periods."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from inspect_app.common.errors import BadRequest, Invalid
from inspect_app.rankings.periods import containing, parse_period
from inspect_app.rankings.schemes import CITY_B_SCHEME, DEFAULT_SCHEME, Scheme
from inspect_app.rankings.scoring import (NOT_EXAMINED, NOT_RESPONSIBLE, GroupRule, UnitCounts, UnitInfo, pct,
                                          rank_groups, score)

DEFAULT = Scheme.from_dict(DEFAULT_SCHEME)
CITY_B = Scheme.from_dict(CITY_B_SCHEME)


def lead(**by_source) -> dict:
    return {"lead": by_source}


# ----------------------------------------------------------------------------- each term by hand (default scheme)

@pytest.mark.parametrize("counts, expected", [
    (UnitCounts(), 100.0),                                            # nothing found, nothing overdue
    (UnitCounts(found=lead(daily=3)), 98.5),                          # 3 × 0.5
    (UnitCounts(found=lead(citizen=1, hotline=1)), 99.0),             # 0.5 + 0.5
    (UnitCounts(found=lead(undercover=2)), 98.0),                     # 暗访 2 × 1
    (UnitCounts(found=lead(mock_assessment=1, spot_check=1)), 98.0),  # 1 + 1
    (UnitCounts(found=lead(media=2)), 96.0),                          # 媒体曝光 2 × 2
    (UnitCounts(relapse=2), 98.0),                                    # 回潮 2 × 1
    (UnitCounts(supervised=2), 98.0),                                 # 督办 2 × 1
    (UnitCounts(listed=1), 97.0),                                     # 挂牌 3
    (UnitCounts(interview=1), 95.0),                                  # 约谈 5
    (UnitCounts(referral=1), 90.0),                                   # 问责 10
    (UnitCounts(overdue=3, due=5), 97.0),                             # 超期 3 × 1
    (UnitCounts(rework=3, due=5), 98.5),                              # 返工 3 × 0.5
    (UnitCounts(found={"assist": {"daily": 2}}), 99.5),               # 协办 2 × 0.5 × 50%
    (UnitCounts(found={"adopting": {"undercover": 1}}), 99.0),        # 包抓 1 × 1 × 100%
    (UnitCounts(found=lead(daily=400)), 0.0),                         # 扣完为止
])
def test_each_default_term_by_hand(counts, expected):
    assert score(counts, DEFAULT).score == expected


def test_a_unit_with_several_terms_and_the_assessment_blend():
    c = UnitCounts(found=lead(daily=4, undercover=1, media=1), relapse=1, supervised=1, overdue=2, rework=1, due=4)
    # found 4×0.5 + 1 + 2 = 5; relapse 1 + 督办 1 + overdue 2 + rework 0.5 = 4.5; 100 − 9.5 = 90.5
    s = score(c, DEFAULT)
    assert (s.score, s.problem_score, s.found_points) == (90.5, 90.5, 5.0)  # no assessed site: all problem part
    blended = UnitCounts(**{**c.__dict__, "assessment": 80.0, "assessed_sites": 2})
    assert score(blended, DEFAULT).score == 88.4                              # 90.5 × 0.8 + 80 × 0.2
    assert score(UnitCounts(assessment=100.0, assessed_sites=1), DEFAULT).score == 100.0
    assert [(ln.label, ln.count, ln.points) for ln in s.lines][:3] == [
        ("日常督查发现问题", 4, -2.0), ("暗访发现问题", 1, -1.0), ("媒体曝光发现问题", 1, -2.0)]


def test_city_b_scheme_by_hand_with_its_on_time_rate():
    c = UnitCounts(found=lead(daily=4, undercover=1, media=1), relapse=1, supervised=1, overdue=2, rework=1, due=4)
    # found 4×0.3 + 1.5 + 3 = 5.7; relapse 2 + 督办 2 + overdue 4 + rework 1 = 9; problem 85.3
    # 85.3 × 0.7 + 0.3 × 100 × (1 − 2/4) = 59.71 + 15 = 74.71
    assert score(c, CITY_B).score == 74.71
    assert score(UnitCounts(), CITY_B).score == 100.0          # nothing due: the rate counts as met
    assert score(UnitCounts(found={"assist": {"daily": 10}}), CITY_B).score == 99.37  # 100 − 10×0.3×0.3 = 99.1 → ×0.7 + 30


def test_switching_scheme_changes_the_order_without_code():
    many_small = UnitCounts(found=lead(daily=10), due=10)                 # default 95; 乙市 97×0.7 + 30 = 97.9
    media_late = UnitCounts(found=lead(media=1), overdue=2, due=2)       # default 96; 乙市 93×0.7 + 0 = 65.1
    units = [(UnitInfo(1, "A", "甲"), "G"), (UnitInfo(2, "B", "乙"), "G")]
    counts = {1: many_small, 2: media_late}
    group = [GroupRule("G", 1, 0, 1, 100)]
    by_default = rank_groups(units, counts, {1, 2}, DEFAULT, group)
    by_city_b = rank_groups(units, counts, {1, 2}, CITY_B, group)
    assert [(e.unit.code, e.score) for e in by_default] == [("B", 96.0), ("A", 95.0)]
    assert [(e.unit.code, e.score) for e in by_city_b] == [("A", 97.9), ("B", 65.1)]


def test_method_text_is_plain_language_generated_from_the_scheme():
    assert DEFAULT.method_lines()[0] == (
        "满分100分，日常督查、市民随手拍、12345热线发现问题每件扣0.5分，随机抽查、领导督导、领导交办、部门联查、暗访、模拟测评发现问题"
        "每件扣1分，媒体曝光发现问题每件扣2分，上级测评反馈发现问题每件扣3分，回潮（整改后问题反弹）每件扣1分，被下发督办函每次扣1分，被挂牌督办每次扣3分，"
        "被约谈每次扣5分，被问责每次扣10分，问题超期未整改每件扣1分，整改不到位被退回返工每次扣0.5分，"
        "牵头的创建任务滞后每项扣1分，牵头的创建任务当月未报送进展每项扣0.5分，扣完为止。")
    assert DEFAULT.method_lines()[1] == ("创建任务按其牵头单位计，以当月月末（当月榜单为截至发布时）的推进情况为准，"
                                         "周榜不计。")
    without_tasks = Scheme.from_dict({**DEFAULT_SCHEME, "per": {"overdue": 1}})
    assert "创建任务" not in without_tasks.method_text
    assert "综合得分中，问题扣分得分占80%，本期测评中其负责点位的测评得分占20%。" in DEFAULT.method_lines()
    assert "综合得分中，问题扣分得分占70%，按期整改率占30%。" in CITY_B.method_lines()
    assert "max(" not in DEFAULT.method_text and "×" not in DEFAULT.method_text
    changed = Scheme.from_dict({**DEFAULT_SCHEME, "found": {**DEFAULT_SCHEME["found"], "daily": 0.2}})
    assert changed.method_text.startswith("满分100分，日常督查发现问题每件扣0.2分，市民随手拍、12345热线发现问题每件扣0.5分")


@pytest.mark.parametrize("change, message", [
    ({"found": {"street": 1}}, "发现途径“street”不存在"),
    ({"found": {}}, "found（各发现途径每件扣分）应为对象"),
    ({"per": {"late": 1}}, "扣分项“late”不存在"),
    ({"per": {"overdue": -1}}, "问题超期未整改扣分应在0到100之间"),
    ({"per": {"overdue": "x"}}, "问题超期未整改扣分应为数字"),
    ({"assessment_weight": 0.6, "rates": {"on_time_rate": 0.4}}, "不能超过90%"),
    ({"charge": {"boss": 1}}, "charge 的键应为"),
    ({"code": ""}, "应有编码"),
    # a weight typed as words or a list was a TypeError/ValueError (500) before it was checked
    ({"rates": {"on_time_rate": "30%"}}, "rates.on_time_rate（按期整改率所占比例）应为数字"),
    ({"rates": {"on_time_rate": "三成"}}, "rates.on_time_rate（按期整改率所占比例）应为数字"),
    ({"rates": {"closed_rate": [1]}}, "rates.closed_rate（结案率所占比例）应为数字"),
    ({"rates": {"rework_rate": "abc"}}, "rates.rework_rate（返工率所占比例）应为数字"),
    ({"rates": {"on_time_rate": 30}}, "rates.on_time_rate（按期整改率所占比例）应在0到1之间"),
])
def test_bad_schemes_are_refused_in_chinese(change, message):
    with pytest.raises(Invalid) as problem:
        Scheme.from_dict({**DEFAULT_SCHEME, **change})
    assert message in problem.value.message and problem.value.code == "invalid_scheme"


@pytest.mark.parametrize("change, message", [
    ({"name": ["x"]}, "方案名称（name）应为文字。"),
    ({"code": ["default"]}, "方案编码（code）应为文字。"),
    ({"note": {"a": 1}}, "方案说明（note）应为文字。"),
])
def test_a_schemes_text_sent_as_a_list_or_object_is_refused_not_stored_as_its_repr(change, message):
    from inspect_app.common.errors import BadRequest
    with pytest.raises(BadRequest) as problem:
        Scheme.from_dict({**DEFAULT_SCHEME, **change})
    assert problem.value.message == message and problem.value.status == 400


# ----------------------------------------------------------------------------- groups, ties, lists

def run(counts_by_code: dict[str, UnitCounts], rule: GroupRule, responsible=None, group_of=None):
    units = [(UnitInfo(i, code, f"单位{code}"), (group_of or {}).get(code, rule.name))
             for i, code in enumerate(counts_by_code, start=1)]
    ids = {u.code: u.id for u, _ in units}
    counts = {ids[code]: c for code, c in counts_by_code.items()}
    responsible = {ids[c] for c in (responsible if responsible is not None else counts_by_code)}
    entries = rank_groups(units, counts, responsible, DEFAULT, [rule, GroupRule("H", 1, 90, 1, 100, order=1)])
    return {e.unit.code: e for e in entries}, [e.unit.code for e in entries]


GROUP = {
    "U1": UnitCounts(due=1),                             # 100 (one problem due, rectified on time)
    "U2": UnitCounts(due=1),                             # 100, tied with U1
    "U3": UnitCounts(found=lead(daily=2)),               # 99, found points 1
    "U4": UnitCounts(overdue=1, due=1),                  # 99, found points 0: ahead of U3
    "U7": UnitCounts(listed=1),                          # 97, 挂牌督办
    "U5": UnitCounts(found=lead(daily=8), overdue=1, due=1),   # 95
    "U6": UnitCounts(found=lead(daily=8), overdue=1, due=1),   # 95, tied with U5
}


def test_ranks_within_a_group_share_places_and_break_ties_by_found_points_then_overdue():
    entries, order = run(GROUP, GroupRule("G", 2, 90, 2, 100))
    assert order == ["U1", "U2", "U4", "U3", "U7", "U5", "U6"]
    assert [entries[c].rank for c in order] == [1, 1, 3, 4, 5, 6, 6]


def test_red_is_top_n_over_the_floor_and_black_is_bottom_n_plus_every_escalated_unit():
    entries, order = run(GROUP, GroupRule("G", 2, 90, 2, 100))
    assert [c for c in order if entries[c].list_name == "red"] == ["U1", "U2"]
    assert [c for c in order if entries[c].list_name == "black"] == ["U7", "U5", "U6"]  # U7 for its 挂牌督办
    # a tie at the last red place takes both; a tie at the last black place takes both
    entries, order = run(GROUP, GroupRule("G", 1, 90, 1, 100))
    assert [c for c in order if entries[c].list_name == "red"] == ["U1", "U2"]
    assert [c for c in order if entries[c].list_name == "black"] == ["U7", "U5", "U6"]


def test_a_tied_block_bigger_than_half_the_group_is_left_out_whole_and_handled_work_breaks_ties():
    counts = {c: UnitCounts(due=1) for c in ("A", "B", "C", "D")}
    counts["E"] = UnitCounts(overdue=1, due=1)
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert [entries[c].rank for c in order] == [1, 1, 1, 1, 5]
    assert [c for c in order if entries[c].list_name == "red"] == []      # four equals for one place: none
    assert entries["E"].list_name == "black"
    counts["C"] = UnitCounts(due=3)                                           # 3 due, all rectified on time
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert order[0] == "C" and entries["C"].rank == 1 and entries["A"].rank == 2
    assert [c for c in order if entries[c].list_name == "red"] == ["C"]


def test_the_floor_keeps_weak_groups_off_the_red_list_and_full_marks_never_go_black():
    weak = {"A": UnitCounts(found=lead(media=10), due=1), "B": UnitCounts(found=lead(media=12), overdue=1, due=1)}  # 80, 75
    entries, _ = run(weak, GroupRule("G", 3, 90, 1, 100))
    assert entries["A"].list_name is None and entries["B"].list_name == "black"
    perfect = {"A": UnitCounts(due=1), "B": UnitCounts(due=2)}                     # examined, full marks
    entries, _ = run(perfect, GroupRule("G", 0, 90, 2, 100))
    assert {e.list_name for e in entries.values()} == {None} and all(e.ranked for e in entries.values())


def test_a_unit_nobody_examined_is_not_ranked_and_half_the_group_counts_ranked_units_only():
    counts = {"IDLE": UnitCounts(sites=3), "CHECKED": UnitCounts(assessment=100.0, assessed_sites=2),
              "WORKED": UnitCounts(found=lead(daily=2), due=2), "LATE": UnitCounts(overdue=3, due=3)}
    entries, order = run(counts, GroupRule("G", 2, 90, 1, 100))
    assert order == ["CHECKED", "WORKED", "LATE", "IDLE"]   # the unit nobody examined after the ranked ones
    assert [entries[c].rank for c in order] == [1, 2, 3, None]
    assert (entries["IDLE"].ranked, entries["IDLE"].list_name, entries["IDLE"].reason) == (False, None, NOT_EXAMINED)
    # three ranked units: half is 1, so one red place although the group has four units and red_size is 2
    assert [c for c in order if entries[c].list_name == "red"] == ["CHECKED"]
    assert entries["LATE"].list_name == "black"


def test_units_answering_only_for_sites_nobody_examined_do_not_take_the_top_places():
    """Two units whose only responsibility is sites no round drew, one examined and clean, one examined with a
    problem: the clean one is 第1名 and red (two ranked units: one red place), the two nobody examined get no
    place, no list, and say why. (Under the old rule they were 1 and 1 on full marks and the clean unit 3rd.)"""
    counts = {"S1": UnitCounts(sites=2), "S2": UnitCounts(sites=5), "CLEAN": UnitCounts(found=lead(daily=1), due=1),
              "SLOW": UnitCounts(found=lead(daily=4), overdue=1, due=2)}
    entries, order = run(counts, GroupRule("G", 3, 90, 3, 100))
    assert order == ["CLEAN", "SLOW", "S1", "S2"]
    assert (entries["CLEAN"].rank, entries["CLEAN"].list_name, entries["CLEAN"].score) == (1, "red", 99.5)
    assert (entries["SLOW"].rank, entries["SLOW"].list_name) == (2, "black")
    for code in ("S1", "S2"):
        assert (entries[code].ranked, entries[code].rank, entries[code].list_name) == (False, None, None)
        assert entries[code].reason == "本期所负责点位均未被抽查检查，无检查记录，不参与排名"
    # the same two with one examined clean unit alone: it is 第1名, but one ranked unit has no peers, so no list
    alone = {k: counts[k] for k in ("S1", "S2", "CLEAN")}
    entries, order = run(alone, GroupRule("G", 3, 90, 3, 100))
    assert order == ["CLEAN", "S1", "S2"] and entries["CLEAN"].rank == 1 and entries["CLEAN"].list_name is None
    assert [entries[c].ranked for c in order] == [True, False, False]


def test_a_unit_nobody_examined_that_is_at_fault_or_escalated_is_still_ranked():
    """A letter, a 回潮 or 约谈 charged to a unit whose sites nobody drew: ranked (it may go black); the escalated
    one black whatever its score."""
    counts = {"LETTER": UnitCounts(sites=1, supervised=1), "RELAPSE": UnitCounts(sites=1, relapse=2),
              "TALKED": UnitCounts(sites=1, interview=1), "IDLE": UnitCounts(sites=1),
              "CLEAN": UnitCounts(due=1), "OTHER": UnitCounts(due=1, segments=2)}
    assert [c.examined for c in counts.values()] == [False, False, False, False, True, True]
    entries, order = run(counts, GroupRule("G", 1, 90, 2, 100))
    assert order == ["OTHER", "CLEAN", "LETTER", "RELAPSE", "TALKED", "IDLE"]
    assert [entries[c].rank for c in order] == [1, 2, 3, 4, 5, None]
    assert entries["TALKED"].list_name == "black" and entries["TALKED"].reason == "扣分：被约谈1次（扣5分）"
    assert [c for c in order if entries[c].list_name == "black"] == ["RELAPSE", "TALKED"]  # 5 ranked: half 2
    assert [c for c in order if entries[c].list_name == "red"] == ["OTHER"]
    assert entries["IDLE"].reason == NOT_EXAMINED


def test_problems_fixed_on_time_never_put_a_unit_on_the_black_list():
    counts = {"A": UnitCounts(due=1), "B": UnitCounts(found=lead(daily=4), due=4),             # 100, 98: no fault
              "C": UnitCounts(found=lead(daily=1), rework=1, due=1)}                         # 99: one 返工
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert order == ["A", "C", "B"]
    assert (entries["A"].list_name, entries["C"].list_name, entries["B"].list_name) == ("red", "black", None)
    entries, _ = run(counts, GroupRule("G", 1, 90, 1, 99))          # C scores 99: not below the 分数线
    assert entries["C"].list_name is None and entries["B"].list_name is None


def test_a_larger_patrolled_area_breaks_a_tie_at_full_marks():
    counts = {"SMALL": UnitCounts(segments=2), "BIG": UnitCounts(segments=6), "MID": UnitCounts(segments=4),
              "LATE": UnitCounts(overdue=1, due=1, segments=1)}
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert order == ["BIG", "MID", "SMALL", "LATE"] and [entries[c].rank for c in order] == [1, 2, 3, 4]
    assert [c for c in order if entries[c].list_name == "red"] == ["BIG"]


def test_sites_assessed_at_full_marks_break_a_tie_before_the_patrolled_area():
    """Two streets with nothing found and the same segments: the one whose sites a round scored (at full marks,
    so the score is still 100) goes first; a larger area breaks what is left."""
    counts = {"PLAIN": UnitCounts(segments=6), "ASSESSED": UnitCounts(segments=6, assessed_sites=2, assessment=100.0),
              "WIDE": UnitCounts(segments=8)}
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert order == ["ASSESSED", "WIDE", "PLAIN"] and [entries[c].score for c in order] == [100.0] * 3
    assert [entries[c].rank for c in order] == [1, 2, 3] and entries["ASSESSED"].list_name == "red"


def test_road_segments_count_as_examined_and_a_unit_nobody_looked_at_is_not_red():
    counts = {"SEG": UnitCounts(segments=3), "IDLE": UnitCounts(sites=1), "LATE": UnitCounts(overdue=1, due=1)}
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert (entries["SEG"].list_name, entries["IDLE"].list_name, entries["LATE"].list_name) == ("red", None, "black")
    assert (entries["SEG"].rank, entries["IDLE"].rank, entries["IDLE"].ranked) == (1, None, False)


def test_an_escalated_unit_is_black_even_at_the_top_and_the_red_place_passes_on():
    counts = {"TOP": UnitCounts(at_listed=1), "NEXT": UnitCounts(found=lead(daily=1)), "LAST": UnitCounts(found=lead(daily=4))}
    entries, order = run(counts, GroupRule("G", 2, 90, 0, 100))
    assert entries["TOP"].score == 100.0 and entries["TOP"].list_name == "black"
    assert entries["NEXT"].list_name == "red" and entries["LAST"].list_name is None  # rank 3 > 2
    assert entries["TOP"].reason.startswith("1件问题处于挂牌督办")


def test_every_responsible_unit_is_ranked_in_its_own_group_and_the_rest_are_not():
    counts = {"A": UnitCounts(due=2), "B": UnitCounts(overdue=1, due=1), "C": UnitCounts(due=1),
              "D": UnitCounts()}
    entries, order = run(counts, GroupRule("G", 1, 90, 1, 100), responsible=["A", "B", "C"],
                         group_of={"C": "H", "D": "H"})
    assert order == ["A", "B", "C", "D"]                         # group G, then H; the unranked last in its group
    assert (entries["A"].rank, entries["B"].rank, entries["C"].rank) == (1, 2, 1)
    assert (entries["A"].list_name, entries["B"].list_name) == ("red", "black")
    assert entries["C"].list_name is None  # alone in its group: no peers, neither list
    assert entries["D"].ranked is False and entries["D"].rank is None and entries["D"].list_name is None
    assert entries["D"].reason == NOT_RESPONSIBLE == "本期无问题记录、无到期问题，不负责路段和点位，不参与排名"
    assert entries["A"].reason == "本期未发现问题，到期问题均按期整改，无返工"



def test_units_no_month_of_a_year_ranked_are_named_under_the_reasons_their_lists_stored():
    """(QA) The year's 通报 said every unit never ranked was 无问题记录、无到期问题且不负责路段和点位, also the 28 demo
    units that answer for sites nobody examined. Each reason is said of the year; a unit whose months differ is not
    put under either of them; a reason of older rules is quoted."""
    from inspect_app.rankings.scoring import MIXED_REASONS, unranked_all_year

    old = "应结案数少于3件，样本不足"  # stored by a list of older rules: it did not say 不参与排名
    assert unranked_all_year([
        ([NOT_EXAMINED] * 3, "市博物馆"), ([NOT_RESPONSIBLE] * 2, "市档案馆"), ([NOT_EXAMINED], "市图书馆"),
        ([NOT_RESPONSIBLE, NOT_EXAMINED], "市科技馆"), ([old, old + "。"], "市文化馆"), ([""], "市体育馆"),
    ]) == [
        ("所负责点位各月均未被抽查检查，无检查记录，未参与排名", ["市博物馆", "市图书馆"]),
        ("各月均无问题记录、无到期问题，不负责路段和点位，未参与排名", ["市档案馆"]),
        ("各月均未参与排名（月榜所列原因：应结案数少于3件，样本不足）", ["市文化馆"]),
        ("各月均未参与排名", ["市体育馆"]),
        (MIXED_REASONS, ["市科技馆"]),
    ]
    assert MIXED_REASONS == "各月均未参与排名（各月原因不一，详见各期月榜）"
    assert unranked_all_year([]) == []


def test_same_data_gives_the_same_list_whatever_the_input_order():
    a, _ = run(GROUP, GroupRule("G", 2, 90, 2, 100))
    b, _ = run(dict(reversed(list(GROUP.items()))), GroupRule("G", 2, 90, 2, 100))
    assert {c: (e.rank, e.list_name, e.score) for c, e in a.items()} == \
           {c: (e.rank, e.list_name, e.score) for c, e in b.items()}


def test_reasons_name_what_cost_most():
    counts = {"BAD": UnitCounts(found=lead(daily=6, media=1), overdue=4, due=5, interview=1),
              "OK": UnitCounts(found=lead(daily=1), due=1)}
    entries, _ = run(counts, GroupRule("G", 1, 90, 1, 100))
    assert entries["BAD"].score == 86.0
    assert entries["BAD"].reason == ("扣分：被约谈1次（扣5分）、超期未整改4件（扣4分）、日常督查发现问题6件（扣3分）、"
                                     "媒体曝光发现问题1件（扣2分）；合计扣14分")
    assert entries["OK"].reason == "发现问题1件，到期问题均按期整改，无返工，共扣0.5分"


_ITEM = re.compile(r"[（，](?:扣([0-9.]+)分|不扣分)）")


def added_up(reason: str) -> tuple[float, float | None]:
    """(the points of every item of a reason added up, its 合计 or None)."""
    items = sum(float(points or 0) for points in _ITEM.findall(reason))
    total = re.search(r"合计扣([0-9.]+)分", reason)
    return round(items, 2), float(total.group(1)) if total else None


# 市公安局交通警察支队 in the demo's November list: 31 problems of its own, 4 found on segments it adopts (包抓, at
# full), a 回潮, six 督办 letters and two 挂牌, nine overdue, two 返工 — 40.5 points deducted (59.50), while its
# reason named three lines worth 32.5 and the 挂牌 without points
TRAFFIC_POLICE = UnitCounts(found={"lead": {"daily": 31}, "adopting": {"daily": 4}},
                            relapse=1, supervised=6, listed=2, overdue=9, rework=2, due=30, closed=28, at_listed=2,
                            segments=6)


def test_a_black_list_reason_names_every_deduction_with_its_points_and_adds_up_to_the_score():
    counts = {"TP": TRAFFIC_POLICE, "GOOD": UnitCounts(found=lead(daily=2), due=2),
              "MID": UnitCounts(found=lead(daily=3), due=3, overdue=1)}
    entries, _ = run(counts, GroupRule("G", 1, 90, 1, 100))
    tp = entries["TP"]
    assert (tp.score, tp.list_name) == (59.5, "black")
    assert tp.reason == ("扣分：日常督查发现问题35件（扣17.5分）、超期未整改9件（扣9分）、被督办6次（扣6分）、"
                         "被挂牌督办2次（扣6分）、回潮1件（扣1分）、返工2次（扣1分）；合计扣40.5分")
    items, total = added_up(tp.reason)
    assert items == total == round(100 - tp.score, 2)
    assert "被挂牌督办2次（扣6分）" in tp.reason and "返工2次（扣1分）" in tp.reason and "回潮1件（扣1分）" in tp.reason
    points = [float(p) for p in _ITEM.findall(tp.reason)]
    assert points == sorted(points, reverse=True)  # most first
    # off the lists, the same: every deduction and the sum
    mid = entries["MID"]
    assert mid.list_name is None
    assert mid.reason == "扣分：日常督查发现问题3件（扣1.5分）、超期未整改1件（扣1分）；合计扣2.5分"
    assert added_up(mid.reason) == (2.5, 2.5) and mid.score == 97.5
    # one deduction needs no sum
    solo, _ = run({"ONE": UnitCounts(overdue=1, due=1), "OK": UnitCounts(due=2), "OK2": UnitCounts(due=3)},
                  GroupRule("G", 1, 90, 1, 100))
    assert solo["ONE"].reason == "扣分：超期未整改1件（扣1分）" and solo["ONE"].score == 99.0


def test_a_reason_says_what_a_share_and_a_blend_do_to_the_points():
    """Problems a unit answers for as 协办 count at half (default scheme): the reason says how many, so the points
    follow from the method. A unit with an assessed site: the blend's parts with their shares; 乙市方案 (按期整改率
    30%): the rate. The parts give the score back."""
    assisting = UnitCounts(found={"lead": {"daily": 3}, "assist": {"daily": 2}}, overdue=2, due=3,
                           assessment=80.0, assessed_sites=1)
    counts = {"A": assisting, "B": UnitCounts(due=1), "C": UnitCounts(due=2)}
    entries, _ = run(counts, GroupRule("G", 1, 90, 1, 100))
    a = entries["A"]
    assert a.reason == ("扣分：日常督查发现问题5件（其中协办2件按50%计，扣2分）、超期未整改2件（扣2分）；合计扣4分；"
                        "问题扣分得分96分（占80%），测评得分80分（占20%）")
    assert a.score == round(96 * 0.8 + 80 * 0.2, 2) == 92.8
    assert added_up(a.reason) == (4.0, 4.0)
    units = [(UnitInfo(i, code, code), "G") for i, code in enumerate(counts, start=1)]
    by_b = {e.unit.code: e for e in rank_groups(units, dict(enumerate(counts.values(), start=1)), {1, 2, 3}, CITY_B,
                                                [GroupRule("G", 1, 90, 1, 100)])}
    # 乙市: 3 × 0.3 + 2 × 0.3 × 30% = 1.08 for problems, 2 × 2 overdue: 94.92 × 0.7 + 30 × (1 − 2/3) = 76.44
    assert by_b["A"].reason == ("扣分：超期未整改2件（扣4分）、日常督查发现问题5件（其中协办2件按30%计，扣1.08分）；"
                                "合计扣5.08分；问题扣分得分94.92分（占70%），按期整改率33.3%（占30%）")
    assert by_b["A"].score == 76.44


def test_a_lead_unit_charged_at_a_share_is_printed_so_in_the_method_and_the_reason():
    """charge.lead below 1 is scored at that share; the method said 主办单位全额计扣 all the same."""
    half = Scheme.from_dict({**DEFAULT_SCHEME, "code": "half", "charge": {"lead": 0.5, "assist": 0.5}})
    assert "问题计入其责任区域的单位：主办单位按50%计扣，协办单位按50%计。" in half.method_lines()
    assert "主办单位全额计扣" not in half.method_text
    assert "问题计入其责任区域的单位：主办单位全额计扣，协办单位按50%计，包抓单位按全额计。" in DEFAULT.method_lines()
    free = Scheme.from_dict({**DEFAULT_SCHEME, "code": "free", "charge": {"lead": 0, "adopting": 1}})
    assert "问题计入其责任区域的单位：主办单位不计扣，包抓单位按全额计。" in free.method_lines()
    counts = {1: UnitCounts(found={"lead": {"daily": 3}, "assist": {"daily": 2}}, overdue=1, due=1),
              2: UnitCounts(due=1), 3: UnitCounts(due=2)}
    units = [(UnitInfo(i, f"U{i}", f"单位{i}"), "G") for i in counts]
    entries = {e.unit.id: e for e in rank_groups(units, counts, set(counts), half, [GroupRule("G", 1, 90, 1, 100)])}
    # 5 × 0.5 × 0.5 = 1.25 for problems, 1 overdue
    assert entries[1].reason == ("扣分：日常督查发现问题5件（其中主办3件按50%计、协办2件按50%计，扣1.25分）、"
                                 "超期未整改1件（扣1分）；合计扣2.25分")
    assert entries[1].score == 97.75 and added_up(entries[1].reason) == (2.25, 2.25)


def test_escalations_the_scheme_does_not_deduct_for_are_still_named_and_scores_at_zero_say_so():
    free = Scheme.from_dict({**DEFAULT_SCHEME, "code": "free", "per": {**DEFAULT_SCHEME["per"], "listed": 0}})
    counts = {1: UnitCounts(listed=1, overdue=1, due=1), 2: UnitCounts(due=1), 3: UnitCounts(due=2),
              4: UnitCounts(found=lead(media=60), due=1)}
    units = [(UnitInfo(i, f"U{i}", f"单位{i}"), "G") for i in counts]
    entries = {e.unit.id: e for e in rank_groups(units, counts, set(counts), free, [GroupRule("G", 1, 90, 2, 100)])}
    assert entries[1].list_name == "black" and entries[1].score == 99.0
    assert entries[1].reason == "扣分：超期未整改1件（扣1分）、被挂牌督办1次（不扣分）"
    assert entries[4].score == 0.0 and entries[4].reason == "扣分：媒体曝光发现问题60件（扣120分）；扣完为止"


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


def test_a_tied_block_goes_in_while_the_list_stays_within_half_the_group_and_one_left_out_is_named():
    """13 units tie at 第1名 with 5 red places: in a group of 40 ranked units (half 20) all 13 are red (the tied
    block was left out whole for passing twice the list's size, a cap no text stated); in a group of 20 (half 10)
    none is, and the list says why instead of 本组无单位达到红榜标准."""
    from inspect_app.rankings.scoring import tied_out, tied_out_text

    def group(size):
        counts = {f"T{i:02d}": UnitCounts(due=1) for i in range(13)}
        counts.update({f"L{i:02d}": UnitCounts(found=lead(daily=2 + i), due=1) for i in range(size - 13)})
        return run(counts, GroupRule("G", 5, 90, 1, 100))

    entries, order = group(40)
    assert sorted(c for c in order if entries[c].list_name == "red") == [f"T{i:02d}" for i in range(13)]
    assert tied_out(list(entries.values())) == {}
    entries, order = group(20)
    assert [c for c in order if entries[c].list_name == "red"] == []
    left_out = tied_out([e for e in entries.values() if e.group == "G"])
    assert left_out == {"red": {"rank": 1, "units": 13, "limit": 10}}
    assert tied_out_text("red", left_out["red"]) == ("并列第1名的13个单位超过本组红榜名额上限（不超过参与排名单位数的"
                                                     "一半，即10个），均未列入红榜。")
