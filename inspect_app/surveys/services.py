"""The office's questionnaires, the residents' answers and the results by district.

Operations flush and never commit (boundary.py). The public answer is counted against its address and against
everyone (intake/limits.py) before it is read, and a phone answers a questionnaire once (the device digest is unique
per survey).
"""
from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import zip_longest

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..common.errors import BadRequest, Conflict, Invalid, NotFound
from ..common.numbers import round_half_up
from ..common.sql import by_code_point
from ..common.text import one_line
from ..common.timeutil import fmt
from ..extensions import db
from ..intake import limits
from ..units.models import Segment
from . import questionnaire
from .models import Survey, SurveyResponse

TITLE_CHARS, INTRO_CHARS = 100, 1000
SMALL_SAMPLE = 30  # a district with fewer answers is marked: its rates move by 3 points with each one
LAG_POINTS = 5  # a district this many percentage points below the city on a question is marked as lagging
WHOLE_CITY = "全市"
_CODE_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: a link read out or typed from a poster


class AlreadyAnswered(Conflict):
    code = "already_answered"


# ----------------------------------------------------------------------------- the office's questionnaires

def list_surveys() -> list[Survey]:
    return list(db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())))


def latest_answered() -> Survey | None:
    """The newest questionnaire with answers (the 领导看板's 问卷调查 card)."""
    return db.session.scalar(select(Survey).where(Survey.responses_count > 0)
                             .order_by(Survey.created_at.desc(), Survey.id.desc()).limit(1))


def get(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("问卷不存在。")
    return survey


def by_code(code: str) -> Survey | None:
    if not (0 < len(code) <= 16 and code.isalnum()):
        return None
    return db.session.scalar(select(Survey).where(Survey.code == code.lower()))


def new_code() -> str:
    while True:
        code = "".join(secrets.choice(_CODE_LETTERS) for _ in range(8))
        if db.session.scalar(select(Survey.id).where(Survey.code == code)) is None:
            return code


def _texts(form: Mapping) -> tuple[str, str]:
    title = one_line(form.get("title"))
    intro = "\n".join(one_line(line) for line in str(form.get("intro") or "").splitlines()).strip()
    if not title:
        raise Invalid("请填写问卷名称，如“2026年创建全国文明城市市民问卷（第四季度）”。", code="title_required")
    if len(title) > TITLE_CHARS:
        raise Invalid(f"问卷名称不超过 {TITLE_CHARS} 字。", code="title_too_long")
    if len(intro) > INTRO_CHARS:
        raise Invalid(f"卷首语不超过 {INTRO_CHARS} 字。", code="intro_too_long")
    return title, intro


def create(user, form: Mapping, now: datetime) -> Survey:
    title, intro = _texts(form)
    questions = questionnaire.parse(form.get("questions"))
    survey = Survey(title=title, intro=intro, code=new_code(), created_at=now, created_by_id=user.id,
                    questions_json=json.dumps(questions, ensure_ascii=False), status="open", responses_count=0)
    db.session.add(survey)
    db.session.flush()
    return survey


def update_survey(survey: Survey, form: Mapping) -> Survey:
    """Name and 卷首语 at any time; the questions only while nobody has answered."""
    title, intro = _texts(form)
    questions = questionnaire.parse(form.get("questions"))
    if questions != survey.questions:
        if _count(survey) > 0:
            raise Conflict("已有市民答卷，题目和选项不能再修改（答卷按题号和选项记录）。如需调整，请另建一份问卷。",
                           code="survey_answered")
        survey.questions_json = json.dumps(questions, ensure_ascii=False)
    survey.title, survey.intro = title, intro
    db.session.flush()
    return survey


def set_open(survey: Survey, is_open: bool, now: datetime) -> Survey:
    survey.status = "open" if is_open else "closed"
    survey.closed_at = None if is_open else now
    db.session.flush()
    return survey


def remove(survey: Survey) -> None:
    """A questionnaire nobody answered (made by mistake) may go; one with answers is closed instead."""
    if _count(survey) > 0:
        raise Conflict("已有市民答卷的问卷不能删除，可以结束收集。", code="survey_answered")
    db.session.delete(survey)
    db.session.flush()


def _count(survey: Survey) -> int:
    return db.session.scalar(select(func.count()).where(SurveyResponse.survey_id == survey.id)) or 0


# ----------------------------------------------------------------------------- the public answer

def districts() -> list[str]:
    """What a resident picks as 所在区县: the districts of the city's active segments, or 全市 if none has one."""
    district = by_code_point(Segment.district)
    names = db.session.scalars(select(district).where(Segment.active.is_(True), Segment.district != "")
                               .distinct().order_by(district)).all()
    return list(names) or [WHOLE_CITY]


def has_answered(survey: Survey, device: str) -> bool:
    return db.session.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id,
                                                             SurveyResponse.device == device)) is not None


def admit(address: str, now: datetime) -> None:
    """Count one answer against its address and everyone (settings SURVEY_*); 429 when over. Generous per
    address: a carrier's NAT or a community centre's Wi-Fi puts many phones behind one."""
    config, hour = current_app.config, timedelta(hours=1)
    limits.take("survey-address-hour", address, int(config["SURVEY_ADDRESS_PER_HOUR"]), hour, now,
                "您所在网络提交的问卷过多，请稍后再试。")
    limits.take("survey-all-hour", "all", int(config["SURVEY_ALL_PER_HOUR"]), hour, now,
                "当前提交的问卷过多，请稍后再试。")


def read_answers(survey: Survey, form: Mapping) -> tuple[str, list[int]]:
    """(district, option numbers) from the page's form; the first question left out is named."""
    district = one_line(form.get("district"))
    if district not in districts():
        raise Invalid("请选择您所在的区（县）。", code="district_required")
    chosen = []
    for number, question in enumerate(survey.questions, 1):
        raw = str(form.get(f"q{number}") or "").strip()
        if not raw:
            raise Invalid(f"请回答第 {number} 题：{question['text']}", code="answer_required")
        options = {str(index): index for index in range(len(question["options"]))}
        if raw not in options:
            raise BadRequest(f"第 {number} 题的选项无效，请刷新页面后重新填写。", code="answer_invalid")
        chosen.append(options[raw])
    return district, chosen


def answer(survey: Survey, form: Mapping, device: str, address: str, now: datetime) -> SurveyResponse:
    if not survey.is_open:
        raise Conflict("本问卷已结束收集，感谢您的关注。", code="survey_closed")
    district, chosen = read_answers(survey, form)
    response = SurveyResponse(survey_id=survey.id, district=district, answers=",".join(map(str, chosen)),
                              device=device, address=address, submitted_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(response)
    except IntegrityError:
        raise AlreadyAnswered("您已提交过本问卷，每部手机只能填写一次。感谢您的参与！") from None
    db.session.execute(update(Survey).where(Survey.id == survey.id)
                       .values(responses_count=Survey.responses_count + 1)
                       .execution_options(synchronize_session=False))
    return response


# ----------------------------------------------------------------------------- results

@dataclass
class Tally:
    """One group of answers (a district, or the whole city): how many, and per question the count of each option."""
    name: str
    answers: int = 0
    options: list[list[int]] = field(default_factory=list)

    def rate(self, number: int, question: dict) -> float | None:
        """The share (0-100) of 肯定回答 to question `number` (0-based); None without a * option or answers."""
        if not question["positive"] or not self.answers:
            return None
        return 100 * sum(self.options[number][i] for i in question["positive"]) / self.answers

    def overall(self, questions: list[dict]) -> float | None:
        """综合肯定率: the mean of the questions' rates."""
        rates = [r for r in (self.rate(n, q) for n, q in enumerate(questions)) if r is not None]
        return sum(rates) / len(rates) if rates else None

    @property
    def small(self) -> bool:
        return 0 < self.answers < SMALL_SAMPLE


@dataclass
class Results:
    questions: list[dict]
    city: Tally
    districts: list[Tally]  # every district a resident could pick, those with no answer too

    def tally(self, name: str) -> Tally | None:
        """A district's tally (or 全市's) by name."""
        return self.city if name == WHOLE_CITY else next((t for t in self.districts if t.name == name), None)

    def lowest(self, number: int | None) -> str | None:
        """The district lagging most on question `number` (None: on the 综合), if it is at least LAG_POINTS below
        the city; only districts with a sample big enough take part."""
        def rate(tally: Tally) -> float | None:
            if number is None:
                return tally.overall(self.questions)
            return tally.rate(number, self.questions[number])

        rated = sorted((r, t.name) for t in self.districts if t.answers >= SMALL_SAMPLE
                       for r in [rate(t)] if r is not None)
        city = rate(self.city)
        if len(rated) < 2 or city is None or rated[0][0] > city - LAG_POINTS:
            return None
        return rated[0][1]


def results(survey: Survey) -> Results:
    """Answers grouped by (district, answers) in SQL: identical answer sheets, the common case, come back once.
    Each district's sheets are then counted a question at a time (Counter over the question's column, at C speed:
    a statement per answer and question made this the 领导看板's costliest card), and the city is their sum."""
    questions = survey.questions
    shape = [len(q["options"]) for q in questions]

    def empty(name: str) -> Tally:
        return Tally(name, 0, [[0] * n for n in shape])

    tallies = {name: empty(name) for name in districts()}
    sheets: dict[str, list[list[str]]] = {}
    rows = db.session.execute(select(SurveyResponse.district, SurveyResponse.answers, func.count())
                              .where(SurveyResponse.survey_id == survey.id)
                              .group_by(SurveyResponse.district, SurveyResponse.answers))
    for district, answers, count in rows:
        chosen = answers.split(",")[:len(shape)]
        sheets.setdefault(district, []).extend([chosen] * count)  # the same list, `count` times
    for district, chosen in sheets.items():
        tally = tallies.setdefault(district, empty(district))  # a district since retired keeps its answers
        tally.answers = len(chosen)
        for number, column in enumerate(zip_longest(*chosen)):
            for option, n in Counter(column).items():
                if option is not None and int(option) < shape[number]:
                    tally.options[number][int(option)] += n
    city = empty(WHOLE_CITY)
    for tally in tallies.values():
        city.answers += tally.answers
        for number, counts in enumerate(tally.options):
            city.options[number] = [a + b for a, b in zip(city.options[number], counts)]
    return Results(questions, city, sorted(tallies.values(), key=lambda t: t.name))


@dataclass
class Comparison:
    """This survey against the one before it (the latest earlier survey with answers), on the questions both ask
    (same wording, a * option in each): 较上期, in percentage points."""
    previous: Survey
    before: Results
    now: Results
    matched: dict[int, int]  # this survey's question number -> the previous one's

    def overall(self, name: str) -> float | None:
        """The change of a district's (or 全市's) mean rate over the shared questions."""
        current = _mean_rate(self.now, name, self.matched.keys())
        previous = _mean_rate(self.before, name, self.matched.values())
        return None if current is None or previous is None else current - previous

    @property
    def whole(self) -> bool:
        """Both surveys rate the same questions: the change over the shared ones is the 综合肯定率's own change."""
        def rated(questions) -> set[int]:
            return {n for n, q in enumerate(questions) if q["positive"]}
        return (set(self.matched) == rated(self.now.questions)
                and set(self.matched.values()) == rated(self.before.questions))

    @property
    def shared(self) -> str:
        """What 较上期 compares, where it is not the 综合 itself (the page's note, the card's line, the exports'
        column): 两期相同的 N 道题; "" when it is (whole). A 综合 of 47.0% 较上期 ↓50.9 read as the 综合's change when
        the previous 综合 was 83.2% and the one question both asked fell 50.9 points."""
        return "" if self.whole else f"两期相同的 {len(self.matched)} 道题"

    def question(self, number: int) -> float | None:
        """The change of the city's rate on question `number` (0-based), if the previous survey asked it."""
        if number not in self.matched:
            return None
        old = self.matched[number]
        current = self.now.city.rate(number, self.now.questions[number])
        previous = self.before.city.rate(old, self.before.questions[old])
        return None if current is None or previous is None else current - previous


def _mean_rate(results: Results, name: str, numbers) -> float | None:
    """The mean rate of a district (or 全市) over some of the questions; None without answers."""
    tally = results.tally(name)
    if tally is None or not tally.answers:
        return None
    rates = [r for r in (tally.rate(n, results.questions[n]) for n in numbers) if r is not None]
    return sum(rates) / len(rates) if rates else None


def compare(survey: Survey, now: Results) -> Comparison | None:
    previous = db.session.scalar(select(Survey).where(Survey.created_at < survey.created_at,
                                                      Survey.responses_count > 0)
                                 .order_by(Survey.created_at.desc(), Survey.id.desc()).limit(1))
    if previous is None:
        return None
    earlier = {q["text"]: n for n, q in enumerate(previous.questions) if q["positive"]}
    matched = {n: earlier[q["text"]] for n, q in enumerate(now.questions) if q["positive"] and q["text"] in earlier}
    if not matched:
        return None
    return Comparison(previous, results(previous), now, matched)


def summary_sheet(survey: Survey) -> tuple[list[str], list[list]]:
    """The results as a table: a row per district and one for the city, the rates in percent (one decimal)."""
    data = results(survey)
    against = compare(survey, data)
    rated = [(n, q) for n, q in enumerate(data.questions) if q["positive"]]
    change = f"{against.shared.replace(' ', '')}较上期(百分点)" if against else ""
    columns = ["区县", "有效答卷", *[f"第{n + 1}题肯定率(%)" for n, _ in rated], "综合肯定率(%)",
               *([change] if against else [])]

    def pct(value):
        return round_half_up(value, 1) if value is not None else ""

    def row(tally: Tally) -> list:
        return [tally.name, tally.answers, *[pct(tally.rate(n, q)) for n, q in rated],
                pct(tally.overall(data.questions)), *([pct(against.overall(tally.name))] if against else [])]
    return columns, [row(t) for t in data.districts] + [row(data.city)]


def responses_sheet(survey: Survey) -> tuple[list[str], list[list]]:
    """Every answer sheet, the options in words, oldest first."""
    questions = survey.questions
    columns = ["序号", "提交时间", "区县", *[f"第{n}题" for n in range(1, len(questions) + 1)]]
    rows = []
    for number, (submitted, district, answers) in enumerate(db.session.execute(
            select(SurveyResponse.submitted_at, SurveyResponse.district, SurveyResponse.answers)
            .where(SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id)), 1):
        chosen = [int(x) for x in answers.split(",")]
        rows.append([number, fmt(submitted), district,
                     *[q["options"][c] if c < len(q["options"]) else "" for q, c in zip(questions, chosen)]])
    return columns, rows

