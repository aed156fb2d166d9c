"""Reading uploads and storing photos for a ticket, all-or-nothing with the transaction."""
from __future__ import annotations

import json
from datetime import datetime

from flask import current_app

from ..boundary import delete_on_rollback
from ..common.errors import BadRequest, ServiceError
from ..common.geo import valid_lat_lon
from ..common.timeutil import parse_iso
from ..extensions import db
from .models import Photo
from .processing import PhotoError, ProcessedPhoto, process_image
from .storage import PhotoStore


def store() -> PhotoStore:
    return PhotoStore(current_app.config["UPLOAD_FOLDER"])


def read_uploads(files, *, required: bool) -> list[ProcessedPhoto]:
    """Validate and process every uploaded file before anything is written (at most MAX_PHOTOS_PER_REPORT)."""
    max_count = current_app.config["MAX_PHOTOS_PER_REPORT"]
    files = [f for f in files if f and (f.filename or f.content_length)]
    if required and not files:
        raise BadRequest("请至少上传一张照片。", code="photos_required")
    if len(files) > max_count:
        raise BadRequest(f"照片最多{max_count}张。", code="too_many_photos")
    processed = []
    for index, upload in enumerate(files, start=1):
        try:
            processed.append(process_image(upload.read()))
        except PhotoError as error:
            prefix = f"第{index}张照片：" if len(files) > 1 else ""
            raise ServiceError(prefix + error.message, code=error.code, status=error.status) from None
    return processed


def parse_photo_meta(raw: str | None, count: int) -> list[dict]:
    """Metadata the phone page read from the originals' EXIF before scaling them down:
    a JSON list of {"taken_at", "lat", "lon"}, one per photo. Bad entries are ignored."""
    result: list[dict] = [{} for _ in range(count)]
    if not raw:
        return result
    try:
        items = json.loads(raw)
    except ValueError:
        return result
    if not isinstance(items, list):
        return result
    for i, item in enumerate(items[:count]):
        if not isinstance(item, dict):
            continue
        meta: dict = {}
        try:
            lat, lon = float(item.get("lat")), float(item.get("lon"))
            if valid_lat_lon(lat, lon):
                meta["lat"], meta["lon"] = lat, lon
        except (TypeError, ValueError):
            pass
        try:
            if item.get("taken_at"):
                meta["taken_at"] = parse_iso(str(item["taken_at"]))
        except ValueError:
            pass
        result[i] = meta
    return result


def add_photo(ticket, photo: ProcessedPhoto, kind: str, now: datetime, event=None, meta: dict | None = None) -> Photo:
    """Store the files and add the row. If the transaction then rolls back, the files go with it (boundary.py)."""
    meta = meta or {}
    files = store()
    key = files.save(photo)
    delete_on_rollback(files.path(key), files.path(key, thumb=True))
    lat, lon = (photo.lat, photo.lon) if photo.lat is not None else (meta.get("lat"), meta.get("lon"))
    row = Photo(ticket=ticket, kind=kind, key=key, sha256=photo.sha256, width=photo.width, height=photo.height,
                bytes=len(photo.jpeg), lat=lat, lon=lon, taken_at=photo.taken_at or meta.get("taken_at"),
                created_at=now)
    row.event = event
    db.session.add(row)
    return row
