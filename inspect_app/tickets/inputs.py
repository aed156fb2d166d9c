"""Turning submitted input (a page's form, the API's multipart or JSON body) into operation arguments.
Shared by the pages and the API: the same field gets the same check and the same message everywhere."""
from __future__ import annotations

import hashlib
import json

from ..common.codes import same_code
from ..common.errors import BadRequest
from ..common.ids import optional_id
from ..common.text import text_value
from ..photos.service import parse_photo_meta, read_uploads
from .rules import DEFAULT_SOURCE, SOURCES
from .services import NewReport

IDEMPOTENCY_KEY_MAX = 64
REPORT_FIELDS = ("category", "segment_id", "lat", "lon", "address", "description", "source", "site_id")
# Later fields, digested only when given (so a report's digest is what it was before they existed).
MORE_REPORT_FIELDS = ("owner_unit_ids", "owner_lead", "owner_assist", "frontage_id", "frontage_code")


def parse_coordinate(value, name: str, low: float, high: float) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    code = f"invalid_{'lat' if name == '纬度' else 'lon'}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name}格式不正确。", code=code) from None
    if not low <= number <= high:  # also refuses nan and inf
        raise BadRequest(f"{name}超出范围。", code=code)
    return number


def point_arg(args) -> tuple[float, float]:
    """A page's `lat` and `lon` query arguments (both needed; 400 otherwise)."""
    lat = parse_coordinate(args.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(args.get("lon"), "经度", -180, 180)
    if lat is None or lon is None:
        raise BadRequest("请提供经纬度。", code="invalid_location")
    return lat, lon


def idempotency_key(header: str | None, form) -> str | None:
    key = (header or form.get("idempotency_key") or "").strip() or None
    if key is not None and len(key) > IDEMPOTENCY_KEY_MAX:
        raise BadRequest("Idempotency-Key 过长。", code="invalid_idempotency_key")
    return key


def many(fields, name: str) -> list:
    """Every value of a field: repeated form fields (a MultiDict), or a JSON list, or one value."""
    if hasattr(fields, "getlist"):
        return fields.getlist(name)
    value = fields.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def owner_unit_ids(form) -> list[int]:
    """The 产权 units named at filing, lead first: the API's owner_unit_ids ("3,5,8" or repeated), or the page's
    owner_lead (radio) and owner_assist (checkboxes)."""
    from .dispatch import parse_unit_ids

    ids = parse_unit_ids(many(form, "owner_unit_ids"))
    lead = parse_unit_ids(many(form, "owner_lead"))
    assists = parse_unit_ids(many(form, "owner_assist"))
    if not ids and assists and not lead:
        raise BadRequest("请选择一家主办单位（产权单位中负责牵头的一家）。", code="lead_unit_required")
    for unit_id in lead + assists:
        if unit_id not in ids:
            ids.append(unit_id)
    return ids


def frontage_id(form) -> int | None:
    """The 门前四包 frontage named: frontage_id, or its register number as frontage_code (typed on a page
    without JavaScript)."""
    named = optional_id(form.get("frontage_id"), "门前四包责任商户参数不正确。", "invalid_frontage")
    if named is not None:
        return named
    code = text_value(form.get("frontage_code"), "门前四包责任书编号").strip()
    if not code:
        return None
    from ..extensions import db
    from ..frontages.models import Frontage

    found = db.session.scalar(db.select(Frontage.id).where(same_code(Frontage.code, code[:32])))  # any letter case
    if found is None:
        from ..common.errors import Invalid
        raise Invalid(f"没有编号为“{code[:32]}”的门前四包责任商户。", code="invalid_frontage")
    return found


def report_fingerprint(form, files) -> str:
    """A digest of what a filing request says (its fields and its photos' bytes), read without decoding anything:
    a retry has the same one, another report sent with a reused key does not."""
    digest = hashlib.sha256()
    said = [str(form.get(name) or "").strip() for name in REPORT_FIELDS]
    more = [[str(v).strip() for v in many(form, name)] for name in MORE_REPORT_FIELDS]
    if any(more):
        said.append(more)
    digest.update(json.dumps(said).encode())
    for upload in files.getlist("photos"):
        if not upload:
            continue
        position = upload.stream.tell()
        for chunk in iter(lambda: upload.stream.read(1 << 16), b""):
            digest.update(chunk)
        upload.stream.seek(position)
        digest.update(b"\0photo\0")
    return digest.hexdigest()


def report_from_form(form, files, user, now, key: str | None = None, fingerprint: str | None = None) -> NewReport:
    """Validate text fields first (cheap), then decode photos; raises a ServiceError on bad input."""
    segment_id = optional_id(form.get("segment_id"), "责任路段参数不正确。", "invalid_segment")
    site_id = optional_id(form.get("site_id"), "点位参数不正确。", "invalid_site")
    lat = parse_coordinate(form.get("lat"), "纬度", -90, 90)
    lon = parse_coordinate(form.get("lon"), "经度", -180, 180)
    if (lat is None) != (lon is None):
        raise BadRequest("经纬度须同时提供。", code="invalid_location")
    category = (form.get("category") or "").strip()
    if not category:
        raise BadRequest("请选择问题类别。", code="category_required")
    source = (form.get("source") or "").strip() or DEFAULT_SOURCE
    if source not in SOURCES:
        raise BadRequest("问题来源不正确，应为 " + "、".join(SOURCES) + " 之一。", code="invalid_source")
    units = owner_unit_ids(form)
    frontage = frontage_id(form)
    photos = read_uploads(files.getlist("photos"), required=True, now=now, user=user)
    return NewReport(category=category, photos=photos, unit_ids=units, frontage_id=frontage,
                     photo_meta=parse_photo_meta(form.get("photo_meta"), len(photos), now),
                     segment_id=segment_id, lat=lat, lon=lon, address=form.get("address") or "",
                     description=form.get("description") or "", idempotency_key=key, fingerprint=fingerprint,
                     source=source, site_id=site_id)


def after_photos(form, files, user, now) -> dict:
    photos = read_uploads(files.getlist("photos"), required=True, now=now, user=user)
    return {"photos": photos, "photo_meta": parse_photo_meta(form.get("photo_meta"), len(photos), now)}


def approved_flag(value) -> bool | None:
    """true/false from JSON, "1"/"0" from a page's form; anything else is None (the operation says what's wrong)."""
    if isinstance(value, bool):
        return value
    return {"1": True, "true": True, "0": False, "false": False}.get(str(value).strip().lower()) \
        if isinstance(value, str) else None
