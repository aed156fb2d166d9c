"""The published 红黑榜 as a 通报 in the 文件格式 of GB/T 9704-2012 (see inspect_app/pdf/render.py).

Built only from the immutable snapshot (Ranking, its entries and stored typical cases), so the same list always
gives the same document. Variant "full" (office, leaders, inspectors) has the typical cases with photos;
"public" (责任单位) leaves out other units' problems and photos. The 文号 is left blank in its series
(BULLETIN_NUMBER_PREFIX) until lists are numbered; 版记 with 报, 抄送 and 印发 closes the last page.
"""
from __future__ import annotations

import os
from datetime import date
from typing import BinaryIO
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph

from ..common.timeutil import fmt, local
from ..config import Config
from ..pdf import TEXT_WIDTH
from ..pdf.document import (
    Column,
    DataTable,
    Form,
    Heading,
    OfficialDocument,
    Para,
    Photo,
    Raw,
    Seal,
)
from ..pdf.fonts import document_fonts, markup
from ..pdf.official import TEXT_HEIGHT
from ..pdf.render import LINE, render_document
from ..pdf.text import one_line
from ..photos.storage import PhotoStore
from . import scoring
from .periods import parse_period

RED = colors.HexColor("#C8161D")
BLACK = colors.HexColor("#333333")
NEUTRAL = colors.HexColor("#7A8CA5")
GRID = colors.HexColor("#BBBBBB")
ROW_H = 4.2 * mm
MIN_ROW_H = 3.0 * mm
CHART_TOP = CHART_BOTTOM = 8 * mm
CHART_MAX_H = TEXT_HEIGHT - 2.5 * LINE  # a chart and the heading above it fit one page
NOTES = (
    "应结案数：本期内处置期限（含经批准延期后的期限）届满、已派遣且未作废的问题数。",
    "结案数：其中已核查结案的问题数；按期结案数：其中整改反馈时间不晚于处置期限的已结案问题数（返工后重新整改的以最后一次整改时间为准）。",
    "返工数：被退回返工的次数之和；延期数：经批准延期的问题数。",
    "超期未结数：超过处置期限仍处于待派遣、待整改或退单待审状态的问题数；已整改待核查的问题不计入超期未结，但逾期整改的不计为按期结案。",
    "督办数：被发督办函（督办级别1级及以上）的问题数；挂牌数：被挂牌督办或约谈（2级及以上）的问题数。",
    "排名：按综合得分从高到低，得分相同的按期结案率高者在前，再相同的超期未结数少者在前，再按单位编码排列。",
)


def _setting(name: str):
    if has_app_context() and current_app.config.get(name) is not None:
        return current_app.config[name]
    return getattr(Config, name)


def _styles(fonts) -> dict[str, ParagraphStyle]:
    note = ParagraphStyle("rk_note", fontName=fonts.body, fontSize=12, leading=19, wordWrap="CJK",
                          firstLineIndent=24)
    return {
        "note": note,
        "formula": ParagraphStyle("rk_formula", parent=note, fontName=fonts.heading, fontSize=12.5, leading=19,
                                  firstLineIndent=0, leftIndent=10, rightIndent=10, backColor=colors.HexColor("#F4F4F4"),
                                  borderPadding=(5, 6, 5, 6), spaceBefore=4, spaceAfter=10),
        "small": ParagraphStyle("rk_small", parent=note, fontSize=10, leading=14, firstLineIndent=0),
        "cell": ParagraphStyle("rk_cell", fontName=fonts.role("song"), fontSize=9, leading=12, wordWrap="CJK"),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text, style.fontName), style)


def _fmt_rate(value: float) -> str:
    return scoring.pct(value)


UNIT_COLUMNS = (
    Column("名次", 10, "plain"), Column("责任单位", 32, "label"), Column("得分", 15.5, "plain"),
    Column("应结案", 13.5, "plain"), Column("按期\n结案率", 13.5, "plain"), Column("结案率", 13.5, "plain"),
    Column("返工", 10, "plain"), Column("督办/\n挂牌", 12, "plain"), Column("理由", 36, "text"),
)


def _unit_table(entries: list[dict]) -> DataTable:
    """Figures as plain cells (no line breaker: fast); unit names kept whole where they fit, reasons wrap."""
    rows = []
    for e in entries:
        f = e["figures"]
        rows.append([str(e["rank"]) if e["rank"] else "—", e["unit_name"], f"{e['score']:.2f}", str(f["due"]),
                     _fmt_rate(f["on_time_rate"]), _fmt_rate(f["closed_rate"]), str(f["rework"]),
                     f"{f['supervised']}/{f['listed']}", e["reason"]])
    return DataTable(UNIT_COLUMNS, rows=rows, font_size=9)


class ScoreChart(Drawing):
    """Horizontal bars of scores, one row per unit in rank order, with the list thresholds marked."""

    def __init__(self, entries: list[dict], rules: dict, fonts, *, first: bool,
                 row_h: float = ROW_H) -> None:
        label_w, top, bottom = 40 * mm, CHART_TOP, CHART_BOTTOM
        height = top + bottom + row_h * len(entries)
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
            y = height - top - row_h * (i + 1)
            color = RED if e["list_name"] == "red" else BLACK if e["list_name"] == "black" else NEUTRAL
            name = f"{e['rank']}. {e['unit_name']}"
            while stringWidth(name, font, 7) > label_w and len(name) > 4:
                name = name[:-2] + "…"
            self.add(String(label_w, y + row_h * 0.3, name, fontName=font, fontSize=7, textAnchor="end"))
            self.add(Rect(bar_x, y + row_h * 0.15, max(0.4, x_of(e["score"]) - bar_x), row_h * 0.7,
                          fillColor=color, strokeColor=None))
            self.add(String(x_of(e["score"]) + 1.5, y + row_h * 0.3, f"{e['score']:.1f}", fontName=font,
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


def score_charts(ranked: list[dict], rules: dict, fonts) -> list[Flowable]:
    """The score chart, never cut across pages: rows are made narrower (down to MIN_ROW_H) so the chart fits
    one page; a list longer than that becomes several complete charts, each with its axis and lines."""
    usable = CHART_MAX_H - CHART_TOP - CHART_BOTTOM
    row_h = ROW_H if len(ranked) * ROW_H <= usable else max(MIN_ROW_H, usable / len(ranked))
    per_chart = max(1, int(usable // row_h))
    return [ScoreChart(ranked[i:i + per_chart], rules, fonts, first=i == 0, row_h=row_h)
            for i in range(0, len(ranked), per_chart)]


def _photo(root: str | None, key: str | None) -> Photo:
    if not key or not root:
        return Photo(None, 37, 28)
    try:
        return Photo(PhotoStore(root).display_path(key), 37, 28)  # the stamped copy: when, where, who
    except ValueError:
        return Photo(None, 37, 28)


def _case_text(case: dict, styles, black: bool, with_number: bool = True) -> Paragraph:
    font = styles["cell"].fontName
    lines = [f"<b>{markup(one_line(case['category']), font)}</b>"]
    if case.get("address"):
        lines.append(markup(one_line(case["address"]), font))
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


def _cases(cases: list[dict], root: str | None, fonts, styles) -> list:
    blocks: list = []
    red = [c for c in cases if c["list"] == "red"]
    black = [c for c in cases if c["list"] == "black"]
    if red:
        blocks.append(Heading("（一）红榜单位整改案例（整改前后对比）", level=2))
        columns = (Column("责任单位", 30, "label"), Column("问题", 46, "text"), Column("整改前", 40, "photo"),
                   Column("整改后", 40, "photo"))
        rows = [[c["unit_name"], _case_text(c, styles, False), _photo(root, c["before"]), _photo(root, c["after"])]
                for c in red]
        blocks.append(DataTable(columns, rows=rows))
    if black:
        blocks.append(Heading("（二）黑榜单位超期未整改问题", level=2))
        columns = (Column("责任单位", 34, "label"), Column("问题", 80, "text"), Column("现场照片", 42, "photo"))
        rows = [[c["unit_name"], _case_text(c, styles, True), _photo(root, c["before"])] for c in black]
        blocks.append(DataTable(columns, rows=rows))
    if not blocks:
        blocks.append(Para("本期无可展示的典型案例。"))
    return blocks


def ranking_document(ranking, *, variant: str = "full", photo_root: str | None = None,
                     fonts=None) -> OfficialDocument:
    """The published list `ranking` (a models.Ranking) as a 通报 (文件格式)."""
    fonts = fonts or document_fonts(current_app.config if has_app_context() else None)
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

    body: list = [
        Para(f"根据文明城市创建问题整改考评办法，现将{period.label}（{period.first_day.month}月{period.first_day.day}日至"
             f"{last_day.month}月{last_day.day}日）各责任单位问题整改情况及红黑榜通报如下。本期共{summary.get('units', 0)}个"
             f"单位参评，其中{summary.get('ranked', 0)}个单位参与排名、{summary.get('insufficient', 0)}个单位样本不足；"
             f"应结案问题{totals.get('due', 0)}件，结案{totals.get('closed', 0)}件，按期结案{totals.get('on_time', 0)}件，"
             f"按期结案率{_fmt_rate(totals.get('on_time_rate', 0))}。"),
        Heading("一、评价办法"),
        Raw([_p(ranking.formula_text, styles["formula"]), _p(_list_rule_text(rules), styles["note"]),
             _p("说明：", styles["note"]),
             *[_p(f"{i}. {n}", styles["note"]) for i, n in enumerate(NOTES, start=1)],
             _p(f"数据截至{_cn_datetime(ranking.as_of)}。", styles["note"])]),
        Heading(f"二、红榜（{len(red)}个单位）"),
        _unit_table(red) if red else Para("本期无单位达到红榜标准。"),
        Heading(f"三、黑榜（{len(black)}个单位）"),
        _unit_table(black) if black else Para("本期无单位列入黑榜。"),
        Heading("四、综合得分排名"),
    ]
    if ranked:
        charts = score_charts(ranked, rules, fonts)
        body.append(Raw([charts[0]]))
        for chart in charts[1:]:
            body.append(Raw([_p("（续）", styles["small"]), chart], keep_together=True))
    else:
        body.append(Para("本期无参与排名的单位。"))
    body.append(Heading("五、典型案例"))
    if variant == "full":
        body += _cases(ranking.cases, photo_root, fonts, styles)
    else:
        body.append(Para("典型案例及现场照片由文明办另行通报，本版本不含其他单位的问题详情。"))
    body.append(Heading("六、样本不足单位"))
    if insufficient:
        names = "、".join(f"{e['unit_name']}（{e['figures']['due']}件）" for e in insufficient)
        body.append(Raw([_p(f"以下{len(insufficient)}个单位本期应结案问题少于{rules['min_sample']}件，"
                            f"不参与排名（括号内为应结案数）：{names}。", styles["note"])]))
    else:
        body.append(Para("无。"))
    body.append(Para("请红榜单位总结推广经验。黑榜单位要对照问题清单立即整改，于通报之日起5个工作日内将整改情况书面报送"
                     "市文明办。"))
    body.append(Para("特此通报。"))

    number = getattr(ranking, "number", None) or f"{_setting('BULLETIN_NUMBER_PREFIX')}〔{published.year}〕\u3000号"
    seal = _setting("PDF_SEAL_IMAGE")
    return OfficialDocument(
        form=Form.FILE,
        issuer_mark=ranking.office if ranking.office.endswith("文件") else ranking.office + "文件",
        doc_number=number,
        title=title,
        recipients=["各责任单位"],
        body=body,
        signatory=ranking.office,
        date=published,
        seal=Seal(seal, float(_setting("PDF_SEAL_DIAMETER_MM"))) if seal else None,
        report_to=[_setting("BULLETIN_REPORT_TO")],
        cc=[_setting("BULLETIN_CC")],
        printer=_setting("OFFICE_SHORT_NAME"),
        print_date=published,
    )


def render_ranking_pdf(ranking, out: str | os.PathLike[str] | BinaryIO, *, variant: str = "full",
                       photo_root: str | None = None) -> None:
    """Write the published list `ranking` (a models.Ranking) as PDF to `out` (path or binary file)."""
    fonts = document_fonts(current_app.config if has_app_context() else None)
    render_document(ranking_document(ranking, variant=variant, photo_root=photo_root, fonts=fonts), out,
                    fonts=fonts)


def _cn_datetime(value) -> str:
    moment = local(value)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def _list_rule_text(rules: dict) -> str:
    return (f"红榜：综合得分不低于{rules['red']['min_score']:g}分且无挂牌督办问题的单位，按排名取前{rules['red']['size']}个；"
            f"黑榜：综合得分低于{rules['black']['max_score']:g}分的单位，按排名取后{rules['black']['size']}个，"
            f"另有挂牌督办问题的单位一律列入黑榜；应结案数少于{rules['min_sample']}件的单位列为样本不足，不参与排名。")

