"""Small-distance geometry on WGS-84 coordinates (good to well under a metre within a city)."""
from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def _project(lat0: float):
    kx = math.cos(math.radians(lat0)) * math.pi / 180 * EARTH_RADIUS_M
    ky = math.pi / 180 * EARTH_RADIUS_M
    return kx, ky


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    kx, ky = _project((lat1 + lat2) / 2)
    return math.hypot((lon2 - lon1) * kx, (lat2 - lat1) * ky)


def distance_to_polyline_m(lat: float, lon: float, points: list[list[float]]) -> float:
    """Shortest distance from a point to a polyline given as [[lon, lat], ...]."""
    if not points:
        return math.inf
    kx, ky = _project(lat)
    xy = [((p[0] - lon) * kx, (p[1] - lat) * ky) for p in points]
    if len(xy) == 1:
        return math.hypot(*xy[0])
    best = math.inf
    for (x1, y1), (x2, y2) in zip(xy, xy[1:]):
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length2))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


def inside_ring(lat: float, lon: float, ring: list[list[float]]) -> bool:
    """Whether the point lies inside the polygon [[lon, lat], ...] (ray casting; the ring closes by itself). A
    city-sized polygon is flat enough in degrees: scaling an axis changes no crossing."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def distance_to_area_m(lat: float, lon: float, ring: list[list[float]]) -> float:
    """Distance from a point to an area given by its outline [[lon, lat], ...]: 0 inside it, else to the nearest
    edge, the one from the last vertex back to the first included."""
    if len(ring) >= 3 and inside_ring(lat, lon, ring):
        return 0.0
    return distance_to_polyline_m(lat, lon, ring + ring[:1] if len(ring) >= 3 else ring)


def reach_m(lat: float | None, lon: float | None, ring: list[list[float]]) -> float:
    """How far an area reaches from its centre (lat, lon): its farthest vertex; 0 for a point. Every point of
    the area, inside or on an edge, lies within this of the centre."""
    if lat is None or lon is None or not ring:
        return 0.0
    return max(distance_m(lat, lon, p[1], p[0]) for p in ring)


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths in degrees (lat, lon) of a box that contains the circle of radius_m."""
    dlat = radius_m / (math.pi / 180 * EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return dlat, dlon


def valid_lat_lon(lat, lon) -> bool:
    return (lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180
            and not (lat == 0 and lon == 0))
