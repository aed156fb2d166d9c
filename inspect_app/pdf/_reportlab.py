"""Process-wide reportlab settings the documents rely on (imported by the package before anything else)."""

from contextvars import ContextVar

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics as _pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth as _string_width

# Write binary streams instead of ASCII85: without reportlab's optional C accelerator, ASCII85
# encoding runs in pure Python and dominates build time (~15 ms per embedded photo) and it
# makes files 25% larger. Process-wide, harmless for any other reportlab user.
rl_config.useA85 = 0

# reportlab's CJK line breakers (paragraph.cjkFragSplit, and textsplit.wordSplit for unstyled text) let a mark
# in their (Japanese) "cannot start a line" list hang in the margin instead of starting the next line; the list
# lacks the Chinese full-width comma, semicolon, colon, question and exclamation marks, closing title marks and
# quotes, so "，" or "：" could start a line. Add them (process-wide; only CJK-wrapped text is affected).
from reportlab.lib import textsplit as _textsplit
from reportlab.platypus import paragraph as _paragraph

_CHINESE_NO_LINE_START = "，；：？！》〉」』”’…—％"
for _module in (_textsplit, _paragraph):
    _module.ALL_CANNOT_START += "".join(ch for ch in _CHINESE_NO_LINE_START if ch not in _module.ALL_CANNOT_START)

# textsplit.wordSplit measures each character of the text with stringWidth, every time a paragraph is wrapped; a
# table wraps each cell several times (column widths, row heights, each split across pages), so a 887-row 整改任务清单
# spent most of its time there. A character's width in a face at a size never changes: keep each one measured. The
# same stringWidth, the same floats, the same breaks.
_char_widths: dict[tuple[object, float], dict[str, float]] = {}


def _cached_char_widths(word: str, fontName: str, fontSize: float) -> list[float]:
    key = (_pdfmetrics.getFont(fontName), fontSize)  # the face itself: a name registered again is a new face
    known = _char_widths.get(key)
    if known is None:
        known = _char_widths[key] = {}
    out = []
    for ch in word:
        width = known.get(ch)
        if width is None:
            width = known[ch] = _string_width(ch, fontName, fontSize)
        out.append(width)
    return out


_textsplit.getCharWidths = _cached_char_widths

# Both breakers also hang at most one such mark: of two in a row ("。”", "？！", "）。") the second still starts the
# next line, and nothing keeps an opening mark ("（", "“", "《") off the end of a line. GB/T 9704 text follows the
# usual Chinese rule instead: where a line would start with a closing mark, or end with an opening one, the last
# character before it goes down with it (推出). Done here by breaking again with that line a little narrower, then
# giving the narrowed line back its width, so a justified paragraph still fills the measure.
_CHINESE_NO_LINE_END = "（《〈「『“‘【〔［｛"
_MAX_REBREAKS = 50

# In a table cell the right margin is the cell's border, and a mark hung there crosses the grid line (a 、 after
# "（扣12分）" stood on the 红黑榜's right rule). A CellParagraph's lines hang nothing: a line that would is broken
# like one whose next line starts with a closing mark, its last character going down with the mark (Word does the
# same with 允许标点溢出边界 off).
_NO_HANG: ContextVar[bool] = ContextVar("no_hang", default=False)
_OVER = 0.01  # points past the line's width that count as hanging (reportlab's own tolerance is 1e-6)


def _bad_break(texts: list[str], over: list[bool] | None = None) -> int | None:
    """The first line (from the second) that starts with a closing mark or follows one ending with an opening mark,
    or (`over`: whether each line is wider than its measure) follows one that hangs a mark past its edge."""
    for k in range(1, len(texts) + 1):  # k == len(texts): only the last line's own overflow is asked
        if over and over[k - 1]:
            return k
        if k < len(texts) and (texts[k] and texts[k][0] in _paragraph.ALL_CANNOT_START
                               or texts[k - 1][-1:] in _CHINESE_NO_LINE_END):
            return k
    return None


def _tail(text: str) -> int:
    """How many characters at the end of a line go down to the next: the opening marks it ends with, else the
    closing marks it ends with and the one character before them."""
    n = len(text)
    while n and text[n - 1] in _CHINESE_NO_LINE_END:
        n -= 1
    if n < len(text):
        return len(text) - n
    while n and text[n - 1] in _paragraph.ALL_CANNOT_START:
        n -= 1
    return len(text) - n + 1


def _widths(maxWidths, narrowed: dict[int, float], count: int) -> list[float]:
    given = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
    widths = [given[min(i, len(given) - 1)] for i in range(max(count, len(given)))]
    for line, width in narrowed.items():
        widths[line] = width
    return widths


def _rebreak(split, texts_of, kept_width, give_back, overflowing):
    """`split` (a reportlab breaker taking maxWidths second) with Chinese line-start and line-end rules."""
    def breaker(content, maxWidths, *args, **kwargs):
        result = split(content, maxWidths, *args, **kwargs)
        narrowed: dict[int, float] = {}
        for _ in range(_MAX_REBREAKS):
            texts = texts_of(result)
            k = _bad_break(texts, overflowing(result) if _NO_HANG.get() else None)
            if k is None:
                break
            tail = _tail(texts[k - 1])
            if tail >= len(texts[k - 1]):
                break  # the whole line is marks: leave it as reportlab set it
            narrowed[k - 1] = kept_width(result, k - 1, len(texts[k - 1]) - tail) + 0.01
            result = split(content, _widths(maxWidths, narrowed, len(texts) + 1), *args, **kwargs)
        if narrowed:
            give_back(result, {line: _widths(maxWidths, {}, line + 1)[line] - width
                               for line, width in narrowed.items()})
        return result
    return breaker


def _simple_texts(lines) -> list[str]:
    return [text for _, text in lines]


def _simple_kept(fontName, fontSize):
    return lambda lines, line, keep: _string_width(lines[line][1][:keep], fontName, fontSize)


def _simple_give_back(lines, extra: dict[int, float]) -> None:
    for line, width in extra.items():
        if line < len(lines):
            lines[line][0] += width


def _simple_over(lines) -> list[bool]:
    return [extra < -_OVER for extra, _ in lines]  # each line: (the width left over, its text)


# A table wraps each cell again on every pass (column widths, row heights, each split across pages, the draw): the
# 887-row 整改任务清单 broke the same 648 texts 6263 times. Each text's lines are kept for its widths, face, size and
# hanging rule (a CellParagraph's or not), and each caller gets its own copy of them (reportlab and _rebreak change
# a line's room in place).
_SPLITS_KEPT = 4096
_splits: dict[tuple, list[list]] = {}


def _word_split(word, maxWidths, fontName, fontSize, encoding="utf8"):
    widths = tuple(maxWidths) if isinstance(maxWidths, (list, tuple)) else maxWidths
    key = (word, widths, _pdfmetrics.getFont(fontName), fontSize, encoding, _NO_HANG.get())
    lines = _splits.get(key)
    if lines is None:
        lines = _rebreak(_original_word_split, _simple_texts, _simple_kept(fontName, fontSize), _simple_give_back,
                         _simple_over)(word, maxWidths, fontName, fontSize, encoding)
        if len(_splits) >= _SPLITS_KEPT:
            _splits.clear()
        _splits[key] = lines
    return [[extra, text] for extra, text in lines]


def _frag_texts(para) -> list[str]:
    return ["".join(word.text for word in line.words) for line in para.lines]


def _frag_kept(para, line: int, keep: int) -> float:
    width = 0.0
    for word in para.lines[line].words:
        part = word.text[:keep]
        width += _string_width(part, word.fontName, word.fontSize)
        keep -= len(part)
        if keep <= 0:
            break
    return width


def _frag_give_back(para, extra: dict[int, float]) -> None:
    for line, width in extra.items():
        if line < len(para.lines):
            para.lines[line].extraSpace += width
            para.lines[line].maxWidth += width


def _frag_over(para) -> list[bool]:
    return [line.extraSpace < -_OVER for line in para.lines]


_original_word_split = _paragraph.wordSplit
_paragraph.wordSplit = _word_split
_paragraph.cjkFragSplit = _rebreak(_paragraph.cjkFragSplit, _frag_texts, _frag_kept, _frag_give_back, _frag_over)


class CellParagraph(_paragraph.Paragraph):
    """A paragraph in a table cell: no mark hangs past its right edge, the cell's border (see _NO_HANG)."""

    def breakLinesCJK(self, maxWidths):
        token = _NO_HANG.set(True)
        try:
            return super().breakLinesCJK(maxWidths)
        finally:
            _NO_HANG.reset(token)


# Splitting a paragraph across pages: for text of several frags (a run-in lead in 楷体 such as "（一）限期整改到位。",
# a character drawn in a fallback face) reportlab rebuilds the rest from the lines' words and puts a space at the
# end of each line (_split_blParaHard: its lines were broken at spaces, which the breaker dropped). cjkFragSplit
# drops nothing, so those spaces were new: the continuation on the next page got half-character gaps ("服 务中心")
# where the lines had ended, and lines starting half a character in. CJK lines are joined as they are.
def _split_cjk_lines(blPara, start: int, stop: int) -> list:
    return [word for line in blPara.lines[start:stop] for word in line.words]


_original_split_func = _paragraph.Paragraph._get_split_blParaFunc


def _get_split_blParaFunc(self):
    if (self.blPara.kind == 1 and getattr(self.style, "wordWrap", None) == "CJK"
            and not _paragraph._processed_frags(self.frags)):
        return _split_cjk_lines
    return _original_split_func(self)


_paragraph.Paragraph._get_split_blParaFunc = _get_split_blParaFunc
