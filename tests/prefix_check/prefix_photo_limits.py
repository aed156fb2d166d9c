"""Items 1 and 3 of issue 11, for the code before the fix (8f8bd92): the behavioural tests of
tests/test_photo_limits.py, copied unchanged except that they import only what 8f8bd92 has (process_image, the API)
and pass process_image the `now=` argument only where it has one (the fix added it; the capture-time cases that
depend on `now` are left out). Each asserts what the fixed code does; on 8f8bd92 each fails.
"""
from __future__ import annotations

import inspect
import io
import time
from datetime import datetime, timezone

import pytest
from PIL import ExifTags, Image

from conftest import City, file_tuple
from test_photo_processing import encode, jpeg_with_exif, png_bomb, refused, within

from inspect_app.extensions import db
from inspect_app.photos.models import Photo
from inspect_app.photos.processing import process_image
from inspect_app.tickets.models import Ticket

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc)


def progressive_bomb(size: tuple[int, int] = (1024, 1024), repeats: int = 300) -> bytes:
    data = encode(Image.new("L", size, 128), "JPEG", progressive=True, quality=75)
    last = data.rfind(b"\xff\xda")
    assert last > 0 and data.endswith(b"\xff\xd9")
    return data[:-2] + data[last:-2] * repeats + b"\xff\xd9"


def with_frame_size(data: bytes, width: int, height: int) -> bytes:
    sof = next(data.find(m) for m in (b"\xff\xc0", b"\xff\xc2") if data.find(m) > 0)
    return data[:sof + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + data[sof + 9:]


def file_report(api, user, photos, **fields):
    data = {"category": "niupixuan", "lat": str(City.ON_A[0]), "lon": str(City.ON_A[1]), "description": "照片测试",
            **fields, "photos": photos}
    return api.post("/api/v1/tickets", user, data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.query(model).count()


# ---------------------------------------------------------------------------------------------- item 1

def test_progressive_jpeg_with_repeated_scans_refused() -> None:
    bomb = progressive_bomb()
    assert len(bomb) < 20_000
    error = within(5, lambda: refused(bomb))
    assert (error.status, error.code) == (415, "image_too_complex")


def test_api_refuses_the_scan_bomb_and_files_nothing(api, city, uploads) -> None:
    response = within(10, lambda: file_report(api, city.inspector, [(io.BytesIO(progressive_bomb()), "a.jpg")]))
    assert response.status_code == 415
    assert count(Ticket) == 0 and count(Photo) == 0


def test_progressive_jpeg_above_52_mp_refused_before_decoding() -> None:
    claim = with_frame_size(encode(Image.new("L", (64, 64), 90), "JPEG", progressive=True), 7300, 7300)
    error = refused(claim)
    assert (error.status, error.code) == (413, "image_too_large")


@pytest.mark.parametrize("size", [(4001, 4001), (8000, 8000)])
def test_png_above_16_mp_refused(size: tuple[int, int]) -> None:
    error = within(5, lambda: refused(png_bomb(*size)))
    assert (error.status, error.code) == (413, "image_too_large")


def test_webp_above_16_mp_refused() -> None:
    bomb = encode(Image.new("L", (4100, 4000), 0), "WEBP", lossless=True)
    assert len(bomb) < 5_000
    error = within(5, lambda: refused(bomb))
    assert (error.status, error.code) == (413, "image_too_large")


def test_request_decode_budget(app, api, city) -> None:
    app.config["PHOTO_REQUEST_DECODE_SECONDS"] = 0.0
    one = file_report(api, city.inspector, [(io.BytesIO(encode(Image.new("RGB", (64, 48), "red"), "JPEG")), "a.jpg")])
    assert one.status_code == 201
    two = file_report(api, city.inspector, [(io.BytesIO(encode(Image.new("RGB", (64, 48), "red"), "JPEG")), "a.jpg"),
                                            (io.BytesIO(encode(Image.new("RGB", (64, 48), "blue"), "JPEG")), "b.jpg")])
    assert two.status_code == 413


# ---------------------------------------------------------------------------------------------- item 3

@pytest.mark.parametrize("value", ["9999:12:31 23:59:59", "0001:01:01 00:00:00", "1999:12:31 23:59:59"])
def test_implausible_exif_capture_time_is_dropped(value: str) -> None:
    data = jpeg_with_exif(exif_ifd={ExifTags.Base.DateTimeOriginal: value})
    # ADAPTED: main's process_image takes the clock (`now=`, as the upload path passes it); 8f8bd92's has no such
    # argument. The upload path is tested without adaptation below.
    takes_now = "now" in inspect.signature(process_image).parameters
    photo = process_image(data, now=NOW) if takes_now else process_image(data)
    assert photo.taken_at is None
    assert photo.width == 40


def test_filing_with_impossible_capture_times_then_reading_it(api, city) -> None:
    exif_9999 = jpeg_with_exif(exif_ifd={ExifTags.Base.DateTimeOriginal: "9999:12:31 23:59:59",
                                         ExifTags.Base.OffsetTimeOriginal: "-12:00"})
    meta = '[{}, {"taken_at": "9999-12-31T23:59:59-12:00"}, {"taken_at": "0001-01-01T00:00:00+14:00"}]'
    plain = encode(Image.new("RGB", (40, 30), "gray"), "JPEG")
    response = file_report(api, city.inspector, [(io.BytesIO(exif_9999), "a.jpg"), (io.BytesIO(plain), "b.jpg"),
                                                  (io.BytesIO(plain), "c.jpg")], photo_meta=meta)
    assert response.status_code == 201, response.get_json()
    ticket_id = response.get_json()["id"]
    detail = api.get(f"/api/v1/tickets/{ticket_id}", city.inspector)
    assert detail.status_code == 200
    assert [p["taken_at"] for p in detail.get_json()["photos"]] == [None, None, None]


# ---------------------------------------------------------------------------------------------- item 1, parallel
# Copied unchanged from tests/test_photo_limits.py.

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
