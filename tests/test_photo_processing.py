"""Photo ingest and storage: plain pytest functions, no Flask app needed.

Sample photos live in tests/photos/ (see SOURCES.md there for what each one is and its licence).
"""
from __future__ import annotations

import hashlib
import io
import os
import signal
import struct
import threading
import zlib
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageOps, ImageStat
from PIL.TiffImagePlugin import IFDRational

from inspect_app.photos import storage as storage_module
from inspect_app.photos.processing import PhotoError, ProcessedPhoto, process_image
from inspect_app.photos.storage import PhotoStore

PHOTOS = Path(__file__).parent / "photos"
ACCEPTED = [
    "Canon_40D.jpg",
    "corrupted.jpg",
    "gps_DSCN0010.jpg",
    "gps_DSCN0012.jpg",
    "hdr_iphone_hdr_YES.jpg",
    "invalid_image00971.jpg",
    "mobile_HMD_Nokia_8.3_5G.jpg",
    "mobile_iphone_13_pro_max.HEIC",
    "mobile_jolla.jpg",
    "orient_Landscape_6.jpg",
    "orient_Portrait_5.jpg",
    "orientation_landscape_3.jpg",
    "orientation_landscape_8.jpg",
    "orientation_portrait_6.jpg",
    "tests_35-empty.jpg",
]


def sample(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()


@cache
def processed(name: str) -> ProcessedPhoto:
    """Each sample is processed once per test run; ProcessedPhoto is frozen, so sharing it is safe."""
    return process_image(sample(name))


def decode(jpeg: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(jpeg))
    img.load()
    return img


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg_with_exif(gps: dict | None = None, exif_ifd: dict | None = None, ifd0: dict | None = None) -> bytes:
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    if exif_ifd is not None:
        exif[ExifTags.IFD.Exif] = exif_ifd
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    return encode(Image.new("RGB", (40, 30), "gray"), "JPEG", exif=exif)


def refused(data: bytes, **kwargs) -> PhotoError:
    with pytest.raises(PhotoError) as info:
        process_image(data, **kwargs)
    return info.value


def within(seconds: int, fn: Callable[[], object]) -> object:
    """Run fn, failing the test if it takes longer than `seconds` (SIGALRM where available, else a thread)."""
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        def on_alarm(signum, frame):
            raise TimeoutError(f"took longer than {seconds} s")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(seconds)
        try:
            return fn()
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"took longer than {seconds} s"
    return result[0]


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width x height, all black, deflated to a few dozen KB."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    rows_per_block = max(1, (1 << 20) // len(row))
    idat = []
    for start in range(0, height, rows_per_block):
        idat.append(compressor.compress(row * min(rows_per_block, height - start)))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


def small_grey(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return img.convert("L").resize(size, Image.Resampling.BOX)


def to_srgb(img: Image.Image, icc: bytes | None) -> Image.Image:
    """What a colour-managed viewer shows (the orientation_* samples carry Apple's "Generic RGB Profile")."""
    if not icc:
        return img
    return ImageCms.profileToProfile(img, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"))


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


# --- orientation ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "orientation", "portrait"),
    [
        ("orientation_landscape_3.jpg", 3, False),
        ("orientation_landscape_8.jpg", 8, False),
        ("orientation_portrait_6.jpg", 6, True),
        ("orient_Landscape_6.jpg", 6, False),
        ("orient_Portrait_5.jpg", 5, True),
    ],
)
def test_orientation_is_applied(name: str, orientation: int, portrait: bool) -> None:
    photo = processed(name)
    out = decode(photo.jpeg)
    assert photo.orientation == orientation
    assert (out.height > out.width) is portrait
    assert (photo.width, photo.height) == out.size
    thumb = decode(photo.thumb)
    assert (thumb.height > thumb.width) is portrait

    with Image.open(PHOTOS / name) as original:
        original.load()
        upright = to_srgb(ImageOps.exif_transpose(original), original.info.get("icc_profile"))
        raw = to_srgb(original.convert("RGB"), original.info.get("icc_profile"))
    assert upright.size == out.size  # no downscaling for these samples
    size = (48, round(48 * out.height / out.width))
    ours = small_grey(out, size)
    good = mean_abs_diff(ours, small_grey(upright, size))
    wrong = mean_abs_diff(ours, small_grey(raw, size))  # what we would store without applying orientation
    assert good < 4, good
    assert wrong > 3 * good + 10, (good, wrong)


# --- metadata ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("gps_DSCN0010.jpg", 43.4674483, 11.8851267),  # 43°28'2.814"N 11°53'6.456"E (Tuscany)
        ("gps_DSCN0012.jpg", 43.4671567, 11.8853950),
        ("hdr_iphone_hdr_YES.jpg", 40.4469722, -3.7247528),  # 40°26'49.1"N 3°43'29.11"W (Madrid): W is negative
        ("mobile_HMD_Nokia_8.3_5G.jpg", 60.1467056, 24.9067722),  # Helsinki
    ],
)
def test_gps_read_from_exif(name: str, lat: float, lon: float) -> None:
    photo = processed(name)
    assert photo.lat == pytest.approx(lat, abs=1e-4)
    assert photo.lon == pytest.approx(lon, abs=1e-4)


def test_gps_block_without_coordinates_gives_none() -> None:
    photo = processed("Canon_40D.jpg")  # its GPS IFD holds only GPSVersionID
    assert (photo.lat, photo.lon) == (None, None)


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        ({1: "S", 2: (33.0, 52.0, 4.0), 3: "W", 4: (151.0, 12.0, 30.0)}, (-33.8677778, -151.2083333)),
        ({1: "N\x00", 2: (31.5,), 3: "E", 4: (121.25,)}, (31.5, 121.25)),  # decimal degrees in one rational
        ({2: (31.0, 14.0, 0.0), 4: (121.0, 28.0, 0.0)}, (31.2333333, 121.4666667)),  # refs missing: N/E
        ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, (None, None)),  # 0,0: a phone without a fix
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: (10.0, 0.0, 0.0)}, (None, None)),  # out of range
        ({1: "X", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}, (None, None)),  # garbage ref
        ({1: "N", 2: (31.0, 75.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}, (None, None)),  # 75 minutes
        ({1: "N", 2: (31.0, 14.0, 0.0), 3: "E"}, (None, None)),  # latitude without longitude
    ],
)
def test_gps_edge_cases(gps: dict, expected: tuple) -> None:
    photo = process_image(jpeg_with_exif(gps=gps))
    if expected[0] is None:
        assert (photo.lat, photo.lon) == (None, None)
    else:
        assert (photo.lat, photo.lon) == pytest.approx(expected, abs=1e-6)


def test_gps_zero_denominator_is_ignored() -> None:
    gps = {1: "N", 2: (IFDRational(31, 0), IFDRational(0, 1), IFDRational(0, 1)), 3: "E", 4: (121.0, 28.0, 0.0)}
    photo = process_image(jpeg_with_exif(gps=gps))
    assert (photo.lat, photo.lon) == (None, None)


def test_capture_time_read() -> None:
    nokia = processed("mobile_HMD_Nokia_8.3_5G.jpg")  # DateTimeOriginal with OffsetTimeOriginal +03:00
    assert nokia.taken_at is not None
    assert nokia.taken_at.isoformat() == "2022-08-14T14:12:31+03:00"
    canon = processed("Canon_40D.jpg")  # no offset in the file: Asia/Shanghai
    assert canon.taken_at is not None
    assert canon.taken_at.isoformat() == "2008-05-30T15:56:01+08:00"
    assert processed("gps_DSCN0010.jpg").taken_at.isoformat() == "2008-10-22T16:28:39+08:00"
    assert processed("orient_Landscape_6.jpg").taken_at is None  # no EXIF dates at all


@pytest.mark.parametrize(
    ("exif_ifd", "ifd0", "expected"),
    [
        ({0x9003: "2024:03:01 08:30:00", 0x9011: "+05:30"}, {}, "2024-03-01T08:30:00+05:30"),
        ({0x9003: "2024:03:01 08:30:00", 0x9011: "garbage"}, {}, "2024-03-01T08:30:00+08:00"),
        ({0x9003: "0000:00:00 00:00:00"}, {0x0132: "2024:03:02 09:00:00"}, "2024-03-02T09:00:00+08:00"),
        ({0x9003: "    :  :     :  :  "}, {}, None),
        ({}, {0x0132: "2024:13:45 25:61:00"}, None),
    ],
)
def test_capture_time_edge_cases(exif_ifd: dict, ifd0: dict, expected: str | None) -> None:
    photo = process_image(jpeg_with_exif(exif_ifd=exif_ifd, ifd0=ifd0))
    if expected is None:
        assert photo.taken_at is None
    else:
        assert photo.taken_at is not None and photo.taken_at.isoformat() == expected


@pytest.mark.parametrize("name", ["corrupted.jpg", "invalid_image00971.jpg", "tests_35-empty.jpg"])
def test_bad_exif_does_not_refuse_the_photo(name: str) -> None:
    photo = within(20, lambda: process_image(sample(name)))
    assert isinstance(photo, ProcessedPhoto)
    assert photo.source_format == "JPEG"
    assert decode(photo.jpeg).size == (photo.width, photo.height)


# --- refusals ------------------------------------------------------------------------------------------------

def test_truncated_jpeg_refused() -> None:
    error = refused(sample("truncated_half.jpg"))
    assert (error.status, error.code) == (415, "broken_image")
    assert "损坏" in error.message


def test_html_named_jpg_refused() -> None:
    error = refused(sample("not_an_image.jpg"))
    assert (error.status, error.code) == (415, "unsupported_image")
    assert "JPEG、PNG、WebP 或 HEIC" in error.message  # every format it takes, HEIC too


def test_empty_upload_refused() -> None:
    error = refused(b"")
    assert error.status == 400 and error.code == "empty_file" and error.message


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_refused(fmt: str) -> None:
    error = refused(encode(Image.new("RGB", (20, 20), "red"), fmt))
    assert (error.status, error.code) == (415, "unsupported_image")


@pytest.mark.parametrize(
    "size",
    [
        (20000, 20000),  # 400 MP: Pillow's DecompressionBombError
        (10000, 10000),  # 100 MP: Pillow's DecompressionBombWarning, turned into a refusal
        (8100, 8100),  # 65.6 MP: below Pillow's limits, above max_pixels
    ],
)
def test_png_bomb_refused(size: tuple[int, int]) -> None:
    bomb = png_bomb(*size)
    assert len(bomb) < 60_000
    error = within(10, lambda: refused(bomb))
    assert isinstance(error, PhotoError)
    assert (error.status, error.code) == (413, "image_too_large")
    assert "过大" in error.message


def test_max_pixels_is_configurable() -> None:
    data = encode(Image.new("RGB", (200, 100)), "JPEG")
    assert refused(data, max_pixels=19_999).status == 413
    assert process_image(data, max_pixels=20_000).width == 200


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_truncated_png_and_webp_refused(fmt: str) -> None:
    noisy = Image.effect_noise((300, 200), 60).convert("RGB")
    data = encode(noisy, fmt)
    error = refused(data[: len(data) // 2])
    assert error.status == 415 and error.code in ("broken_image", "unsupported_image")


def test_photo_error_shape() -> None:
    error = PhotoError("broken_image", "照片文件不完整或已损坏，请重新拍摄上传。", 415)
    assert (error.code, error.status) == ("broken_image", 415)
    assert error.to_dict() == {"error": {"code": "broken_image", "message": error.message}}


# --- formats and modes ---------------------------------------------------------------------------------------

def test_heic_is_decoded() -> None:
    photo = processed("mobile_iphone_13_pro_max.HEIC")
    assert photo.source_format == "HEIF"
    out = decode(photo.jpeg)
    assert out.format == "JPEG" and out.mode == "RGB"
    assert out.size == (photo.width, photo.height) == (1512, 2016)  # 3024x4032 portrait, box-reduced by 2
    assert max(decode(photo.thumb).size) == 404  # the 2016 px copy box-reduced by 5: within [2/3, 1] of 480
    assert ImageStat.Stat(out.convert("L")).stddev[0] > 20  # a real picture, not a grey fill
    assert photo.taken_at is not None and photo.taken_at.isoformat() == "2022-02-16T12:55:41+01:00"


@pytest.mark.parametrize("keep", [100, 5_000, 1_500_000])
def test_broken_heic_refused_with_clear_message(keep: int) -> None:
    error = refused(sample("mobile_iphone_13_pro_max.HEIC")[:keep])
    assert (error.status, error.code) == (415, "heif_unreadable")
    assert "JPEG" in error.message and "HEIC" in error.message


def test_png_with_alpha_is_flattened_on_white() -> None:
    img = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    img.paste((200, 0, 0, 255), (0, 0, 32, 48))
    photo = process_image(encode(img, "PNG"))
    out = decode(photo.jpeg)
    assert photo.source_format == "PNG" and out.mode == "RGB"
    assert all(channel > 245 for channel in out.getpixel((56, 24)))  # transparent -> white
    red = out.getpixel((8, 24))
    assert red[0] > 180 and red[1] < 40  # opaque part kept


def test_webp_accepted() -> None:
    img = Image.new("RGBA", (300, 200), (0, 128, 255, 255))
    photo = process_image(encode(img, "WEBP", quality=90))
    assert photo.source_format == "WEBP"
    assert (photo.width, photo.height) == (300, 200)
    r, g, b = decode(photo.jpeg).getpixel((150, 100))
    assert b > 230 and 100 < g < 150 and r < 30


@pytest.mark.parametrize(
    ("img", "fmt", "params"),
    [
        (Image.new("P", (40, 40), 0), "PNG", {"transparency": 0}),
        (Image.new("LA", (40, 40), (0, 0)), "PNG", {}),
        (Image.new("L", (40, 40), 0), "JPEG", {}),
        (Image.new("1", (40, 40), 0), "PNG", {}),
        (Image.new("CMYK", (40, 40), (0, 0, 0, 0)), "JPEG", {}),
    ],
    ids=["P+transparency", "LA", "L", "1", "CMYK"],
)
def test_modes_become_rgb(img: Image.Image, fmt: str, params: dict) -> None:
    out = decode(process_image(encode(img, fmt, **params)).jpeg)
    assert out.mode == "RGB"
    if img.mode in ("P", "LA", "CMYK"):  # transparent or CMYK "no ink": white
        assert min(out.getpixel((20, 20))) > 245


def test_non_srgb_profile_is_converted_to_srgb() -> None:
    with Image.open(PHOTOS / "orientation_landscape_3.jpg") as original:
        icc = original.info["icc_profile"]  # Generic RGB (gamma 1.8)
    flat = Image.new("RGB", (32, 32), (120, 120, 120))
    expected = to_srgb(flat, icc).getpixel((16, 16))
    out = decode(process_image(encode(flat, "JPEG", quality=95, icc_profile=icc)).jpeg)
    assert "icc_profile" not in out.info
    got = out.getpixel((16, 16))
    assert abs(expected[0] - 120) > 10  # the conversion visibly matters for this profile
    assert all(abs(a - b) <= 3 for a, b in zip(got, expected)), (got, expected)


def test_16bit_png_is_scaled_not_clipped() -> None:
    img = Image.new("I;16", (40, 40), 32768)  # mid grey in 16 bits
    out = decode(process_image(encode(img, "PNG")).jpeg)
    assert 120 <= out.getpixel((20, 20))[0] <= 136


def test_format_decided_by_content_not_name() -> None:
    png_bytes = encode(Image.new("RGB", (30, 20), "blue"), "PNG")
    assert process_image(png_bytes).source_format == "PNG"  # there is no filename; bytes are all that count


# --- output --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ACCEPTED)
def test_output_is_clean_and_bounded(name: str) -> None:
    photo = processed(name)
    data = sample(name)
    for blob, limit in ((photo.jpeg, 2048), (photo.thumb, 480)):
        img = decode(blob)
        assert img.format == "JPEG" and img.mode == "RGB"
        assert max(img.size) <= limit
        assert len(img.getexif()) == 0
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(img.info)
        assert b"Exif\x00\x00" not in blob and b"http://ns.adobe.com/xap" not in blob
    assert (photo.width, photo.height) == decode(photo.jpeg).size
    assert photo.original_bytes == len(data)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()


def test_full_size_phone_photo_scaled_to_2048() -> None:
    # 4608 px: 1/2 scale (2304) is too large and 1/4 (1152) too small, so decode at 1/2 and resample to 2048.
    photo = processed("mobile_HMD_Nokia_8.3_5G.jpg")  # 4608x1976
    assert (photo.width, photo.height) == (2048, 878)
    assert (photo.original_width, photo.original_height) == (4608, 1976)
    assert decode(photo.thumb).size == (410, 176)  # the 2048 px copy box-reduced by 5


def test_8mp_photo_is_decoded_at_half_scale_without_resampling() -> None:
    photo = processed("mobile_jolla.jpg")  # 3264x2448: 1/2 DCT scale lands within [2/3, 1] of 2048
    assert (photo.width, photo.height) == (1632, 1224)
    assert decode(photo.thumb).size == (408, 306)  # the 1632 px copy box-reduced by 4, no filter pass
    assert not photo.lossless


def test_large_jpeg_draft_never_goes_below_target() -> None:
    # 5200 px: 1/2 scale (2600 px) is above 2048, 1/4 (1300) below 2/3 of it: decode at 1/2, then resample.
    big = Image.linear_gradient("L").resize((5200, 2600)).convert("RGB")
    photo = process_image(encode(big, "JPEG", quality=70))
    assert (photo.width, photo.height) == (2048, 1024)


def test_long_side_limits_are_parameters() -> None:
    photo = process_image(sample("gps_DSCN0010.jpg"), max_long_side=320, thumb_long_side=100)
    assert decode(photo.jpeg).size == (320, 240)
    assert decode(photo.thumb).size == (80, 60)  # 320 box-reduced by 4: within [2/3, 1] of 100


def test_comment_and_exif_of_the_upload_are_not_copied() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    data = encode(Image.new("RGB", (50, 50), "white"), "JPEG", exif=exif, comment=b"inspector phone 138xxxx")
    photo = process_image(data)
    for blob in (photo.jpeg, photo.thumb):
        assert b"SecretCam" not in blob and b"138xxxx" not in blob


# --- storage -------------------------------------------------------------------------------------------------

def test_store_save_path_exists_delete(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    photo = processed("gps_DSCN0010.jpg")
    key = store.save(photo)
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    assert store.path(key) == tmp_path / key[:2] / f"{key}.jpg"
    assert store.path(key, thumb=True) == tmp_path / key[:2] / f"{key}_t.jpg"
    assert store.path(key).read_bytes() == photo.jpeg
    assert store.path(key, thumb=True).read_bytes() == photo.thumb
    assert store.exists(key)
    other = store.save(photo)
    assert other != key
    assert sorted(store.iter_keys()) == sorted([key, other])

    store.delete(key)
    assert not store.exists(key)
    assert not store.path(key).exists() and not store.path(key, thumb=True).exists()
    store.delete(key)  # deleting again is fine
    assert list(store.iter_keys()) == [other]


def test_store_iter_keys_finds_leftover_thumbs_and_ignores_strangers(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path / "not-yet-created")
    assert list(store.iter_keys()) == []
    store = PhotoStore(tmp_path)
    key = "ab" + "0" * 30
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / f"{key}_t.jpg").write_bytes(b"x")  # main gone, thumb left over
    (tmp_path / "ab" / "notes.txt").write_text("x")
    (tmp_path / "ab" / f".{key}.abc.tmp").write_bytes(b"x")
    (tmp_path / "zz").mkdir()
    assert list(store.iter_keys()) == [key]
    assert not store.exists(key)


@pytest.mark.parametrize(
    "key",
    ["../etc", "ABC", "", "../" + "0" * 29, "A" * 32, "0" * 31, "0" * 33, "0" * 31 + "/", "0" * 31 + "\n", None, 123],
)
def test_store_rejects_bad_keys(tmp_path: Path, key: object) -> None:
    store = PhotoStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.exists(key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.delete(key)  # type: ignore[arg-type]


def test_store_leaves_no_temp_files(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    keys = [store.save(processed("Canon_40D.jpg")) for _ in range(3)]
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    expected = sorted(f"{k[:2]}/{k}{suffix}.jpg" for k in keys for suffix in ("", "_t"))
    assert files == expected


def test_store_thumb_failure_removes_main(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PhotoStore(tmp_path)
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith("_t.jpg"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(storage_module.os, "replace", replace)
    with pytest.raises(OSError):
        store.save(processed("Canon_40D.jpg"))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no main, no thumb, no temp file
    assert list(store.iter_keys()) == []


def test_store_files_are_readable_by_others(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    store = PhotoStore(tmp_path)
    key = store.save(processed("Canon_40D.jpg"))
    assert store.path(key).stat().st_mode & 0o777 == 0o644


def test_taken_at_is_timezone_aware_everywhere() -> None:
    for name in ACCEPTED:
        taken_at = processed(name).taken_at
        assert taken_at is None or isinstance(taken_at.utcoffset(), timedelta)


@pytest.mark.parametrize("size, thumb", [
    ((1600, 1200), (400, 300)),  # the phone page's photo: decoded at 1/4, no filter pass
    ((2400, 1800), (410, 308)),  # stored resampled to 2048; the thumbnail is that copy box-reduced by 5
    ((600, 450), (480, 360)),    # no scale or integer reduce lands in [320, 480]: resampled to exactly 480
    ((1000, 750), (480, 360)),
    ((480, 360), (480, 360)),    # already thumbnail-sized
    ((300, 200), (300, 200)),    # smaller than a thumbnail: kept at its size
])
def test_thumbnail_is_a_scale_that_lands_in_two_thirds_to_one_of_480_else_480(size, thumb) -> None:
    photo = process_image(encode(Image.linear_gradient("L").resize(size).convert("RGB"), "JPEG", quality=85))
    assert decode(photo.thumb).size == thumb
    assert photo.thumb_image is not None and photo.thumb_image.size == thumb
