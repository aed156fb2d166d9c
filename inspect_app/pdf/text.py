"""Text for official documents: cleaning what users typed, and breaking Chinese lines at sensible places.

No segmenter (jieba) is needed: titles and labels are short, and a few rules of Chinese typesetting
(禁则: no closing mark at the start of a line, no opening mark at its end), a small lexicon of the words
these documents use, road names found by their suffix (桐梓坡路中段), and the caller's own phrases (unit names)
are enough to keep words whole.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import pairwise

# --------------------------------------------------------------------------------------------- cleaning

_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}  # controls, format (zero-width ...), surrogates, private, unassigned
_KEEP_FORMAT = {"\u200d"}  # zero-width joiner inside emoji sequences is harmless
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029\u000b\u000c]")
_SPACES = re.compile(r"[\s\u3000]+")

ONE_LINE_LIMIT = 500  # characters: a cell never holds more (place and unit names are 200 at most)
ELLIPSIS = "…"


def _strip_controls(text: str) -> str:
    if text.isprintable() and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return text
    out = []
    for ch in text:
        if ch in "\n\t " or ch in _KEEP_FORMAT:
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in _DROP_CATEGORIES:
            continue
        if cat in ("Zl", "Zp", "Zs"):
            out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def one_line(value: object, limit: int | None = ONE_LINE_LIMIT) -> str:
    """A one-line field (place, unit name, category) as printable text.

    Line breaks, tabs and runs of spaces become one space; control and zero-width characters, lone
    surrogates and unassigned code points are dropped; the result is stripped and, beyond ``limit``
    characters, cut with "…". Never raises for any string.
    """
    text = "" if value is None else str(value)
    text = _LINE_BREAKS.sub(" ", text)
    text = _strip_controls(text)
    text = _SPACES.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: max(1, limit - 1)].rstrip() + ELLIPSIS
    return text


def paragraphs(value: object, limit: int | None = None) -> list[str]:
    """Multi-line text (a body, a reason) as cleaned paragraphs: one per non-empty line."""
    text = "" if value is None else str(value)
    out = [one_line(line, None) for line in _LINE_BREAKS.split(text)]
    out = [p for p in out if p]
    if limit is not None:
        total, kept = 0, []
        for p in out:
            if total + len(p) > limit:
                kept.append(p[: max(1, limit - total - 1)] + ELLIPSIS)
                break
            kept.append(p)
            total += len(p)
        out = kept
    return out


# --------------------------------------------------------------------------------------------- breaking

# Marks that may not start a line, and marks that may not end one (GB/T 15834 usage, common 禁则).
NO_LINE_START = set("，。、；：？！）》」』”’〕】〉…—～·%‰℃,.;:?!)]}")
NO_LINE_END = set("（《「『“‘〔【〈([{")
_PAIRS = {"（": "）", "《": "》", "“": "”", "‘": "’", "〔": "〕", "【": "】", "「": "」", "(": ")"}

# Words of these documents; a break inside one is avoided. Longest first when matching.
LEXICON = tuple(sorted(set("""
关于 对于 进一步 加强 做好 开展 实行 实施 印发 转发 通知 通报 决定 意见 报告 请示 批复 督办函
督办 督查 督促 挂牌 挂牌督办 约谈 问责 整改 整治 超期 未办结 办结 未整改 整改到位 问题 问题清单
责任 责任单位 单位 负责同志 主要负责同志 文明 城市 文明城市 全国文明城市 创建 精神文明 建设 工作 情况
红黑榜 红榜 黑榜 专项 行动 治理 管理 市容 环境 秩序 背街小巷 农贸市场 集贸市场 公共厕所 占道经营
店外经营 乱停乱放 乱堆乱放 非机动车 机动车 乱停放 牛皮癣 蜘蛛网 暴露垃圾 路面破损 井盖 缺失 破损
缺失破损 广告 牌匾 广告牌匾 违规 公益广告 私搭乱建 落实 测评 模拟测评 暗访 反馈 回头看 销号 办公室
委员会 指导委员会 办事处 街道 社区 管理局 交警 支队 大队 有限公司 集团 分公司 城管 执法 环卫 市政
设施 管线 第一季度 第二季度 第三季度 第四季度 上半年 下半年 年度 月度 周 期间 有关 事项 部署 要求
安排 结果 名单 典型 案例 门前四包 不到位 落实不到位 商户
环境卫生 卫生 服务中心 养护中心 中心 管理处 管理所 执法局 执法队 综合执法 领导小组 小组 人民政府 政府 道路 公路
交叉口 沿线 周边 养护 维护 参与 涉及 以及 普及 及时
""".split()), key=len, reverse=True))  # noqa: SIM905

# A road's suffix with its part: 桐梓坡路中段, 芙蓉中路二段, 五一大道, 太平街 (_road_spans finds the name before it).
_ROAD = re.compile(r"(?:大道|大街|路|街|巷)(?:[一二三四五六七八九十\d]段|[东南西北中]段|口)?")
_CONJUNCTIONS = "和与及"  # a break before one falls between words
_DIVISIONS = "省市区县镇乡村"  # a road's name starts after its district's (江城区|文艺路)

_ASCII_WORD = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-_/:%]*")
_DATE_WORD = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日|第[一二三四五六七八九十百\d]+[期号季]")

# Break penalties (lower is better); None forbids the break.
_P_DEFAULT = 6.0  # between two characters we know nothing about: may split a word
_P_WORD_EDGE = 1.0  # at a lexicon word's edge
_P_INSIDE_WORD = 40.0
_P_INSIDE_KEEP = 200.0
_P_INSIDE_PAIR = 25.0
_P_AFTER_PUNCT = -6.0
_P_BEFORE_GUANYU = -10.0
_P_AROUND_DE = -2.0
_P_LINE = 30.0  # each extra line
_P_SHORT_LAST = 1000.0


def _spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for word in words:
        if len(word) < 2:
            continue
        start = text.find(word)
        while start >= 0:
            spans.append((start, start + len(word)))
            start = text.find(word, start + 1)
    return spans


def _road_spans(text: str, edge: list[bool], inside_word: list[float]) -> list[tuple[int, int]]:
    """Road names (桐梓坡路中段): the suffix and its part, and the name before it back to the nearest word edge
    (限期整改|桐梓坡路), mark, conjunction or district (江城区|文艺路), four characters at most. A suffix that begins
    a word of the lexicon (路面破损, 街道) or ends one (道路, 公路) names no road."""
    spans = []
    for m in _ROAD.finditer(text):
        start = m.start()
        if start == 0 or edge[start] and inside_word[start + 1] or inside_word[start]:
            continue
        a = start - 1
        while a > max(0, start - 4) and not edge[a] and _is_han(text[a - 1]) and text[a - 1] not in _DIVISIONS:
            a -= 1
        if _is_han(text[a]):
            spans.append((a, m.end()))
    return spans


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" and ch not in _CONJUNCTIONS


def break_penalties(text: str, keep: Sequence[str] = ()) -> list[float | None]:
    """Penalty of a break before each index 1..len-1 (index 0 unused): None = forbidden."""
    n = len(text)
    pen: list[float | None] = [_P_DEFAULT] * (n + 1)
    edge = [False] * (n + 1)
    inside_word = [0.0] * (n + 1)
    for a, b in _spans(text, LEXICON):
        edge[a] = edge[b] = True
        for i in range(a + 1, b):
            inside_word[i] = max(inside_word[i], _P_INSIDE_WORD)
    for a, b in _spans(text, keep):
        for i in range(a + 1, b):
            inside_word[i] = max(inside_word[i], _P_INSIDE_KEEP)
        edge[a] = edge[b] = True
    for i, ch in enumerate(text):
        if ch in _CONJUNCTIONS and i and not inside_word[i]:
            edge[i] = True
    for a, b in _road_spans(text, edge, inside_word):
        for i in range(a + 1, b):
            inside_word[i] = max(inside_word[i], _P_INSIDE_WORD)
        edge[a] = edge[b] = True
    forbidden = [False] * (n + 1)
    for rx in (_ASCII_WORD, _DATE_WORD):
        for m in rx.finditer(text):
            for i in range(m.start() + 1, m.end()):
                forbidden[i] = True
            edge[m.start()] = edge[m.end()] = True
    # inside a bracketed or quoted phrase
    depth = [0] * (n + 1)
    stack: list[str] = []
    for i, ch in enumerate(text):
        if stack and ch == stack[-1]:
            stack.pop()
        elif ch in _PAIRS:
            stack.append(_PAIRS[ch])
        depth[i + 1] = len(stack)
    for i in range(1, n):
        prev, cur = text[i - 1], text[i]
        if cur in NO_LINE_START or prev in NO_LINE_END or forbidden[i] or prev == " ":
            pen[i] = None  # (a break at a space is taken before it; the space is dropped)
            continue
        p = _P_WORD_EDGE if edge[i] else _P_DEFAULT
        p += inside_word[i]
        if depth[i]:
            p += _P_INSIDE_PAIR
        if prev in "，、；：" or cur == " ":
            p += _P_AFTER_PUNCT
        if text.startswith("关于", i):
            p += _P_BEFORE_GUANYU
        if cur == "的" or prev == "的":
            p += _P_AROUND_DE
        pen[i] = p
    return pen


def balanced_lines(
    text: str,
    max_width: float,
    measure: Callable[[str], float],
    *,
    keep: Sequence[str] = (),
    em: float | None = None,
    min_last: int = 3,
    max_chars: int = 120,
) -> list[str]:
    """Break ``text`` into centred lines of similar length at the best places (a title).

    Lines are at most ``max_width`` wide (``measure`` gives a string's width); the number of lines is
    the fewest that fit, or one more when that reads better. Breaks prefer word and phrase edges
    (the lexicon, ``keep`` phrases such as unit names, before "关于", around "的", after "，"),
    never split a number or a Latin word or put a closing mark at a line's start, and the last line
    has at least ``min_last`` characters (no lone "通知"). Text longer than ``max_chars`` is broken
    greedily. ``\\n`` in the text is a forced break.
    """
    if "\n" in text:
        out: list[str] = []
        for part in text.split("\n"):
            part = part.strip()
            if part:
                out += balanced_lines(part, max_width, measure, keep=keep, em=em, min_last=min_last,
                                      max_chars=max_chars)
        return out
    text = text.strip()
    if not text:
        return []
    total = measure(text)
    if total <= max_width:
        return [text]
    em = em or measure("国")
    if len(text) > max_chars:
        return greedy_lines(text, max_width, measure)
    # a phrase wider than a line cannot be kept whole: inside it, breaks fall between its words as anywhere
    keep = [k for k in keep if measure(k) <= max_width]
    pen = break_penalties(text, keep)
    n = len(text)
    prefix = [0.0]
    # widths of prefixes; CJK metrics are additive (no kerning in these faces)
    for ch in text:
        prefix.append(prefix[-1] + measure(ch))

    def width(a: int, b: int) -> float:
        if text[a] == " " or text[b - 1] == " ":
            return measure(text[a:b].strip())
        return prefix[b] - prefix[a]

    k_min = max(2, math.ceil(total / max_width))
    best: tuple[float, list[int]] | None = None
    for k in range(k_min, min(k_min + 2, n) + 1):
        target = total / k
        result = _best_breaks(n, k, pen, width, target, max_width, em, min_last)
        if result is None:
            continue
        cost = result[0] + _P_LINE * (k - k_min)
        if best is None or cost < best[0]:
            best = (cost, result[1])
    if best is None:
        return greedy_lines(text, max_width, measure)
    cuts = [0, *best[1], n]
    return [text[a:b].strip() for a, b in pairwise(cuts)]


def _best_breaks(n, k, pen, width, target, max_width, em, min_last):
    """Dynamic programme over break positions: cost = break penalties + squared deviation from an even split."""
    inf = math.inf
    # cost[j][i]: best cost of setting text[:i] in j lines
    cost = [[inf] * (n + 1) for _ in range(k + 1)]
    back = [[-1] * (n + 1) for _ in range(k + 1)]
    cost[0][0] = 0.0
    for j in range(1, k + 1):
        last = j == k
        for i in range(1, n + 1):
            if last and i != n:
                continue
            if not last and (i == n or pen[i] is None):
                continue
            for a in range(j - 1, i):
                if cost[j - 1][a] == inf:
                    continue
                w = width(a, i)
                if w > max_width + 0.01:
                    continue
                c = cost[j - 1][a] + 4.0 * ((w - target) / em) ** 2
                if not last:
                    c += pen[i]
                elif i - a < min_last:
                    c += _P_SHORT_LAST
                if c < cost[j][i]:
                    cost[j][i], back[j][i] = c, a
    if cost[k][n] == inf:
        return None
    cuts, i = [], n
    for j in range(k, 0, -1):
        a = back[j][i]
        if j > 1:
            cuts.append(a)
        i = a
    return cost[k][n], sorted(cuts)


def greedy_lines(text: str, max_width: float, measure: Callable[[str], float]) -> list[str]:
    """Fill each line as far as it goes, breaking only where allowed (falls back to any character)."""
    lines: list[str] = []
    pen = break_penalties(text)
    start, w, last_ok = 0, 0.0, -1
    i = 0
    while i < len(text):
        cw = measure(text[i])
        if w + cw > max_width and i > start:
            cut = last_ok if last_ok > start else i
            lines.append(text[start:cut].rstrip())
            start, w, last_ok = cut, 0.0, -1
            i = cut
            continue
        w += cw
        i += 1
        if i < len(text) and pen[i] is not None:
            last_ok = i
    if start < len(text):
        lines.append(text[start:])
    return [line for line in lines if line]


@lru_cache(maxsize=4096)
def _label_lines_cached(text: str, max_width: float, font: str, size: float) -> tuple[str, ...]:
    from .fonts import string_width

    def measure(s: str) -> float:
        return string_width(s, font, size)

    if measure(text) <= max_width:
        return (text,)
    if len(text) > 40:
        return tuple(greedy_lines(text, max_width, measure))
    # fewest lines first, then the best breaks; no balancing (a cell is left-to-right reading)
    pen = break_penalties(text)
    n = len(text)
    inf = math.inf
    best = [(inf, -1)] * (n + 1)
    best[0] = (0.0, -1)
    for i in range(1, n + 1):
        if i < n and pen[i] is None:
            continue
        for a in range(i - 1, -1, -1):
            if measure(text[a:i].strip()) > max_width + 0.01:
                break
            if best[a][0] == inf:
                continue
            c = best[a][0] + 100.0 + (pen[i] if i < n else 0.0)
            if c < best[i][0]:
                best[i] = (c, a)
    if best[n][0] == inf:
        return tuple(greedy_lines(text, max_width, measure))
    cuts, i = [], n
    while i > 0:
        a = best[i][1]
        cuts.append((a, i))
        i = a
    return tuple(text[a:b].strip() for a, b in reversed(cuts))


def label_lines(text: str, max_width: float, font: str, size: float) -> list[str]:
    """A short label (a category, a unit name) in as few lines as fit, broken between words."""
    return list(_label_lines_cached(text, round(max_width, 2), font, size))


def list_names(names: Iterable[str]) -> list[str]:
    """The names of a 主送 list: each entry split at its own "、" (one typed as 甲、乙) outside brackets, blanks and
    a trailing "：" dropped."""
    out: list[str] = []
    for entry in names:
        depth, start = 0, 0
        entry = entry.rstrip("：:")
        for i, ch in enumerate(entry):
            if ch in _PAIRS:
                depth += 1
            elif ch in _PAIRS.values():
                depth = max(0, depth - 1)
            elif ch == "、" and depth == 0:
                out.append(entry[start:i])
                start = i + 1
        out.append(entry[start:])
    return [name.strip() for name in out if name.strip()]


def recipient_lines(names: Sequence[str], max_width: float, font: str, size: float) -> list[str]:
    """主送 (GB/T 9704 §7.3.2): the names joined by "、" and ended by "：", flush left, broken only between two names
    (after a "、"), in the fewest lines, the room left spread over them: no name is cut across lines, and the last
    line does not hold one short name alone where the lines before can give it company. A name wider than a line
    is broken between its words (where a title would be), wherever it starts. (Greedy filling cut names in two and
    left a lone "分公司：" on the last line.)"""
    return list(_recipient_lines_cached(tuple(list_names(names)), round(max_width, 2), font, size))


_RAGGED_LAST = 0.5  # the last line counts as short under half a line
_P_NAME_BREAK = 5.0  # a break inside a long name costs its penalty times this, in (characters of room left)²


@lru_cache(maxsize=256)
def _recipient_lines_cached(names: tuple[str, ...], max_width: float, font: str, size: float) -> tuple[str, ...]:
    from .fonts import string_width

    if not names:
        return ()
    # atoms (text, width, cost of a break after it): a name that fits a line is one atom, a break after its "、"
    # free; a longer one is cut at each place a break inside it is allowed, at that place's penalty
    atoms: list[tuple[str, float, float]] = []
    for i, name in enumerate(names):
        token = name + ("：" if i == len(names) - 1 else "、")
        if string_width(token, font, size) <= max_width + 0.01:
            atoms.append((token, string_width(token, font, size), 0.0))
            continue
        pen = break_penalties(token)
        cuts = [0, *(j for j in range(1, len(token)) if pen[j] is not None), len(token)]
        for a, b in pairwise(cuts):
            atoms.append((token[a:b], string_width(token[a:b], font, size),
                          _P_NAME_BREAK * pen[b] if b < len(token) else 0.0))
    n = len(atoms)
    inf = (math.inf, math.inf)
    # best[i]: (lines, cost) of setting atoms[:i]; the fewest lines first, then the least ragged and the best breaks
    best: list[tuple[float, float]] = [inf] * (n + 1)
    back = [-1] * (n + 1)
    best[0] = (0, 0.0)
    for i in range(1, n + 1):
        width = 0.0
        for a in range(i - 1, -1, -1):
            width += atoms[a][1]
            if width > max_width + 0.01 and a < i - 1:
                break
            if best[a] == inf:
                continue
            if i == n:  # the last line: short only under half a line
                cost = (max(0.0, _RAGGED_LAST * max_width - width) / size) ** 2
            else:
                cost = (max(0.0, max_width - width) / size) ** 2 + atoms[i - 1][2]
            total = (best[a][0] + 1, best[a][1] + cost)
            if total < best[i]:
                best[i], back[i] = total, a
    lines, i = [], n
    while i > 0:
        a = back[i]
        lines.append("".join(text for text, _, _ in atoms[a:i]))
        i = a
    return tuple(reversed(lines))
