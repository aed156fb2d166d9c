"""A ticket's photo files, served only to people who may see the ticket (pages and the API use these)."""
from __future__ import annotations

from flask import send_file

from ..common.errors import NotFound
from ..extensions import db
from ..photos.models import Photo
from ..photos.service import store
from .policy import ensure_visible


def visible_photo(user, photo_id: int) -> Photo:
    """The photo, or 404 when it or its ticket is absent or hidden from this user."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在或无权查看。")
    ensure_visible(user, photo.ticket)
    return photo


def send_photo(photo: Photo, thumb: bool):
    """The clean photo (opened to look closely), or for a thumbnail (lists, cards) its stamped copy."""
    path = store().display_path(photo.key) if thumb else store().path(photo.key)
    if not path.exists():
        raise NotFound("照片文件缺失。", code="photo_missing")
    response = send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
