"""Photo ingest: check an upload by its content, read EXIF GPS and time, store an upright, metadata-free JPEG.

Pure functions over bytes; no Flask. Everything a bad upload can cause ends in a PhotoError (413/415/400),
never in another exception. What a decode may cost is bounded before it starts (Limits: pixels per format, scans
of a progressive JPEG); how many decodes run at once, and for how long per request, is service.py's business.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from . import jpeg

pillow_heif.register_heif_opener()
# Pillow's own bomb check runs inside Image.open(), before our per-format limits can look at the size, and would
# refuse a 108 MP or 200 MP phone photo (it warns from 89 MP, raises from 179 MP). Our limits (Limits, from the
# headers, before any decoding) are the real ones; this only keeps Pillow's check above all of them. Every
# untrusted image in the application goes through process_image(); other Pillow users only read our own output.
Image.MAX_IMAGE_PIXELS = 256_000_000

__all__ = ["Limits", "PhotoError", "ProcessedPhoto", "plausible_taken_at", "process_image", "SOURCE_FORMATS"]

SOURCE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# Restricting Image.open to these plugins means detection is by content and nothing else is even tried.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # MPO files open through the JPEG plugin
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}

MAIN_QUALITY = 85
THUMB_QUALITY = 80
# HAMMING: a windowed-sinc downscaling filter, sharper than BILINEAR at the same (small) cost; it is what
# keeps the main resize, the largest single cost of an ingest, at about half of LANCZOS's time.
RESAMPLE = Image.Resampling.HAMMING
_MAIN_GAP = 3.0  # reducing_gap: box-reduce first while the ratio is above 3x, then HAMMING
_THUMB_GAP = 1.0  # a thumbnail that needs resampling at all: box-reduce while above 1x, then HAMMING
# A DCT-scaled decode (or an integer box reduce) whose long side lands within [2/3, 1] of the stored long side is
# kept as it is, without a resampling pass: 2048 stores an 8 MP 3264 px photo at 1632, a 12 MP one at 2000/2016.
# The thumbnail follows the same rule within its 480: the phone page's 1600 px JPEG is decoded at 1/4 straight to
# 400 px, and a 1632 px copy box-reduced by 4 to 408 (a filtered 480 px resize was a ninth of a filing's CPU).
DCT_ONLY_MIN = 2 / 3
# A JPEG kept as uploaded may use up to 4 bits per pixel (a phone's own JPEG at quality ~95); a re-encode at
# MAIN_QUALITY takes about 1-2, so anything heavier is re-encoded rather than stored bloated.
LOSSLESS_MAX_BYTES_PER_PIXEL = 0.5
EARLIEST_CAPTURE = datetime(2000, 1, 1, tzinfo=timezone.utc)  # before: a camera clock never set

try:
    SHANGHAI: tzinfo = ZoneInfo("Asia/Shanghai")
except ZoneInfoNotFoundError:  # no tz database (e.g. bare Windows without tzdata): China has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_DATETIME_RE = re.compile(r"\s*(\d{4})[:./-](\d{1,2})[:./-](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?")
_OFFSET_RE = re.compile(r"\s*([+-])(\d{2}):?(\d{2})\s*$")


class PhotoError(Exception):
    """A rejected upload. `code` is snake_case, `message` is for the user (Chinese), `status` the HTTP status."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message, status)  # args mirror __init__, so the error pickles
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict:
        """The API error body: {"error": {"code", "message"}}."""
        return {"error": {"code": self.code, "message": self.message}}


@dataclass(frozen=True)
class ProcessedPhoto:
    jpeg: bytes  # upright JPEG, long side <= max_long_side, no EXIF/XMP/ICC/comment (APP/COM segments)
    thumb: bytes  # upright JPEG, long side within [2/3, 1] of thumb_long_side (or the photo's own, if smaller)
    width: int  # of `jpeg`
    height: int
    lat: float | None  # WGS-84 from EXIF GPS; None if absent or invalid
    lon: float | None
    taken_at: datetime | None  # timezone-aware
    sha256: str  # hex digest of the original upload
    original_bytes: int
    source_format: str  # one of SOURCE_FORMATS
    original_width: int = 0  # as uploaded, before orientation and scaling
    original_height: int = 0
    orientation: int = 1  # the EXIF orientation that was applied (1 = none)
    lossless: bool = False  # `jpeg` is the upload's own compressed data, its metadata segments removed
    # The thumbnail as decoded pixels (RGB), for the stamped display copy (stamp.py) without decoding `thumb` again.
    thumb_image: Image.Image | None = field(default=None, compare=False, repr=False)


def _empty() -> PhotoError:
    return PhotoError("empty_file", "未收到照片内容（文件为空），请重新选择照片上传。", 400)


# What an upload of no format the pipeline reads is told: every format it reads (SOURCE_FORMATS), HEIC included.
UNSUPPORTED_IMAGE = "无法识别的文件格式，请上传 JPEG、PNG、WebP 或 HEIC 照片。"


def _unsupported() -> PhotoError:
    return PhotoError("unsupported_image", UNSUPPORTED_IMAGE, 415)


def _heif_failed() -> PhotoError:
    return PhotoError(
        "heif_unreadable",
        "无法读取该 HEIC/HEIF 照片，请选择 JPEG 格式的照片上传"
        "（可在手机相机设置中选择“兼容性最佳”）。",
        415,
    )


def _broken() -> PhotoError:
    return PhotoError("broken_image", "照片文件不完整或已损坏，请重新拍摄上传。", 415)


def _too_large(max_pixels: int) -> PhotoError:
    return PhotoError(
        "image_too_large",
        f"照片尺寸过大（像素数超过 {max_pixels / 10_000:g} 万），请缩小后重新上传。",
        413,
    )


def _too_complex() -> PhotoError:
    return PhotoError(
        "image_too_complex",
        "照片文件结构异常（渐进式 JPEG 的扫描次数过多），解码代价过高，已拒收。请上传相机直接拍摄的照片。",
        415,
    )


@dataclass(frozen=True)
class Limits:
    """What one image may cost to decode. Every figure is a setting (config.py, PHOTO_*), passed in by the caller.

    A baseline JPEG is decoded with DCT scaling (1/2, 1/4, 1/8 while decoding), so its memory follows the stored
    size, not its own: it may be as large as phones write (200 MP modes). A progressive JPEG keeps every DCT
    coefficient of the full image until its last scan and passes over all of them once per scan; HEIF has no scaled
    decode; PNG and WebP are decoded whole into RGB(A) (and phones do not write them).
    """

    max_pixels: int = 52_000_000  # HEIF and progressive JPEG
    max_pixels_jpeg: int = 205_000_000  # baseline (sequential) JPEG
    max_pixels_png_webp: int = 16_000_000
    max_scans: int = 32  # SOS markers in one JPEG
    max_scan_pixels: int = 600_000_000  # scans x pixels of a progressive JPEG


DEFAULT_LIMITS = Limits()


def process_image(
    data: bytes,
    *,
    max_long_side: int = 2048,
    thumb_long_side: int = 480,
    max_pixels: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
    lossless: bool = True,
) -> ProcessedPhoto:
    """Validate an upload by content, read its EXIF, and store it upright without metadata.

    A JPEG that is already within max_long_side, upright, sRGB and not bloated keeps its compressed data: only
    its metadata segments are dropped (jpeg.strip), after a full decode proved it sound. Anything else is decoded
    at the smallest size that still gives the stored one (JPEG DCT scaling) and re-encoded.
    `max_pixels`, if given, caps every format (older callers); `limits` holds the per-format costs.
    `now` (aware) makes a capture time after now + 1 day count as absent; before 2000 always does.
    """
    if not data:
        raise _empty()
    if max_pixels is not None:
        limits = Limits(*(min(max_pixels, v) for v in (limits.max_pixels, limits.max_pixels_jpeg,
                                                         limits.max_pixels_png_webp)),
                        max_scans=limits.max_scans, max_scan_pixels=limits.max_scan_pixels)
    try:
        photo = _process(data, max_long_side, thumb_long_side, limits, lossless)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(limits.max_pixels) from None
    if photo.taken_at is not None and plausible_taken_at(photo.taken_at, now) is None:
        photo = replace(photo, taken_at=None)
    return photo


def plausible_taken_at(value: datetime | None, now: datetime | None) -> datetime | None:
    """The capture time if a camera could have written it: from 2000-01-01 (UTC) up to now + 1 day (`now` aware;
    without it only the lower bound is checked). Clocks of new phones start at 1970 or 1980, a placeholder can be
    9999-12-31, and a year-1 time with a positive offset is not even representable in UTC."""
    if value is None or value.tzinfo is None:
        return None
    try:
        in_utc = value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
    if in_utc < EARLIEST_CAPTURE or (now is not None and in_utc > now + timedelta(days=1)):
        return None
    return value


def _process(data: bytes, max_long_side: int, thumb_long_side: int, limits: Limits,
             lossless: bool) -> ProcessedPhoto:
    info = _check_jpeg(data, limits) if data[:2] == b"\xff\xd8" else None
    with _open(data) as img:  # all work inside: close() invalidates the pixels of the opened image
        source_format = "JPEG" if img.format == "MPO" else str(img.format)
        width, height = img.size
        if info is not None and (source_format != "JPEG" or (info.width, info.height) != img.size):
            raise _broken()  # Pillow read another header than the one whose cost was checked
        limit = (limits.max_pixels_png_webp if source_format in ("PNG", "WEBP")
                 else limits.max_pixels if source_format == "HEIF" or info is None or info.progressive
                 else limits.max_pixels_jpeg)
        if width * height > limit:
            raise _too_large(limit)
        exif = _safe_exif(img) if source_format == "JPEG" else None  # JPEG: from APP1, read at open
        icc = img.info.get("icc_profile")
        keep = None
        if lossless and info is not None and source_format == "JPEG":
            keep = _lossless_copy(data, info, img, exif, icc, max_long_side)
        if keep is not None:
            # Decode only to prove every scan sound and to make the thumbnail; the stored JPEG is `keep`.
            _draft(img, _decode_size(img.size, thumb_long_side))
        elif source_format == "JPEG":
            _draft(img, _decode_size(img.size, max_long_side))
        try:
            if source_format == "HEIF" and _bmff_truncated(data):
                raise EOFError("HEIF box runs past the end of the data")  # libheif would fill the gap with grey
            img.load()  # a full decode: verify() would pass truncated files
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except Exception:  # noqa: BLE001 - whatever the decoder says, the upload is bad
            raise (_heif_failed() if source_format == "HEIF" else _broken()) from None
        if exif is None:
            exif = _safe_exif(img)  # after load(): for PNG, getexif() would load by itself and swallow errors
        orientation = _orientation(exif)
        lat, lon = _gps(exif)
        taken_at = _taken_at(exif)

        if keep is not None:
            main_jpeg, main_size = keep, (width, height)
            thumb = _scale(_to_rgb(img), thumb_long_side, _THUMB_GAP)
        else:
            main = _to_main(img, max_long_side)
            if orientation in _TRANSPOSE:  # rotate the small image, not the full-size one
                main = main.transpose(_TRANSPOSE[orientation])
            if icc:
                main = _to_srgb(main, icc)
            main_jpeg, main_size = _encode(main, MAIN_QUALITY), main.size
            thumb = _scale(main, thumb_long_side, _THUMB_GAP)
        return ProcessedPhoto(
            jpeg=main_jpeg,
            thumb=_encode(thumb, THUMB_QUALITY),
            thumb_image=thumb.copy() if thumb is img else thumb,  # the opened image's pixels go at close()
            width=main_size[0],
            height=main_size[1],
            lat=lat,
            lon=lon,
            taken_at=taken_at,
            sha256=hashlib.sha256(data).hexdigest(),
            original_bytes=len(data),
            source_format=source_format,
            original_width=width,
            original_height=height,
            orientation=orientation,
            lossless=keep is not None,
        )


def _check_jpeg(data: bytes, limits: Limits) -> jpeg.JpegInfo | None:
    """Walk the markers before any decoding: refuse a JPEG whose scans would cost too much, or whose frame is
    larger than any phone writes. None if the data only starts like a JPEG (Pillow then decides)."""
    try:
        info = jpeg.inspect(data, max_scans=limits.max_scans)
    except jpeg.NotJpeg:
        raise _broken() from None
    if info.scans > limits.max_scans:
        raise _too_complex()
    if not info.sof:
        return None
    limit = limits.max_pixels if info.progressive else limits.max_pixels_jpeg
    if info.pixels > limit:
        raise _too_large(limit)
    if info.progressive and info.scans * info.pixels > limits.max_scan_pixels:
        raise _too_complex()
    return info


def _lossless_copy(data: bytes, info: jpeg.JpegInfo, img: Image.Image, exif: Image.Exif | None,
                   icc: bytes | None, max_long_side: int) -> bytes | None:
    """The upload minus its metadata, if it can be stored as it is: a complete 8-bit Huffman JPEG (what every
    browser shows) in YCbCr/RGB, upright, within the stored size, sRGB or untagged, and not larger than a
    re-encode would roughly be. Otherwise None."""
    if not (info.complete and info.sof in jpeg.HUFFMAN_SOF and info.precision == 8 and info.components == 3
            and img.mode == "RGB" and max(img.size) <= max_long_side and _orientation(exif) == 1):
        return None
    if icc and _srgb_transform_safe(bytes(icc)) is not False:
        return None  # a profile to convert from (or one we cannot read): re-encode in sRGB
    stripped = jpeg.strip(data, info)
    if len(stripped) > LOSSLESS_MAX_BYTES_PER_PIXEL * info.pixels:
        return None
    return stripped


def _srgb_transform_safe(icc: bytes) -> bool | None:
    """False: the profile is sRGB (or not an RGB one), nothing to convert; True: it needs converting; None: unreadable."""
    try:
        return _srgb_transform(icc) is not None
    except Exception:  # noqa: BLE001
        return None


def _draft(img: Image.Image, target: tuple[int, int]) -> None:
    """Ask the JPEG decoder for the smallest 1/2, 1/4, 1/8 scale not below `target` (no-op for other formats)."""
    if target != img.size:
        img.draft("RGB", target)  # Pillow picks scale s with size // s >= target


def _decode_size(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """The size to ask the JPEG decoder for: a DCT scale that lands within long_side and no lower than
    DCT_ONLY_MIN of it needs no resampling at all (3264 -> 1632, 4000 -> 2000, 8160 -> 2040, 16320 -> 2040);
    else the smallest scale still at or above long_side, resampled down after."""
    width, height = size
    longest = max(width, height)
    if longest <= long_side:
        return size
    for scale in (8, 4, 2):
        scaled = -(-longest // scale)
        if DCT_ONLY_MIN * long_side <= scaled <= long_side:
            return max(1, width // scale), max(1, height // scale)
    return _fit(size, long_side)


def _to_main(img: Image.Image, long_side: int) -> Image.Image:
    """The decoded image at the stored size, in RGB. Modes that resample well are scaled first (less memory)."""
    if img.mode in ("RGB", "RGBA", "L", "LA"):
        return _to_rgb(_scale(img, long_side, _MAIN_GAP))
    return _scale(_to_rgb(img), long_side, _MAIN_GAP)


def _scale(img: Image.Image, long_side: int, gap: float) -> Image.Image:
    """Fit within long_side: unchanged if it does; a box reduce by an integer factor if that lands no lower than
    DCT_ONLY_MIN of long_side (a true area average, a tenth of a filter's cost); else HAMMING after a box reduce
    while the ratio is above `gap`."""
    longest = max(img.size)
    if longest <= long_side:
        return img
    factor = -(-longest // long_side)
    if -(-longest // factor) >= DCT_ONLY_MIN * long_side:
        return img.reduce(factor)
    return img.resize(_fit(img.size, long_side), RESAMPLE, reducing_gap=gap)


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except UnidentifiedImageError:
        raise (_heif_failed() if _looks_like_heif(data) else _unsupported()) from None
    except Exception:  # a recognised format whose header the plugin could not parse
        raise (_heif_failed() if _looks_like_heif(data) else _broken()) from None


def _looks_like_heif(data: bytes) -> bool:
    """ISO-BMFF 'ftyp' box with a HEIF brand, so a HEIC we cannot decode gets the HEIC-specific message."""
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _bmff_truncated(data: bytes) -> bool:
    """True if a top-level ISO-BMFF box (HEIF's ftyp/meta/mdat) claims more bytes than the upload has."""
    offset, end = 0, len(data)
    while offset + 8 <= end:
        size = int.from_bytes(data[offset:offset + 4], "big")
        if size == 1:  # 64-bit size follows the type
            if offset + 16 > end:
                return True
            size = int.from_bytes(data[offset + 8:offset + 16], "big")
        elif size == 0:  # box runs to the end of the file
            return False
        if size < 8:
            return True  # malformed
        offset += size
    return offset != end


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    longest = max(width, height)
    if longest <= long_side:
        return size
    scale = long_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_rgb(img: Image.Image) -> Image.Image:
    """RGB for JPEG output: transparency over white, 16-bit scaled down, CMYK/L/P converted."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I", "F") or mode.startswith("I;16"):  # 16-bit PNG greyscale: 0..65535
        grey = img if mode in ("I", "F") else img.convert("I")
        return grey.point(lambda v: v * (1 / 256)).convert("L").convert("RGB")
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info:
        rgba = img if mode == "RGBA" else img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


@lru_cache(maxsize=8)
def _srgb_transform(icc: bytes) -> ImageCms.ImageCmsTransform | None:
    """A transform from an embedded RGB profile (e.g. iPhone Display P3) to sRGB; None if it is sRGB already."""
    if icc[16:20] != b"RGB ":
        return None
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    if "srgb" in ImageCms.getProfileDescription(profile).lower():
        return None
    return ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), "RGB", "RGB")


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """The output carries no profile, so bake the colours into sRGB; with an unusable profile keep the pixels."""
    try:
        transform = _srgb_transform(bytes(icc))
        if transform is not None:
            ImageCms.applyTransform(img, transform, inPlace=True)
    except Exception:  # noqa: BLE001 - a broken profile is not a broken photo
        pass
    return img


def _encode(img: Image.Image, quality: int) -> bytes:
    img.info = {}  # JPEG save copies e.g. a COM comment from info; output carries no metadata at all
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=False)
    return buf.getvalue()


# --- EXIF ---------------------------------------------------------------------------------------------------
# Every reader returns None on anything unexpected: bad EXIF means no metadata, never a refused photo.


def _safe_exif(img: Image.Image) -> Image.Exif | None:
    try:
        return img.getexif()
    except Exception:  # noqa: BLE001
        return None


def _safe_ifd(exif: Image.Exif, tag: int) -> dict:
    try:
        ifd = exif.get_ifd(tag)
    except Exception:  # noqa: BLE001
        return {}
    return ifd if isinstance(ifd, dict) else {}


def _orientation(exif: Image.Exif | None) -> int:
    try:
        value = int(exif.get(ExifTags.Base.Orientation, 1)) if exif is not None else 1
    except Exception:  # noqa: BLE001
        return 1
    return value if 1 <= value <= 8 else 1


def _gps(exif: Image.Exif | None) -> tuple[float | None, float | None]:
    if exif is None:
        return None, None
    gps = _safe_ifd(exif, ExifTags.IFD.GPSInfo)
    lat = _coordinate(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), 90.0, "N", "S")
    lon = _coordinate(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), 180.0, "E", "W")
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0,0 is what a phone without a fix writes
        return None, None
    return lat, lon


def _coordinate(value: object, ref: object, limit: float, positive: str, negative: str) -> float | None:
    """Degrees/minutes/seconds rationals (or fewer parts) plus an N/S or E/W ref -> signed decimal degrees."""
    try:
        parts = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        if value is None or not 1 <= len(parts) <= 3:
            return None
        numbers = [float(part) for part in parts]  # IFDRational with a zero denominator gives nan
        if not all(math.isfinite(n) for n in numbers) or any(not 0 <= n <= 60 for n in numbers[1:]):
            return None
        degrees = abs(numbers[0]) + sum(n / d for n, d in zip(numbers[1:], (60, 3600)))
        sign = -1.0 if numbers[0] < 0 else 1.0
        letter = _text(ref).upper()[:1]
        if letter == negative:
            sign = -1.0
        elif letter not in ("", positive):
            return None  # a ref that is neither: the block is garbage
        if degrees > limit:
            return None
        return round(sign * degrees, 7)
    except Exception:  # noqa: BLE001
        return None


def _taken_at(exif: Image.Exif | None) -> datetime | None:
    if exif is None:
        return None
    sub = _safe_ifd(exif, ExifTags.IFD.Exif)
    candidates = (
        (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
        (sub.get(ExifTags.Base.DateTimeDigitized), sub.get(ExifTags.Base.OffsetTimeDigitized)),
        (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
    )
    for value, offset in candidates:
        try:
            moment = _parse_datetime(value)
            if moment is not None:
                return moment.replace(tzinfo=_parse_offset(offset) or SHANGHAI)
        except Exception:  # noqa: BLE001
            continue
    return None


def _parse_datetime(value: object) -> datetime | None:
    match = _DATETIME_RE.match(_text(value))
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None


def _parse_offset(value: object) -> timezone | None:
    match = _OFFSET_RE.match(_text(value))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return ""
    return value.strip("\x00 \t\r\n")
