"""The published 红黑榜 as a 通报 in the 文件格式 of GB/T 9704-2012 (see inspect_app/pdf/render.py), and its
曝光版 for the media.

Built only from the immutable snapshot (Ranking, its entries and stored typical cases), so the same list always
gives the same document. Variant "full" (office, leaders, inspectors) has the typical cases with photos (the
stamped display copies: when, where, who); "public" (责任单位) leaves out other units' problems and photos;
"exposure" (曝光版) shows the problems with photos, places and units, and no scores. The 通报 carries the list's own
文号 (RANKINGS_NUMBER_PREFIX), the method in plain words from the stored scheme, a red list, a black list and a
chart per group (a chart never splits across pages), and the 版记.
"""
from __future__ import annotations

import os
from typing import BinaryIO
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, PageBreak, Paragraph

from ..common.numbers import fixed
from ..common.timeutil import fmt, local
from ..config import Config
from ..pdf import TEXT_WIDTH
from ..pdf._reportlab import CellParagraph
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
from ..pdf.text import label_lines, one_line
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
    Column("组内\n名次", 11, "plain"), Column("责任单位", 36, "label"), Column("得分", 14, "plain"),
    Column("发现\n问题", 11, "plain"), Column("超期", 10, "plain"), Column("督办/挂牌\n/约谈/问责", 19, "plain"),
    Column("理由", 55, "text"),
)


def _unit_table(entries: list[dict]) -> DataTable:
    """Figures as plain cells (no line breaker: fast); unit names kept whole where they fit, reasons wrap."""
    rows = []
    for e in entries:
        f = e["figures"]
        rows.append([str(e["rank"]) if e["rank"] else "—", e["unit_name"], f"{e['score']:.2f}",
                     str(f.get("found_total", 0)), str(f.get("overdue", 0)),
                     f"{f.get('supervised', 0)}/{f.get('listed', 0)}/{f.get('interview', 0)}/{f.get('referral', 0)}",
                     e["reason"]])
    return DataTable(UNIT_COLUMNS, rows=rows, font_size=9)


class ScoreChart(Drawing):
    """Horizontal bars of scores, one row per unit in rank order, with the list thresholds marked. The scores stand
    in a column right of the plot (right of 100), where no threshold line runs: written at each bar's end, a
    line at 90 or 100 ran through them ("99.0" read "9.0", "96.5" "96 5")."""

    def __init__(self, entries: list[dict], rules: dict, fonts, *, first: bool,
                 row_h: float = ROW_H) -> None:
        font = fonts.body
        labels = [f"{e['rank']}. {e['unit_name']}" for e in entries]
        # the label column widens (to 52 mm) for long names before any of them is set smaller
        label_w = min(52 * mm, max([40 * mm] + [stringWidth(name, font, 7) for name in labels]))
        top, bottom = CHART_TOP, CHART_BOTTOM
        height = top + bottom + row_h * len(entries)
        super().__init__(TEXT_WIDTH, height)
        self.initialFontName, self.initialFontSize = fonts.body, 7  # else the renderer selects Helvetica
        bar_x, bar_w = label_w + 2 * mm, TEXT_WIDTH - label_w - 12 * mm

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
            lines, size = _bar_label(labels[i], font, label_w, row_h)
            middle = y + row_h * 0.5  # one line as before; two centred on the bar, each baseline inside the row
            for k, line in enumerate(lines):
                base = y + row_h * 0.3 if len(lines) == 1 else middle + 0.17 * size - k * 1.05 * size
                self.add(String(label_w, base, line, fontName=font, fontSize=size, textAnchor="end"))
            self.add(Rect(bar_x, y + row_h * 0.15, max(0.4, x_of(e["score"]) - bar_x), row_h * 0.7,
                          fillColor=color, strokeColor=None))
            self.add(String(TEXT_WIDTH, y + row_h * 0.3, fixed(e["score"]), fontName=font, fontSize=6.5,
                            textAnchor="end"))
        for threshold, color, label, anchor, dx in ((rules["red_floor"], RED, "红榜线", "end", -1.5),
                                                    (rules["black_below"], BLACK, "黑榜线", "start", 1.5)):
            x = x_of(threshold)
            self.add(Line(x, y_axis, x, height - top + 2, strokeColor=color, strokeWidth=0.9,
                          strokeDashArray=[3, 2]))
            # red's label left of its line, black's right of it: close lines (90, 100) never print over each other;
            # both kept inside the 版心 (a line at 100 had its label run past the right edge)
            text = f"{label} {threshold:g}"
            width = stringWidth(text, font, 7)
            lx = min(x + dx, TEXT_WIDTH - width) if anchor == "start" else max(x + dx, width)
            self.add(String(lx, height - top + 4, text, fontName=font, fontSize=7, fillColor=color,
                            textAnchor=anchor))
        if first:
            legend_y = 1.5
            for k, (color, label) in enumerate(((RED, "红榜"), (BLACK, "黑榜"), (NEUTRAL, "其他单位"))):
                lx = bar_x + k * 30 * mm
                self.add(Rect(lx, legend_y - 1, 6, 6, fillColor=color, strokeColor=None))
                self.add(String(lx + 8, legend_y, label, fontName=font, fontSize=7))


def _bar_label(name: str, font: str, width: float, row_h: float) -> tuple[list[str], float]:
    """A bar's label, whole: one line at 7 pt; a name too long for that on one smaller line or on two lines of
    similar length (broken between words), whichever is larger. A black-listed unit was named by a cut prefix
    ("中国铁塔股份有限公司临江市…") it may share with others."""
    single = min(7.0, 7 * width / stringWidth(name, font, 7))
    if single >= 7:
        return [name], 7
    size = min(6.5, row_h / 2.15)  # two lines stay inside the row
    lines = label_lines(name, width, font, size)
    if len(lines) != 2 or size <= single:
        return [name], single
    low, high = width / 2, width  # the narrowest width that still takes two lines: balanced lines
    for _ in range(8):
        middle = (low + high) / 2
        low, high = (low, middle) if len(label_lines(name, middle, font, size)) <= 2 else (middle, high)
    return label_lines(name, high, font, size), size


def score_charts(ranked: list[dict], rules: dict, fonts) -> list[Flowable]:
    """The score chart, never cut across pages: rows are made narrower (down to MIN_ROW_H) so the chart fits
    one page; a list longer than that becomes several complete charts, each with its axis and lines."""
    usable = CHART_MAX_H - CHART_TOP - CHART_BOTTOM
    row_h = ROW_H if len(ranked) * ROW_H <= usable else max(MIN_ROW_H, usable / len(ranked))
    per_chart = max(1, int(usable // row_h))
    charts = -(-len(ranked) // per_chart)
    per_chart = -(-len(ranked) // charts)  # balanced: 58 rows in two charts are 29 + 29, not 57 + 1
    return [ScoreChart(ranked[i:i + per_chart], rules, fonts, first=i == 0, row_h=row_h)
            for i in range(0, len(ranked), per_chart)]


def _photo(root: str | None, key: str | None) -> Photo:
    if not key or not root:
        return Photo(None, 37, 28)
    try:
        return Photo(PhotoStore(root).display_path(key), 37, 28)  # the stamped copy: when, where, who
    except ValueError:
        return Photo(None, 37, 28)


def _case_text(case: dict, styles, black: bool, with_number: bool = True, with_level: bool = True) -> Paragraph:
    font = styles["cell"].fontName
    lines = [f"<b>{markup(one_line(case['category']), font)}</b>"]
    if case.get("address"):
        lines.append(markup(one_line(case["address"]), font))
    if with_number:
        lines.append(f"编号：{escape(case['number'])}")
    lines.append(f"发现：{fmt(_dt(case['reported_at']))}")
    lines.append(f"期限：{fmt(_dt(case['deadline']))}")
    if black:
        lines.append(late_state(case, with_level))
    else:
        lines.append(f"整改：{fmt(_dt(case['rectified_at']))}")
    return CellParagraph("<br/>".join(lines), styles["cell"])


def late_state(case: dict, with_level: bool = True) -> str:
    """A black list's case as it stood when the list was published: still open ("已超期3天，挂牌督办中"), or put
    right after its deadline ("超期3天后整改，已结案"): a problem fixed before publication is not 超期未整改, nor
    under 督办 any more (the 曝光版 printed both for problems closed weeks before)."""
    late = case.get("overdue") or f"{case['days_overdue']}天"  # a list stored before it kept the span
    if case.get("rectified_at"):
        return f"超期{late}后整改" + ("，已结案" if case.get("closed_at") else "，待核查")
    level = {1: "督办", 2: "挂牌督办", 3: "约谈"}.get(case["escalation_level"], "")
    return f"已超期{late}" + (f"，{level}中" if level and with_level else "")


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
        blocks.append(Heading(f"（二）黑榜单位{_late_heading(black)}问题", level=2))
        columns = (Column("责任单位", 34, "label"), Column("问题", 80, "text"), Column("现场照片", 42, "photo"))
        rows = [[c["unit_name"], _case_text(c, styles, True), _photo(root, c["before"])] for c in black]
        blocks.append(DataTable(columns, rows=rows))
    if not blocks:
        blocks.append(Para("本期无可展示的典型案例。"))
    return blocks


def _late_heading(cases: list[dict]) -> str:
    """超期未整改 while every case is still open; 未按期整改 (late, fixed or not) once one was put right."""
    return "未按期整改" if any(c.get("rectified_at") for c in cases) else "超期未整改"


CN_NUMBERS = "一二三四五六七八九十"


def _entries(ranking) -> list[dict]:
    return [{"rank": e.rank, "unit_name": e.unit_name, "score": e.score, "figures": e.figures, "reason": e.reason,
             "list_name": e.list_name, "ranked": not e.insufficient, "group": e.group_name or "全部单位"}
            for e in ranking.entries]


def _groups(ranking, entries: list[dict]) -> list[tuple[dict, list[dict]]]:
    """[(group rule dict, its ranked entries in rank order)] in the list's group order."""
    out: dict[str, list[dict]] = {}
    for e in entries:
        out.setdefault(e["group"], [])
        if e["ranked"]:
            out[e["group"]].append(e)
    # a group without a stored rule (其他单位, in a list published before it was stored) was ranked under the rule
    # scoring.rule_for gives it, and is printed with it
    stored = {g["name"]: g for g in scoring.stated_rules(ranking.rules.get("groups", []), out)}
    return [(stored[name], items) for name, items in out.items()]


def _span(period) -> str:
    return f"{period.first_day.month}月{period.first_day.day}日至{period.last_day.month}月{period.last_day.day}日"


def found_note(totals: dict) -> str:
    """After 共发现问题N件 in a list that counted its problems once each (summary `totals` with `voided`): that a
    problem several units answer for counts once (when there was one), and the reports of the period left out
    (作废, not yet given to a unit), so the figure meets the units' figures and the dashboard's 新增. "" for a
    list published before, which summed its units' figures and is printed as stored, and when nothing needs
    saying."""
    if "voided" not in totals:
        return ""
    notes = ["涉及多个责任单位的问题只计一次"] if totals.get("found_by_units", 0) > totals.get("found", 0) else []
    left = [f"{label}{totals[key]}件" for key, label in (("voided", "已作废"), ("undispatched", "尚未交办"))
            if totals.get(key)]
    if left:
        notes.append(f"不含{'、'.join(left)}")
    return f"（{'，'.join(notes)}）" if notes else ""


def ranking_document(ranking, *, variant: str = "full", photo_root: str | None = None,
                     fonts=None) -> OfficialDocument:
    """The published list `ranking` (a models.Ranking) as a 通报 (文件格式), or its 曝光版."""
    fonts = fonts or document_fonts(current_app.config if has_app_context() else None)
    if variant == "exposure":
        return exposure_document(ranking, photo_root=photo_root, fonts=fonts)
    styles = _styles(fonts)
    period = parse_period(ranking.period)
    rules = ranking.rules
    summary = ranking.summary
    entries = _entries(ranking)
    groups = _groups(ranking, entries)
    unranked = [e for e in entries if not e["ranked"]]
    totals = summary.get("totals", {})
    summary_groups = summary.get("groups") or {}
    published = local(ranking.published_at).date()
    version = f"（第{ranking.version}版）" if ranking.version > 1 else ""
    title = f"关于{period.short_label}文明城市创建问题整改红黑榜的通报{version}"
    method = rules.get("method") or [ranking.formula_text]
    scheme_name = (rules.get("scheme") or {}).get("name", "")
    own_schemes = "；".join(f"{g['name']}按“{g['scheme'].get('name', '')}”" for g, _ in groups if g.get("scheme"))
    own_schemes = f"；{own_schemes}" if own_schemes else ""
    group_names = "、".join(g["name"] for g, _ in groups)

    body: list = [
        Para(f"根据文明城市创建问题整改考评办法，现将{period.short_label}（{_span(period)}）各责任单位问题整改考评情况"
             f"通报如下。本期{len(entries)}个单位中，{len(entries) - len(unranked)}个单位参与排名，分{group_names}"
             f"{len(groups)}组" + (f"，{len(unranked)}个单位不参与排名（见第六部分）" if unranked else "")
             + f"；共发现问题{totals.get('found', 0)}件{found_note(totals)}，"
             f"超期整改{totals.get('overdue', 0)}件，返工{totals.get('rework', 0)}次，回潮{totals.get('relapse', 0)}件。"),
        Heading("一、考评办法"),
        *[Para(line) for line in method],
        # the rules of the method are body text (GB/T 9704: 3号 throughout), not a small-print note; who is ranked
        # is stored with the lists computed under that rule (an older list does not claim it)
        *([Para(rules["participation"])] if rules.get("participation") else []),
        Para(f"{scoring.TIE_BREAK}红榜从本期有检查记录的单位中产生；按名额列入黑榜的须有超期、返工、回潮或被督办等情形。"
             "各组红榜取组内前列且达到最低分的单位，黑榜取组内末位且低于分数线的单位，被挂牌督办、约谈或问责的单位"
             f"一律列入黑榜；{rules.get('ties') or scoring.OLD_TIE_RULE}各组名额如下："),
        *[Para(scoring.GroupRule.from_dict(g).quota_text) for g, _ in groups],
        # a group counted over its territory (the 区县) says so in one line (a list published before did not)
        *[Para(rule.territory_text) for rule in map(scoring.GroupRule.from_dict, (g for g, _ in groups))
          if rule.territorial],
        # a group scored under a scheme of its own (the 区县) states that scheme's method in full
        *[Para(rule.scheme_text) for rule in map(scoring.GroupRule.from_dict, (g for g, _ in groups))
          if rule.scheme],
        Para(f"评分方案：{scheme_name}{own_schemes}。数据截至{_cn_datetime(ranking.as_of)}"
             + (f"（统计周期至{period.last_day.month}月{period.last_day.day}日结束，本期提前发布）"
                if ranking.as_of < period.end else "") + "。"),
    ]
    for number, (list_name, label) in enumerate((("red", "红榜"), ("black", "黑榜")), start=2):
        picked = sum(1 for e in entries if e["list_name"] == list_name)
        body.append(Heading(f"{CN_NUMBERS[number - 1]}、{label}（{picked}个单位）"))
        for i, (group, items) in enumerate(groups):
            chosen = [e for e in items if e["list_name"] == list_name]
            if list_name == "black":
                chosen.reverse()  # worst first
            body.append(Heading(f"（{CN_NUMBERS[i]}）{group['name']}", level=2))
            left_out = ((summary_groups.get(group["name"]) or {}).get(f"{list_name}_tied_out"))
            if chosen:
                body.append(_unit_table(chosen))
            if left_out:
                body.append(Para(scoring.tied_out_text(list_name, left_out)))
            elif not chosen:
                body.append(Para(f"本组无单位{'达到红榜标准' if list_name == 'red' else '列入黑榜'}。"))
    body.append(Raw([PageBreak()]))  # the charts start a page: a heading never waits alone at a page's foot
    body.append(Heading("四、各组得分排名"))
    for i, (group, items) in enumerate(groups):
        if not items:
            body.append(Para(f"（{CN_NUMBERS[i]}）{group['name']}：本期无参与排名的单位。"))
            continue
        charts = score_charts(items, group, fonts)
        for k, chart in enumerate(charts):
            caption = f"（{CN_NUMBERS[i]}）{group['name']}（{len(items)}个单位）" + ("（续）" if k else "")
            body.append(Raw([_p(caption, styles["small"]), chart], keep_together=True))
    body.append(Heading("五、典型案例"))
    if variant == "full":
        body += _cases(ranking.cases, photo_root, fonts, styles)
    else:
        body.append(Para("典型案例及现场照片由文明办另行通报，本版本不含其他单位的问题详情。"))
    body.append(Heading("六、未参与排名的单位"))
    if unranked:
        for why, names in scoring.unranked_by_reason([(e["reason"], e["unit_name"]) for e in unranked]):
            body.append(Para(f"以下{len(names)}个单位{why}：{'、'.join(names)}。"))
    else:
        body.append(Para("无。所有单位均参与排名。"))
    body.append(Para("请红榜单位总结推广经验。黑榜单位要对照问题清单立即整改，于通报之日起5个工作日内将整改情况书面报送"
                     "市文明办。"))
    body.append(Para("特此通报。"))
    return OfficialDocument(
        form=Form.FILE,
        issuer_mark=ranking.office if ranking.office.endswith("文件") else ranking.office + "文件",
        doc_number=getattr(ranking, "number", None),
        title=title,
        recipients=["各责任单位"],
        body=body,
        signatory=ranking.office,
        date=published,
        seal=_seal(),
        report_to=[_setting("BULLETIN_REPORT_TO")],
        cc=[_setting("BULLETIN_CC")],
        printer=_setting("OFFICE_SHORT_NAME"),
        print_date=published,
    )


def _seal():
    seal = _setting("PDF_SEAL_IMAGE")
    return Seal(seal, float(_setting("PDF_SEAL_DIAMETER_MM"))) if seal else None


def exposure_document(ranking, *, photo_root: str | None = None, fonts=None) -> OfficialDocument:
    """曝光版: the period's typical problems with photos, places and the units answering for them; no scores,
    ranks or lists, for the media and the public."""
    fonts = fonts or document_fonts(current_app.config if has_app_context() else None)
    styles = _styles(fonts)
    period = parse_period(ranking.period)
    published = local(ranking.published_at).date()
    cases = ranking.cases
    body: list = [Para(f"为推进全国文明城市创建，现将{period.short_label}（{_span(period)}）督查发现的部分问题及整改情况"
                       f"予以曝光，欢迎社会各界监督。")]
    open_cases = [c for c in cases if c["list"] == "black"]
    fixed = [c for c in cases if c["list"] == "red"]
    if open_cases:
        body.append(Heading(f"一、{_late_heading(open_cases)}问题"))
        columns = (Column("责任单位", 34, "label"), Column("问题和地点", 80, "text"), Column("现场照片", 42, "photo"))
        body.append(DataTable(columns, rows=[[c["unit_name"], _case_text(c, styles, True, with_number=False, with_level=False),
                                              _photo(photo_root, c["before"])] for c in open_cases]))
    if fixed:
        body.append(Heading(f"{'二' if open_cases else '一'}、整改到位问题"))
        columns = (Column("责任单位", 30, "label"), Column("问题和地点", 46, "text"), Column("整改前", 40, "photo"),
                   Column("整改后", 40, "photo"))
        body.append(DataTable(columns, rows=[[c["unit_name"], _case_text(c, styles, False, with_number=False),
                                              _photo(photo_root, c["before"]), _photo(photo_root, c["after"])]
                                             for c in fixed]))
    if not cases:
        body.append(Para("本期无曝光问题。"))
    body.append(Para("市民发现城市管理问题，可通过市民随手拍或12345政务服务热线反映。"))
    return OfficialDocument(
        form=Form.FILE,
        issuer_mark=ranking.office,
        doc_number=None,
        title=f"{period.short_label}文明城市创建问题曝光",
        body=body,
        signatory=ranking.office,
        date=published,
        seal=None,
        seal_space=False,
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
