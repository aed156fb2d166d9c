"""Reading uploads and storing photos for a ticket, all-or-nothing with the transaction."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, send_file

from ..boundary import commit_waits_for, delete_on_rollback
from ..common.errors import BadRequest, NotFound, ServiceError
from ..common.geo import valid_lat_lon
from ..common.text import one_line
from ..common.timeutil import fmt, parse_iso
from ..extensions import db
from ..policy import current_actor
from .gate import DecodeGate, default_lock_dir
from .models import Photo
from .processing import Limits, PhotoError, ProcessedPhoto, plausible_taken_at, process_image
from .stamp import Band
from .storage import PhotoStore, fsync_in_background


def store() -> PhotoStore:
    """The app's photo folder, for writing in a transaction: the files' fsyncs run in a helper thread while the
    action goes on, and its commit waits for them (boundary.commit_waits_for)."""
    return PhotoStore(current_app.config["UPLOAD_FOLDER"], sync=_durable_before_commit)


def _durable_before_commit(paths, folder) -> None:
    commit_waits_for(fsync_in_background(paths, folder))


def limits() -> Limits:
    config = current_app.config
    return Limits(max_pixels=config["PHOTO_MAX_PIXELS"], max_pixels_jpeg=config["PHOTO_MAX_PIXELS_JPEG"],
                  max_pixels_png_webp=config["PHOTO_MAX_PIXELS_PNG_WEBP"], max_scans=config["PHOTO_JPEG_MAX_SCANS"],
                  max_scan_pixels=config["PHOTO_JPEG_MAX_SCAN_PIXELS"])


def decode_gate() -> DecodeGate:
    """The app's gate (one per app, so per process in production), made on first use."""
    gate = current_app.extensions.get("photo_decode_gate")
    if gate is None:
        config = current_app.config
        lock_dir = config["PHOTO_LOCK_DIR"] or default_lock_dir(current_app.instance_path)
        gate = DecodeGate(lock_dir, config["PHOTO_DECODES_PER_USER"], config["PHOTO_DECODES_PER_PROCESS"],
                          config["PHOTO_DECODE_WAIT_SECONDS"])
        current_app.extensions["photo_decode_gate"] = gate
    return gate


def _current_user_key() -> str | None:
    """Who is uploading: the API's bearer-token user, else the logged-in page user."""
    if not has_request_context():
        return None
    user = current_actor()
    return None if user is None else f"user:{user.id}"


def _over_budget(seconds: float) -> ServiceError:
    return ServiceError(f"本次上传的照片处理量过大（超过 {seconds:g} 秒），请减少张数或缩小照片后分次上传。",
                        code="photos_too_costly", status=413)


def read_uploads(files, *, required: bool, now: datetime | None = None, user=None, gate_key: str | None = None,
                 max_count: int | None = None) -> list[ProcessedPhoto]:
    """Validate and process every uploaded file (at most MAX_PHOTOS_PER_REPORT) before anything is written.

    Decoding holds one of the user's and one of the process's decode slots (gate.py; 429/503 when over), and may
    spend PHOTO_REQUEST_DECODE_SECONDS of CPU in all (413 for the photo that would start past it). `user`
    defaults to the request's user; `now` drops implausible capture times here already (add_photo does in
    any case). `gate_key` names the sender when there is no user (a citizen: their address); `max_count`
    lowers MAX_PHOTOS_PER_REPORT."""
    max_count = min(max_count or current_app.config["MAX_PHOTOS_PER_REPORT"],
                    current_app.config["MAX_PHOTOS_PER_REPORT"])
    files = [f for f in files if f and (f.filename or f.content_length)]
    if required and not files:
        raise BadRequest("请至少上传一张照片。", code="photos_required")
    if len(files) > max_count:
        raise BadRequest(f"照片最多{max_count}张。", code="too_many_photos")
    if not files:
        return []
    config = current_app.config
    budget = config["PHOTO_REQUEST_DECODE_SECONDS"]
    options = dict(max_long_side=config["PHOTO_LONG_SIDE"], thumb_long_side=config["PHOTO_THUMB_LONG_SIDE"],
                   limits=limits(), now=now)
    user_key = f"user:{user.id}" if user is not None else (gate_key or _current_user_key())
    processed = []
    refused: list[tuple[str, PhotoError]] = []  # every bad photo is named at once: the inspector fixes them on site
    spent = 0.0
    with decode_gate().hold(user_key):
        for index, upload in enumerate(files, start=1):
            prefix = f"第{index}张照片：" if len(files) > 1 else ""
            if spent > budget:
                raise ServiceError(prefix + _over_budget(budget).message, code="photos_too_costly", status=413)
            started = time.thread_time()  # CPU of this thread: Pillow's C decoders included, other requests not
            try:
                processed.append(process_image(upload.read(), **options))
            except PhotoError as error:
                refused.append((prefix, error))
            finally:
                spent += time.thread_time() - started
    if refused:
        first = refused[0][1]
        raise ServiceError("".join(prefix + error.message for prefix, error in refused), code=first.code,
                           status=first.status)
    return processed


def parse_photo_meta(raw: str | None, count: int, now: datetime | None = None) -> list[dict]:
    """Metadata the phone page read from the originals' EXIF before scaling them down:
    a JSON list of {"taken_at", "lat", "lon"}, one per photo. Bad entries are ignored, and so is a taken_at
    before 2000 or (given `now`) after now + 1 day."""
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
                taken_at = plausible_taken_at(parse_iso(str(item["taken_at"])), now)
                if taken_at is not None:
                    meta["taken_at"] = taken_at
        except (ValueError, OverflowError):
            pass
        result[i] = meta
    return result


def stamp_lines(ticket, kind: str, taken_at: datetime | None, now: datetime, lat, lon, by: str) -> list[str]:
    """What a stamped copy says: when (taken, else uploaded), where (address or segment, position), who."""
    place = one_line(ticket.address or (ticket.segment.name if ticket.segment else "")) or "未填写地点"
    if ticket.segment is not None and ticket.segment.name not in place:
        place += f"（{ticket.segment.name}）"
    where = f"{lat:.5f}, {lon:.5f}" if valid_lat_lon(lat, lon) else "无位置信息"
    return [_first_line(kind, taken_at, now, ticket.number), f"{place} · {where}", by]


def _first_line(kind: str, taken_at: datetime | None, now: datetime, number: str | None) -> str:
    when = f"拍摄 {fmt(taken_at)}" if taken_at else f"上传 {fmt(now)}"
    return f"{'整改前' if kind == 'before' else '整改后'} · {when} · {number}"


def send_stored(key: str | None, thumb: bool, missing: str = "照片不存在。", code: str = "not_found"):
    """A stored photo (or its thumbnail) as a private JPEG, to someone the caller has checked may see it; 404 with
    `missing` when there is none or its file is gone."""
    path = store().path(key, thumb=thumb) if key else None
    if path is None or not path.exists():
        raise NotFound(missing, code=code)
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def save_files(photo: ProcessedPhoto) -> str:
    """Write a photo's image and thumbnail under a new key; they go again if the transaction rolls back."""
    files = store()
    key = files.save(photo)
    delete_on_rollback(files.path(key), files.path(key, thumb=True))
    return key


@dataclass
class StagedPhoto:
    """A photo made ready before its ticket has a number (stage_photo): the clean photo and its thumbnail written,
    the stamped copy drawn but for its first line, which shows the number. add_staged finishes it."""

    photo: ProcessedPhoto
    kind: str
    now: datetime
    key: str
    lat: float | None
    lon: float | None
    taken_at: datetime | None
    band: Band = field(repr=False)


def stage_photo(ticket, photo: ProcessedPhoto, kind: str, now: datetime, meta: dict | None = None,
                by: str = "") -> StagedPhoto:
    """The part of add_photo that does not need the ticket's number, which filing does before the ticket takes one:
    from the number to the commit other filings wait (tickets/services.create_ticket). The stamp is drawn from the
    thumbnail's pixels that processing kept (no second decode). The files go again if the transaction rolls back,
    or with discard_staged if the filing ends without them."""
    files = store()
    meta = meta or {}
    lat, lon = (photo.lat, photo.lon) if photo.lat is not None else (meta.get("lat"), meta.get("lon"))
    # The last word on capture times, whoever parsed them: a time no camera wrote is dropped, not stored (a
    # 9999-12-31 in the row made every later read of the ticket fail).
    taken_at = plausible_taken_at(photo.taken_at, now) or plausible_taken_at(meta.get("taken_at"), now)
    lines = stamp_lines(ticket, kind, taken_at, now, lat, lon, by)
    band = Band(photo.thumb_image if photo.thumb_image is not None else photo.thumb, len(lines))
    for index, line in enumerate(lines[1:], start=1):
        band.write(index, line)
    key = files.save(photo, stamp_later=True)
    delete_on_rollback(files.path(key), files.path(key, thumb=True))
    return StagedPhoto(photo, kind, now, key, lat, lon, taken_at, band)


def add_staged(ticket, staged: StagedPhoto, event=None, part=None) -> Photo:
    """Finish a staged photo once the ticket has its number: the stamp's first line, its file (the three files are
    then made durable together before the commit), the row."""
    files = store()
    staged.band.write(0, _first_line(staged.kind, staged.taken_at, staged.now, ticket.number))
    files.add_stamped(staged.key, staged.band.jpeg())
    delete_on_rollback(files.path(staged.key, stamped=True))
    row = Photo(ticket=ticket, kind=staged.kind, key=staged.key, sha256=staged.photo.sha256,
                width=staged.photo.width, height=staged.photo.height, bytes=len(staged.photo.jpeg), lat=staged.lat,
                lon=staged.lon, taken_at=staged.taken_at, created_at=staged.now)
    row.event = event
    row.part = part
    db.session.add(row)
    return row


def discard_staged(staged: list[StagedPhoto]) -> None:
    """Remove staged photos' files now, the filing having ended without them (its twin got there first, or its
    key came with another report): a caller that goes on and commits would otherwise keep them as orphans. No
    fsync runs on them yet (it starts with add_stamped), so they can go at once."""
    files = store()
    for path in (p for s in staged for p in (files.path(s.key), files.path(s.key, thumb=True))):
        path.unlink(missing_ok=True)


def add_photo(ticket, photo: ProcessedPhoto, kind: str, now: datetime, event=None, meta: dict | None = None,
              by: str = "", part=None) -> Photo:
    """Store the files (the clean photo, its thumbnail and the stamped display copy) and add the row. If the
    transaction then rolls back, the files go with it (boundary.py). `by`: who took it, for the stamp; `part`:
    the unit's part (主办/协办) an after-photo belongs to."""
    return add_staged(ticket, stage_photo(ticket, photo, kind, now, meta=meta, by=by), event=event, part=part)


def attach_stored(ticket, stored, kind: str, now: datetime, event=None) -> Photo:
    """A photo row for files already in the store (an outside report's photo, kept since it came in): `stored`
    has key, sha256, width, height, bytes, lat, lon and taken_at. The files are shared, not copied; the orphan
    sweep keeps them while any row names the key (ops/files.py)."""
    row = Photo(ticket=ticket, kind=kind, key=stored.key, sha256=stored.sha256, width=stored.width,
                height=stored.height, bytes=stored.bytes or 0, lat=stored.lat, lon=stored.lon,
                taken_at=plausible_taken_at(stored.taken_at, now), created_at=now)
    row.event = event
    db.session.add(row)
    return row
