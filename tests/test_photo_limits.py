"""Issue 11 (items 1 and 3) and issue 17 (photo filing): what one upload may cost, how many decodes run at once,
capture times no camera wrote, and the lossless path for a JPEG that is already small and upright.

Hostile samples are built here, small, from Pillow output: a progressive JPEG with its last scan repeated, a JPEG
whose frame header claims more pixels than its data, PNG bombs.
"""
from __future__ import annotations

import io
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms

from conftest import City, file_tuple, photo_bytes
from test_photo_processing import decode, encode, jpeg_with_exif, png_bomb, refused, within

from inspect_app.extensions import db
from inspect_app.photos import jpeg
from inspect_app.photos.models import Photo
from inspect_app.photos.processing import Limits, plausible_taken_at, process_image
from inspect_app.photos.service import decode_gate, parse_photo_meta
from inspect_app.tickets.models import Ticket

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)


def progressive_bomb(size: tuple[int, int] = (1024, 1024), repeats: int = 300) -> bytes:
    """A valid progressive JPEG whose last scan (a full luma AC refinement, 14 bytes here thanks to end-of-band
    runs) is repeated: libjpeg makes one pass over every block per copy. Built without the code under test."""
    data = encode(Image.new("L", size, 128), "JPEG", progressive=True, quality=75)
    last = data.rfind(b"\xff\xda")  # 0xFF is always stuffed inside scan data, so this is the last SOS marker
    assert last > 0 and data.endswith(b"\xff\xd9")
    return data[:-2] + data[last:-2] * repeats + b"\xff\xd9"


def with_frame_size(data: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its SOF header claiming another size (the data stays that of the small image)."""
    sof = next(data.find(m) for m in (b"\xff\xc0", b"\xff\xc2") if data.find(m) > 0)
    return data[:sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[sof + 9:]


def file_report(api, user, photos, **fields):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "description": "照片测试",
            **fields, "photos": photos}
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.query(model).count()


# --- progressive JPEG scans ----------------------------------------------------------------------------------

def test_marker_walk_counts_scans_like_libjpeg() -> None:
    baseline = encode(Image.new("RGB", (64, 48), "red"), "JPEG")
    progressive = encode(Image.new("RGB", (64, 48), "red"), "JPEG", progressive=True)
    assert (jpeg.inspect(baseline).scans, jpeg.inspect(baseline).progressive) == (1, False)
    assert (jpeg.inspect(progressive).scans, jpeg.inspect(progressive).progressive) == (10, True)  # libjpeg
    info = jpeg.inspect(progressive_bomb((64, 48), 50))  # greyscale: libjpeg writes 6 scans
    assert (info.scans, info.width, info.height, info.complete) == (56, 64, 48, True)


def test_markers_inside_the_exif_thumbnail_are_not_counted() -> None:
    thumbnail = encode(Image.new("RGB", (32, 24), "blue"), "JPEG", progressive=True)  # 10 SOS of its own
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Cam"
    app1 = b"Exif\x00\x00" + exif.tobytes() + thumbnail
    data = encode(Image.new("RGB", (64, 48), "red"), "JPEG")
    data = data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]
    assert jpeg.inspect(data).scans == 1
    assert thumbnail not in process_image(data).jpeg


def test_progressive_jpeg_with_repeated_scans_refused() -> None:
    bomb = progressive_bomb()
    assert len(bomb) < 20_000
    error = within(5, lambda: refused(bomb))
    assert (error.status, error.code) == (415, "image_too_complex")
    assert "扫描次数过多" in error.message


def test_scan_limit_is_what_encoders_write() -> None:
    assert process_image(progressive_bomb((256, 256), 26)).source_format == "JPEG"  # 6 + 26 = 32 scans: accepted
    assert refused(progressive_bomb((256, 256), 27)).code == "image_too_complex"  # 33
    assert refused(progressive_bomb((256, 256), 7), limits=Limits(max_scans=12)).code == "image_too_complex"  # 13


def test_scans_times_pixels_budget() -> None:
    data = encode(Image.new("L", (1000, 1000), 90), "JPEG", progressive=True)  # 1 MP, 6 scans (greyscale)
    assert refused(data, limits=Limits(max_scan_pixels=5_999_999)).code == "image_too_complex"
    assert process_image(data, limits=Limits(max_scan_pixels=6_000_000)).width == 1000


def test_api_refuses_the_scan_bomb_and_files_nothing(api, city, uploads) -> None:
    response = within(10, lambda: file_report(api, city.inspector, [(io.BytesIO(progressive_bomb()), "a.jpg")]))
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "image_too_complex"
    assert count(Ticket) == 0 and count(Photo) == 0
    assert not [p for p in uploads.rglob("*") if p.is_file()]


# --- pixel limits per format ---------------------------------------------------------------------------------

def test_progressive_jpeg_above_52_mp_refused_before_decoding() -> None:
    claim = with_frame_size(encode(Image.new("L", (64, 64), 90), "JPEG", progressive=True), 7300, 7300)
    error = refused(claim)
    assert (error.status, error.code) == (413, "image_too_large")
    assert "5200 万" in error.message


def test_baseline_jpeg_of_a_200_mp_phone_mode_is_accepted_and_decoded_at_one_eighth() -> None:
    # 12000 x 9000 = 108 MP (a 108 MP mode); Pillow's own check used to refuse anything above 89 MP.
    data = encode(Image.new("L", (12000, 9000), 100), "JPEG", quality=50)
    photo = within(20, lambda: process_image(data))
    assert (photo.width, photo.height) == (1500, 1125)  # 1/8 scale: no full-size raster was ever made
    assert (photo.original_width, photo.original_height) == (12000, 9000)


def test_baseline_jpeg_above_205_mp_refused_before_decoding() -> None:
    claim = with_frame_size(encode(Image.new("RGB", (64, 64), "red"), "JPEG"), 16384, 12800)  # 209.7 MP
    error = refused(claim)
    assert (error.status, error.code) == (413, "image_too_large")


@pytest.mark.parametrize("size", [(4001, 4001), (8000, 8000)])  # 16.01 MP, 64 MP (the 265 KB PNG)
def test_png_above_16_mp_refused(size: tuple[int, int]) -> None:
    error = within(5, lambda: refused(png_bomb(*size)))
    assert (error.status, error.code) == (413, "image_too_large")
    assert "1600 万" in error.message


def test_webp_above_16_mp_refused() -> None:
    bomb = encode(Image.new("L", (4100, 4000), 0), "WEBP", lossless=True)  # 16.4 MP in a few hundred bytes
    assert len(bomb) < 5_000
    error = within(5, lambda: refused(bomb))
    assert (error.status, error.code) == (413, "image_too_large")


def test_heif_limit_is_max_pixels() -> None:
    heic = photo_bytes("mobile_iphone_13_pro_max.HEIC")  # 12.2 MP
    assert refused(heic, limits=Limits(max_pixels=12_000_000)).status == 413
    assert process_image(heic, limits=Limits(max_pixels=12_200_000)).source_format == "HEIF"


# --- per request and concurrency -----------------------------------------------------------------------------

def test_request_decode_budget(app, api, city) -> None:
    app.config["PHOTO_REQUEST_DECODE_SECONDS"] = 0.0  # the first photo always runs; the second starts past it
    one = file_report(api, city.inspector, [file_tuple("gps_DSCN0010.jpg")])
    assert one.status_code == 201
    two = file_report(api, city.inspector, [file_tuple("gps_DSCN0010.jpg"), file_tuple("Canon_40D.jpg")])
    assert two.status_code == 413
    body = two.get_json()["error"]
    assert body["code"] == "photos_too_costly" and body["message"].startswith("第2张照片：")
    assert count(Ticket) == 1 and count(Photo) == 1


def test_user_over_decode_slots_gets_429_across_processes(app, api, city, uploads) -> None:
    """Another process (a second gunicorn worker) holds both of the inspector's slots: a third upload by the
    inspector waits briefly, then gets 429; another user is not affected; a killed holder frees its slots."""
    app.config["PHOTO_DECODE_WAIT_SECONDS"] = 0.3
    api.token("inspector"), api.token("admin")  # log in first: token requests do not decode
    gate = decode_gate()
    paths = gate.slot_paths(f"user:{city.inspector.id}")
    assert len(paths) == 2
    gate.lock_dir.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom filelock import FileLock\n"
         "locks = [FileLock(p) for p in sys.argv[1:]]\n[lock.acquire() for lock in locks]\n"
         "print('held', flush=True)\ntime.sleep(60)", *map(str, paths)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        refused_ = file_report(api, city.inspector, [file_tuple()])
        assert refused_.status_code == 429
        assert time.monotonic() - started >= 0.3
        error = refused_.get_json()["error"]
        assert error["code"] == "photos_busy" and "正在处理" in error["message"]
        assert file_report(api, city.admin, [file_tuple()]).status_code == 201
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert file_report(api, city.inspector, [file_tuple()]).status_code == 201
    assert count(Ticket) == 2


def test_process_over_decode_slots_gets_503(app, api, city) -> None:
    app.config["PHOTO_DECODE_WAIT_SECONDS"] = 0.1
    api.token("inspector")
    gate = decode_gate()
    assert gate._process.acquire(timeout=1)  # another thread of this process is decoding
    try:
        response = file_report(api, city.inspector, [file_tuple()])
    finally:
        gate._process.release()
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "server_busy"
    assert file_report(api, city.inspector, [file_tuple()]).status_code == 201


def test_slots_are_released_after_refusals_and_errors(app, api, city) -> None:
    app.config["PHOTO_DECODE_WAIT_SECONDS"] = 0.0
    for _ in range(3):  # more than the two slots: each refusal gave its slot back
        assert file_report(api, city.inspector, [(io.BytesIO(b"not a photo"), "x.jpg")]).status_code == 415
    assert file_report(api, city.inspector, [file_tuple()]).status_code == 201


# --- capture times -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("9999:12:31 23:59:59", False),
        ("0001:01:01 00:00:00", False),
        ("1999:12:31 23:59:59", False),  # 1999-12-31 15:59 UTC
        ("2026:12:02 00:00:00", False),  # more than a day after NOW
        ("2026:11:30 20:00:00", True),  # within a day (a clock a little fast, or a time zone ahead)
        ("2000:01:01 08:00:00", True),
    ],
)
def test_implausible_exif_capture_time_is_dropped(value: str, kept: bool) -> None:
    data = jpeg_with_exif(exif_ifd={ExifTags.Base.DateTimeOriginal: value})
    photo = process_image(data, now=NOW)
    assert (photo.taken_at is not None) is kept
    assert photo.width == 40  # the photo itself is kept either way


def test_offsets_that_overflow_utc_are_dropped() -> None:
    plus14 = timezone(timedelta(hours=14))
    assert plausible_taken_at(datetime(1, 1, 1, tzinfo=plus14), NOW) is None
    assert plausible_taken_at(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=14))), None) is None
    assert plausible_taken_at(datetime(2026, 11, 30, 12, tzinfo=plus14), NOW) is not None


def test_photo_meta_with_implausible_times() -> None:
    raw = ('[{"taken_at": "9999-12-31T23:59:59"}, {"taken_at": "0001-01-01T00:00:00+08:00"},'
           ' {"taken_at": "1970-01-01T00:00:00Z"}, {"taken_at": "2026-11-30T09:00:00+08:00", "lat": 28.2, "lon": 112.9}]')
    metas = parse_photo_meta(raw, 4, now=NOW)
    assert [m.get("taken_at") for m in metas[:3]] == [None, None, None]
    assert metas[3]["taken_at"] == datetime(2026, 11, 30, 1, tzinfo=timezone.utc)
    assert metas[3]["lat"] == 28.2


def test_filing_with_impossible_capture_times_then_reading_it(api, city) -> None:
    """Issue 11 item 3: the ticket was committed, then its detail (and every action) answered 500."""
    exif_9999 = jpeg_with_exif(exif_ifd={ExifTags.Base.DateTimeOriginal: "9999:12:31 23:59:59",
                                         ExifTags.Base.OffsetTimeOriginal: "-12:00"})
    meta = '[{}, {"taken_at": "9999-12-31T23:59:59-12:00"}, {"taken_at": "0001-01-01T00:00:00+14:00"}]'
    plain = encode(Image.new("RGB", (40, 30), "gray"), "JPEG")  # no EXIF time: photo_meta's counts
    response = file_report(api, city.inspector, [(io.BytesIO(exif_9999), "a.jpg"), (io.BytesIO(plain), "b.jpg"),
                                                  (io.BytesIO(plain), "c.jpg")], photo_meta=meta)
    assert response.status_code == 201, response.get_json()
    ticket_id = response.get_json()["id"]
    detail = api.get(f"/api/v1/tickets/{ticket_id}", city.inspector)
    assert detail.status_code == 200
    assert [p["taken_at"] for p in detail.get_json()["photos"]] == [None, None, None]
    assert all(p.taken_at is None for p in db.session.query(Photo))


# --- the lossless path ---------------------------------------------------------------------------------------

def phone_page_jpeg(size: tuple[int, int] = (1600, 1200), **params) -> bytes:
    with Image.open(io.BytesIO(photo_bytes("mobile_jolla.jpg"))) as img:
        img.draft("RGB", size)
        picture = img.convert("RGB").resize(size)
    return encode(picture, "JPEG", quality=82, **params)


def test_small_upright_jpeg_is_stored_without_reencoding() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (28.0, 13.0, 48.0),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (112.0, 56.0, 6.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = phone_page_jpeg()
    upload = phone_page_jpeg(exif=exif, comment=b"inspector 138xxxx", icc_profile=srgb) + b"MotionPhoto trailer"
    photo = process_image(upload)
    assert photo.lossless and (photo.width, photo.height) == (1600, 1200)
    assert photo.lat is not None  # read before it was dropped
    for secret in (b"SecretCam", b"138xxxx", b"Exif\x00\x00", b"ICC_PROFILE", b"MotionPhoto"):
        assert secret not in photo.jpeg
    assert len(photo.jpeg) <= len(plain)  # the same entropy-coded data, only the segments differ
    stored, original = decode(photo.jpeg), decode(plain)
    assert stored.mode == "RGB" and ImageChops.difference(stored, original).getbbox() is None  # same pixels
    assert decode(photo.thumb).size == (400, 300)  # decoded at 1/4 for the check: the thumbnail as it comes


def test_lossless_keeps_an_adobe_rgb_jpeg_in_its_colours() -> None:
    img = Image.new("RGB", (64, 48), (200, 40, 10))
    data = encode(img, "JPEG", quality=95, keep_rgb=True)  # components stored as R, G, B (Adobe transform 0)
    photo = process_image(data)
    assert photo.lossless
    assert ImageChops.difference(decode(photo.jpeg), decode(data)).getbbox() is None


@pytest.mark.parametrize(
    "case",
    ["rotated", "display-p3", "larger-than-stored", "bloated", "cmyk", "grey", "truncated"],
)
def test_lossless_path_is_not_taken_when_the_jpeg_needs_work(case: str) -> None:
    if case == "rotated":
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6
        data = phone_page_jpeg(exif=exif)
    elif case == "display-p3":
        data = photo_bytes("orientation_landscape_3.jpg")  # Apple Generic RGB profile: colours get converted
    elif case == "larger-than-stored":
        data = phone_page_jpeg((2100, 1575))
    elif case == "bloated":
        data = encode(Image.effect_noise((400, 300), 100).convert("RGB"), "JPEG", quality=100, subsampling=0)
    elif case == "cmyk":
        data = encode(Image.new("CMYK", (40, 40), (0, 50, 50, 0)), "JPEG")
    elif case == "grey":
        data = encode(Image.new("L", (40, 40), 90), "JPEG")
    else:
        data = phone_page_jpeg()[:-5000]
        assert refused(data).status == 415  # still fully decoded before anything is kept
        return
    photo = process_image(data)
    assert not photo.lossless
    assert decode(photo.jpeg).mode == "RGB"


def test_lossless_can_be_switched_off() -> None:
    assert not process_image(phone_page_jpeg(), lossless=False).lossless


# --- parallel uploads, as the issue sent them (runs unchanged on the code before the fix) ---------------------

def parallel_filings(server: str, tokens: list[str]) -> list[int]:
    """One filing per token, all sent at the same instant over real sockets (a threaded server, as workers would)."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    from conftest import multipart

    host = urlsplit(server)
    barrier = threading.Barrier(len(tokens), timeout=30)
    statuses = [0] * len(tokens)

    def one(i: int) -> None:
        body, content_type = multipart({"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]),
                                        "description": f"并发上传{i}", "photos": [file_tuple()]})
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        try:
            barrier.wait()
            connection.request("POST", "/api/v1/tickets", body, {"Content-Type": content_type,
                                                                 "Authorization": f"Bearer {tokens[i]}"})
            response = connection.getresponse()
            response.read()
            statuses[i] = response.status
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.fixture
def slow_decodes(monkeypatch):
    """Each photo takes a second to decode, like the issue's costly uploads (patched where the upload path calls it)."""
    from inspect_app.photos import service

    real = service.process_image

    def slow(*args, **kwargs):
        time.sleep(1.0)
        return real(*args, **kwargs)
    monkeypatch.setattr(service, "process_image", slow)


def test_parallel_uploads_of_one_user_beyond_its_slots_get_429(app, api, city, server, slow_decodes) -> None:
    """Issue 11 item 1: four uploads at once from one account were all decoded at once, one worker each. Now the
    account gets PHOTO_DECODES_PER_USER of them and the rest a 429; nothing is filed for the refused ones."""
    app.config.update(PHOTO_DECODES_PER_USER=2, PHOTO_DECODES_PER_PROCESS=8, PHOTO_DECODE_WAIT_SECONDS=0.2)
    token = api.token("inspector")
    statuses = parallel_filings(server, [token] * 4)
    assert sorted(statuses) == [201, 201, 429, 429], statuses
    db.session.expire_all()
    assert count(Ticket) == 2


def test_parallel_uploads_beyond_the_process_slots_get_503(app, api, city, server, slow_decodes) -> None:
    """Issue 11 item 1, per process: two accounts decoding at once in a process allowed one decode."""
    app.config.update(PHOTO_DECODES_PER_USER=2, PHOTO_DECODES_PER_PROCESS=1, PHOTO_DECODE_WAIT_SECONDS=0.2)
    statuses = parallel_filings(server, [api.token("inspector"), api.token("admin")])
    assert sorted(statuses) == [201, 503], statuses
    db.session.expire_all()
    assert count(Ticket) == 1
