"""Line breaks of tricky Chinese text, pinned: body paragraphs and table cells (CellParagraph) must break exactly
here. Mixed Chinese, ASCII and numbers, long unbroken codes, marks that may not start a line (，。、）》…) or end
one (（《“), each shifted by a character or two so that the breaks fall elsewhere. A change to the breaker
(_reportlab.py), its caches or the faces must not move a single break without this test saying so."""
from __future__ import annotations

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from inspect_app.pdf import _reportlab
from inspect_app.pdf._reportlab import CellParagraph
from inspect_app.pdf.fonts import markup, register_fonts
from inspect_app.pdf.render import TEXT_WIDTH, cell_styles, styles

TEXTS = [
    "扣分：日常督查发现问题35件（扣17.5分）、被挂牌督办4次（扣12分）、超期未整改11件（扣11分）；合计扣40.5分。",
    "任务编号XJ-2026-000887/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789与2026-000123号问题，见《整改清单》（附件2）。",
    "他说：“立即整改。”又问：“何时完成？！”（详见《整改清单》）、请于2026年12月7日前反馈，联系电话0731-88886666。",
    "芙蓉中路二段与五一大道交叉口东北角“好又多”超市门前，共3处；桐梓坡路中段XJ-2026-00042号杆旁，。",
    "牛皮癣、小广告——占道经营（店外经营）……非机动车乱停放％，路面破损、井盖缺失》〉」』。",
]
CELL_WIDTH = 43 * mm - 6  # the 督查通报's 问题 column, less its padding

# (body or cell, characters put before the text, which text, its lines) as the breaker set them on 2026-12-07
PINNED = [
    ("body", 0, 0, [
        "扣分：日常督查发现问题35件（扣17.5分）、被挂牌督办4",
        "次（扣12分）、超期未整改11件（扣11分）；合计扣40.5分。",
    ]),
    ("body", 0, 1, [
        "任务编号XJ-2026-000887/ABCDEFGHIJKLMNOPQRSTUVWX",
        "YZ0123456789与2026-000123号问题，见《整改清单》（附件",
        "2）。",
    ]),
    ("body", 0, 2, [
        "他说：“立即整改。”又问：“何时完成？！”（详见《整",
        "改清单》）、请于2026年12月7日前反馈，联系电话",
        "0731-88886666。",
    ]),
    ("body", 0, 3, [
        "芙蓉中路二段与五一大道交叉口东北角“好又多”超市门前，",
        "共3处；桐梓坡路中段XJ-2026-00042号杆旁，。",
    ]),
    ("body", 0, 4, [
        "牛皮癣、小广告——占道经营（店外经营）……非机动车乱",
        "停放％，路面破损、井盖缺失》〉」』。",
    ]),
    ("body", 1, 0, [
        "甲扣分：日常督查发现问题35件（扣17.5分）、被挂牌督",
        "办4次（扣12分）、超期未整改11件（扣11分）；合计扣40.5分。",
    ]),
    ("body", 1, 1, [
        "甲任务编号XJ-2026-000887/ABCDEFGHIJKLMNOPQRSTUV",
        "WXYZ0123456789与2026-000123号问题，见《整改清单》（附",
        "件2）。",
    ]),
    ("body", 1, 2, [
        "甲他说：“立即整改。”又问：“何时完成？！”（详见",
        "《整改清单》）、请于2026年12月7日前反馈，联系电话",
        "0731-88886666。",
    ]),
    ("body", 1, 3, [
        "甲芙蓉中路二段与五一大道交叉口东北角“好又多”超市门",
        "前，共3处；桐梓坡路中段XJ-2026-00042号杆旁，。",
    ]),
    ("body", 1, 4, [
        "甲牛皮癣、小广告——占道经营（店外经营）……非机动车",
        "乱停放％，路面破损、井盖缺失》〉」』。",
    ]),
    ("cell", 0, 0, [
        "扣分：日常督查发现问题35",
        "件（扣17.5分）、被挂牌督",
        "办4次（扣12分）、超期未整",
        "改11件（扣11分）；合计扣",
        "40.5分。",
    ]),
    ("cell", 0, 1, [
        "任务编号XJ-2026-000887/AB",
        "CDEFGHIJKLMNOPQRSTUVW",
        "XYZ0123456789与",
        "2026-000123号问题，见《整",
        "改清单》（附件2）。",
    ]),
    ("cell", 0, 2, [
        "他说：“立即整改。”又",
        "问：“何时完成？！”（详",
        "见《整改清单》）、请于",
        "2026年12月7日前反馈，联系",
        "电话0731-88886666。",
    ]),
    ("cell", 0, 3, [
        "芙蓉中路二段与五一大道交",
        "叉口东北角“好又多”超市",
        "门前，共3处；桐梓坡路中段",
        "XJ-2026-00042号杆旁，。",
    ]),
    ("cell", 0, 4, [
        "牛皮癣、小广告——占道经",
        "营（店外经营）……非机动",
        "车乱停放％，路面破损、井",
        "盖缺失》〉」』。",
    ]),
    ("cell", 2, 0, [
        "甲甲扣分：日常督查发现问",
        "题35件（扣17.5分）、被挂",
        "牌督办4次（扣12分）、超期",
        "未整改11件（扣11分）；合",
        "计扣40.5分。",
    ]),
    ("cell", 2, 1, [
        "甲甲任务编号XJ-2026-00088",
        "7/ABCDEFGHIJKLMNOPQRST",
        "UVWXYZ0123456789与",
        "2026-000123号问题，见《整",
        "改清单》（附件2）。",
    ]),
    ("cell", 2, 2, [
        "甲甲他说：“立即整改。”",
        "又问：“何时完成？！”",
        "（详见《整改清单》）、请",
        "于2026年12月7日前反馈，联",
        "系电话0731-88886666。",
    ]),
    ("cell", 2, 3, [
        "甲甲芙蓉中路二段与五一大",
        "道交叉口东北角“好又多”",
        "超市门前，共3处；桐梓坡路",
        "中段XJ-2026-00042号杆",
        "旁，。",
    ]),
    ("cell", 2, 4, [
        "甲甲牛皮癣、小广告——占",
        "道经营（店外经营）……非",
        "机动车乱停放％，路面破",
        "损、井盖缺失》〉」』。",
    ]),
]


def _lines(kind: str, text: str) -> list[str]:
    fonts = register_fonts()  # the bundled face: the same metrics on every machine
    if kind == "body":
        style, cls, width = styles(fonts)["body"], Paragraph, TEXT_WIDTH
    else:
        style, cls, width = cell_styles(fonts, 9)["cell"], CellParagraph, CELL_WIDTH
    para = cls(markup(text, style.fontName), style)
    para.wrap(width, 1e6)
    if para.blPara.kind == 0:
        return ["".join(line[1]) for line in para.blPara.lines]
    return ["".join(word.text for word in line.words) for line in para.blPara.lines]


@pytest.mark.parametrize("kind, shift, index, expected", PINNED,
                         ids=[f"{k}-{s}-{i}" for k, s, i, _ in PINNED])
def test_tricky_text_breaks_where_it_always_has(kind, shift, index, expected):
    text = "甲" * shift + TEXTS[index]
    assert _lines(kind, text) == expected
    assert _lines(kind, text) == expected  # again: from the kept breaks (_reportlab._splits), the same
    assert "".join(expected) == text


def test_every_break_keeps_the_line_rules():
    for kind in ("body", "cell"):
        for shift in range(6):
            for text in TEXTS:
                lines = _lines(kind, "甲" * shift + text)
                assert not [line for line in lines[1:] if line[0] in "，。、；：？！）》」』”…—％"], lines
                assert not [line for line in lines[:-1] if line[-1] in "（《“"], lines


def test_a_cell_wrapped_again_is_not_measured_again(monkeypatch):
    """A table wraps each cell on every layout pass and page split: the 887-row 整改任务清单 measured every character
    of every cell with stringWidth each time (3-4 s a 通报). The second wrap of the same text at the same width takes
    the kept lines, and the lines it hands out are its own: changing them (reportlab and the breaker change a line's
    room in place) leaves the next wrap's unchanged."""
    text = "甲乙" + TEXTS[0]
    first = _lines("cell", text)
    measured = []
    real = _reportlab._string_width
    monkeypatch.setattr(_reportlab, "_string_width", lambda *a: measured.append(a) or real(*a))
    monkeypatch.setattr(_reportlab._textsplit, "stringWidth", lambda *a: measured.append(a) or real(*a))
    assert _lines("cell", text) == first
    assert measured == []
    fonts = register_fonts()
    style = cell_styles(fonts, 9)["cell"]
    lines = _reportlab._paragraph.wordSplit(text, [CELL_WIDTH, CELL_WIDTH], style.fontName, 9)
    again = _reportlab._paragraph.wordSplit(text, [CELL_WIDTH, CELL_WIDTH], style.fontName, 9)
    assert lines == again and lines is not again and lines[0] is not again[0]
    lines[0][0] += 100
    lines[0][1] = "改了"
    assert _reportlab._paragraph.wordSplit(text, [CELL_WIDTH, CELL_WIDTH], style.fontName, 9) == again
