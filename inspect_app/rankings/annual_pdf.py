"""The year's result as a 通报 draft (年度考评结果通报, 草稿) in the 文件格式 of GB/T 9704-2012.

Built from the year summary (annual.py), that is from the monthly lists as published: the method, each group's
units by their average (the table the office would otherwise type from the spreadsheet), the units on the red and
on the black list more than once, the office's requests, and an attachment with every unit's score month by
month. It is a draft for the leaders to approve (草稿 on every page, no number, no seal): the year-end result is
adopted at a meeting, then numbered and sealed when it is issued.
"""
from __future__ import annotations

from datetime import date

from reportlab.lib.units import mm

from ..common.numbers import fixed
from ..pdf import TEXT_WIDTH
from ..pdf.document import Attachment, Column, DataTable, Heading, OfficialDocument, Para, RowGroup
from ..pdf.drafts import circular_draft, render_pdf, setting
from . import scoring
from .annual import METHOD, UnitYear, YearSummary, early_text, months_text, scheme_notes
from .pdf import CN_NUMBERS

REPEATED = 2  # on a list this many times or more: named in the text

YEAR_COLUMNS = (
    Column("组内\n名次", 12, "plain"), Column("责任单位", 50, "label"), Column("参与排名\n月数", 18, "plain"),
    Column("全年\n平均分", 19, "plain"), Column("全年发现\n问题", 19, "plain"), Column("列入\n红榜", 19, "plain"),
    Column("列入\n黑榜", 19, "plain"),
)


def _ranked(members: list[UnitYear]) -> list[UnitYear]:
    return [u for u in members if u.average is not None]


def _named(units: list[UnitYear], count) -> str:
    return "、".join(f"{u.name}（{count(u)}次）" for u in units)


NAMED_TIES = 3  # units tied at the top or bottom named in full up to this many, else the first few and 等


def _tied(units: list[UnitYear]) -> str:
    """The names of tied units, the first NAMED_TIES of them: "甲、乙、丙"."""
    return "、".join(u.name for u in units[:NAMED_TIES])


def _extreme(units: list[UnitYear], word: str, subject: str = "全年平均分") -> str:
    """The unit(s) with the highest (word 最高) or lowest (最低) average of a group, all of them when tied: one is
    named, two or three are all named, more are counted and the first three named. `subject` leads the phrase
    ("" for the second half of a sentence that already said 全年平均分)."""
    average = f"{units[0].average:.2f}分"
    if len(units) == 1:
        return f"{subject}{word}的是{units[0].name}（{average}）"
    if len(units) <= NAMED_TIES:
        return f"{subject}并列{word}的是{_tied(units)}（均为{average}）"
    return f"{len(units)}个单位{subject}并列{word}（{average}），如{_tied(units)}等"


def extremes_text(listed: list[UnitYear]) -> str:
    """The highest and the lowest of a group's ranked units (in rank order), every tied unit counted: "全年平均分
    最高的是甲（98.25分），最低的是乙（96.50分）"; "19个单位全年平均分并列最高（100.00分），如甲、乙、丙等，…";
    when all have the same average, that it is the same."""
    top = [u for u in listed if u.average == listed[0].average]
    if len(top) == len(listed):
        if len(listed) == 1:
            return _extreme(top, "最高")
        return f"全年平均分均为{listed[0].average:.2f}分"
    bottom = [u for u in listed if u.average == listed[-1].average]
    return f"{_extreme(top, '最高')}，{_extreme(bottom, '最低', '')}"


def _group_table(members: list[UnitYear]) -> DataTable:
    return DataTable(YEAR_COLUMNS, rows=[[str(u.rank), u.name, str(u.ranked_months), f"{u.average:.2f}",
                                          str(u.found), str(u.red or ""), str(u.black or "")]
                                         for u in _ranked(members)], font_size=9.5)


def _monthly_table(summary: YearSummary) -> DataTable:
    """Every unit ranked at least once, each published month's score; 红/黑 under a score on that month's list."""
    months = summary.months
    name_w = 44.0
    month_w = min(14.0, (TEXT_WIDTH / mm - name_w) / len(months))
    columns = [Column("责任单位", name_w, "label")] + [Column(f"{m}月", month_w, "plain") for m in months]

    def cell(u: UnitYear, m: int) -> str:
        score = u.scores[m - 1]
        if score is None:
            return "—"
        mark = {"red": "\n红", "black": "\n黑"}.get(u.lists[m - 1] or "", "")
        return f"{fixed(score)}{mark}"

    groups = [RowGroup(group, [[u.name] + [cell(u, m) for m in months] for u in _ranked(members)])
              for group, members in summary.groups if _ranked(members)]
    return DataTable(columns, groups=groups, font_size=8 if len(months) > 9 else 9)


def year_document(summary: YearSummary, today: date) -> OfficialDocument:
    """The 通报 draft for `summary` (a year with at least one published month), dated `today`."""
    year, months = summary.year, summary.months
    short = setting("OFFICE_SHORT_NAME")
    everyone = [u for _, members in summary.groups for u in members]
    ranked = [u for u in everyone if u.average is not None]
    groups = [(name, members) for name, members in summary.groups if _ranked(members)]
    found = summary.found  # each month's problems once each, not once per unit answering for them
    missing = ("" if months[-1] == 12 else
               f"，{months[-1] + 1}月{'' if months[-1] == 11 else '至12月'}的月榜尚未发布，本通报据已发布的月榜汇总")
    early = early_text(summary)  # a month published before it ended counts only as far as its list
    body: list = [
        Para(f"根据文明城市创建问题整改考评办法，{short}{year}年按月对各责任单位问题整改情况进行考评，共发布月榜"
             f"{len(months)}期（{months_text(months)}）{f'，其中{early}' if early else ''}{missing}。"
             f"现将{year}年度考评结果通报如下。"),
        Para(f"全年共有{len(ranked)}个单位参与排名，分{'、'.join(name for name, _ in groups)}{len(groups)}组；"
             f"各期月榜共发现问题{found}件，累计{sum(u.red for u in everyone)}个单位次列入红榜、"
             f"{sum(u.black for u in everyone)}个单位次列入黑榜。"),
        Heading("一、考评办法"),
        Para(METHOD),
        # a group whose months were scored under different schemes (the 区县 given a scheme of their own mid-year)
        *[Para(note) for note in scheme_notes(summary)],
        Heading("二、年度考评结果"),
    ]
    for i, (name, members) in enumerate(groups):
        listed = _ranked(members)
        text = f"本组{len(listed)}个单位参与排名，{extremes_text(listed)}"
        clean = sum(1 for u in listed if not u.found)
        if clean:
            text += f"；{'其中' if clean < len(listed) else ''}{clean}个单位全年未被发现问题"
        body += [Heading(f"（{CN_NUMBERS[i % 10]}）{name}", level=2), Para(text + "。"), _group_table(members)]
    # named under the reasons their monthly lists stored, as the monthly 通报 names them
    never = [([r for r in u.reasons if r is not None], u.name) for u in everyone if u.average is None]
    for why, names in scoring.unranked_all_year(never):
        body.append(Para(f"以下{len(names)}个单位{why}：{'、'.join(names)}。"))
    red = sorted((u for u in ranked if u.red >= REPEATED), key=lambda u: (-u.red, u.rank or 0, u.name))
    black = sorted((u for u in ranked if u.black >= REPEATED), key=lambda u: (-u.black, -(u.rank or 0), u.name))
    body += [
        Heading("三、红黑榜情况"),
        Para(f"全年{REPEATED}次及以上列入红榜的单位：{_named(red, lambda u: u.red)}。" if red
             else f"全年没有单位{REPEATED}次及以上列入红榜。"),
        Para(f"全年{REPEATED}次及以上列入黑榜的单位：{_named(black, lambda u: u.black)}。" if black
             else f"全年没有单位{REPEATED}次及以上列入黑榜。"),
        Heading("四、工作要求"),
        Para("各单位要对照年度考评结果和各期月榜问题清单，认真总结全年问题整改工作，巩固整改成果，防止问题回潮。"
             "名次靠后的单位要深入查找责任落实、巡查发现和整改时效等方面的差距，制定改进措施。"),
    ]
    if black:
        body.append(Para(f"全年{REPEATED}次及以上列入黑榜的单位，要于通报之日起10个工作日内将问题原因分析和整改措施"
                         f"书面报送{short}。"))
    body.append(Para("特此通报。"))
    return circular_draft(
        f"关于{year}年度文明城市创建问题整改考评结果的通报", ["各责任单位"], body,
        # one month: the body's tables already say everything
        [Attachment(f"各责任单位{year}年各月考评得分", [
            Para("表中为各单位参与排名月份的月榜得分，各月取最新发布的版本；“红”“黑”为当月列入红榜、黑榜，"
                 f"“—”为当月未参与排名{f'；{early}' if early else ''}。", indent=False),
            _monthly_table(summary)])] if len(months) > 1 else [],
        today)


def render_year_pdf(summary: YearSummary, today: date) -> bytes:
    return render_pdf(year_document(summary, today))
