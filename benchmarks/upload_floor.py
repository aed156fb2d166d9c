"""How fast a photo filing could be at best on this stack: the floors of `python -m benchmarks --peer --peer-floor`.

A WSGI app for gunicorn (`'benchmarks.upload_floor:create_app()'`), served beside the peer and the project in the side-by-side
run, with the same 2 sync workers and the same multipart POST of the raw 8 MP photo as the filing workload. Each
route does a prefix of what a filing must do with a photo, and nothing else (no token, no ticket, no database):

- /store: Flask receives the form (werkzeug's multipart parser) and writes the upload to a file, fsync'd, as the
  project writes its photo files: what the peer does with a photo (it stores the file as sent, unchecked).
- /check: /store plus the cheapest full check of a JPEG: the marker walk (photos/jpeg.py) and a decode of every
  scan at 1/8 scale (libjpeg-turbo still Huffman-decodes every coefficient; only the IDCT is skipped). A photo is
  not known to be whole before this.
- /photo: the project's whole photo work (photos.processing.process_image: content sniffing, the limits, the full
  decode at the stored size, orientation, EXIF read and stripped, the 1632 px copy and the 408 px thumbnail
  encoded), the stamped display copy (photos/stamp.py) and the three files written, fsync'd, as a filing does.

Against the peer's req/s in the same run, /check is the ceiling of any filing that checks the photo whole on this
stack: a filing that also makes a ticket cannot beat it. Never used by the application itself.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
import sys
import tempfile
from pathlib import Path

from flask import Flask, jsonify, request
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inspect_app.photos import jpeg  # noqa: E402
from inspect_app.photos.processing import PhotoError, process_image  # noqa: E402
from inspect_app.photos.stamp import stamp  # noqa: E402
from inspect_app.photos.storage import PhotoStore  # noqa: E402

ROUTES = ("store", "check", "photo")
STAMP_LINES = ["整改前 · 上传 2026-12-01 09:30 · 2026-000001", "解放路（解放路东段） · 无位置信息", "督查员"]


def create_app(folder: str | None = None) -> Flask:
    app = Flask(__name__)
    root = Path(folder or os.environ.get("FLOOR_UPLOADS") or tempfile.mkdtemp(prefix="upload-floor-"))
    root.mkdir(parents=True, exist_ok=True)
    store = PhotoStore(root)

    def upload() -> bytes:
        files = request.files.getlist("photos")
        if len(files) != 1:
            raise ValueError("one photo expected in the field 'photos'")
        return files[0].read()

    def write(data: bytes) -> str:
        key = secrets.token_hex(16)
        path = root / key[:2] / f"{key}.jpg"
        path.parent.mkdir(exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return key

    @app.post("/store")
    def store_only():
        data = upload()
        return jsonify(key=write(data), sha256=hashlib.sha256(data).hexdigest()), 201

    @app.post("/check")
    def check():
        data = upload()
        info = jpeg.inspect(data)
        if not info.complete:
            return jsonify(error="incomplete"), 415
        try:
            with Image.open(io.BytesIO(data), formats=("JPEG",)) as img:
                img.draft("RGB", (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
                size = img.size
        except Exception:  # noqa: BLE001 - whatever the decoder says, the upload is bad
            return jsonify(error="broken"), 415
        return jsonify(key=write(data), decoded=size, sha256=hashlib.sha256(data).hexdigest()), 201

    @app.post("/photo")
    def photo():
        try:
            processed = process_image(upload(), max_long_side=2048, thumb_long_side=480)
        except PhotoError as error:
            return jsonify(error.to_dict()), error.status
        key = store.save(processed, stamp_later=True)
        store.add_stamped(key, stamp(processed.thumb_image, STAMP_LINES))
        return jsonify(key=key, width=processed.width, height=processed.height), 201

    return app

