"""巡查轨迹 as inline SVG drawn on the server (as the dashboard's map: no map tiles, no script): the segments around
the day's stops as grey lines, the stops joined in time order, each a numbered dot (blue a check-in, red a find)."""
from __future__ import annotations

import json

from markupsafe import Markup, escape
from sqlalchemy import select

from ..common.geo import degree_box
from ..common.timeutil import fmt
from ..dashboard.charts import BLUE, GREY, RED, projection
from ..extensions import db
from ..units.models import Segment

MARGIN_M = 250  # the segments this far around the stops are drawn


def _around(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[list[tuple[float, float]]]:
    lines = []
    for (coords_json,) in db.session.execute(select(Segment.coords_json).where(
            Segment.active.is_(True), Segment.min_lat <= max_lat, Segment.max_lat >= min_lat,
            Segment.min_lon <= max_lon, Segment.max_lon >= min_lon)):
        try:
            coords = [(float(lon), float(lat)) for lon, lat in json.loads(coords_json or "[]")]
        except (TypeError, ValueError):
            continue
        if len(coords) > 1:
            lines.append(coords)
    return lines


def trail_svg(stops) -> Markup | None:
    """The day's stops (days.Stop, in time order) with a position on a map; None when none has one."""
    placed = [(n, stop) for n, stop in enumerate(stops, 1) if stop.lat is not None and stop.lon is not None]
    if not placed:
        return None
    lats, lons = [s.lat for _, s in placed], [s.lon for _, s in placed]
    d_lat, d_lon = degree_box((min(lats) + max(lats)) / 2, MARGIN_M)
    box = (min(lats) - d_lat, max(lats) + d_lat, min(lons) - d_lon, max(lons) + d_lon)
    width, height, xy = projection([(box[2], box[0]), (box[3], box[1])], min_height=260, max_height=560)
    parts = [f'<svg class="chart map trail" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="巡查轨迹：{len(placed)}个位置，按时间先后连线">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f7f8fa"/>']
    strokes = ["M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in (xy(lon, lat) for lon, lat in coords))
               for coords in _around(*box)]
    if strokes:
        parts.append(f'<path d="{"".join(strokes)}" fill="none" stroke="{GREY}" stroke-width="5" '
                     f'stroke-linecap="round"/>')
    points = [xy(stop.lon, stop.lat) for _, stop in placed]
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}" fill="none" '
                     f'stroke="{BLUE}" stroke-width="2" stroke-dasharray="6 4" opacity="0.7"/>')
    for (n, stop), (x, y) in zip(placed, points):
        colour = BLUE if stop.checkin else RED
        label = f"{n}. {fmt(stop.at, '%H:%M')} {'打卡' if stop.checkin else '发现问题'} {stop.segment or stop.detail}"
        parts.append(f'<g><title>{escape(label)}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="14" fill="{colour}" '
                     f'stroke="#fff" stroke-width="2"/><text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" '
                     f'font-size="14" font-weight="700" fill="#fff">{n}</text></g>')
    parts.append(_scale_bar(width, height, xy, (box[0] + box[1]) / 2, box[2]))
    parts.append("</svg>")
    return Markup("".join(parts))


def _scale_bar(width: int, height: int, xy, lat: float, lon: float) -> str:
    """A bar of a round length (50 m to 5 km) about a sixth of the picture wide, at its lower left."""
    _, d_lon = degree_box(lat, 1000)
    per_m = (xy(lon + d_lon, lat)[0] - xy(lon, lat)[0]) / 1000
    metres = next((m for m in (50, 100, 200, 500, 1000, 2000, 5000) if m * per_m >= width / 6), 5000)
    x0, x1, y = 18, 18 + metres * per_m, height - 14
    label = f"{metres // 1000}公里" if metres >= 1000 else f"{metres}米"
    return (f'<path d="M{x0} {y - 6}V{y}H{x1:.1f}V{y - 6}" fill="none" stroke="#3d4451" stroke-width="2"/>'
            f'<text x="{(x0 + x1) / 2:.1f}" y="{y - 9}" text-anchor="middle" font-size="16" fill="#3d4451">'
            f'{label}</text>')
