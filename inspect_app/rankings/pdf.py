"""The published 红黑榜 as a GB/T 9704-style 通报 (reportlab, bundled Chinese font embedded).

Built only from the immutable snapshot (Ranking, its entries and stored typical cases), so the same list always
gives the same document. Variant "full" (office, leaders, inspectors) has the typical cases with photos;
"public" (责任单位) leaves out other units' problems and photos.
"""
from __future__ import annotations

import os
from datetime import date
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table

from ..common.timeutil import fmt, local
from ..pdf import (
    PHOTO_MISSING,
    TEXT_WIDTH,
    body_paragraph,
    build_pdf,
    data_table,
    register_fonts,
    section_heading,
    thumbnail_flowable,
)
from ..pdf.official import grid_style, official_story
from ..photos.storage import PhotoStore
from . import scoring
from .periods import parse_period

RED = colors.HexColor("#C8161D")
BLACK = colors.HexColor("#333333")
NEUTRAL = colors.HexColor("#7A8CA5")
GRID = colors.HexColor("#BBBBBB")
ROW_H = 4.2 * mm
CHART_TOP = CHART_BOTTOM = 8 * mm
NOTES = (
    "应结案数：本期内处置期限（含经批准延期后的期限）届满、已派遣且未作废的问题数。",
    "结案数：其中已核查结案的问题数；按期结案数：其中整改反馈时间不晚于处置期限的已结案问题数（返工后重新整改的以最后一次整改时间为准）。",
    "返工数：被退回返工的次数之和；延期数：经批准延期的问题数。",
    "超期未结数：超过处置期限仍处于待派遣、待整改或退单待审状态的问题数；已整改待核查的问题不计入超期未结，但逾期整改的不计为按期结案。",
    "督办数：被发督办函（督办级别1级及以上）的问题数；挂牌数：被挂牌督办或约谈（2级及以上）的问题数。",
    "排名：按综合得分从高到低，得分相同的按期结案率高者在前，再相同的超期未结数少者在前，再按单位编码排列。",
)


def _styles(fonts) -> dict[str, ParagraphStyle]:
    note = ParagraphStyle("rk_note", fontName=fonts.body, fontSize=11, leading=16, wordWrap="CJK",
                          firstLineIndent=22)
    return {
        "note": note,
        "formula": ParagraphStyle("rk_formula", parent=note, fontName=fonts.heading, fontSize=12.5, leading=19,
                                  firstLineIndent=0, leftIndent=10, rightIndent=10, backColor=colors.HexColor("#F4F4F4"),
                                  borderPadding=(5, 6, 5, 6), spaceBefore=4, spaceAfter=10),
        "small": ParagraphStyle("rk_small", parent=note, fontSize=10, leading=14, firstLineIndent=0),
        "cell": ParagraphStyle("rk_cell", fontName=fonts.body, fontSize=9, leading=12, wordWrap="CJK"),
        "h3": ParagraphStyle("rk_h3", fontName=fonts.heading, fontSize=12.5, leading=19, spaceBefore=6,
                             keepWithNext=1),
    }


def _fmt_rate(value: float) -> str:
    return scoring.pct(value)


def _unit_table(entries: list[dict], fonts, styles) -> Flowable:
    """Like pdf.data_table (grid, grey header repeated on every page), but the figures are plain strings,
    which reportlab lays out without the CJK line breaker: only unit names and reasons wrap. With 80 rows
    this halves the PDF's build time."""
    header = ["名次", "责任单位", "得分", "应结案", "按期\n结案率", "结案率", "返工", "督办/\n挂牌", "理由"]
    widths = [10 * mm, 32 * mm, 15.5 * mm, 13.5 * mm, 13.5 * mm, 13.5 * mm, 10 * mm, 12 * mm, 36 * mm]
    data: list[list] = [header]
    for e in entries:
        f = e["figures"]
        data.append([
            str(e["rank"]) if e["rank"] else "—", Paragraph(escape(e["unit_name"]), styles["cell"]),
            f"{e['score']:.2f}", str(f["due"]), _fmt_rate(f["on_time_rate"]), _fmt_rate(f["closed_rate"]),
            str(f["rework"]), f"{f['supervised']}/{f['listed']}", Paragraph(escape(e["reason"]), styles["cell"]),
        ])
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="CENTER", spaceBefore=4, spaceAfter=8)
    table.setStyle(grid_style(fonts.body, 9, 11))
    return table


class ScoreChart(Drawing):
    """Horizontal bars of scores, one row per unit in rank order, with the list thresholds marked."""

    def __init__(self, entries: list[dict], rules: dict, fonts, *, first: bool) -> None:  # noqa: C901
        label_w, top, bottom = 40 * mm, CHART_TOP, CHART_BOTTOM
        height = top + bottom + ROW_H * len(entries)
        super().__init__(TEXT_WIDTH, height)
        self.initialFontName, self.initialFontSize = fonts.body, 7  # else the renderer selects Helvetica
        bar_x, bar_w = label_w + 2 * mm, TEXT_WIDTH - label_w - 12 * mm
        font = fonts.body

        def x_of(score: float) -> float:
            return bar_x + bar_w * max(0.0, min(100.0, score)) / 100

        y_axis = bottom
        for tick in range(0, 101, 10):
            x = x_of(tick)
            self.add(Line(x, y_axis, x, height - top + 2, strokeColor=GRID, strokeWidth=0.3))
            self.add(String(x, y_axis - 9, str(tick), fontName=font, fontSize=7, textAnchor="middle"))
        for i, e in enumerate(entries):
            y = height - top - ROW_H * (i + 1)
            color = RED if e["list_name"] == "red" else BLACK if e["list_name"] == "black" else NEUTRAL
            name = f"{e['rank']}. {e['unit_name']}"
            while stringWidth(name, font, 7) > label_w and len(name) > 4:
                name = name[:-2] + "…"
            self.add(String(label_w, y + ROW_H * 0.3, name, fontName=font, fontSize=7, textAnchor="end"))
            self.add(Rect(bar_x, y + ROW_H * 0.15, max(0.4, x_of(e["score"]) - bar_x), ROW_H * 0.7,
                          fillColor=color, strokeColor=None))
            self.add(String(x_of(e["score"]) + 1.5, y + ROW_H * 0.3, f"{e['score']:.1f}", fontName=font,
                            fontSize=6.5))
        for threshold, color, label in ((rules["red"]["min_score"], RED, "红榜线"),
                                        (rules["black"]["max_score"], BLACK, "黑榜线")):
            x = x_of(threshold)
            self.add(Line(x, y_axis, x, height - top + 2, strokeColor=color, strokeWidth=0.9,
                          strokeDashArray=[3, 2]))
            self.add(String(x, height - top + 4, f"{label} {threshold:g}", fontName=font, fontSize=7,
                            fillColor=color, textAnchor="middle"))
        if first:
            legend_y = 1.5
            for k, (color, label) in enumerate(((RED, "红榜"), (BLACK, "黑榜"), (NEUTRAL, "其他参与排名单位"))):
                lx = bar_x + k * 30 * mm
                self.add(Rect(lx, legend_y - 1, 6, 6, fillColor=color, strokeColor=None))
                self.add(String(lx + 8, legend_y, label, fontName=font, fontSize=7))


class ScoreChartFlow(Flowable):
    """The score chart as a flowable that splits between pages by rows, so it fills the page it starts on."""

    MIN_ROWS = 6

    def __init__(self, entries: list[dict], rules: dict, fonts, *, first: bool = True) -> None:
        super().__init__()
        self.entries, self.rules, self.fonts, self.first = entries, rules, fonts, first

    def _height(self, rows: int) -> float:
        return CHART_TOP + CHART_BOTTOM + ROW_H * rows

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width, self.height = TEXT_WIDTH, self._height(len(self.entries))
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        rows = int((availHeight - CHART_TOP - CHART_BOTTOM) // ROW_H)
        if rows >= len(self.entries):
            return [self]
        if rows < self.MIN_ROWS:
            return []  # start on the next page
        return [ScoreChartFlow(self.entries[:rows], self.rules, self.fonts, first=self.first),
                ScoreChartFlow(self.entries[rows:], self.rules, self.fonts, first=False)]

    def draw(self) -> None:
        from reportlab.graphics import renderPDF

        renderPDF.draw(ScoreChart(self.entries, self.rules, self.fonts, first=self.first), self.canv, 0, 0)


def _photo(root: str | None, key: str | None, fonts, styles) -> Flowable:
    if not key or not root:
        return Paragraph(PHOTO_MISSING, styles["small"])
    try:
        path = PhotoStore(root).path(key, thumb=True)
    except ValueError:
        return Paragraph(PHOTO_MISSING, styles["small"])
    return thumbnail_flowable(path, 37, 28, fonts=fonts)


def _case_text(case: dict, styles, black: bool, with_number: bool = True) -> Paragraph:
    lines = [f"<b>{escape(case['category'])}</b>"]
    if case.get("address"):
        lines.append(escape(case["address"]))
    if with_number:
        lines.append(f"编号：{escape(case['number'])}")
    lines.append(f"发现：{fmt(_dt(case['reported_at']))}")
    lines.append(f"期限：{fmt(_dt(case['deadline']))}")
    if black:
        level = {1: "督办", 2: "挂牌督办", 3: "约谈"}.get(case["escalation_level"], "")
        lines.append(f"已超期{case['days_overdue']}天" + (f"，{level}中" if level else ""))
    else:
        lines.append(f"整改：{fmt(_dt(case['rectified_at']))}")
    return Paragraph("<br/>".join(lines), styles["cell"])


def _dt(iso: str | None):
    from ..common.timeutil import parse_iso
    return parse_iso(iso) if iso else None


def _cases(cases: list[dict], root: str | None, fonts, styles) -> list[Flowable]:
    story: list[Flowable] = []
    red = [c for c in cases if c["list"] == "red"]
    black = [c for c in cases if c["list"] == "black"]
    if red:
        story.append(Paragraph("（一）红榜单位整改案例（整改前后对比）", styles["h3"]))
        rows = [[Paragraph(escape(c["unit_name"]), styles["cell"]), _case_text(c, styles, False),
                 _photo(root, c["before"], fonts, styles), _photo(root, c["after"], fonts, styles)] for c in red]
        story.append(data_table(["责任单位", "问题", "整改前", "整改后"], rows,
                                [30 * mm, 46 * mm, 40 * mm, 40 * mm], fonts))
    if black:
        story.append(Paragraph("（二）黑榜单位超期未整改问题", styles["h3"]))
        rows = [[Paragraph(escape(c["unit_name"]), styles["cell"]), _case_text(c, styles, True),
                 _photo(root, c["before"], fonts, styles)] for c in black]
        story.append(data_table(["责任单位", "问题", "现场照片"], rows, [34 * mm, 80 * mm, 42 * mm], fonts))
    if not story:
        story.append(body_paragraph("本期无可展示的典型案例。", fonts))
    return story


def render_ranking_pdf(ranking, out: str | os.PathLike[str] | BinaryIO, *, variant: str = "full",
                       photo_root: str | None = None) -> None:
    """Write the published list `ranking` (a models.Ranking) as PDF to `out` (path or binary file)."""
    fonts = register_fonts()
    styles = _styles(fonts)
    period = parse_period(ranking.period)
    rules = ranking.rules
    summary = ranking.summary
    entries = [{"rank": e.rank, "unit_name": e.unit_name, "score": e.score, "figures": e.figures,
                "reason": e.reason, "list_name": e.list_name, "insufficient": e.insufficient}
               for e in ranking.entries]
    red = [e for e in entries if e["list_name"] == "red"]
    black = sorted((e for e in entries if e["list_name"] == "black"),
                   key=lambda e: (e["rank"] is None, -(e["rank"] or 0), e["unit_name"]))
    ranked = [e for e in entries if e["rank"] is not None]
    insufficient = [e for e in entries if e["insufficient"]]
    totals = summary.get("totals", {})
    published = local(ranking.published_at).date()
    last_day: date = period.last_day
    version = f"（第{ranking.version}版）" if ranking.version > 1 else ""
    title = f"关于{period.short_label}问题整改红黑榜的通报{version}"

    body: list[Flowable | str] = [
        f"根据文明城市创建问题整改考评办法，现将{period.label}（{period.first_day.month}月{period.first_day.day}日至"
        f"{last_day.month}月{last_day.day}日）各责任单位问题整改情况及红黑榜通报如下。本期共{summary.get('units', 0)}个"
        f"单位参评，其中{summary.get('ranked', 0)}个单位参与排名、{summary.get('insufficient', 0)}个单位样本不足；"
        f"应结案问题{totals.get('due', 0)}件，结案{totals.get('closed', 0)}件，按期结案{totals.get('on_time', 0)}件，"
        f"按期结案率{_fmt_rate(totals.get('on_time_rate', 0))}。",
        section_heading("一、评价办法", fonts),
        Paragraph(escape(ranking.formula_text), styles["formula"]),
        Paragraph(escape(_list_rule_text(rules)), styles["note"]),
        Paragraph("说明：", styles["note"]),
        *[Paragraph(escape(f"{i}. {n}"), styles["note"]) for i, n in enumerate(NOTES, start=1)],
        Paragraph(escape(f"数据截至{_cn_datetime(ranking.as_of)}。"), styles["note"]),
        Spacer(1, 6),
        CondPageBreak(60 * mm),
        section_heading(f"二、红榜（{len(red)}个单位）", fonts),
        _unit_table(red, fonts, styles) if red else body_paragraph("本期无单位达到红榜标准。", fonts),
        CondPageBreak(60 * mm),
        section_heading(f"三、黑榜（{len(black)}个单位）", fonts),
        _unit_table(black, fonts, styles) if black else body_paragraph("本期无单位列入黑榜。", fonts),
        CondPageBreak(50 * mm),
        section_heading("四、综合得分排名", fonts),
    ]
    if ranked:
        # The spacer ends the heading's keep-with-next group (which only splits tables and paragraphs); the
        # CondPageBreak above keeps the heading from being stranded at the foot of a page.
        body.append(Spacer(1, 2))
        body.append(ScoreChartFlow(ranked, rules, fonts))
        body.append(Spacer(1, 4))
    else:
        body.append(body_paragraph("本期无参与排名的单位。", fonts))
    body.append(CondPageBreak(70 * mm))
    body.append(section_heading("五、典型案例", fonts))
    if variant == "full":
        body += _cases(ranking.cases, photo_root, fonts, styles)
    else:
        body.append(body_paragraph("典型案例及现场照片由文明办另行通报，本版本不含其他单位的问题详情。", fonts))
    body.append(section_heading("六、样本不足单位", fonts))
    if insufficient:
        names = "、".join(f"{e['unit_name']}（{e['figures']['due']}件）" for e in insufficient)
        body.append(Paragraph(escape(f"以下{len(insufficient)}个单位本期应结案问题少于{rules['min_sample']}件，"
                                     f"不参与排名（括号内为应结案数）：{names}。"), styles["note"]))
    else:
        body.append(body_paragraph("无。", fonts))
    body.append("请红榜单位总结推广经验。黑榜单位要对照问题清单立即整改，于通报之日起5个工作日内将整改情况书面报送文明办。")

    story = official_story(banner=ranking.office, doc_number=None, title=title, recipient="各责任单位",
                           body=body, signoff_office=ranking.office, signoff_date=published, fonts=fonts)
    build_pdf(out, story, title=title, author=ranking.office, fonts=fonts)


def _cn_datetime(value) -> str:
    moment = local(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def _list_rule_text(rules: dict) -> str:
    return (f"红榜：综合得分不低于{rules['red']['min_score']:g}分且无挂牌督办问题的单位，按排名取前{rules['red']['size']}个；"
            f"黑榜：综合得分低于{rules['black']['max_score']:g}分的单位，按排名取后{rules['black']['size']}个，"
            f"另有挂牌督办问题的单位一律列入黑榜；应结案数少于{rules['min_sample']}件的单位列为样本不足，不参与排名。")

