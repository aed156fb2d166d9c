"""An official document (公文) as data, independent of the database: what :func:`render_document` prints.

Build an :class:`OfficialDocument` from anything (a letter row, a draft being edited, a published list) and
render it; the renderer knows the layout of GB/T 9704-2012, the callers only the content::

    doc = OfficialDocument(
        form=Form.LETTER, issuer_mark="临江市精神文明建设指导委员会办公室", doc_number="临江文明督〔2026〕8号",
        title="关于对超期未整改问题实行挂牌督办的函", recipients=["市城市管理局", "江城区解放街道办事处"],
        body=[Para("经市文明办督查发现，……"), Heading("一、整改要求"), Para("……")],
        attachments=[Attachment("问题清单", [IssueTable(...)])],
        signatory="临江市精神文明建设指导委员会办公室", date=date(2026, 11, 27),
        cc=["市委督查室", "市政府督查室"],
    )
    render_document(doc, out)

Strings are plain text (never markup); what users typed is cleaned on the way (control characters and line
breaks in one-line fields, see :mod:`.text`).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from reportlab.platypus import Flowable


class Form(enum.Enum):
    """The two layouts of GB/T 9704-2012 used here."""

    LETTER = "letter"  # 信函格式 (§10.1): 函
    FILE = "file"  # 文件格式 (§7): 通知, 通报


@dataclass(frozen=True)
class Kind:
    """A kind of document the office issues: its layout and its usual closing sentence."""

    code: str
    label: str  # 中文 name
    form: Form
    closing: str  # 结束语


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("supervision", "督办函", Form.LETTER, "特此函告。"),
    Kind("listed", "挂牌督办函", Form.LETTER, "特此函告。"),
    Kind("summons", "约谈通知", Form.FILE, "特此通知。"),
    Kind("bulletin", "督查通报", Form.FILE, "特此通报。"),
    Kind("ranking", "红黑榜通报", Form.FILE, "特此通报。"),
)}


# ------------------------------------------------------------------------------------------ body blocks

@dataclass(frozen=True)
class Para:
    """A body paragraph (2 characters indent). ``lead`` is a run-in heading before the text, e.g.
    ``Para("各单位要……", lead="（一）压实整改责任。", lead_level=2)`` sets the lead in 楷体."""

    text: str
    lead: str = ""
    lead_level: int = 2
    indent: bool = True


@dataclass(frozen=True)
class Heading:
    """结构层次序数 heading on its own line: level 1 "一、" in 黑体, level 2 "（一）" in 楷体, levels 3 "1."
    and 4 "（1）" in 仿宋; indented two characters like the body."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Photo:
    """An image in a table cell: a file path or the bytes (JPEG is embedded as it is); ``None`` prints
    "（无照片）", an unreadable image "（照片缺失）"."""

    source: str | os.PathLike[str] | bytes | None
    max_w_mm: float = 21.0
    max_h_mm: float = 16.0


CellValue = str | int | float | Photo | Sequence[Photo] | Flowable | None  # a Flowable is used as it is


@dataclass(frozen=True)
class Column:
    """A table column. ``kind``:

    - ``"text"``: wraps anywhere, left-aligned (a place, a reason); ``\\n`` starts a new line;
    - ``"label"``: short name kept whole where possible, broken between words, centred (a category,
      a unit); a four-character word never breaks if the column is at least that wide;
    - ``"plain"``: numbers and dates, centred, never broken (``\\n`` for a second line);
    - ``"photo"``: a :class:`Photo` (or several); a string is printed as a small note instead.
    """

    title: str
    width_mm: float
    kind: Literal["text", "label", "plain", "photo"] = "text"


@dataclass(frozen=True)
class RowGroup:
    """Rows under a spanning group line, e.g. one unit's problems in a 问题清单."""

    label: str
    rows: Sequence[Sequence[CellValue]]


@dataclass(frozen=True)
class DataTable:
    """A grid table whose header repeats on every page; rows too tall for a page split inside the row.

    ``rows`` or ``groups`` (with a group line before each group's rows). Widths are scaled to the 版心
    width if they add up to more. ``font_size`` 10.5 is 五号.
    """

    columns: Sequence[Column]
    rows: Sequence[Sequence[CellValue]] = ()
    groups: Sequence[RowGroup] = ()
    font_size: float = 10.5
    caption: str = ""  # a centred line in 黑体 above the table


@dataclass(frozen=True)
class Raw:
    """Escape hatch: ready reportlab flowables (a chart). ``keep_together`` keeps them on one page."""

    flowables: Sequence[Flowable]
    keep_together: bool = False


Block = Para | Heading | DataTable | Raw | str


@dataclass(frozen=True)
class Attachment:
    """附件: printed on a new page after the body and 落款, titled, with its own blocks."""

    title: str
    blocks: Sequence[Block] = ()


@dataclass(frozen=True)
class Seal:
    """The office's seal image (transparent PNG), printed red over 署名 and 成文日期."""

    image: str | os.PathLike[str] | bytes
    diameter_mm: float = 42.0


# ------------------------------------------------------------------------------------------ the document

@dataclass
class OfficialDocument:
    """Everything printed on an official document; see the module docstring for an example.

    ``issuer_mark`` is the 发文机关标志 exactly as printed (a 文件格式 mark usually ends in "文件").
    ``doc_number`` None prints no 发文字号 (a draft never shows one). ``title_breaks``: the title's lines
    as the office wants them (else :func:`.text.balanced_lines` decides, keeping ``title_keep`` phrases
    and the recipients' names whole). ``seal`` None with ``seal_space`` leaves room for a wet seal;
    ``seal_space=False`` sets 署名 and 日期 as an unsealed document (GB/T 9704 §7.3.5.2). ``report_to``
    (报) names leaders, ``cc`` (抄送) organs; ``printer``/``print_date`` (印发) are used in 文件格式 only.
    ``note`` is the 附注 (e.g. "联系人：王敏，电话：0731-12345678"). ``draft`` marks every page 草稿 and
    prints neither number nor seal.
    """

    form: Form
    issuer_mark: str
    title: str
    doc_number: str | None = None
    recipients: Sequence[str] = ()
    body: Sequence[Block] = ()
    attachments: Sequence[Attachment] = ()
    signatory: str = ""
    date: date | None = None
    seal: Seal | None = None
    seal_space: bool = True
    note: str = ""
    report_to: Sequence[str] = ()
    cc: Sequence[str] = ()
    printer: str = ""
    print_date: date | None = None
    draft: bool = False
    title_breaks: Sequence[str] | None = None
    title_keep: Sequence[str] = field(default_factory=tuple)
    author: str = ""  # PDF metadata; default: signatory
