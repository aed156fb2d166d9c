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


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths in degrees (lat, lon) of a box that contains the circle of radius_m."""
    dlat = radius_m / (math.pi / 180 * EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return dlat, dlon


def valid_lat_lon(lat, lon) -> bool:
    return (lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180
            and not (lat == 0 and lon == 0))
