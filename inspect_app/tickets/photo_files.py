"""A ticket's photo files, served only to people who may see the ticket (pages and the API use these)."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import select

from ..common.errors import NotFound
from ..extensions import db
from ..http import wants_json
from ..photos.models import Photo
from ..photos.service import store
from .policy import ensure_readable

log = logging.getLogger(__name__)

RECENT_PHOTOS_CHECKED = 5  # the office is told when none of the latest photos' files is on disk


def visible_photo(user, photo_id: int) -> Photo:
    """The photo, or 404 when it or its ticket is absent or hidden from this user (its 辖区's overseeing unit
    reads it: policy.ensure_readable)."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在或无权查看。")
    ensure_readable(user, photo.ticket)
    return photo


def send_photo(photo: Photo, thumb: bool):
    """The clean photo (opened to look closely), or for a thumbnail (lists, cards) its stamped copy."""
    path = store().display_path(photo.key) if thumb else store().path(photo.key)
    if not path.exists():
        log.warning("photo %s: its file %s is missing (UPLOAD_FOLDER %s)", photo.id, path,
                    current_app.config["UPLOAD_FOLDER"])
        if wants_json():
            raise NotFound("照片文件缺失。", code="photo_missing")
        # An <img> in a list or a card: a picture that says so, rather than the browser's broken-image mark.
        missing = Path(current_app.static_folder) / "icons" / "photo-missing.svg"
        response = send_file(missing, mimetype="image/svg+xml", max_age=0)
        response.status_code = 404
        response.headers["Cache-Control"] = "no-store"  # shown as the photo once its file is back
        return response
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def recent_files_missing() -> int:
    """How many of the latest photos were checked and found without their file, when none of them has one (the
    upload folder is wrong, or a restore brought the database back without the photos); 0 otherwise."""
    keys = db.session.scalars(select(Photo.key).order_by(Photo.id.desc()).limit(RECENT_PHOTOS_CHECKED)).all()
    if not keys or any(store().path(key).exists() for key in keys):
        return 0
    return len(keys)
