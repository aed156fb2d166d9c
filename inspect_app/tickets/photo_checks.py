"""Can the verifier trust an after-photo? Its capture time against the report, its position against the report's
place, and (refused outright at upload) whether it is one of the ticket's own before-photos sent back again.
And does a before-photo show the problem as reported: not taken days before the report (an old picture filed as a
new finding counts in the rankings as one), not far from the place the report names.

Capture time and position come from the photo's EXIF (or what the phone page read from it before scaling):
a photo without them is shown as such, not flagged, since many phones strip position for privacy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..common.errors import Invalid
from ..common.geo import distance_m, distance_to_polyline_m, valid_lat_lon


@dataclass
class AfterPhotoCheck:
    photo: object
    taken_at: datetime | None
    distance_m: float | None          # from the report's point (or its segment when it has no point)
    before_report: bool               # taken before the problem was reported
    too_far: bool                     # farther than AFTER_PHOTO_MAX_DISTANCE_M

    @property
    def flagged(self) -> bool:
        return self.before_report or self.too_far


def report_distance_m(ticket, lat, lon) -> float | None:
    if not valid_lat_lon(lat, lon):
        return None
    if valid_lat_lon(ticket.lat, ticket.lon):
        return distance_m(ticket.lat, ticket.lon, lat, lon)
    if ticket.segment is not None and ticket.segment.coords:
        return distance_to_polyline_m(lat, lon, ticket.segment.coords)
    return None


def check_after_photos(ticket, photos) -> list[AfterPhotoCheck]:
    limit = current_app.config["AFTER_PHOTO_MAX_DISTANCE_M"]
    checks = []
    for photo in photos:
        distance = report_distance_m(ticket, photo.lat, photo.lon)
        checks.append(AfterPhotoCheck(
            photo=photo, taken_at=photo.taken_at, distance_m=distance,
            before_report=photo.taken_at is not None and ticket.reported_at is not None
            and photo.taken_at < ticket.reported_at,
            too_far=distance is not None and distance > limit))
    return checks


@dataclass
class BeforePhotoCheck:
    photo: object
    index: int                        # 1-based, among the ticket's before-photos
    taken_at: datetime | None
    distance_m: float | None
    hours_before: float | None        # how long before the report it was taken
    stale: bool                       # taken more than BEFORE_PHOTO_MAX_AGE_HOURS before the report
    too_far: bool                     # farther than AFTER_PHOTO_MAX_DISTANCE_M from the report's place


def flagged_before_photos(ticket, photos) -> list[BeforePhotoCheck]:
    """The before-photos worth a second look (the others pass silently: most carry no doubt). A photo without a
    capture time or a position is not flagged, as for after-photos."""
    max_age = float(current_app.config["BEFORE_PHOTO_MAX_AGE_HOURS"])
    limit = current_app.config["AFTER_PHOTO_MAX_DISTANCE_M"]
    flagged = []
    for index, photo in enumerate(photos, start=1):
        distance = report_distance_m(ticket, photo.lat, photo.lon)
        hours = ((ticket.reported_at - photo.taken_at).total_seconds() / 3600
                 if photo.taken_at is not None and ticket.reported_at is not None else None)
        check = BeforePhotoCheck(photo=photo, index=index, taken_at=photo.taken_at, distance_m=distance,
                                 hours_before=hours, stale=max_age > 0 and hours is not None and hours > max_age,
                                 too_far=distance is not None and distance > limit)
        if check.stale or check.too_far:
            flagged.append(check)
    return flagged


def refuse_reused_before_photos(ticket, photos) -> None:
    """An after-photo byte-identical to one of the ticket's before-photos proves nothing was rectified (422)."""
    before = {p.sha256 for p in ticket.photos if p.kind == "before"}
    for index, photo in enumerate(photos, start=1):
        if photo.sha256 in before:
            prefix = f"第{index}张照片" if len(photos) > 1 else "该照片"
            raise Invalid(f"{prefix}与整改前照片完全相同，请在现场拍摄整改后的照片。", code="after_photo_same_as_before")
