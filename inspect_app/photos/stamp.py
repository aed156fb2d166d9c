"""Stamped display copies: a photo with a visible band saying when, where and by whom it was taken, for the
documents and lists that show photos to people far from the ticket (督办函, 红黑榜, list thumbnails). The clean
original stays as it was uploaded; only these copies carry the stamp.

The copy is thumbnail-sized (320–480 px, PHOTO_THUMB_LONG_SIDE; a phone-page photo gives 400): sharp in a PDF's
photo cell (about 275 dpi at 400 px across 37 mm) and light in a list. Drawn with Pillow's ImageDraw in the
bundled CJK face (inspect_app/pdf/fonts), sized to the copy's width.
"""
from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..pdf.fonts import BUNDLED_FONT_PATH

QUALITY = 82


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    # FreeType's own layout, not libraqm's: the stamp's text is Chinese, digits and Latin, which need no shaping
    # or bidi, and the bundled face has no glyphs of a script that would (Arabic, Tibetan: .notdef either way).
    # Side by side the stamps look the same; each takes 1.35 ms instead of 2.2 (one on every filed photo).
    return ImageFont.truetype(str(BUNDLED_FONT_PATH), size, layout_engine=ImageFont.Layout.BASIC)


def _fit_line(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def stamp(source: bytes | Image.Image, lines: list[str], long_side: int | None = None) -> bytes:
    """The photo with `lines` in a dark band along its bottom edge, scaled to `long_side` first when given.
    `source`: a JPEG, or an image already decoded (filing passes the thumbnail it has just made, so nothing is
    decoded twice); a given image is not changed."""
    band = Band(source, len(lines), long_side)
    for index, line in enumerate(lines):
        band.write(index, line)
    return band.jpeg()


class Band:
    """A stamped copy drawn in steps: the band laid for `count` lines at once, each line written when its text is
    known, the JPEG last. Filing draws every line but the first before the ticket has its number (which the first
    line shows), so little is left for the stretch in which other filings wait (tickets/services.create_ticket)."""

    def __init__(self, source: bytes | Image.Image, count: int, long_side: int | None = None) -> None:
        if isinstance(source, Image.Image):
            img = source.convert("RGB") if source.mode != "RGB" else source.copy()
        else:
            with Image.open(io.BytesIO(source)) as opened:
                img = opened.convert("RGB")
        if long_side and max(img.size) > long_side:
            k = long_side / max(img.size)
            img = img.resize((max(1, round(img.width * k)), max(1, round(img.height * k))),
                             Image.Resampling.LANCZOS)
        width, height = img.size
        size = max(11, min(40, round(min(width, height * 1.6) / 26)))
        self.font = _font(size)
        self.pad = max(4, size // 3)
        self.line_h = round(size * 1.3)
        band = self.pad * 2 + self.line_h * count
        # The band: black at alpha 150 over the photo, i.e. every channel times 105/255; only the band is touched.
        box = (0, max(0, height - band), width, height)
        img.paste(img.crop(box).point(_DARKEN), box)
        self.img, self.top = img, height - band + self.pad
        self.draw = ImageDraw.Draw(img)

    def write(self, index: int, text: str) -> None:
        """Line `index` (from 0, top to bottom), cut with an ellipsis where the photo is too narrow."""
        width = self.img.width - 2 * self.pad
        self.draw.text((self.pad, self.top + index * self.line_h), _fit_line(self.draw, text, self.font, width),
                       font=self.font, fill=(255, 255, 255))

    def jpeg(self) -> bytes:
        out = io.BytesIO()
        self.img.save(out, "JPEG", quality=QUALITY)
        return out.getvalue()


_DARKEN = [round(v * 105 / 255) for v in range(256)] * 3
