"""The demo's 问卷调查: last quarter's questionnaire, closed, and this quarter's, still collecting, both from the
usual questions, answered by residents of the five districts. Each district has its weak points (新港区's markets,
高新区's traffic, 东湖区 has few answers yet), so the results page has something to show.

Runs only while there is no questionnaire; a second run adds nothing.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..auth.models import User
from ..common.timeutil import local, local_midnight
from ..extensions import db
from ..surveys import questionnaire, services
from ..surveys.models import Survey, SurveyResponse

# district -> answers this quarter and last, and the questions (0-based) it does worse on
DISTRICTS = {"江城区": (96, 160, ()), "临江区": (71, 150, (4,)), "新港区": (64, 140, (5, 6)),
             "高新区": (58, 120, (4, 7)), "东湖区": (22, 90, (2, 9))}


def _choice(rng: random.Random, question: dict, good: float) -> int:
    """An option: a 肯定回答 with probability `good` (for 满意/比较满意, split 55:45), else one of the others."""
    positive = question["positive"]
    others = [i for i in range(len(question["options"])) if i not in positive]
    if rng.random() < good:
        return positive[0] if len(positive) == 1 or rng.random() < 0.55 else positive[1]
    return rng.choice(others[:-1] if len(others) > 2 and rng.random() < 0.8 else others)


def _answers(rng: random.Random, questions: list[dict], weak: tuple, lift: float) -> list[int]:
    chosen = []
    for number, question in enumerate(questions):
        base = (0.93, 0.95, 0.48)[number] if number < 3 else 0.82
        good = min(base + lift - (0.22 if number in weak else 0) + rng.uniform(-0.03, 0.03), 0.99)
        chosen.append(_choice(rng, question, good))
    return chosen


def seed_surveys(now: datetime) -> dict:
    if db.session.scalar(select(func.count(Survey.id))):
        return {"surveys": 0, "responses": 0}
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    rng = random.Random(2026)
    questions = questionnaire.parse(questionnaire.default_text())
    today = local(now).date()
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    last_start = (quarter_start - timedelta(days=1)).replace(day=1)
    last_start = last_start.replace(month=(last_start.month - 1) // 3 * 3 + 1)
    def name(start):
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度创建全国文明城市市民问卷"

    # (title, opened on, which count of DISTRICTS, how much better than the base, closed)
    plans = [(name(last_start), last_start, 1, 0.0, True), (name(quarter_start), quarter_start, 0, 0.04, False)]
    responses = 0
    for title, start, column, lift, closed in plans:
        opened = local_midnight(start) + timedelta(hours=9)
        ends = opened + timedelta(days=30) if closed else now
        survey = Survey(title=title, intro=questionnaire.DEFAULT_INTRO, code=services.new_code(),
                        questions_json=json.dumps(questions, ensure_ascii=False),
                        status="closed" if closed else "open", created_at=opened, created_by_id=admin.id,
                        closed_at=ends if closed else None, responses_count=0)
        db.session.add(survey)
        db.session.flush()
        rows = []
        for district, (now_count, then_count, weak) in DISTRICTS.items():
            for _ in range((now_count, then_count)[column]):
                moment = opened + (ends - opened) * rng.random()
                rows.append({"survey_id": survey.id, "district": district, "submitted_at": moment,
                             "answers": ",".join(map(str, _answers(rng, questions, weak, lift))),
                             "device": "%064x" % rng.getrandbits(256), "address": "%064x" % rng.getrandbits(40)})
        db.session.execute(SurveyResponse.__table__.insert(), rows)
        survey.responses_count = len(rows)
        responses += len(rows)
    db.session.flush()
    return {"surveys": len(plans), "responses": responses}


def summary_line(counts: dict) -> str:
    return f"问卷调查 {counts['surveys']} 份，市民答卷 {counts['responses']} 份。"
