"""Turning a submitted form (web page or API multipart) into service inputs; shared by both."""
from __future__ import annotations

from ..common.errors import BadRequest
from ..photos.service import parse_photo_meta, read_uploads
from .services import NewReport, clean_text, parse_coordinate

IDEMPOTENCY_KEY_MAX = 64


def report_from_form(form, files, idempotency_key: str | None = None) -> NewReport:
    """Validate text fields first (cheap), then decode photos; raises a ServiceError on bad input."""
    segment_raw = (form.get("segment_id") or "").strip()
    segment_id = None
    if segment_raw:
        if not segment_raw.isdigit():
            raise BadRequest("责任路段参数不正确。", code="invalid_segment")
        segment_id = int(segment_raw)
    key = (idempotency_key or form.get("idempotency_key") or "").strip() or None
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
        raise BadRequest("Idempotency-Key 过长。", code="invalid_idempotency_key")
    lat = parse_coordinate(form.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(form.get("lon"), "经度", -180, 180)
    if (lat is None) != (lon is None):
        raise BadRequest("经纬度须同时提供。", code="invalid_location")
    category = (form.get("category") or "").strip()
    if not category:
        raise BadRequest("请选择问题类别。", code="category_required")
    description = clean_text(form.get("description"), "问题描述")
    address = clean_text(form.get("address"), "地址", 200)
    photos = read_uploads(files.getlist("photos"), required=True)
    return NewReport(category=category, photos=photos,
                     photo_meta=parse_photo_meta(form.get("photo_meta"), len(photos)),
                     segment_id=segment_id, lat=lat, lon=lon, address=address, description=description,
                     idempotency_key=key)


def after_photos_from_form(form, files):
    photos = read_uploads(files.getlist("photos"), required=True)
    return photos, parse_photo_meta(form.get("photo_meta"), len(photos))
