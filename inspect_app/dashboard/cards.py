"""The 领导看板's cards for the national assessment's 实地考察 and 问卷调查 parts (its 材料审核 part is the 创建任务
card): the latest scored 测评 round and the latest questionnaire with answers.

Counted live on each page, as the 创建任务 card is, not stored with the dashboard's figures: a round is a few hundred
answers, a questionnaire's answers come back grouped (surveys.services.results), and a score or 较上轮 stored for a
minute would disagree with the round's page the moment a site was submitted. Every figure is the one the page it
links to computes, by the same function: the round's scores (assessment.scores.round_scores, as its 得分与对比 page
and 督查通报), the round's problems (tickets.queries.count_matching, as the ticket list counts them), the survey's
results (surveys.services.results and compare, as its page)."""
from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..policy import may_open


def assessment_card(user, now: datetime) -> dict | None:
    """The latest round with a submitted site, as its scores page shows it, and its 整改任务 as the ticket list
    counts them; {"round": None} before any; None for a user who may not open the rounds (or a build without them)."""
    try:
        from ..assessment import scores
        from ..assessment.models import Round
    except ImportError:  # a build without 文明测评
        return None
    if not may_open(user, "assessment.round_scores") or not may_open(user, "assessment.rounds"):
        return None
    rnd = scores.latest_scored(now)
    if rnd is None:
        return {"round": None}
    from ..tickets.queries import TicketFilter, count_matching

    data = scores.round_scores(user, rnd)
    comparison = data["comparison"]
    return {
        "round": rnd,
        "overall": data["overall"],
        "full_score": data["full_score"],
        "comparison": comparison,
        "previous": db.session.get(Round, data["previous_round_id"]) if data["previous_round_id"] else None,
        "lowest_district": scores.lowest(data["by_district"]),
        "lowest_unit": scores.lowest_unit(data["by_unit"]),
        # the problems its failures became: all of them, those not yet closed, those overdue (the list's filters)
        "tickets": {name: count_matching(user, TicketFilter(round_id=rnd.id, **filters), now)
                    for name, filters in (("all", {}), ("open", {"status": "open"}), ("overdue", {"overdue": True}))},
    }


def survey_card(user) -> dict | None:
    """The newest questionnaire with answers, as its results page shows it: answers, the city's 综合肯定率, 较上期
    and the district lagging on the 综合; {"survey": None} before any; None for a user who may not open it."""
    try:
        from ..surveys import services
    except ImportError:  # a build without 问卷调查
        return None
    if not may_open(user, "surveys.detail"):
        return None
    survey = services.latest_answered()
    if survey is None:
        return {"survey": None}
    results = services.results(survey)
    comparison = services.compare(survey, results)
    lagging = results.lowest(None)
    return {
        "survey": survey,
        "answers": results.city.answers,
        "overall": results.city.overall(results.questions),
        "change": comparison.overall(services.WHOLE_CITY) if comparison else None,
        "shared": comparison.shared if comparison else "",  # what that change is of, when not the 综合's own
        "previous": comparison.previous if comparison else None,
        "lagging": lagging,
        "lagging_overall": results.tally(lagging).overall(results.questions) if lagging else None,
        "lag_points": services.LAG_POINTS,
    }
