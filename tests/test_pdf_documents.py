"""Official documents (inspect_app/pdf/document.py, render.py): every kind rendered and measured against
GB/T 9704-2012, hostile table content, title breaking, faces, the seal, drafts, and build time.

Positions are read back from the PDF with ``pdftotext -bbox`` (word boxes in points from the top-left)
and, for what is drawn rather than written (the red rules, the seal), from a 72 dpi rendering.
PDF_SAMPLE_DIR=/tmp/x keeps every sample and a PNG of each page to look at.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.lib.units import mm

from inspect_app.pdf import text as textmod
from inspect_app.pdf.document import (
    KINDS,
    Attachment,
    Column,
    DataTable,
    Form,
    Heading,
    OfficialDocument,
    Para,
    Photo,
    Seal,
)
from inspect_app.pdf.fonts import (
    BUNDLED_FONT_PATH,
    coverage,
    document_fonts,
    markup,
    register_fonts,
    string_width,
)
from inspect_app.pdf.problems import ProblemItem, problem_table
from inspect_app.pdf.render import render_document

PT = 72 / 25.4  # points per mm
TOP, LEFT, TEXT_W = 37, 28, 156  # mm
RIGHT = LEFT + TEXT_W
CENTRE = LEFT + TEXT_W / 2
LINE_MM = 225 / 22
CHAR_MM = 15.79 / PT
PHOTO_DIR = Path(__file__).parent / "photos"
UNITS = ["临江市城市管理局", "江城区解放街道办事处", "市交警支队", "中国移动临江分公司"]
CATEGORIES = ["乱停乱放", "占道经营", "非机动车乱停放", "公益广告缺失破损", "暴露垃圾", "井盖缺失破损", "牛皮癣",
              "违规广告牌匾", "乱堆乱放", "路面破损", "私搭乱建", "蜘蛛网"]
AS_OF = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="poppler-utils not installed")


# ============================================================================================ helpers

def make_seal(path: Path, *, alpha: bool = True) -> Path:
    """A round red seal with a star (what an office uploads: red on transparent, or on white)."""
    size = 400
    im = Image.new("RGBA" if alpha else "RGB", (size, size), (0, 0, 0, 0) if alpha else "white")
    draw = ImageDraw.Draw(im)
    red = (220, 20, 30, 240) if alpha else (220, 20, 30)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=16)
    cx = cy = size / 2
    star = [(cx + (60 if k % 2 == 0 else 24) * math.cos(-math.pi / 2 + k * math.pi / 5),
             cy + (60 if k % 2 == 0 else 24) * math.sin(-math.pi / 2 + k * math.pi / 5)) for k in range(10)]
    draw.polygon(star, fill=red)
    draw.rectangle((110, 290, 290, 310), fill=red)
    im.save(path)
    return path


_thumbs: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _remove_thumbs():
    """The thumbnails' temporary folder goes when the module's tests are done, so runs leave nothing in /tmp."""
    yield
    if _thumbs:
        shutil.rmtree(Path(_thumbs[0]).parent, ignore_errors=True)
        _thumbs.clear()


def thumbs() -> list[str]:
    """Thumbnails as the app stores them (480 px JPEG), made once; the last is not an image (（照片缺失）)."""
    if not _thumbs:
        folder = Path(tempfile.mkdtemp(prefix="pdf-thumbs-"))
        for name in ("gps_DSCN0010.jpg", "gps_DSCN0012.jpg", "Canon_40D.jpg", "orient_Landscape_6.jpg"):
            with Image.open(PHOTO_DIR / name) as im:
                im.thumbnail((480, 480))
                im.convert("RGB").save(folder / name, quality=80)
            _thumbs.append(str(folder / name))
        _thumbs.append(str(PHOTO_DIR / "not_an_image.jpg"))
    return _thumbs


def problems(counts=(3, 2, 4, 1)) -> list[tuple[str, list[ProblemItem]]]:
    groups, k = [], 0
    for unit, n in zip(UNITS, counts):
        items = []
        for _ in range(n):
            k += 1
            items.append(ProblemItem(number=f"2026-{k:06d}", category=CATEGORIES[k % len(CATEGORIES)],
                                     place=f"人民路{k}号门前（人民路东段）", found_at=AS_OF - timedelta(days=2),
                                     deadline=AS_OF - timedelta(days=1), overdue=("43分钟", "23小时", f"{k}天")[k % 3],
                                     photo=thumbs()[k % len(thumbs())]))
        if items:
            groups.append((unit, items))
    return groups


def letter_doc(*, seal: Path | None = None, draft: bool = False, counts=(3, 2, 4, 1), signatory=None,
               recipients=UNITS) -> OfficialDocument:
    return OfficialDocument(
        form=Form.LETTER, issuer_mark="临江市精神文明建设指导委员会办公室", doc_number="临江文明督〔2026〕8号",
        title="关于对超期未整改问题实行挂牌督办的函", recipients=recipients,
        body=[Para("经市文明办督查发现，截至2026年11月27日9时，你单位有下列问题经督办后仍未整改到位（详见附件）。"
                   "经研究，决定对上述问题实行挂牌督办，并列入红黑榜通报。"),
              Heading("一、整改要求"),
              Para("请你单位主要负责同志亲自过问，于2026年12月4日前整改到位，并通过文明城市督查整改系统上传整改后照片、"
                   "反馈整改情况。逾期仍未整改到位的，将约谈你单位主要负责同志。"),
              Heading("二、反馈方式"),
              Para("请登录文明城市督查整改系统签收本函。", lead="（一）签收。"),
              Para("特此函告。")],
        attachments=[Attachment("问题清单", [problem_table(problems(counts))])],
        signatory=signatory or "临江市精神文明建设指导委员会办公室", date=date(2026, 11, 27),
        seal=Seal(seal) if seal else None, note="联系人：王敏，电话：0731-12345678",
        report_to=["市文明委主任、副主任"], cc=["市委督查室、市政府督查室"], draft=draft)


def notice_doc(*, seal: Path | None = None) -> OfficialDocument:
    return OfficialDocument(
        form=Form.FILE, issuer_mark="临江市精神文明建设指导委员会办公室文件", doc_number="临江文明督〔2026〕9号",
        title="关于约谈超期未整改问题责任单位负责同志的通知", recipients=["市交警支队"],
        body=[Para("经市文明办督查发现，你单位有4个问题经挂牌督办后仍未整改到位（详见附件），影响全市创建全国文明城市"
                   "工作。经研究，决定约谈你单位主要负责同志。现将有关事项通知如下。"),
              Heading("一、约谈时间和地点"), Para("2026年12月8日（星期二）上午9时，市文明办三楼会议室。"),
              Heading("二、参加人员"), Para("你单位主要负责同志、分管负责同志。"),
              Heading("三、有关要求"), Para("请于2026年12月7日前将整改情况书面报送市文明办。", lead="（一）书面报告。"),
              Para("特此通知。")],
        attachments=[Attachment("问题清单", [problem_table(problems((0, 0, 4, 0)))])],
        signatory="临江市精神文明建设指导委员会办公室", date=date(2026, 12, 1), seal=Seal(seal) if seal else None,
        report_to=["市文明委主任、副主任"], cc=["市委督查室、市政府督查室"], printer="临江市文明办",
        print_date=date(2026, 12, 1))


def bulletin_doc() -> OfficialDocument:
    columns = (Column("序号", 12, "plain"), Column("点位", 50, "text"), Column("类别", 22, "label"),
               Column("责任单位", 40, "label"), Column("整改情况", 32, "text"))
    rows = [[str(i + 1), f"人民路农贸市场东门（第{i + 1}处）", CATEGORIES[i % 12], UNITS[i % 4],
             "已整改" if i % 3 else "未整改，已督办"] for i in range(30)]
    return OfficialDocument(
        form=Form.FILE, issuer_mark="临江市文明办文件", doc_number="临江文明通〔2026〕12号",
        title="关于2026年第四季度模拟测评暗访发现问题整改情况的通报",
        recipients=["各县（市、区）文明办", "市文明委各成员单位"],
        body=[Para("为巩固全国文明城市创建成果，市文明办于11月组织开展模拟测评暗访，现将有关情况通报如下。"),
              Heading("一、基本情况"), Para("本次暗访共抽查点位120个，发现问题30个。"),
              Heading("二、存在问题"), DataTable(columns, rows=rows, caption="暗访发现问题清单"),
              Heading("三、下一步要求"), Para("各单位要对照问题清单立即整改。", lead="（一）立即整改。"),
              Para("特此通报。")],
        signatory="临江市文明办", date=date(2026, 12, 2),
        report_to=["市委、市政府领导"], cc=["市委督查室、市政府督查室"], printer="临江市文明办",
        print_date=date(2026, 12, 2))


def fake_ranking(units: int = 110, *, cases: bool = True):
    """A published list as the ranking PDF reads it (duck-typed: no database)."""
    entries = []
    for i in range(units):
        score = round(99 - i * 0.8, 2)
        listed = "red" if i < 10 else "black" if i >= units - 10 else ""
        figures = {"due": 12, "closed": 10, "found_total": 6, "rework": 1, "overdue": 1, "relapse": 0,
                   "supervised": 1 if listed == "black" else 0, "listed": 0, "interview": 0, "referral": 0}
        entries.append(SimpleNamespace(rank=i + 1, unit_name=f"{UNITS[i % 4]}第{i + 1}责任片区", score=score,
                                       figures=figures, reason="日常督查发现问题6件（扣3分）", list_name=listed,
                                       insufficient=False, group_name="街道/乡镇"))
    photo = None
    case_list = []
    if cases:
        case_list = [{"list": "red", "unit_name": UNITS[0], "category": "乱停乱放", "address": "人民路18号",
                      "number": "2026-000018", "reported_at": "2026-11-09T09:00:00+08:00",
                      "deadline": "2026-11-09T11:00:00+08:00", "rectified_at": "2026-11-09T10:00:00+08:00",
                      "escalation_level": 0, "days_overdue": 0, "before": photo, "after": photo},
                     {"list": "black", "unit_name": UNITS[2], "category": "占道经营", "address": "解放路3号",
                      "number": "2026-000031", "reported_at": "2026-11-02T09:00:00+08:00",
                      "deadline": "2026-11-03T09:00:00+08:00", "rectified_at": None, "escalation_level": 2,
                      "days_overdue": 20, "before": photo, "after": None}]
    return SimpleNamespace(
        period="2026-11", version=1, published_at=datetime(2026, 12, 1, 2, tzinfo=UTC),
        as_of=datetime(2026, 12, 1, 1, tzinfo=UTC), office="临江市精神文明建设指导委员会办公室",
        number="临江文明榜〔2026〕1号",
        rules={"scheme": {"name": "问题扣分制（默认方案）"},
               "groups": [{"name": "街道/乡镇", "red_size": 10, "red_floor": 90, "black_size": 10, "black_below": 60}],
               "method": ["满分100分，日常督查发现问题每件扣0.5分，扣完为止。"]},
        formula_text="满分100分，日常督查发现问题每件扣0.5分，扣完为止。",
        summary={"units": units, "ranked": units, "unranked": 0,
                 "totals": {"found": units * 6, "overdue": units, "rework": units, "relapse": 0}},
        entries=entries, cases=case_list)


def render(doc: OfficialDocument, path: Path, **kw) -> Path:
    render_document(doc, path, **kw)
    keep(path)
    return path


def keep(path: Path) -> None:
    """PDF_SAMPLE_DIR=/tmp/x: keep the PDF and a PNG of every page to look at."""
    target = os.environ.get("PDF_SAMPLE_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
        if shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(Path(target) / path.stem)], check=True)


def words(path: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Per page: (text, x0, y0, x1, y1) in mm from the page's top-left corner."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True).stdout
    out = re.sub(r"<!DOCTYPE[^>]*>", "", out).replace('xmlns="http://www.w3.org/1999/xhtml"', "")
    root = ElementTree.fromstring(out)
    pages = []
    for page in root.iter("page"):
        pages.append([(w.text or "", float(w.get("xMin")) / PT, float(w.get("yMin")) / PT,
                       float(w.get("xMax")) / PT, float(w.get("yMax")) / PT) for w in page.iter("word")])
    return pages


def find(page, text: str):
    hits = [w for w in page if text in w[0]]
    assert hits, f"{text!r} not on the page: {[w[0] for w in page]}"
    return hits[0]


def red_boxes(path: Path, page: int) -> Image.Image:
    """Page ``page`` (1-based) rendered at 72 dpi (1 px = 1 pt)."""
    return Image.open(_png(path, page)).convert("RGB")


def red_rows(im: Image.Image) -> list[tuple[int, int, int]]:
    """(y, first x, last x) of every pixel row holding red, in pixels (1 px = 1 pt)."""
    px = im.load()
    rows = []
    for y in range(im.height):
        xs = [x for x in range(im.width) if px[x, y][0] > 150 and px[x, y][1] < 110 and px[x, y][2] < 110]
        if xs:
            rows.append((y, xs[0], xs[-1]))
    return rows


def embedded_fonts(path: Path) -> list[str]:
    found = []
    for page in PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found.append(("embedded:" if embedded else "missing:") + str(font["/BaseFont"]))
    return found


def page_texts(path: Path) -> list[str]:
    return ["".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def image_count(path: Path, page: int) -> int:
    return len(PdfReader(path).pages[page - 1].images)


# ============================================================================================ layout

@needs_poppler
def test_letter_form_layout(tmp_path):
    """信函格式 (GB/T 9704-2012 §10.1) measured on the page."""
    seal = make_seal(tmp_path / "seal.png")
    path = render(letter_doc(seal=seal, counts=(1, 1, 0, 0)), tmp_path / "letter_form.pdf")
    pages = words(path)
    first = pages[0]
    mark = find(first, "临江市精神文明建设指导委员会办公室")
    assert mark[2] == pytest.approx(30, abs=1.0)  # 发文机关标志 30 mm from the top edge
    assert (mark[1] + mark[3]) / 2 == pytest.approx(CENTRE, abs=1.0)  # centred on the 版心
    number = find(first, "临江文明督〔2026〕8号")
    assert number[3] == pytest.approx(RIGHT, abs=0.5)  # 发文字号 flush right
    title = find(first, "关于对超期未整改问题实行挂牌督办的函")
    assert (title[1] + title[3]) / 2 == pytest.approx(CENTRE, abs=1.0)
    assert title[2] - number[4] == pytest.approx(2 * LINE_MM, abs=3)  # 标题与其上最后一个要素相距二行
    recipients = find(first, "临江市城市管理局、")
    assert recipients[1] == pytest.approx(LEFT, abs=0.3)  # 主送 flush left
    body = next(w for w in first if w[0].startswith("经市文明办督查发现"))
    assert body[1] == pytest.approx(LEFT + 2 * CHAR_MM, abs=0.3)  # 段首空二字
    full_lines = [w for w in first if w[1] == pytest.approx(LEFT, abs=0.3) and w[3] > RIGHT - 3
                  and w[4] - w[2] == pytest.approx(CHAR_MM, abs=0.2) and not re.search(r"\d", w[0])]
    assert full_lines and all(len(w[0]) == 28 for w in full_lines), full_lines  # 28 characters a line
    ys = sorted({round(w[2], 1) for w in first if w[1] < LEFT + 0.5})
    assert min(b - a for a, b in itertools.pairwise(ys)) == pytest.approx(LINE_MM, abs=0.2)  # 22 lines a page
    assert not any("—" in w[0] for w in first)  # no page number on page 1
    for n, page in enumerate(pages[1:], start=2):
        label = [w for w in page if re.fullmatch(r"—\s*\d+\s*—|—|\d+", w[0]) and w[2] > 297 - 35]
        assert label, f"page {n} has its number"
        xs = [w[1] for w in label]
        if n % 2:
            assert max(w[3] for w in label) == pytest.approx(RIGHT - 14 / PT, abs=1)  # odd: right, one 字 in
        else:
            assert min(xs) == pytest.approx(LEFT + 14 / PT, abs=1)  # even: left, one 字 in
    # the red double rules: 4 mm under the mark (thick over thin), 20 mm above the bottom edge, 170 mm long
    rows = red_rows(red_boxes(path, 1))
    rules = [r for r in rows if r[2] - r[1] > 160 * PT]
    top_rule = [r for r in rules if r[0] < 60 * PT]
    bottom_rule = [r for r in rules if r[0] > 250 * PT]
    assert top_rule and bottom_rule
    assert top_rule[0][0] / PT - mark[4] == pytest.approx(4, abs=1.2)
    assert (top_rule[0][2] - top_rule[0][1]) / PT == pytest.approx(170, abs=1.5)
    assert 297 - bottom_rule[-1][0] / PT == pytest.approx(20, abs=1.0)
    # no 印发 in a 函; 报/抄送 at the foot of the last page
    last = pages[-1]
    assert not any("印发" in w[0] for w in last)
    cc = find(last, "抄送：市委督查室、市政府督查室。")
    assert cc[4] > 297 - 35 - 2 * LINE_MM  # at the bottom of the 版心
    assert find(last, "报：市文明委主任、副主任。")[2] < cc[2]


@needs_poppler
def test_file_form_layout_and_colophon(tmp_path):
    """文件格式 (§7): mark 35 mm under the 版心 top, number two lines under it, red rule 4 mm under the number,
    title two lines under the rule, 主送 one line under the title; 版记 at the foot of the last page."""
    path = render(notice_doc(), tmp_path / "file_form.pdf")
    pages = words(path)
    first = pages[0]
    mark = find(first, "文件")
    assert mark[2] == pytest.approx(TOP + 35, abs=1.0)
    assert (mark[1] + mark[3]) / 2 == pytest.approx(CENTRE, abs=1.0)
    number = find(first, "临江文明督〔2026〕9号")
    assert (number[1] + number[3]) / 2 == pytest.approx(CENTRE, abs=0.5)  # 发文字号 centred
    assert number[2] - mark[4] == pytest.approx(2 * LINE_MM, abs=1.5)  # 空二行
    rows = red_rows(red_boxes(path, 1))
    rule = [r for r in rows if r[2] - r[1] > 150 * PT and r[0] > number[4] * PT]
    assert rule and rule[0][0] / PT - number[4] == pytest.approx(4, abs=1.2)
    assert (rule[0][2] - rule[0][1]) / PT == pytest.approx(TEXT_W, abs=1)  # as wide as the 版心
    title_lines = [w for w in first if w[0] in ("关于约谈超期未整改问题", "责任单位负责同志的通知")]
    assert len(title_lines) == 2  # balanced at a word boundary, "通知" not alone
    assert title_lines[0][2] - rule[0][0] / PT == pytest.approx(2 * LINE_MM, abs=3)
    recipient = find(first, "市交警支队：")
    assert recipient[2] - title_lines[-1][4] == pytest.approx(LINE_MM, abs=3)
    for n, page in enumerate(pages, start=1):
        assert any(re.search(rf"\b{n}\b", w[0]) and w[2] > 297 - 35 for w in page), f"page number {n}"
    last = pages[-1]
    printed = find(last, "2026年12月1日印发")
    assert printed[3] == pytest.approx(RIGHT - 14 / PT, abs=0.8)  # 印发日期右空一字
    assert find(last, "临江市文明办")[1] == pytest.approx(LEFT + 14 / PT, abs=0.8)  # 印发机关左空一字
    assert find(last, "抄送：")[2] < printed[2] and find(last, "报：")[2] < find(last, "抄送：")[2]
    # the black rules of the 版记: full 版心 width, at the foot
    im = Image.open(_png(path, len(pages))).convert("RGB")
    dark = [y for y in range(im.height) if sum(1 for x in range(0, im.width, 4) if im.getpixel((x, y))[0] < 80)
            > (TEXT_W - 4) * PT / 4]
    assert len({round(y / 3) for y in dark}) >= 3  # first, middle and last rule
    assert max(dark) / PT == pytest.approx(297 - 35, abs=0.8)  # the last rule on the 版心's bottom edge
    assert printed[2] > min(dark) / PT


def test_the_colophon_of_a_file_form_document_is_on_the_last_even_page(tmp_path):
    """GB/T 9704 §7.4/§7.5: the 版记 stands on the last even page (the back of the last sheet). The QA print walk
    found it alone on an odd page 11 ("— 11 —") after a body ending on page 10, and at the foot of odd last pages.
    A body ending on an odd page now has the 版记 over the leaf; one ending on an even page without room for it
    has a blank page before it, and neither the blank page nor the 版记 page is numbered."""
    seen = set()
    for paragraphs in range(1, 24):
        doc = OfficialDocument(
            form=Form.FILE, issuer_mark="临江市文明办文件", doc_number="临江文明通〔2026〕3号",
            title="关于第四季度督查情况的通报", recipients=["市文明委各成员单位"],
            body=[Para("市文明办督查发现，部分责任单位整改不及时。" * 3) for _ in range(paragraphs)] + [Para("特此通报。")],
            signatory="临江市文明办", date=date(2026, 12, 2), report_to=["市委、市政府领导"],
            cc=["市委督查室、市政府督查室"], printer="临江市文明办", print_date=date(2026, 12, 3))
        path = tmp_path / f"colophon_{paragraphs}.pdf"
        render_document(doc, path)
        texts = ["".join(t.split()) for t in page_texts(path)]
        signed = max(i for i, t in enumerate(texts, start=1) if "2026年12月2日" in t)
        assert "2026年12月3日印发" in texts[-1] and len(texts) % 2 == 0, (paragraphs, len(texts))
        assert not any("印发" in t or "抄送" in t for t in texts[:-1])
        assert len(texts) - signed <= 2
        if len(texts) - signed == 2:  # a blank page before the 版记: neither numbered
            assert texts[-2] == "" and f"—{len(texts)}—" not in texts[-1], paragraphs
            seen.add("blank")
        else:
            assert f"—{len(texts)}—" in texts[-1]
            seen.add("same page" if signed == len(texts) else "over the leaf")
        for n in range(1, signed + 1):
            assert f"—{n}—" in texts[n - 1], (paragraphs, n)
    assert seen == {"blank", "same page", "over the leaf"}


def _png(path: Path, page: int) -> str:
    prefix = path.parent / f"{path.stem}-p{page}"
    subprocess.run(["pdftoppm", "-r", "72", "-f", str(page), "-l", str(page), "-png", "-singlefile", str(path),
                    str(prefix)], check=True)
    return f"{prefix}.png"


@needs_poppler
def test_seal_over_the_date(tmp_path):
    """With a seal: 成文日期 four characters in from the right, 署名 centred over it, the seal centred on the
    date with 署名 and date below its centre, its top within one line of the text above."""
    seal = make_seal(tmp_path / "seal.png")
    doc = letter_doc(seal=seal, counts=(1, 0, 0, 0), signatory="临江市文明办", recipients=UNITS[:1])
    doc.attachments = []
    path = render(doc, tmp_path / "sealed.pdf")
    pages = words(path)
    number, page = next((n, p) for n, p in enumerate(pages, start=1) if any(w[0] == "2026年11月27日" for w in p))
    signed = next(w for w in page if w[0] == "2026年11月27日")
    name = next(w for w in page if w[0] == "临江市文明办")
    assert signed[3] == pytest.approx(RIGHT - 4 * CHAR_MM, abs=0.5)  # 右空四字
    assert (name[1] + name[3]) / 2 == pytest.approx((signed[1] + signed[3]) / 2, abs=0.5)
    rows = [r for r in red_rows(red_boxes(path, number)) if r[0] > 60 * PT or number > 1]
    rows = [r for r in rows if r[2] - r[1] < 60 * PT]  # the seal, not the letterhead's rules
    top, bottom = rows[0][0] / PT, rows[-1][0] / PT
    left, right = min(r[1] for r in rows) / PT, max(r[2] for r in rows) / PT
    assert right - left == pytest.approx(42, abs=1.5) and bottom - top == pytest.approx(42, abs=1.5)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    assert centre_x == pytest.approx((signed[1] + signed[3]) / 2, abs=1.0)  # centred on the date
    assert name[2] >= centre_y - 3 and signed[2] > centre_y  # 署名 and 日期 in the lower part
    above = max(w[4] for w in page if w[4] < top + 0.5 and w[0] not in ("临江市文明办",))
    assert 0 <= top - above <= LINE_MM  # 印章顶端上距正文一行之内
    assert image_count(path, number) == 1


def test_without_seal_the_space_is_left_or_the_unsealed_layout_used(tmp_path):
    doc = letter_doc(counts=(1, 0, 0, 0), signatory="临江市文明办", recipients=UNITS[:1])
    doc.attachments = []
    from inspect_app.pdf.render import SignOff

    fonts = document_fonts()
    wet = SignOff(doc, fonts, None)
    wet.wrap(TEXT_W * mm, 1000)
    assert wet.sealed and wet.gap > 2 * LINE_MM * mm  # room for a 42 mm wet seal above 署名
    doc.seal_space = False
    plain = SignOff(doc, fonts, None)
    plain.wrap(TEXT_W * mm, 1000)
    name_x, date_x, _ = plain.positions()
    date_w = string_width("2026年11月27日", fonts.body, 15.79)
    # the date is longer than "临江市文明办": it stands two characters in from the right, and the name moves
    # left to keep the date's first character two characters right of the name's (§7.3.5.2)
    assert date_x + date_w == pytest.approx(TEXT_W * mm - 2 * 15.79, abs=0.5)
    assert date_x - name_x == pytest.approx(2 * 15.79, abs=0.5)
    doc.signatory = "临江市精神文明建设指导委员会办公室"
    longer = SignOff(doc, fonts, None)
    longer.wrap(TEXT_W * mm, 1000)
    name_x, date_x, _ = longer.positions()
    name_w = string_width(doc.signatory, fonts.body, 15.79)
    assert name_x + name_w == pytest.approx(TEXT_W * mm - 2 * 15.79, abs=0.5)  # 署名右空二字
    assert date_x - name_x == pytest.approx(2 * 15.79, abs=0.5)
    path = render(doc, tmp_path / "unsealed.pdf")
    assert "2026年11月27日" in "".join(page_texts(path))


# a street office's 署名 with the teams it speaks for: 60 characters, more than two lines of the 版心
LONG_SIGNATORY = ("江城区文艺路街道办事处（江城区文艺路街道综合执法队、江城区文艺路街道"
                  "门前四包责任落实工作领导小组办公室、网格化服务中心）")


@needs_poppler
@pytest.mark.parametrize("layout", ["seal", "wet", "unsealed"])
def test_a_long_signatory_is_broken_into_lines_inside_the_text_area(layout, tmp_path):
    """A 署名 longer than a line was drawn as one string and cut at the page's edge (a street office's name with
    its teams on the 整改通知书): it is broken between words, every line two characters in from the right,
    centred over the date with a seal (or its room) and flush right without, the date under the last line."""
    assert len(LONG_SIGNATORY) == 60
    seal = make_seal(tmp_path / "seal.png") if layout == "seal" else None
    doc = closing_doc(3, "特此函告。", seal=seal)
    doc.signatory, doc.seal_space = LONG_SIGNATORY, layout != "unsealed"
    path = render(doc, tmp_path / f"long_signatory_{layout}.pdf")
    page = next(p for p in words(path) if any(w[0] == SIGNED for w in p))
    assert all(LEFT - 0.1 <= w[1] and w[3] <= RIGHT + 0.1 for w in page)  # nothing past the 版心
    signed = next(w for w in page if w[0] == SIGNED)
    lines = sorted((w for w in page if len(w[0]) > 1 and w[0] in LONG_SIGNATORY and w[2] < signed[2]),
                   key=lambda w: w[2])
    assert "".join(w[0] for w in lines) == LONG_SIGNATORY and 2 <= len(lines) <= 4, lines
    for line in lines:
        assert line[1] >= LEFT - 0.1 and line[3] <= RIGHT - 2 * CHAR_MM + 0.3, line  # 右空二字
    assert all(b[2] - a[2] == pytest.approx(LINE_MM, abs=0.3) for a, b in itertools.pairwise([*lines, signed]))
    if layout == "unsealed":
        assert all(line[3] == pytest.approx(RIGHT - 2 * CHAR_MM, abs=0.5) for line in lines)
        assert signed[1] - min(line[1] for line in lines) == pytest.approx(2 * CHAR_MM, abs=0.5)
    else:
        centre = (signed[1] + signed[3]) / 2
        assert all((line[1] + line[3]) / 2 == pytest.approx(centre, abs=0.5) for line in lines)
    if layout == "seal":
        rows = [r for r in red_rows(red_boxes(path, 1)) if r[0] > 60 * PT and r[2] - r[1] < 60 * PT]
        centre_y = (rows[0][0] + rows[-1][0]) / 2 / PT
        assert lines[0][2] >= centre_y - 3  # the 署名 below the seal's centre


def test_seal_from_white_background_and_broken_seal(tmp_path, caplog):
    white = make_seal(tmp_path / "seal.jpg", alpha=False)
    path = render(letter_doc(seal=white, counts=(1, 0, 0, 0)), tmp_path / "white_seal.pdf")
    assert sum(len(p.images) for p in PdfReader(path).pages) == 2  # the photo and the seal
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG broken")
    with caplog.at_level(logging.WARNING, logger="inspect_app.pdf.render"):
        path = render(letter_doc(seal=broken, counts=(1, 0, 0, 0)), tmp_path / "broken_seal.pdf")
        path2 = render(letter_doc(seal=tmp_path / "missing.png", counts=(1, 0, 0, 0)), tmp_path / "no_seal.pdf")
    assert "seal image unusable" in caplog.text
    assert sum(len(p.images) for p in PdfReader(path).pages) == 1  # the photo only: room left for a wet seal
    assert sum(len(p.images) for p in PdfReader(path2).pages) == 1


def test_draft_has_mark_no_number_no_seal(tmp_path):
    seal = make_seal(tmp_path / "seal.png")
    path = render(letter_doc(seal=seal, draft=True), tmp_path / "draft.pdf")
    texts = page_texts(path)
    assert all("草稿" in t for t in texts)
    assert not any("临江文明督〔2026〕8号" in t for t in texts)
    issued = render(letter_doc(seal=seal), tmp_path / "issued.pdf")
    assert "临江文明督〔2026〕8号" in page_texts(issued)[0]
    images = sum(len(p.images) for p in PdfReader(path).pages)
    assert images == sum(len(p.images) for p in PdfReader(issued).pages) - 1  # the photos, but no seal
    meta = PdfReader(path).metadata
    assert meta.title.startswith("【草稿】") and meta.subject == "草稿"


# ============================================================================================ every kind

@pytest.mark.parametrize("kind", ["supervision", "listed", "summons", "bulletin", "ranking"])
def test_every_kind_renders_with_embedded_faces(kind, tmp_path, app):
    seal = make_seal(tmp_path / "seal.png")
    with app.app_context():
        if kind in ("supervision", "listed"):
            doc = letter_doc(seal=seal)
            if kind == "supervision":
                doc.title, doc.report_to, doc.cc = "关于督促整改超期未办结问题的督办函", [], []
                doc.recipients = UNITS[:1]
                doc.attachments = [Attachment("问题清单", [problem_table(problems((5, 0, 0, 0)))])]
        elif kind == "summons":
            doc = notice_doc(seal=seal)
        elif kind == "bulletin":
            doc = bulletin_doc()
        else:
            from inspect_app.rankings.pdf import ranking_document

            app.config["PDF_SEAL_IMAGE"] = str(seal)
            doc = ranking_document(fake_ranking(110))
        assert KINDS[kind].form is doc.form
        path = render(doc, tmp_path / f"kind_{kind}.pdf")
    fonts = embedded_fonts(path)
    assert fonts and all(f.startswith("embedded:") for f in fonts), fonts  # nothing relies on the reader's fonts
    text = "".join(page_texts(path))
    assert textmod.one_line(doc.title).replace(" ", "") in text
    assert "2026年" in text


@needs_poppler
def test_ranking_bulletin_number_colophon_and_whole_charts(tmp_path, app):
    from inspect_app.rankings.pdf import ranking_document

    with app.app_context():
        path = render(ranking_document(fake_ranking(110)), tmp_path / "ranking.pdf")
    pages = words(path)
    texts = ["".join(w[0] for w in page) for page in pages]
    assert "临江文明榜〔2026〕1号" in texts[0]  # the list's own 文号 series
    assert "印发" in texts[-1] and "抄送：" in texts[-1]
    chart_pages = [i for i, t in enumerate(texts) if "红榜线" in t]
    assert len(chart_pages) == 2  # 110 units: two complete charts
    for i, page in enumerate(texts):
        labelled = re.findall(r"(\d+)\.\s*" + re.escape(UNITS[0][:2]), page)
        if labelled and i not in chart_pages:
            pytest.fail(f"chart rows on page {i + 1} without the chart's axis and lines")
    for i in chart_pages:  # each chart's rows and its axis on one page
        assert "100" in texts[i] and "黑榜线" in texts[i]


@pytest.mark.parametrize("floors", [(90, 100), (90, 60), (95, 97)])
def test_no_threshold_line_runs_through_a_score(floors):
    """The scores were written just right of each bar's end, and the dashed 红榜线 and 黑榜线 ran through those
    near them ("99.0" read "9.0" under a 黑榜线 at 100, "96.5" "96 5"): they stand in a column of their own."""
    from reportlab.graphics.shapes import Line, String

    from inspect_app.rankings.pdf import ScoreChart

    scores = [100, 99.5, 99.0, 98.5, 97.0, 96.5, 95.0, 90.5, 90.0, 89.5, 60.0, 59.5, 35.0, 0.0]
    entries = [{"rank": i + 1, "unit_name": f"江城区第{i + 1}街道办事处", "score": s, "list_name": ""}
               for i, s in enumerate(scores)]
    chart = ScoreChart(entries, {"red_floor": floors[0], "black_below": floors[1]}, document_fonts(), first=True)
    lines = [shape.x1 for shape in chart.contents if isinstance(shape, Line) and shape.strokeDashArray]
    assert len(lines) == 2
    labels = [shape for shape in chart.contents if isinstance(shape, String) and re.fullmatch(r"\d+\.\d", shape.text)]
    assert sorted(float(label.text) for label in labels) == sorted(scores)
    for label in labels:
        x0, _, x1, _ = label.getBounds()
        assert all(not x0 - 1 <= x <= x1 + 1 for x in lines), (label.text, x0, x1, lines)
    for shape in chart.contents:  # every label inside the 版心
        if isinstance(shape, String):
            x0, _, x1, _ = shape.getBounds()
            assert -0.01 <= x0 and x1 <= TEXT_W * mm + 0.01, shape.text


@pytest.mark.parametrize("row_h", ["ROW_H", "MIN_ROW_H"])
def test_a_long_unit_name_on_the_chart_is_whole(row_h):
    """QA print walk: a black-listed bar read "43. 临江市高新技术产业开发区管…", a prefix other units share; a long
    name now takes two lines (smaller) in its row, whole, inside the 版心, not over its neighbours."""
    from reportlab.graphics.shapes import String

    from inspect_app.rankings import pdf as rankings_pdf

    names = ["临江市高新技术产业开发区管理委员会社会事业局城乡建设服务中心", "市城市管理局",
             "中国铁塔股份有限公司临江市分公司江城区网络运维服务保障中心", "临江市江城区解放街道办事处城市管理和综合执法大队第一中队"]
    entries = [{"rank": 40 + i, "unit_name": n, "score": 50.0 + i, "list_name": "black"} for i, n in enumerate(names)]
    height = getattr(rankings_pdf, row_h)
    chart = rankings_pdf.ScoreChart(entries, {"red_floor": 90, "black_below": 60}, document_fonts(), first=False,
                                    row_h=height)
    labels = [s for s in chart.contents if isinstance(s, String) and s.textAnchor == "end" and not
              re.fullmatch(r"\d+\.\d", s.text)]
    assert not any("…" in s.text for s in labels)
    top = chart.height - rankings_pdf.CHART_TOP
    spans = []
    for i, entry in enumerate(entries):
        row = [s for s in labels if top - height * (i + 1) <= s.y < top - height * i]
        assert "".join(s.text for s in row).replace(" ", "") == f"{entry['rank']}.{entry['unit_name']}"
        assert len(row) <= 2 and all(s.getBounds()[0] >= -0.01 for s in row)
        spans.append((min(s.y - 0.12 * s.fontSize for s in row), max(s.y + 0.88 * s.fontSize for s in row)))
    assert all(below[1] < above[0] for above, below in zip(spans, spans[1:])), spans  # no label over the next


# ============================================================================================ hostile content

HOSTILE = {
    "issue 11: 200 characters, mostly line breaks": "人民路" + "\n" * 190 + "18号门前\r\n东侧",
    "control and zero-width characters": "人民\x00路\x07\u200b\u200e\u2028\u2029\x1b[31m18号\ud800\udfff\ufeff",
    "5,000 characters, no breaks": "很长的地址" * 1000,
    "100,000 characters": "长" * 100_000,
    "a Latin word of 3,000 letters": "A" * 3000,
    "only line breaks": "\n" * 500,
    "only spaces": " \u3000\t" * 300,
    "emoji and rare characters": "𠀀𪚥👍🏽人民路🚧" * 20,
    "markup-looking": "<b>人民路</b> &amp; <font name='Helvetica'>x</font> <br/>" * 20,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_any_cell_content_renders(name, tmp_path):
    value = HOSTILE[name]
    items = [ProblemItem(number=f"2026-{i:06d}", category=value if i == 2 else "乱停乱放", place=value,
                         found_at=AS_OF, deadline=AS_OF, overdue=f"{i}天", photo=None) for i in range(1, 4)]
    items.append(ProblemItem(number="2026-999999", category="占道经营", place="最后一行", found_at=AS_OF,
                             deadline=AS_OF, overdue="1天"))
    doc = letter_doc(counts=(0, 0, 0, 0), recipients=[value, "市交警支队"])
    doc.title = value if "issue" in name else doc.title
    doc.attachments = [Attachment("问题清单", [problem_table([("单位" + value[:50], items)])])]
    started = time.perf_counter()
    path = render(doc, tmp_path / "hostile.pdf")
    elapsed = time.perf_counter() - started
    text = "".join(page_texts(path))
    assert "2026-999999" in text and "最后一行" in text  # the table went on after the hostile rows
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_a_row_taller_than_a_page_splits_inside_the_row(tmp_path):
    from reportlab.platypus import Paragraph

    from inspect_app.pdf.render import cell_styles

    fonts = document_fonts()
    tall = Paragraph("很长的整改说明。" * 900, cell_styles(fonts, 10.5)["cell"])  # ~20 pages of one cell
    columns = (Column("序号", 12, "plain"), Column("说明", 120, "text"), Column("照片", 24, "photo"))
    doc = bulletin_doc()
    doc.body = [DataTable(columns, rows=[["1", tall, Photo(None)], ["2", "之后的一行", Photo(None)]]),
                Para("表后的段落。")]
    path = render(doc, tmp_path / "tall_row.pdf")
    texts = page_texts(path)
    assert 5 < len(texts) <= 9  # ~5 pages of text: no pages of empty row remains or stacked headers
    assert "之后的一行" in "".join(texts) and "表后的段落" in "".join(texts)
    assert "（无照片）" in "".join(texts) and "照片缺失" not in "".join(texts)  # none, not one lost
    assert all("很长的整改说明" in t for t in texts[1:-2])  # the one row runs on over the pages, none blank
    assert all(t.count("序号") <= 1 for t in texts)  # the header once a page
    # each page the row runs on to says so under the header, not a blank 序号 read as a new item
    assert all("1（续）" in t for t in texts[2:-2])
    assert "1（续）" not in texts[1] and not any("2（续）" in t for t in texts)


def test_a_row_that_fits_a_page_moves_whole_to_the_next(tmp_path):
    """A letter's items with a 200-character place (address and a long segment name) are each more than half a
    page: rows taller than 45% of a page were cut into a row and a separately ruled continuation (blank 序号,
    read as an extra item), page after page half empty. A row that fits a page is never cut."""
    segment = "解放路" + "东段" * 48 + "路段"
    place = (("人民路" + "十八号" * 70)[:200 - len(segment) - 2] + f"（{segment}）")[:200]
    items = [ProblemItem(number=f"2026-{k:06d}", category="乱停乱放", place=place, found_at=AS_OF,
                         deadline=AS_OF + timedelta(hours=2), overdue="3天", photo=thumbs()[0]) for k in range(1, 12)]
    doc = letter_doc()
    doc.attachments = [Attachment("问题清单", [problem_table([(UNITS[0], items)])])]
    texts = page_texts(render(doc, tmp_path / "long_places.pdf"))
    whole = "".join(place.split())
    for item in items:
        pages = [t for t in texts if whole[:40] in t and item.number in t]
        assert len(pages) == 1 and whole in pages[0], item.number  # the place whole, on the item's page
    assert not any("（续）" in t for t in texts)


def test_issue_11_letter_with_a_line_break_address_prints(app, city, make_ticket):
    """Issue 11 item 2: an address of 200 characters, mostly line breaks, made the letter's PDF fail for ever."""
    from conftest import at

    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.sweep import pdf_path

    # Filing now cleans one-line fields, so the address is put in as a ticket filed before that did would hold it
    # (200 characters, mostly line breaks); the sweep and the PDF must cope with it.
    from inspect_app.extensions import db

    app.config["ESCALATION_MODE"] = "auto"  # the sweep issues the letter itself
    ticket = make_ticket()
    ticket.address = "人民路" + "\n" * 189 + "18号门前\n东侧"
    assert len(ticket.address) == 200
    db.session.commit()
    result = run_sweep(at("2026-11-27T09:00:00+08:00"))
    letter = result.letters[0]
    path = pdf_path(letter)
    assert path.is_file() and result.pdfs == 1
    text = "".join(page_texts(path))
    assert ticket.number in text and "18号门前" in text and "东侧" in text


def test_issue_11_a_line_break_address_filed_through_the_api_is_one_line_and_its_letter_prints(app, api, city):
    """Issue 11 item 2 end to end: the address is cleaned on the way in, and the sweep's letter about the ticket
    prints and is served (before: stored as sent, LayoutError in the sweep, the letter's PDF a 500 for ever)."""
    from conftest import City, file_tuple

    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.extensions import db
    from inspect_app.tickets.models import Ticket

    app.config["ESCALATION_MODE"] = "auto"  # the sweep issues the letter itself
    address = "人民路" + "\n" * 189 + "18号门前\n东侧"  # 200 characters, the most an address may hold
    assert len(address) == 200
    filed = api.post("/api/v1/tickets", city.inspector, content_type="multipart/form-data",
                     data={"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
                           "address": address, "description": "小广告", "photos": [file_tuple()]})
    assert filed.status_code == 201, filed.get_json()
    ticket = db.session.get(Ticket, filed.get_json()["id"])
    result = run_sweep(ticket.deadline + timedelta(hours=23))  # a day late: the first letter
    assert len(result.letters) == 1 and result.pdfs == 1
    pdf = api.get(f"/api/v1/letters/{result.letters[0].id}/pdf", city.admin)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = "".join("".join((page.extract_text() or "").split()) for page in PdfReader(BytesIO(pdf.data)).pages)
    assert ticket.number in text and "18号门前东侧" in text
    assert filed.get_json()["address"] == "人民路 18号门前 东侧"


# ============================================================================================ text

def _measure(size=22.0):
    fonts = document_fonts()
    return lambda s: string_width(s, fonts.title, size)


@pytest.mark.parametrize("title", [
    "关于约谈超期未整改问题责任单位负责同志的通知",
    "关于对临江市城市管理局等5个单位超期未整改问题实行挂牌督办的函",
    "临江市精神文明建设指导委员会办公室关于开展背街小巷环境卫生专项整治行动的通知",
    "关于印发《临江市创建全国文明城市问题整改考评办法（试行）》的通知",
    "关于进一步加强农贸市场周边占道经营和乱停乱放问题整治工作的通知",
    "关于2026年第48周问题整改红黑榜的通报",
    "关于对江城区解放街道办事处、市交警支队、中国移动临江分公司超期未整改问题实行挂牌督办的函",
    "关于督促整改超期未办结问题的督办通知书",
    # a road's name with its part, and a unit's name too long for one line (the QA walk's: "…整改桐梓 / 坡路中段…")
    "关于督促临江市城市管理和综合执法局市容环境卫生管理处等单位限期整改桐梓坡路中段暴露垃圾、乱堆乱放、乱停乱放和占道经营"
    "等超期未整改问题的督办函",
    "关于督促江城区解放街道办事处限期整改芙蓉中路二段与黄兴南路交叉口暴露垃圾问题的督办函",
])
def test_titles_break_balanced_between_words(title):
    width = TEXT_W * mm
    lines = textmod.balanced_lines(title, width, _measure(), keep=UNITS + ["江城区解放街道办事处", "中国移动临江分公司",
                                                                          "临江市城市管理和综合执法局市容环境卫生管理处"])
    assert "".join(lines) == title
    m = _measure()
    assert all(m(line) <= width + 0.01 for line in lines)
    if len(lines) > 1:
        assert len(lines[-1]) >= 3 and lines[-1] not in ("的通知", "的函", "通知", "的通报")  # no lone word
        widths = [m(line) for line in lines]
        assert max(widths) / min(widths) < 1.6  # lines of similar length
        for a, b in itertools.pairwise(lines):
            assert b[0] not in "，。、；：）》”" and a[-1] not in "（《“"
            for word in ("整改", "问题", "督办", "通知", "单位", "负责同志", "城市", "文明", "临江市城市管理局",
                         "中国移动临江分公司", "2026", "48", "桐梓坡路中段", "芙蓉中路二段", "黄兴南路", "交叉口",
                         "执法局", "环境卫生", "管理处"):
                joined = a[-len(word) + 1:] + b[:len(word) - 1] if len(word) > 1 else ""
                assert not (word in a + b and word not in a and word not in b and word in joined), (word, lines)


def test_title_hints_and_very_long_titles():
    m = _measure()
    assert textmod.balanced_lines("关于开展专项整治\n行动的通知", TEXT_W * mm, m) == ["关于开展专项整治", "行动的通知"]
    long = "关于" + "背街小巷环境卫生" * 30 + "的通知"
    lines = textmod.balanced_lines(long, TEXT_W * mm, m)
    assert "".join(lines) == long and all(m(line) <= TEXT_W * mm + 0.01 for line in lines)
    assert textmod.balanced_lines("通知", TEXT_W * mm, m) == ["通知"]
    assert textmod.balanced_lines("", TEXT_W * mm, m) == []


def test_four_character_categories_never_break():
    fonts = document_fonts()
    width = 18.5 * mm - 6  # the 问题清单's 类别 column, less its padding
    for word in ("乱停乱放", "占道经营", "暴露垃圾", "路面破损", "私搭乱建", "乱堆乱放", "店外经营"):
        assert textmod.label_lines(word, width, fonts.role("song"), 10.5) == [word]
    assert textmod.label_lines("非机动车乱停放", width, fonts.role("song"), 10.5) == ["非机动车", "乱停放"]
    assert textmod.label_lines("公益广告缺失破损", width, fonts.role("song"), 10.5) == ["公益广告", "缺失破损"]
    assert textmod.label_lines("井盖缺失破损", width, fonts.role("song"), 10.5) == ["井盖", "缺失破损"]


def test_one_line_cleaning():
    assert textmod.one_line("人民路\n\n\r\n18号\t门前\x00\u200b\u2028东") == "人民路 18号 门前 东"
    assert textmod.one_line(None) == "" and textmod.one_line("\n" * 500) == ""
    assert textmod.one_line("长" * 1000) == "长" * 499 + "…"
    assert textmod.one_line("a\ud800b") == "ab"
    assert textmod.paragraphs("第一段。\r\n\r\n第二段。\n") == ["第一段。", "第二段。"]


# ============================================================================================ faces

def test_roles_use_debian_faces_when_installed():
    fonts = document_fonts()
    names = {role: fonts.role(role) for role in ("title", "body", "hei", "kai", "song")}
    uming = Path("/usr/share/fonts/truetype/arphic/uming.ttc")
    ukai = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
    bundled = register_fonts().body
    if uming.is_file():
        assert names["title"] == names["body"] == names["song"] != bundled and fonts.title_faux_bold
    if ukai.is_file():
        assert names["kai"] not in (names["body"], bundled)
    assert names["hei"]  # Micro Hei (Debian's or the bundled copy)


def test_office_faces_are_used_and_bad_ones_fall_back(tmp_path, caplog):
    office = tmp_path / "fzxbs.ttc"
    shutil.copy(BUNDLED_FONT_PATH, office)  # stands in for the office's 方正小标宋 TrueType file
    cff = tmp_path / "noto.otf"
    cff.write_bytes(b"OTTO" + b"\0" * 200)  # CFF-flavoured OpenType: reportlab cannot embed it
    with caplog.at_level(logging.WARNING, logger="inspect_app.pdf.fonts"):
        fonts = document_fonts({"PDF_FONT_TITLE": f"{office}#0", "PDF_FONT_BODY": str(cff),
                                "PDF_FONT_KAI": str(tmp_path / "missing.ttf")})
    assert "noto.otf" in caplog.text and "missing.ttf" in caplog.text
    assert fonts.title.startswith("Face-") and not fonts.title_faux_bold  # the office's 小标宋: no faux bold
    assert fonts.body == document_fonts().body  # the stand-in
    path = tmp_path / "office.pdf"
    render_document(letter_doc(counts=(1, 0, 0, 0)), path, fonts=fonts)
    assert all(f.startswith("embedded:") for f in embedded_fonts(path))


def test_glyphs_a_face_lacks_come_from_a_fallback_face():
    fonts = document_fonts()
    body = fonts.body
    have = coverage(body)
    fallback = coverage(register_fonts().body)
    missing = next((chr(c) for c in sorted(fallback) if c > 0x3000 and c not in have), None)
    if missing is None or body == register_fonts().body:
        pytest.skip("the body face is the bundled one")
    html = markup(f"人民路{missing}号", body)
    assert '<font name="' in html and missing in html
    out = BytesIO()
    render_document(OfficialDocument(form=Form.FILE, issuer_mark="临江市文明办文件", title="测试",
                                     body=[Para(f"地址：人民路{missing}号。")], signatory="临江市文明办",
                                     date=date(2026, 12, 1)), out, fonts=fonts)
    reader = PdfReader(BytesIO(out.getvalue()))
    assert f"人民路{missing}号" in "".join("".join((p.extract_text() or "").split()) for p in reader.pages)


def test_characters_no_face_has_are_left_out_not_printed_as_boxes():
    """An emoji in what a user typed (a shop named 汉堡🍔店) has no glyph in any face: it is left out of the text,
    the table cell and the title alike (it printed as an empty box), and the widths measured agree."""
    fonts = document_fonts()
    name = "汉堡\U0001f354店（\u2764\ufe0f老字号\U0001f468\u200d\U0001f373）"
    assert markup(name, fonts.body) == "汉堡店（老字号）"
    assert string_width(name, fonts.body, 16) == string_width("汉堡店（老字号）", fonts.body, 16)
    out = BytesIO()
    columns = (Column("序号", 12, "plain"), Column("商户", 60, "label"), Column("问题", 84, "text"))
    render_document(OfficialDocument(
        form=Form.FILE, issuer_mark="临江市文明办文件", title=f"关于{name}的通知", recipients=[name],
        body=[Para(f"{name}门前堆放杂物🍔。"), DataTable(columns, [["1", name, "门前乱堆乱放😀"]])],
        signatory="临江市文明办", date=date(2026, 12, 1)), out, fonts=fonts)
    text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(BytesIO(out.getvalue())).pages)
    assert "汉堡店（老字号）门前堆放杂物。" in text and "门前乱堆乱放" in text
    assert not any(ord(ch) > 0xFFFF or ch in "\u2764\ufe0f\u200d" for ch in text)


def test_a_chinese_character_no_face_has_prints_as_a_box_and_is_logged(caplog, tmp_path):
    """QA print walk: 𠮷 (U+20BB7) and 㐀 (U+3400), which no installed face has, vanished: "𠮷字、㐀字" printed
    "字、字", and a name with one printed wrong without a trace. A Chinese character no face has now prints as □
    (the printer's mark for a missing character) and is logged; an emoji is still left out."""
    fonts = document_fonts()
    if any(0x20BB7 in coverage(name) for name in (fonts.body, fonts.song, fonts.hei)):
        pytest.skip("a face here has 𠮷")
    from inspect_app.pdf import fonts as fonts_module

    fonts_module._told.difference_update("𠮷㐀")  # logged once a process: as if for the first time
    caplog.set_level(logging.WARNING, logger="inspect_app.pdf.fonts")
    assert markup("𠮷字、㐀字🍔", fonts.body) == "□字、□字"
    assert string_width("㐀", fonts.body, 16) == string_width("□", fonts.body, 16)
    path = tmp_path / "rare.pdf"
    render_document(OfficialDocument(
        form=Form.FILE, issuer_mark="临江市文明办文件", title="关于𠮷祥路门前问题的通报", recipients=["𠮷祥路㐀记商店"],
        body=[Para("经查，𠮷字、㐀字。"), DataTable((Column("商户", 60, "label"), Column("问题", 96, "text")),
                                                [["㐀记商店", "𠮷祥路18号门前乱堆乱放"]])],
        signatory="临江市文明办", date=date(2026, 12, 1)), path, fonts=fonts)
    text = "".join(page_texts(path))
    assert "□字、□字" in text and "□祥路□记商店：" in text and "□记商店" in text and "□祥路18号" in text
    told = [r.getMessage() for r in caplog.records]
    assert sum("U+20BB7" in m for m in told) == 1 and sum("U+3400" in m for m in told) == 1, told


@needs_poppler
def test_a_long_recipient_breaks_inside_the_text_area(tmp_path):
    """QA print walk: a 28-character 主送 ("临江市江城区解放街道办事处城市管理和综合执法大队第一中队：") was one
    line whose "：" ended 5.6 mm past the 版心's right edge. It breaks between words, flush left, colon inside."""
    name = "临江市江城区解放街道办事处城市管理和综合执法大队第一中队"
    path = render(OfficialDocument(
        form=Form.FILE, issuer_mark="临江市文明办文件", doc_number="临江文明通〔2026〕2号", title="关于督查情况的通报",
        recipients=[name], body=[Para("经市文明办督查发现，你单位有1个问题未按期整改。"), Para("特此通报。")],
        signatory="临江市文明办", date=date(2026, 12, 1)), tmp_path / "long_recipient.pdf")
    first = words(path)[0]
    assert name + "：" in "".join(page_texts(path)[0].split())
    for word in first:
        assert word[3] <= RIGHT + 0.3, word
    lines = [w for w in first if w[0] and w[0] in name + "："]
    assert len(lines) == 2 and all(w[1] == pytest.approx(LEFT, abs=0.3) for w in lines)  # 回行时仍顶格
    assert lines[-1][0].endswith("：") and len(lines[-1][0]) > 2  # broken between words, not "队：" alone


MANY_UNITS = ["市城市管理局", "江城区解放街道办事处", "市交警支队", "中国移动临江分公司", "市市场监管局",
              "临江高新技术产业开发区管理委员会", "市卫健委", "市教育局", "江城区人民政府", "市住房和城乡建设局",
              "市环境卫生管理处", "中国联通临江分公司", "市园林绿化中心", "市水务局", "江城区城市管理和综合执法局",
              "市公安局", "临江市江城区东城街道办事处", "市文旅局"]


def recipient_block(path: Path, first: str) -> list[tuple[str, float, float]]:
    """Page 1's 主送 lines (pdftotext -bbox): (text, left edge, right edge in mm), from the line starting with
    `first` (the first name) to the first ending in "："."""
    lines: dict[float, list] = {}
    for text, x0, y0, x1, _ in words(path)[0]:
        lines.setdefault(round(y0, 0), []).append((x0, text, x1))
    rows = [("".join(t for _, t, _ in sorted(ws)), min(x for x, _, _ in ws), max(x for _, _, x in ws))
            for _, ws in sorted(lines.items())]
    start = next(i for i, row in enumerate(rows) if row[0].startswith(first))
    last = next(i for i, row in enumerate(rows) if row[0].endswith("："))
    return rows[start:last + 1]


@needs_poppler
def test_a_many_unit_recipient_line_breaks_between_names_and_is_balanced(tmp_path):
    """A 主送 of 18 units of mixed lengths (a 督查通报 to every unit concerned): it was filled greedily, a unit's name
    cut across two lines (江城区城市管|理和综合执法局) and the last line left with one short name. It breaks only
    after a "、", flush left, in the fewest lines, the last line not a lone name."""
    path = render(OfficialDocument(
        form=Form.FILE, issuer_mark="临江市精神文明建设指导委员会办公室文件", doc_number="临江文明通〔2026〕3号",
        title="关于近期城市管理突出问题整改情况的督查通报", recipients=MANY_UNITS,
        body=[Para("近期，市文明办组织对全市创建全国文明城市工作开展督查，现将有关情况通报如下。"), Para("特此通报。")],
        signatory="临江市精神文明建设指导委员会办公室", date=date(2026, 12, 1)), tmp_path / "many_recipients.pdf")
    rows = recipient_block(path, MANY_UNITS[0])
    text = "".join(row[0] for row in rows)
    assert text == "、".join(MANY_UNITS) + "："
    for line, x0, x1 in rows:
        assert x0 == pytest.approx(LEFT, abs=0.3) and x1 <= RIGHT + 0.3, (line, x0, x1)  # flush left, inside
        assert line.endswith(("、", "：")), f"a name cut across lines: {[r[0] for r in rows]}"
        assert all(name in MANY_UNITS for name in line[:-1].split("、")), line
    # the fewest lines that whole names allow: 28 characters a line, names kept whole
    fewest, used = 1, 0
    for token in [name + "、" for name in MANY_UNITS[:-1]] + [MANY_UNITS[-1] + "："]:
        if used + len(token) > 28:
            fewest, used = fewest + 1, 0
        used += len(token)
    assert len(rows) == fewest
    last = rows[-1][0]
    assert last.count("、") >= 1 and len(last) >= 10, f"the last line is a lone name: {[r[0] for r in rows]}"
    lengths = [len(line) for line, _, _ in rows]
    assert max(lengths) - min(lengths) <= 14, lengths  # balanced: no line holds much less than the others


@needs_poppler
def test_a_recipient_name_longer_than_a_line_wraps_between_its_words_and_the_others_stay_whole(tmp_path):
    names = ["市城市管理局", "临江市江城区解放街道办事处城市管理和综合执法大队第一中队第二分队", "市交警支队",
             "中国移动临江分公司", "市市场监管局", "市卫健委", "市教育局"]
    path = render(OfficialDocument(
        form=Form.LETTER, issuer_mark="临江市精神文明建设指导委员会办公室", doc_number="临江文明督〔2026〕9号",
        title="关于督促整改超期未办结问题的督办函", recipients=names, body=[Para("经市文明办督查发现。"), Para("特此函告。")],
        signatory="临江市精神文明建设指导委员会办公室", date=date(2026, 12, 1)), tmp_path / "long_recipient_list.pdf")
    rows = recipient_block(path, names[0])
    lines = [row[0] for row in rows]
    assert "".join(lines) == "、".join(names) + "："
    assert all(x0 == pytest.approx(LEFT, abs=0.3) and x1 <= RIGHT + 0.3 for _, x0, x1 in rows), rows
    long = names[1]
    for name in names:
        if name != long:
            assert any(name + "、" in line or name + "：" in line for line in lines), (name, lines)  # whole
    cut = [line for line in lines if not line.endswith(("、", "："))]
    assert cut and all(long.find(line.split("、")[-1]) >= 0 for line in cut), lines  # only inside the long name
    assert all(not line.endswith(("城", "管", "执", "综", "中", "第")) for line in cut), lines  # between its words


# ============================================================================================ speed

def test_200_item_letter_builds_fast(tmp_path):
    fonts = document_fonts()
    thumbs = []
    for i in range(20):
        p = tmp_path / f"t{i}.jpg"
        Image.linear_gradient("L").resize((480, 360)).convert("RGB").rotate(i * 17).save(p, quality=80)
        thumbs.append(str(p))
    items = [ProblemItem(number=f"2026-{i:06d}", category=CATEGORIES[i % 12], place=f"人民路{i}号门前（人民路东段）",
                         found_at=AS_OF, deadline=AS_OF, overdue=f"{i % 9 + 1}小时", photo=thumbs[i % 20])
             for i in range(200)]
    doc = letter_doc(counts=(0, 0, 0, 0))
    doc.attachments = [Attachment("问题清单", [problem_table([(UNITS[i], items[i * 50:(i + 1) * 50])
                                                            for i in range(4)])])]
    render_document(doc, BytesIO(), fonts=fonts)  # warm-up
    started = time.perf_counter()
    out = BytesIO()
    render_document(doc, out, fonts=fonts)
    elapsed = time.perf_counter() - started
    pages = len(PdfReader(BytesIO(out.getvalue())).pages)
    print(f"\n200-item letter: {elapsed * 1000:.0f} ms, {pages} pages, {len(out.getvalue()) // 1024} KiB")
    assert elapsed < 10  # about 0.5 s on an idle machine; generous for a loaded CI host


def test_rows_that_fit_a_page_are_never_cut(tmp_path):
    columns = (Column("序号", 12, "plain"), Column("说明", 120, "text"), Column("照片", 24, "photo"))
    rows = [[str(i), f"第{i}行开始。" + "整改说明文字。" * 60 + f"第{i}行结束。", Photo(None)] for i in range(1, 9)]
    doc = bulletin_doc()
    doc.body = [Para("表前的段落。" * 20), DataTable(columns, rows=rows)]
    path = render(doc, tmp_path / "whole_rows.pdf")
    texts = page_texts(path)
    for i in range(1, 9):
        starts = [n for n, t in enumerate(texts) if f"第{i}行开始" in t]
        ends = [n for n, t in enumerate(texts) if f"第{i}行结束" in t]
        assert starts == ends and len(starts) == 1, f"row {i} cut across pages"


@needs_poppler
def test_no_line_starts_with_a_closing_mark(tmp_path):
    text = ("按排名取前10个；黑榜：综合得分低于60分的单位，另有挂牌督办问题的单位一律列入黑榜。" * 6
            + "（详见附件）。现予督办，请高度重视，立即组织整改！" * 6)
    doc = bulletin_doc()
    doc.body = [Para(text), Para(text[3:]), Para(text[7:]), Para(text[12:]), Para(text[14:])]
    doc.attachments = []
    path = render(doc, tmp_path / "kinsoku.pdf")
    lines = [w[0] for page in words(path) for w in page if w[4] - w[2] == pytest.approx(CHAR_MM, abs=0.2)]
    assert len(lines) > 20
    assert not [line for line in lines if line[0] in "，。、；：？！）》”"], lines


@needs_poppler
@pytest.mark.parametrize("fillers", [6, 11])  # the lead paragraph crosses from page 2 to 3, and from 3 to 4
def test_a_lead_paragraph_goes_on_to_the_next_page_without_gaps(fillers, tmp_path):
    """A paragraph with a run-in lead ("（一）限期整改到位。" in 楷体) is text of several faces; split across pages,
    reportlab put a space at the end of each of its lines, and its lines on the next page showed half-character
    gaps ("服 务中心", "道办 事处") and started half a character in. The same paragraph without a lead was clean."""
    units = "、".join(["市交通运输局公路建设养护中心城区道路桥梁设施维护管理所（市道路运输服务中心）", "市城市管理局",
                      "市停车管理中心", "东湖区湘龙街道办事处"] * 2)
    long = (f"请{units}于通报之日起3个工作日内将超期问题整改到位，并将整改情况书面报送临江市文明办；逾期仍未整改的，"
            "临江市文明办将发函督办，并在红黑榜中予以通报。")
    filler = ("各责任单位要对照问题清单立即整改，做到发现一处、整改一处，巩固整治成果，"
              "落实日常管理责任，防止问题反弹回潮。") * 2
    lead = "（一）限期整改到位。"
    doc = bulletin_doc()
    doc.body = [*(Para(filler) for _ in range(fillers)), Para(long, lead=lead), Para(long), Para("特此通报。")]
    path = render(doc, tmp_path / f"lead_split_{fillers}.pdf")
    lines = []  # (page, the line's words, x of its first)
    for number, page in enumerate(words(path), start=1):
        rows: dict[float, list] = {}
        for text, x0, y0, _, _ in page:
            if y0 < TOP + 225:  # not the page number
                rows.setdefault(round(y0), []).append((x0, text))
        lines += [(number, [t for _, t in sorted(ws)], min(ws)[0]) for _, ws in sorted(rows.items())]
    first = next(i for i, line in enumerate(lines) if line[1][0].startswith(lead))
    last = next(i for i, line in enumerate(lines) if line[1] == ["特此通报。"])
    paragraph = lines[first:last]
    assert paragraph[0][0] < paragraph[-1][0]  # it goes on to the next page
    for _, parts, x in paragraph:
        assert len(parts) == 1, parts  # no gap inside a line
        assert x == pytest.approx(LEFT, abs=0.2) or x == pytest.approx(LEFT + 2 * CHAR_MM, abs=0.2), parts
    assert "".join(line[1][0] for line in paragraph) == lead + long + long


@needs_poppler
def test_two_closing_marks_go_together_and_an_opening_mark_never_ends_a_line(tmp_path):
    """reportlab hangs one closing mark in the margin; the second of "。”" or "？！" then started the next line, and
    "（" or "“" could end one. The character before goes down with them instead (推出), at every break position."""
    text = "他说：“立即整改。”又问：“何时完成？！”（详见《整改清单》）。" * 4
    doc = bulletin_doc()
    doc.body = [Para("甲" * shift + text) for shift in range(28)]
    doc.attachments = []
    path = render(doc, tmp_path / "kinsoku2.pdf")
    lines = [w[0] for page in words(path) for w in page if w[4] - w[2] == pytest.approx(CHAR_MM, abs=0.2)]
    assert len(lines) > 100
    assert not [line for line in lines if line[0] in "，。、；：？！）》”"], lines
    assert not [line for line in lines if line[-1] in "（《“"], lines


@needs_poppler
def test_a_mark_in_a_table_cell_never_hangs_past_the_cell_border(tmp_path):
    """Body text may hang one closing mark in the margin (标点悬挂), but a cell's margin is its border: a "、" after
    "（扣12分）" stood on the 红黑榜's grid line. In a cell the character before goes down with the mark instead, at
    every break position, and the line-start rules still hold."""
    reason = "扣分：日常督查发现问题35件（扣17.5分）、被挂牌督办4次（扣12分）、超期未整改11件（扣11分）；合计扣40.5分。"
    columns = (Column("序号", 12, "plain"), Column("理由", 50, "text"))
    doc = bulletin_doc()
    doc.body = [DataTable(columns, rows=[[str(shift), "甲" * shift + reason] for shift in range(18)], font_size=9)]
    doc.attachments = []
    path = render(doc, tmp_path / "cell_marks.pdf")
    border = LEFT + (TEXT_W - 62) / 2 + 62  # the table (62 mm) is centred in the text block
    inner = border - 3 / PT  # 3 pt padding
    lines = [w for page in words(path) for w in page
             if border - 50 < w[1] < border and w[0] and set(w[0]) <= set("甲" + reason)]
    assert len(lines) > 60
    assert not [(w[0], round(w[3] - inner, 2)) for w in lines if w[3] > inner + 0.05], "past the cell's edge"
    assert not [w[0] for w in lines if w[0][0] in "，。、；：？！）》”"]


@needs_poppler
def test_a_text_cell_breaks_its_lines_where_the_value_says(tmp_path):
    """"\n" in a text cell starts a new line (the 督查通报's site, then its type under it), where it printed as a
    space ("高新区丰收巷 （背街小巷）"); blank lines are dropped, and a cell still holds 500 characters at most."""
    columns = (Column("点位", 36, "text"), Column("说明", 100, "text"))
    doc = bulletin_doc()
    doc.body = [DataTable(columns, rows=[["高新区丰收巷\n（背街小巷）", "第一行\n\n\n第二行"],
                                         ["甲" * 200 + "\n" + "乙" * 200 + "\n" + "丙" * 200, "—"]])]
    doc.attachments = []
    path = render(doc, tmp_path / "cell_lines.pdf")
    page = words(path)[0]
    name, kind = find(page, "高新区丰收巷"), find(page, "（背街小巷）")
    assert name[0] == "高新区丰收巷" and kind[2] > name[2]  # two lines, the type under the name
    first, second = find(page, "第一行"), find(page, "第二行")
    assert second[2] - first[2] == pytest.approx(10.5 * 1.35 / PT, abs=0.3)  # the next line: no blank ones between
    text = "".join(w[0] for p in words(path) for w in p)
    assert (text.count("甲"), text.count("乙"), text.count("丙")) == (200, 200, 99) and "丙…" in text


def test_a_group_line_stays_with_its_first_row(tmp_path):
    for first_group in range(6, 13):  # move the second group's line across the page foot
        doc = letter_doc(counts=(first_group, 3, 0, 0))
        path = tmp_path / f"groups{first_group}.pdf"
        render_document(doc, path)
        for text in page_texts(path):
            if "江城区解放街道办事处（3件）" in text:
                assert text.index("江城区解放街道办事处（3件）") < text.index(f"2026-{first_group + 1:06d}")


def body_lines(path: Path) -> list[list[tuple[str, float]]]:
    """Per page, the lines of text inside the 版心 (not the page number): (text, bottom of its ink in mm)."""
    pages = []
    for page in words(path):
        lines: dict[float, list] = {}
        for text, x0, y0, _, y1 in page:
            if y0 < TOP + 225:
                lines.setdefault(round(y0, 0), []).append((x0, text, y1))
        pages.append([("".join(t for _, t, _ in sorted(ws)), max(y for _, _, y in ws))
                      for _, ws in sorted(lines.items())])
    return pages


KEPT_HEADINGS = ("一、考评办法", "（一）扣分规则", "二、红榜")


def heading_doc(intro_lines: int) -> OfficialDocument:
    """A 通报 that begins like the 红黑榜's: a two-line title, 主送, an introduction of `intro_lines` full lines,
    then headings over long paragraphs."""
    phrase = "根据文明城市创建问题整改考评办法现将本期各责任单位问题整改考评情况通报如下"
    intro = (phrase * 20)[:26 + 28 * (intro_lines - 1) - 1] + "。"
    method = "满分100分日常督查市民随手拍热线发现问题每件扣分随机抽查领导督导部门联查暗访模拟测评发现问题每件扣分" * 5
    return OfficialDocument(
        form=Form.FILE, issuer_mark="临江市精神文明建设指导委员会办公室文件", doc_number="临江文明榜〔2026〕1号",
        title="关于2026年11月文明城市创建问题整改红黑榜的通报", recipients=["各责任单位"],
        body=[Para(intro), Heading(KEPT_HEADINGS[0]), Para(method), Heading(KEPT_HEADINGS[1], level=2),
              Para(method[:200]), Heading(KEPT_HEADINGS[2]), Para(method[:120]), Para("特此通报。")],
        signatory="临江市精神文明建设指导委员会办公室", date=date(2026, 12, 1), seal_space=False)


@needs_poppler
@pytest.mark.parametrize("intro_lines", range(1, 8))
def test_a_heading_keeps_two_lines_and_never_ends_a_page(intro_lines, tmp_path):
    """keepWithNext (official._KeepWithNext): a heading stays at a page's foot with at least the first two lines
    of its paragraph, the rest flowing on; with less room it goes to the next page. Page 1's body is not on the
    22-line grid: after this title and 主送 it ends 1.4 pt short of a whole line, and a heading with two lines
    once went to page 2 from 2.95 lines of room (and from 3.95: it wanted three lines), leaving a gap."""
    path = render(heading_doc(intro_lines), tmp_path / f"heading_after_{intro_lines}_lines.pdf")
    pages = body_lines(path)
    first = [text for text, _ in pages[0]]
    start = first.index("各责任单位：") + 1
    assert first[start + intro_lines - 1].endswith("。")  # the introduction's lines
    room = 8 - 1 - intro_lines  # page 1 holds 8 whole body lines (and 0.95 of a ninth) under the title
    if room >= 2:  # the heading and its first two lines
        assert KEPT_HEADINGS[0] in first and len(first) - first.index(KEPT_HEADINGS[0]) - 1 >= 2, first
    else:
        assert KEPT_HEADINGS[0] not in first
    for number, page in enumerate(pages, start=1):
        last, bottom = page[-1]
        assert last not in KEPT_HEADINGS, f"page {number} ends with the heading {last}"
        assert bottom <= TOP + 225, f"page {number}: {last} below the 版心"  # a hanging line's glyphs stay inside
    kept = [text for page in pages for text, _ in page]
    for heading in KEPT_HEADINGS:
        following = kept[kept.index(heading) + 1]
        assert following not in KEPT_HEADINGS  # each heading is followed by its own text


def closing_doc(intro_lines: int, closing: str, *, seal: Path | None = None) -> OfficialDocument:
    """A 函 like the 门前四包 整改通知书: an introduction of `intro_lines` full lines (乙), the closing paragraph
    `closing` (甲 lines, or 特此函告。), then the 落款 with the seal and the 附注."""
    return OfficialDocument(
        form=Form.LETTER, issuer_mark="江城区解放街道办事处", doc_number="门前四包〔2026〕3号",
        title="门前四包责任整改通知书", recipients=["老韩家米粉店"],
        body=[Para("乙" * (26 + 28 * (intro_lines - 1))), Para(closing)], signatory="江城区解放街道办事处",
        date=date(2026, 12, 6), seal=Seal(seal) if seal else None, note="联系人：王敏，电话：0731-12345678")


def text_lines(path: Path) -> list[list[tuple[str, float]]]:
    """Per page, its lines of text (page numbers aside): (text, bottom of its ink in mm)."""
    pages = []
    for page in words(path):
        lines: dict[float, list] = {}
        for text, x0, y0, _, y1 in page:
            if not re.fullmatch(r"[—\d]+", text):
                lines.setdefault(round(y0, 0), []).append((x0, text, y1))
        pages.append([("".join(t for _, t, _ in sorted(ws)), max(y for _, _, y in ws))
                      for _, ws in sorted(lines.items())])
    return pages


SIGNED = "2026年12月6日"


@needs_poppler
@pytest.mark.parametrize("intro_lines", range(2, 27, 2))
def test_the_sign_off_keeps_the_last_lines_of_the_closing_paragraph_only(intro_lines, tmp_path):
    """The 落款 never starts a page without body text, and takes only what it needs (official.KeepClosing): the
    closing paragraph stays on the page as far as it fits, the rest (its last line at least) going on with the
    落款 and the 附注. The whole paragraph went on before, and the 整改通知书 left 40% of page 1 blank."""
    seal = make_seal(tmp_path / "seal.png")
    path = render(closing_doc(intro_lines, "甲" * (26 + 28 * 3), seal=seal), tmp_path / f"closing_{intro_lines}.pdf")
    pages = text_lines(path)
    at = next(n for n, page in enumerate(pages) if any(SIGNED in t for t, _ in page))
    page = [t for t, _ in pages[at]]
    signed = next(i for i, t in enumerate(page) if SIGNED in t)
    assert page[signed - 2].startswith("甲") and page[signed - 1] == "江城区解放街道办事处"  # text, 署名, 日期
    assert page[signed + 1].startswith("（联系人")
    here = sum(t.startswith("甲") for t in page)
    before = sum(t.startswith("甲") for t, _ in pages[at - 1]) if at else 0
    assert here + before == 4
    if before:  # split: as much as fits stayed, so either only the last line went on or the page was full
        assert here == 1 or TOP + 225 - pages[at - 1][-1][1] < LINE_MM
    elif at and not any(t.startswith("甲") for t, _ in pages[at - 1]) and pages[at - 1][-1][0].startswith("乙"):
        assert TOP + 225 - pages[at - 1][-1][1] < 2 * LINE_MM + 1  # no room for two lines (the orphan rule)
    rows = [r for r in red_rows(red_boxes(path, at + 1)) if r[0] > 60 * PT or at]
    rows = [r for r in rows if r[2] - r[1] < 60 * PT]  # the seal, not the letterhead's rules
    text_above = max(b for t, b in pages[at] if t.startswith("甲"))
    assert 0 <= rows[0][0] / PT - text_above <= LINE_MM  # 印章顶端上距正文一行之内, not over it


@needs_poppler
@pytest.mark.parametrize("intro_lines", range(2, 27, 2))
def test_a_one_line_closing_moves_with_the_sign_off_only_when_the_seal_room_cannot_close_up(intro_lines, tmp_path):
    """特此函告。 goes with the 落款 (and the last line of the paragraph before it, when they move on:
    test_the_closing_of_a_supervision_letter_never_stands_alone_on_its_page); where it misses by less than half a
    line the seal's room above closes up (GB/T 9704 §7.3.5.4; the seal's top stays within a line of the text) and it stays: the 门前四包
    通报 put 特此通报, the 落款 and the 版记 on a page of their own 3.6 mm short, a third of the page before blank."""
    path = render(closing_doc(intro_lines, "特此函告。"), tmp_path / f"one_line_{intro_lines}.pdf")
    pages = text_lines(path)
    at = next(n for n, page in enumerate(pages) if any(SIGNED in t for t, _ in page))
    page = [t for t, _ in pages[at]]
    assert page[page.index("江城区解放街道办事处", 1) - 1] == "特此函告。"
    if at and pages[at - 1][-1][0].startswith("乙"):  # moved on: it could not have stayed
        room = TOP + 225 - pages[at - 1][-1][1] - (LINE_MM - CHAR_MM) / 2  # the last line box's foot
        assert room < LINE_MM + 21 + (0.3 - 0.5 + 2) * LINE_MM


OFFICE = "临江市精神文明建设指导委员会办公室"


def supervision_doc(intro_lines: int, *, seal: Path | None = None) -> OfficialDocument:
    """A 督办函 as the office words it (settings.LEVEL_TEXT[1]): an introduction of `intro_lines` full lines, the
    two headed sections, 特此函告。, the 附件说明, the 落款 (a seal, or room for one) and the 附注."""
    return OfficialDocument(
        form=Form.LETTER, issuer_mark=OFFICE, doc_number="临江文明督〔2026〕8号",
        title="关于督促整改超期未办结问题的督办函", recipients=UNITS[:2],
        body=[Para("乙" * (26 + 28 * (intro_lines - 1))),
              Heading("一、整改要求"),
              Para("请于2026年12月2日前整改到位，并通过文明城市督查整改系统上传整改后照片、反馈整改情况；确有困难的，"
                   "请在时限内书面说明原因。逾期仍未整改到位的，将实行挂牌督办。"),
              Heading("二、反馈要求"),
              Para("请于2026年12月2日前签收本函，并逐项书面回复整改情况（可附整改后照片或加盖公章的说明材料）。"
                   "市文明办将逐项核查，整改到位的予以销号。"),
              Para("特此函告。")],
        attachments=[Attachment("问题清单", [problem_table(problems((1, 1, 0, 0)))])],
        signatory=OFFICE, date=date(2026, 12, 6), seal=Seal(seal) if seal else None,
        note="联系人：王敏，电话：0731-12345678")


def pdftotext_page(path: Path, number: int) -> list[str]:
    """Page `number`'s lines as `pdftotext -f N -l N` reads them, spaces taken out, blank lines and the page number
    left out."""
    out = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
                         capture_output=True, check=True, text=True).stdout
    lines = ["".join(line.split()) for line in out.splitlines()]
    return [line for line in lines if line and not re.fullmatch(r"—\d+—", line)]


@needs_poppler
@pytest.mark.parametrize("sealed", [False, True], ids=["seal_space", "seal"])
def test_the_closing_of_a_supervision_letter_never_stands_alone_on_its_page(sealed, tmp_path):
    """公文 practice: the 落款 never stands alone on a page, and neither does it with only 特此函告。 and the 附件说明:
    the closing sentence keeps with the body's last lines. 特此函告。 is one line, which cannot be split, so the
    落款 took it alone to a page of its own whenever the body ended at a page's foot. The introduction grows a
    line at a time, so the page break falls at every point of the body's end in turn (page 1 and page 2)."""
    seal = make_seal(tmp_path / "seal.png") if sealed else None
    closing = {"特此函告。", "附件：问题清单", OFFICE, SIGNED, "（联系人：王敏，电话：0731-12345678）"}
    for intro_lines in range(1, 31):
        path = render(supervision_doc(intro_lines, seal=seal), tmp_path / f"closing_alone_{intro_lines}.pdf")
        pages = [pdftotext_page(path, n) for n in range(1, len(PdfReader(path).pages) + 1)]
        signed = next(n for n, lines in enumerate(pages) if SIGNED in lines)
        for n, lines in enumerate(pages[:signed + 1], start=1):
            assert set(lines) - closing, f"{intro_lines} lines: page {n} holds only the closing: {lines}"
        lines = pages[signed]
        at = lines.index("特此函告。")  # on the 落款's page
        assert at > 0 and lines[at - 1] not in closing, \
            f"{intro_lines} lines: 特此函告。 starts page {signed + 1} without the body's last lines: {lines}"


def test_letters_of_each_level_in_their_form(app, city, make_ticket):
    """督办 and 挂牌督办 are 函 (信函格式), 约谈 a 通知 (文件格式); the office's wording; 报 leaders, 抄送 organs."""
    from conftest import at

    from inspect_app.escalation.jobs import run_sweep
    from inspect_app.escalation.sweep import pdf_path

    app.config["ESCALATION_MODE"] = "auto"  # the sweep issues each level's letter itself
    make_ticket(address="人民路18号门前")
    texts = {}
    for level, when in ((1, "2026-11-27T09:00:00+08:00"), (2, "2026-12-03T09:00:00+08:00"),
                        (3, "2026-12-11T09:00:00+08:00")):
        letter = run_sweep(at(when)).letters[0]
        assert letter.level == level
        path = pdf_path(letter)
        keep_as = path.parent / f"escalation_level{level}.pdf"
        shutil.copy(path, keep_as)
        keep(keep_as)
        texts[level] = page_texts(path)
    for level in (1, 2):
        pages = texts[level]
        assert "—1—" not in pages[0] and "临江市精神文明建设指导委员会办公室文件" not in pages[0]
        assert "特此函告" in "".join(pages) and "印发" not in "".join(pages)
    assert "挂牌督办" in texts[2][0] and "报：市文明委主任、副主任。" in "".join(texts[2])
    pages = texts[3]
    assert "临江市精神文明建设指导委员会办公室文件" in pages[0] and "—1—" in pages[0]
    everything = "".join(pages)
    assert "关于约谈超期未整改问题" in everything and "特此通知" in everything and "签收本通知" in everything
    assert "抄送：市委督查室、市政府督查室。" in pages[-1] and "临江市文明办" in pages[-1] and "印发" in pages[-1]
    for level_texts in texts.values():
        joined = "".join(level_texts)
        assert "经市文明办督查发现" in joined and "系统核查" not in joined and "分管领导" not in joined
