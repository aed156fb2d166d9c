"""Dispatch on filing: category owner, segment's unit, nearest segment, EXIF location, pending."""
from __future__ import annotations

from datetime import timedelta

from conftest import City

from inspect_app.extensions import db


def test_segment_given_goes_to_the_segments_unit(city, make_ticket, now):
    ticket = make_ticket(point=None, segment=city.seg_b)
    assert ticket.unit_id == city.street_b.id and ticket.status == "assigned"
    assert ticket.deadline == now + timedelta(hours=24)


def test_category_owner_wins_over_segment(city, make_ticket, now):
    ticket = make_ticket(category="illegal_parking", segment=city.seg_a)
    assert ticket.unit_id == city.police.id
    assert ticket.deadline == now + timedelta(hours=2)


def test_nearest_segment_within_radius(city, make_ticket):
    assert make_ticket(point=City.ON_B).segment_id == city.seg_b.id
    assert make_ticket(point=City.ON_A).segment_id == city.seg_a.id


def test_exif_gps_used_when_no_location(app, city, make_ticket):
    # gps_DSCN0010.jpg was taken in Italy; put a segment there to prove the EXIF position is used.
    from inspect_app.photos.processing import process_image
    from inspect_app.units.models import Segment
    from conftest import photo_bytes

    photo = process_image(photo_bytes("gps_DSCN0010.jpg"))
    assert photo.lat is not None
    italy = Segment(name="意大利路", district="测试区", unit=city.street_b)
    italy.coords = [[photo.lon - 0.001, photo.lat], [photo.lon + 0.001, photo.lat]]
    db.session.add(italy)
    db.session.commit()
    ticket = make_ticket(point=None, photo="gps_DSCN0010.jpg")
    assert ticket.segment_id == italy.id and ticket.unit_id == city.street_b.id
    assert abs(ticket.lat - photo.lat) < 1e-9


def test_nothing_near_goes_pending_for_the_office(city, make_ticket):
    ticket = make_ticket(point=City.FAR)
    assert ticket.status == "pending" and ticket.unit_id is None and ticket.deadline is None
    assert ticket.lat == City.FAR[0]


def test_retired_segment_and_unit_are_not_dispatched_to(city, make_ticket):
    city.seg_a.active = False
    db.session.commit()
    # seg_b is ~1.1 km away: outside the 500 m radius.
    assert make_ticket(point=City.ON_A).status == "pending"
    city.seg_a.active = True
    city.street_a.active = False
    db.session.commit()
    assert make_ticket(point=City.ON_A).status == "pending"


def test_ticket_numbers_count_per_year(city, make_ticket, now):
    first = make_ticket()
    second = make_ticket()
    assert first.number == "2026-000001" and second.number == "2026-000002"
    from conftest import at
    assert make_ticket(at_time=at("2027-01-01T00:30")).number == "2027-000001"
    # 2026-12-31 16:30 UTC is already 2027 in Shanghai
    assert make_ticket(at_time=at("2026-12-31T16:30:00+00:00")).number == "2027-000002"
