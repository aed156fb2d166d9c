"""Stamped display copies: a photo with a visible band saying when, where and by whom it was taken, for the
documents and lists that show photos to people far from the ticket (督办函, 红黑榜, list thumbnails). The clean
original stays as it was uploaded; only these copies carry the stamp.

The copy is thumbnail-sized (PHOTO_THUMB_LONG_SIDE, 480 px): sharp in a PDF's photo cell (about 330 dpi at 37 mm)
and light in a list. Drawn with Pillow's ImageDraw in the bundled CJK face (inspect_app/pdf/fonts), sized to the
copy's width.
"""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..pdf.fonts import BUNDLED_FONT_PATH

QUALITY = 82


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BUNDLED_FONT_PATH), size)


def _fit_line(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def stamp(jpeg: bytes, lines: list[str], long_side: int | None = None) -> bytes:
    """The JPEG with `lines` in a dark band along its bottom edge, scaled to `long_side` first when given."""
    with Image.open(io.BytesIO(jpeg)) as source:
        img = source.convert("RGB")
    if long_side and max(img.size) > long_side:
        k = long_side / max(img.size)
        img = img.resize((max(1, round(img.width * k)), max(1, round(img.height * k))), Image.Resampling.LANCZOS)
    width, height = img.size
    size = max(11, min(40, round(min(width, height * 1.6) / 26)))
    font = _font(size)
    pad = max(4, size // 3)
    line_h = round(size * 1.3)
    band = pad * 2 + line_h * len(lines)
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, 150))
    y = height - band + pad
    for line in lines:
        draw.text((pad, y), _fit_line(draw, line, font, width - 2 * pad), font=font, fill=(255, 255, 255, 255))
        y += line_h
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
