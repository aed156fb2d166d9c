"""The questions as the office types them, and the usual questionnaire to start from.

One block per question, blocks apart by a blank line: the first line is the question, each further line one option.
An option starting with * (or ＊) is a 肯定回答: it counts towards the question's rate (知晓率, 支持率, 满意率...).
A question with no * is still asked and tallied, without a rate.
"""
from __future__ import annotations

import re

from ..common.errors import Invalid

MAX_QUESTIONS = 30
MIN_OPTIONS, MAX_OPTIONS = 2, 8
QUESTION_CHARS, OPTION_CHARS = 200, 40
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[.、．)）]|[（(]\d{1,2}[)）])\s*")  # "3." "3、" "(3)": pasted numbering
_STAR = ("*", "＊")

DEFAULT_INTRO = ("为了解广大市民对创建全国文明城市工作的知晓、支持和满意程度，市文明办开展本次问卷调查。"
                 "问卷不记录您的姓名和电话，约需2分钟，感谢您的支持！")
_SATISFIED = ["*满意", "*比较满意", "一般", "不满意", "不了解"]
DEFAULT = [
    ("您是否知道本市正在创建全国文明城市？", ["*知道", "不知道"]),
    ("您是否支持本市创建全国文明城市？", ["*支持", "无所谓", "不支持"]),
    ("您是否参加过创建文明城市的活动（如志愿服务、文明劝导、环境清扫）？", ["*参加过", "没有参加过"]),
    ("您对本市的市容环境卫生是否满意？", _SATISFIED),
    ("您对本市的交通秩序和文明出行状况是否满意？", _SATISFIED),
    ("您对农贸市场的环境卫生和经营秩序是否满意？", _SATISFIED),
    ("您对所住小区（含老旧小区）的环境和管理是否满意？", _SATISFIED),
    ("您对车站、公园、广场等公共场所的秩序是否满意？", _SATISFIED),
    ("您对政务大厅、医院、银行等窗口单位的服务是否满意？", _SATISFIED),
    ("您对本市的社会治安状况是否满意？", _SATISFIED),
    ("您对本市创建全国文明城市工作的总体评价是？", _SATISFIED),
]


def default_text() -> str:
    return "\n\n".join("\n".join([question, *options]) for question, options in DEFAULT)


def parse(text: str | None) -> list[dict]:
    """The office's text as questions: [{"text", "options", "positive"}]. Invalid (422) names the question at fault."""
    blocks = [[line.strip() for line in block.splitlines() if line.strip()]
              for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n"))]
    blocks = [block for block in blocks if block]
    if not blocks:
        raise Invalid("请填写问卷题目：每题一段，第一行是题目，下面每行一个选项。", code="no_questions")
    if len(blocks) > MAX_QUESTIONS:
        raise Invalid(f"问卷最多 {MAX_QUESTIONS} 题，现有 {len(blocks)} 题。", code="too_many_questions")
    questions = []
    for number, (head, *lines) in enumerate(blocks, 1):
        text = _NUMBERING.sub("", head).strip()
        where = f"第 {number} 题（{text[:20]}）"
        if len(text) > QUESTION_CHARS:
            raise Invalid(f"{where}题目超过 {QUESTION_CHARS} 字。", code="question_too_long")
        if text.startswith(_STAR):
            raise Invalid(f"第 {number} 题的第一行应是题目，不能以 * 开头；题目与上一题之间请空一行。",
                          code="question_starts_with_star")
        options, positive = [], []
        for line in lines:
            marked = line.startswith(_STAR)
            option = line.lstrip("*＊ ").strip() if marked else line
            if not option:
                raise Invalid(f"{where}有一个只有 * 的空选项。", code="empty_option")
            if len(option) > OPTION_CHARS:
                raise Invalid(f"{where}的选项“{option[:20]}…”超过 {OPTION_CHARS} 字。", code="option_too_long")
            if option.endswith(("？", "?")):
                raise Invalid(f"{where}的选项“{option[:20]}”像是下一题的题目：题与题之间请空一行。",
                              code="question_in_options")
            if option in options:
                raise Invalid(f"{where}的选项“{option}”重复。", code="duplicate_option")
            if marked:
                positive.append(len(options))
            options.append(option)
        if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            raise Invalid(f"{where}应有 {MIN_OPTIONS} 到 {MAX_OPTIONS} 个选项（每行一个），现有 {len(options)} 个。",
                          code="option_count")
        if len(positive) == len(options):
            raise Invalid(f"{where}的选项都标了 *，肯定率将总是 100%；请只标肯定回答。", code="all_positive")
        questions.append({"text": text, "options": options, "positive": positive})
    return questions


def to_text(questions: list[dict]) -> str:
    """The questions back as the office typed them."""
    return "\n\n".join("\n".join([q["text"], *(("*" if i in q["positive"] else "") + option
                                                for i, option in enumerate(q["options"]))])
                       for q in questions)
