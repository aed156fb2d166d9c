"""Uploads spooled to temporary files are closed when the request ends, also when the form's parsing stopped midway.

werkzeug's multipart parser drops the files it had spooled when the body turns out bad halfway (too many parts, a
field over its limit, a phone whose connection broke): they stayed open until the garbage collector found them, and
then warned (ResourceWarning), in whatever test happened to be running."""
from __future__ import annotations

from io import BytesIO

from conftest import multipart
from inspect_app import UploadClosingRequest

BIG = b"\xff\xd8" + b"\0" * 600_000  # over werkzeug's 500 KB: spooled to a temporary file


def spooled(monkeypatch) -> list:
    made: list = []
    original = UploadClosingRequest._get_file_stream

    def record(self, *args, **kwargs):
        stream = original(self, *args, **kwargs)
        made.append(stream)
        return stream
    monkeypatch.setattr(UploadClosingRequest, "_get_file_stream", record)
    return made


def test_a_form_refused_halfway_closes_the_file_it_had_spooled(app, client, monkeypatch):
    """A 600 KB photo (spooled to a temporary file) then more fields than MAX_FORM_PARTS: 413, and the file is
    closed with the request."""
    made = spooled(monkeypatch)
    fields = {"photos": (BytesIO(BIG), "a.jpg")}
    fields |= {f"f{i}": "x" for i in range(app.config.get("MAX_FORM_PARTS") or 1000)}
    body, content_type = multipart(fields)
    assert client.post("/login", data=body, content_type=content_type).status_code == 413
    assert made and all(stream.closed for stream in made), made


def test_a_form_read_whole_closes_its_files_as_before(app, client, monkeypatch):
    made = spooled(monkeypatch)
    body, content_type = multipart({"photos": (BytesIO(BIG), "a.jpg"), "username": "nobody"})
    assert client.post("/login", data=body, content_type=content_type).status_code in (200, 400, 401)
    assert made and all(stream.closed for stream in made), made
