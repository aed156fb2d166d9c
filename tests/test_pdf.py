"""Tests for the shared PDF building blocks (no Flask app needed)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
import reportlab
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.lib.units import mm

from inspect_app.pdf import (
    PHOTO_MISSING,
    body_paragraph,
    build_official_pdf,
    build_pdf,
    data_table,
    format_cn_date,
    kv_paragraph,
    register_fonts,
    section_heading,
    thumbnail_flowable,
    write_atomically,
)
from inspect_app.pdf.fonts import BUNDLED_FONT_NAME
from inspect_app.pdf.official import ImageBox

UNITS = ["临江市城市管理局", "东城区东城街道办事处", "临江市交通运输局", "临江公交集团有限公司"]
HEADER = ["序号", "案件编号", "责任单位", "问题类别", "照片"]
WIDTHS = [12 * mm, 34 * mm, 50 * mm, 36 * mm, 24 * mm]


def make_jpeg(path: Path, size: tuple[int, int] = (480, 360), seed: int = 0) -> Path:
    """A photo-like JPEG (gradient + shapes) of roughly thumbnail size."""
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    for k in range(12):
        x, y = (seed * 37 + k * 53) % size[0], (seed * 17 + k * 29) % size[1]
        draw.ellipse((x, y, x + 60, y + 40), fill=((seed * 50 + k * 20) % 256, 90, 160))
    im.save(path, "JPEG", quality=80)
    return path


def page_texts(pdf: bytes | Path) -> list[str]:
    reader = PdfReader(BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return [page.extract_text() or "" for page in reader.pages]


def compact(text: str) -> str:
    return "".join(text.split())


def embedded_font_files(pdf: bytes) -> list[str]:
    """Every font resource, prefixed "embedded:" if it carries a TrueType program (FontFile2), else "missing:"."""
    reader = PdfReader(BytesIO(pdf))
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            found.append(("embedded:" if embedded else "missing:") + str(font["/BaseFont"]))
    return found


@pytest.fixture(scope="module")
def fonts():
    return register_fonts()


@pytest.fixture
def letter_pdf(tmp_path: Path, fonts) -> bytes:
    photos = [make_jpeg(tmp_path / f"photo{i}.jpg", (480, 360) if i % 2 else (360, 480), i) for i in range(4)]
    rows = []
    for i in range(60):
        photo = thumbnail_flowable(photos[i % 4], 12, 6, fonts=fonts) if i % 20 == 0 else ""
        rows.append([str(i + 1), f"DB2026-{i + 1:04d}", UNITS[i % 4], "占道经营" if i % 2 else "公益广告破损", photo])
    out = tmp_path / "letter.pdf"
    build_official_pdf(
        out,
        banner="临江市文明办文件",
        doc_number="临江文明督〔2026〕8号",
        title="关于督促整改超期未办结问题的督办函",
        recipient="临江市城市管理局",
        body=[
            "你单位下列问题已超过整改时限，现予督办。",
            section_heading("一、督办事项", fonts),
            data_table(HEADER, rows, WIDTHS, fonts, center_cols=(0,)),
            "请于整改时限届满前通过系统反馈整改情况。",
        ],
        signoff_office="临江市文明办",
        signoff_date=date(2026, 11, 28),
        cc="市委督查室，市政府督查室",
        printed_by="临江市文明办秘书科",
        printed_date=date(2026, 11, 28),
        fonts=fonts,
    )
    if os.environ.get("PDF_SAMPLE_DIR"):  # keep a copy to look at: PDF_SAMPLE_DIR=/tmp/pdfcheck pytest ...
        shutil.copy(out, Path(os.environ["PDF_SAMPLE_DIR"]) / "test_letter.pdf")
    return out.read_bytes()


def test_letter_text_fonts_and_pages(letter_pdf: bytes) -> None:
    texts = page_texts(letter_pdf)
    # 3 or 4 pages: the 版头 keeps the standard's two blank lines around the 发文字号 and the red rule, and the
    # 版记 goes to the foot of a page of its own when the last page has no room for it
    assert len(texts) in (3, 4)
    assert "抄送" in texts[-1] and "印发" in texts[-1]
    everything = compact("".join(texts))
    for expected in (
        "临江市文明办文件",
        "临江文明督〔2026〕8号",
        "关于督促整改超期未办结问题的督办函",
        "临江市城市管理局：",
        "东城区东城街道办事处",
        "DB2026-0060",
        "2026年11月28日",
        "抄送：市委督查室，市政府督查室。",
        "2026年11月28日印发",
    ):
        assert expected in everything, expected
    for n, text in enumerate(texts, start=1):
        assert f"—{n}—" in compact(text), f"page number on page {n}"
    # the section heading stays with the start of the long table instead of leaving page 1 blank
    assert "一、督办事项" in texts[0] and "DB2026-0001" in texts[0]
    # the header row repeats on the next page
    assert "案件编号" in texts[1] and "责任单位" in texts[1]
    # every font is embedded (subset TrueType), nothing relies on fonts installed on the reader's machine
    fonts = embedded_font_files(letter_pdf)
    assert fonts and all(f.startswith("embedded:") for f in fonts), fonts
    assert any("WenQuanYi" in f for f in fonts)


def test_letter_text_with_pdftotext(letter_pdf: bytes, tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed")
    path = tmp_path / "l.pdf"
    path.write_bytes(letter_pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert "临江文明督〔2026〕8号" in text
    assert "—2—" in compact(text)  # pdftotext drops the narrow spaces of "— 2 —"
    assert "DB2026-0060" in text


def test_images_are_passed_through_as_jpeg(letter_pdf: bytes) -> None:
    reader = PdfReader(BytesIO(letter_pdf))
    filters = set()
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        for xo in xobjects.values():
            xo = xo.get_object()
            if xo["/Subtype"] == "/Image":
                f = xo["/Filter"]
                filters.add(tuple(f) if isinstance(f, list) else (f,))
    assert filters and all("/DCTDecode" in f for f in filters), filters


def test_thumbnail_keeps_aspect_and_handles_bad_input(tmp_path: Path, fonts) -> None:
    portrait = make_jpeg(tmp_path / "p.jpg", (360, 480))
    flow = thumbnail_flowable(portrait, 30, 30, fonts=fonts)
    assert isinstance(flow, ImageBox)
    assert flow.height == pytest.approx(30 * mm)
    assert flow.width == pytest.approx(30 * mm * 360 / 480)
    from_bytes = thumbnail_flowable(portrait.read_bytes(), 20, 10, fonts=fonts)
    assert from_bytes.height == pytest.approx(10 * mm)

    garbage = tmp_path / "broken.jpg"
    garbage.write_bytes(b"not an image")
    for bad in (tmp_path / "missing.jpg", garbage, b"", b"\xff\xd8\xff\xe0 truncated"):
        flow = thumbnail_flowable(bad, 20, 20, fonts=fonts)
        assert not isinstance(flow, ImageBox)
        assert PHOTO_MISSING in flow.getPlainText()

    # a PNG with transparency and an EXIF-rotated JPEG are converted, not rejected
    png = tmp_path / "a.png"
    Image.new("RGBA", (100, 50), (255, 0, 0, 128)).save(png)
    assert isinstance(thumbnail_flowable(png, 20, 20, fonts=fonts), ImageBox)
    rotated = tmp_path / "r.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when displayed
    Image.new("RGB", (400, 300), "blue").save(rotated, exif=exif)
    flow = thumbnail_flowable(rotated, 30, 30, fonts=fonts)
    assert flow.width < flow.height  # displayed upright (portrait)
    out = BytesIO()
    build_pdf(out, [flow, thumbnail_flowable(png, 20, 20, fonts=fonts)], fonts=fonts)
    assert out.getvalue().startswith(b"%PDF")


def test_table_with_50_thumbnails_is_fast(tmp_path: Path, fonts) -> None:
    photos = [make_jpeg(tmp_path / f"t{i}.jpg", seed=i) for i in range(50)]

    def build() -> bytes:
        rows = [
            [str(i + 1), f"DB2026-{i + 1:04d}", UNITS[i % 4], "乱堆乱放", thumbnail_flowable(p, 20, 15, fonts=fonts)]
            for i, p in enumerate(photos)
        ]
        out = BytesIO()
        build_pdf(out, [data_table(HEADER, rows, WIDTHS, fonts)], title="红黑榜", fonts=fonts)
        return out.getvalue()

    build()  # warm-up (imports, font metrics)
    start = time.perf_counter()
    pdf = build()
    elapsed = time.perf_counter() - start
    print(f"\n50-row table with 50 thumbnails: {elapsed * 1000:.0f} ms, {len(pdf) // 1024} KiB")
    assert len(page_texts(pdf)) >= 2


def test_helpers(fonts) -> None:
    assert format_cn_date(date(2026, 1, 5)) == "2026年1月5日"
    assert format_cn_date(date(2026, 11, 28)) == "2026年11月28日"
    # plain text is escaped, not parsed as markup
    assert body_paragraph("A<B & C>D", fonts).getPlainText() == "A<B & C>D"
    assert kv_paragraph("督办类型", "挂牌督办", fonts).getPlainText() == "督办类型：挂牌督办"
    with pytest.raises(ValueError):
        data_table(["a", "b"], [["only one"]], None, fonts)


def test_optional_parts_and_file_object(fonts) -> None:
    out = BytesIO()
    build_official_pdf(
        out,
        banner="临江市文明办",
        doc_number=None,
        title="通知",
        recipient=None,
        body=["第一段。\n\n第二段。"],
        signoff_office="临江市文明办",
        signoff_date=date(2026, 3, 1),
        cc=None,
        printed_by=None,
        printed_date=None,
        fonts=fonts,
    )
    text = compact("".join(page_texts(out.getvalue())))
    assert "第一段。第二段。" in text
    assert "2026年3月1日" in text and "抄送" not in text and "印发" not in text


# --- fonts ------------------------------------------------------------------------------------


def test_register_fonts_is_idempotent(fonts) -> None:
    again = register_fonts()
    assert again == fonts
    assert fonts.heading == fonts.body == fonts.banner == BUNDLED_FONT_NAME


def test_concurrent_registration_and_builds(fonts) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(n: int) -> tuple:
        f = register_fonts()
        out = BytesIO()
        build_pdf(out, [body_paragraph(f"并发生成第{n}份", f)], fonts=f)
        return f, compact(page_texts(out.getvalue())[0])

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(8)))
    assert all(f == fonts for f, _ in results)
    assert all(f"并发生成第{n}份" in text for n, (_, text) in enumerate(results))


def test_missing_configured_font_falls_back(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="inspect_app.pdf.fonts"):
        missing = register_fonts(tmp_path / "nope" / "fangsong.ttf")
        broken_path = tmp_path / "broken.ttf"
        broken_path.write_bytes(b"\0\1\0\0garbage")
        broken = register_fonts(broken_path)
        # a valid TrueType without Chinese glyphs (ships with reportlab) is rejected too
        latin = register_fonts(Path(reportlab.__file__).parent / "fonts" / "Vera.ttf")
    assert missing.body == broken.body == latin.body == BUNDLED_FONT_NAME
    assert "fangsong.ttf" in caplog.text and "broken.ttf" in caplog.text and "Vera.ttf" in caplog.text
    out = BytesIO()
    build_pdf(out, [body_paragraph("仍然可以生成。", missing)], fonts=missing)
    assert "仍然可以生成" in compact(page_texts(out.getvalue())[0])


def test_configured_truetype_font_is_used(tmp_path: Path) -> None:
    # any CJK TrueType works as a stand-in for an office's 仿宋 .ttf
    from inspect_app.pdf.fonts import BUNDLED_FONT_PATH

    office_font = tmp_path / "office.ttc"
    shutil.copy(BUNDLED_FONT_PATH, office_font)
    configured = register_fonts(office_font)
    assert configured.body != BUNDLED_FONT_NAME and configured.heading == BUNDLED_FONT_NAME
    assert register_fonts(str(office_font)) == configured


# --- atomic write -----------------------------------------------------------------------------


def test_write_atomically_success(tmp_path: Path) -> None:
    target = tmp_path / "letters" / "2026" / "8.pdf"
    result = write_atomically(target, lambda f: f.write(b"%PDF-new"))
    assert result == target and target.read_bytes() == b"%PDF-new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["8.pdf"]


def test_write_atomically_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out" / "letter.pdf"

    def failing(f) -> None:
        f.write(b"partial")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_atomically(target, failing)
    assert list(target.parent.iterdir()) == []

    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        write_atomically(target, failing)
    assert target.read_bytes() == b"old"
    assert [p.name for p in target.parent.iterdir()] == ["letter.pdf"]


def test_write_atomically_with_pdf(tmp_path: Path, fonts) -> None:
    target = tmp_path / "doc.pdf"
    write_atomically(target, lambda f: build_pdf(f, [body_paragraph("测试", fonts)], fonts=fonts))
    assert "测试" in page_texts(target)[0]
