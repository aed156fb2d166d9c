"""Process-wide reportlab settings the documents rely on (imported by the package before anything else)."""

from reportlab import rl_config

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
