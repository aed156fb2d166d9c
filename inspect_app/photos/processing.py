"""Photo ingest: check an upload by its content, read EXIF GPS and time, store an upright, metadata-free JPEG.

Pure functions over bytes; no Flask. Everything a bad upload can cause ends in a PhotoError (413/415/400),
never in another exception.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pillow_heif
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

pillow_heif.register_heif_opener()

__all__ = ["PhotoError", "ProcessedPhoto", "process_image", "SOURCE_FORMATS"]

SOURCE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# Restricting Image.open to these plugins means detection is by content and nothing else is even tried.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # MPO files open through the JPEG plugin
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}

MAIN_QUALITY = 85
THUMB_QUALITY = 80
# HAMMING: a windowed-sinc downscaling filter, sharper than BILINEAR at the same (small) cost; it is what
# keeps the main resize, the largest single cost of an ingest, at about half of LANCZOS's time.
RESAMPLE = Image.Resampling.HAMMING

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
    jpeg: bytes  # upright JPEG, long side <= max_long_side, no EXIF/XMP/ICC/comment
    thumb: bytes  # upright JPEG, long side <= thumb_long_side
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


def _empty() -> PhotoError:
    return PhotoError("empty_file", "未收到照片内容（文件为空），请重新选择照片上传。", 400)


def _unsupported() -> PhotoError:
    return PhotoError("unsupported_image", "无法识别的文件格式，请上传 JPEG、PNG 或 WebP 照片。", 415)


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


def process_image(
    data: bytes,
    *,
    max_long_side: int = 2560,
    thumb_long_side: int = 480,
    max_pixels: int = 64_000_000,
) -> ProcessedPhoto:
    """Validate an upload by content, read its EXIF, and re-encode it upright without metadata."""
    if not data:
        raise _empty()
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; a warning is a refusal here. (Before
        # Python 3.14 catch_warnings() swaps process-wide filters; the explicit max_pixels check does not need it.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _process(data, max_long_side, thumb_long_side, max_pixels)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_large(max_pixels) from None


def _process(data: bytes, max_long_side: int, thumb_long_side: int, max_pixels: int) -> ProcessedPhoto:
    with _open(data) as img:  # all work inside: close() invalidates the pixels of the opened image
        source_format = "JPEG" if img.format == "MPO" else str(img.format)
        width, height = img.size
        if width * height > max_pixels:
            raise _too_large(max_pixels)
        target = _fit(img.size, max_long_side)
        if source_format == "JPEG" and target != img.size:
            # DCT-domain downscale by 1/2, 1/4 or 1/8 while decoding; Pillow never goes below the requested size.
            # (HEIF's draft() would substitute an embedded thumbnail, which need not match the photo: not used.)
            img.draft("RGB", target)
        try:
            if source_format == "HEIF" and _bmff_truncated(data):
                raise EOFError("HEIF box runs past the end of the data")  # libheif would fill the gap with grey
            img.load()  # a full decode: verify() would pass truncated files
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise
        except Exception:  # noqa: BLE001 - whatever the decoder says, the upload is bad
            raise (_heif_failed() if source_format == "HEIF" else _broken()) from None
        exif = _safe_exif(img)  # after load(): for PNG, getexif() would load by itself and swallow errors
        orientation = _orientation(exif)
        lat, lon = _gps(exif)
        taken_at = _taken_at(exif)
        icc = img.info.get("icc_profile")

        main = _to_rgb(img)
        if main.size != target:
            main = main.resize(target, RESAMPLE, reducing_gap=3.0)
        if orientation in _TRANSPOSE:  # rotate the small image, not the full-size one
            main = main.transpose(_TRANSPOSE[orientation])
        if icc:
            main = _to_srgb(main, icc)
        thumb = main.resize(_fit(main.size, thumb_long_side), RESAMPLE, reducing_gap=2.0)
        return ProcessedPhoto(
            jpeg=_encode(main, MAIN_QUALITY),
            thumb=_encode(thumb, THUMB_QUALITY),
            width=main.width,
            height=main.height,
            lat=lat,
            lon=lon,
            taken_at=taken_at,
            sha256=hashlib.sha256(data).hexdigest(),
            original_bytes=len(data),
            source_format=source_format,
            original_width=width,
            original_height=height,
            orientation=orientation,
        )


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
        rgba = img.convert("RGBA")
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
