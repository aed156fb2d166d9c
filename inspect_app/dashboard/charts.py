"""Inline SVG drawn on the server: no JavaScript chart library, no CDN, no map tiles (CSP 'self' holds).

Returns markupsafe.Markup; every text is escaped. Colours are SVG presentation attributes or classes from
dashboard.css, never style attributes.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable

from markupsafe import Markup, escape

BLUE, GREEN, RED, GREY, INK = "#1d5bd8", "#1a7f37", "#c4271b", "#c9ced6", "#667085"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def trend_svg(weeks: list[dict], width: int = 900, height: int = 250, css: str = "") -> Markup:
    """Bars of new and closed tickets per week, and a line of 按期结案率 (right axis).

    Text is 11 units high in the viewBox, so pick `width` near the width it is shown at (phone: ~360)."""
    left, right, top, bottom = 40, 40, 16, 38
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([w["new"] for w in weeks] + [w["closed"] for w in weeks] + [1])
    step = _nice_step(peak)
    top_value = step * math.ceil(peak / step)
    slot = plot_w / max(1, len(weeks))
    bar = slot * 0.32

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = [f'<svg class="chart trend {css}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="近{len(weeks)}周新增、结案和按期结案率">']
    for k in range(0, int(top_value / step) + 1):
        value = k * step
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#e3e6ea" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{INK}">{value:g}</text>')
    for pct in (0, 50, 100):
        yy = top + plot_h - plot_h * pct / 100
        parts.append(f'<text x="{width - right + 6}" y="{yy + 4:.1f}" font-size="11" fill="{GREEN}">{pct}%</text>')
    points = []
    for i, w in enumerate(weeks):
        x0 = left + slot * i + slot / 2
        tip = escape(f"{w['period']}（{w['label']}起）：新增{w['new']}件，结案{w['closed']}件，"
                     f"按期结案率{_pct(w['on_time_rate'])}")
        parts.append(f'<g><title>{tip}</title>')
        parts.append(f'<rect x="{x0 - bar:.1f}" y="{y(w["new"]):.1f}" width="{bar:.1f}" '
                     f'height="{top + plot_h - y(w["new"]):.1f}" fill="{BLUE}" rx="2"/>')
        parts.append(f'<rect x="{x0:.1f}" y="{y(w["closed"]):.1f}" width="{bar:.1f}" '
                     f'height="{top + plot_h - y(w["closed"]):.1f}" fill="#7fc29b" rx="2"/></g>')
        label_class = ' font-weight="700"' if w.get("current") else ""
        parts.append(f'<text x="{x0:.1f}" y="{height - bottom + 15}" text-anchor="middle" font-size="11" '
                     f'fill="{INK}"{label_class}>{escape(w["label"])}</text>')
        if w["on_time_rate"] is not None:
            points.append((x0, top + plot_h - plot_h * w["on_time_rate"]))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{GREEN}" stroke-width="2.5"/>')
    for x, yy in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3.5" fill="#fff" stroke="{GREEN}" stroke-width="2"/>')
    legend_y = height - 8
    for k, (color, label) in enumerate(((BLUE, "新增"), ("#7fc29b", "结案"), (GREEN, "按期结案率"))):
        lx = left + k * 80
        parts.append(f'<rect x="{lx}" y="{legend_y - 9}" width="12" height="10" fill="{color}" rx="2"/>')
        parts.append(f'<text x="{lx + 16}" y="{legend_y}" font-size="11" fill="{INK}">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_step(peak: float) -> float:
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return max(1, factor * magnitude)
    return 10 * magnitude


def map_svg(segments: dict, by_segment: dict, link: Callable[[object], str | None]) -> Markup:
    """Road segments as lines and, at each segment's middle, a dot sized by its open tickets (red: some overdue).

    `segments`: {id: row with coords_json, name, district, unit_id}; `by_segment`: {id: Row with active/overdue};
    `link(segment_id) -> url | None` for each dot (the segment's open tickets).
    """
    return map_with_links(map_layout(segments, by_segment), link)


def projection(points: list[tuple[float, float]], width: int = 640, pad: int = 18, min_height: int = 220,
               max_height: int = 520) -> tuple[int, int, Callable[[float, float], tuple[float, float]]]:
    """(width, height, xy) of a map drawing these (lon, lat) points: the height follows their shape within
    min_height..max_height, and xy projects a (lon, lat) onto the picture (north up, east right, the same scale
    both ways at their middle latitude)."""
    lons, lats = [lon for lon, _ in points], [lat for _, lat in points]
    min_lon, max_lon, min_lat, max_lat = min(lons), max(lons), min(lats), max(lats)
    mid_lat = math.radians((min_lat + max_lat) / 2)
    span_x = max((max_lon - min_lon) * math.cos(mid_lat), 1e-4)
    span_y = max(max_lat - min_lat, 1e-4)
    height = int(min(max_height, max(min_height, (width - 2 * pad) * span_y / span_x + 2 * pad)))
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return pad + (lon - min_lon) * math.cos(mid_lat) * scale, height - pad - (lat - min_lat) * scale

    return width, height, xy


def map_base(segments: dict) -> dict:
    """The map's picture without the dots — the segments as lines, district names — and where each segment's dot
    goes: {"svg", "points": [[segment id, x, y], ...]} ("points" None when no segment has a line). It depends on
    the segments only, so the dashboard keeps it while they stay the same (services._map)."""
    lines = {}
    for seg_id, seg in segments.items():
        try:
            coords = [(float(lon), float(lat)) for lon, lat in json.loads(seg.coords_json or "[]")]
        except (TypeError, ValueError):
            continue
        if coords:
            lines[seg_id] = coords
    if not lines:
        return {"svg": '<p class="empty">没有带坐标的责任路段。</p>', "points": None}
    width, height, xy = projection([point for coords in lines.values() for point in coords])
    parts = [f'<svg class="chart map" viewBox="0 0 {width} {height}" role="group" aria-label="在办问题分布（按责任路段）">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f7f8fa"/>']
    # every segment's line in one path: a city's thousands of segments as separate elements, each repeating its
    # stroke, made most of the page's weight (605 KB of 684 at 2,000 segments)
    strokes = []
    for coords in lines.values():
        if len(coords) > 1:  # as a polyline, a single point draws nothing
            strokes.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in (xy(lon, lat) for lon, lat in coords)))
    parts.append(f'<path d="{"".join(strokes)}" fill="none" stroke="{GREY}" stroke-width="3" '
                 f'stroke-linecap="round"/>')
    districts: dict[str, list[tuple[float, float]]] = {}
    for seg_id, coords in lines.items():
        name = getattr(segments[seg_id], "district", None)
        if name:
            districts.setdefault(name, []).extend(coords)
    for name, coords in districts.items():
        x, y = xy(sum(c[0] for c in coords) / len(coords), max(c[1] for c in coords))
        parts.append(f'<text x="{x:.1f}" y="{max(12.0, y - 10):.1f}" text-anchor="middle" font-size="14" '
                     f'font-weight="700" fill="#8a919c">{escape(name)}</text>')
    points = []
    for seg_id, coords in lines.items():
        lon, lat = coords[len(coords) // 2] if len(coords) > 2 else (
            sum(c[0] for c in coords) / len(coords), sum(c[1] for c in coords) / len(coords))
        points.append([seg_id, *xy(lon, lat)])
    return {"svg": "".join(parts), "points": points}


def map_layout(segments: dict, by_segment: dict, base: dict | None = None) -> dict:
    """The map drawn without links (they depend on who reads it): {"svg": the picture up to the dots, or the empty
    message; "dots": [[segment_id, dot markup], ...], biggest first}. Plain strings and lists, so the stored dashboard
    (snapshots.py) keeps it as it is and a page only joins it (thousands of segments at city scale).
    `base`: map_base(segments), when the caller keeps it."""
    base = base or map_base(segments)
    if base["points"] is None:
        return {"svg": base["svg"], "dots": None}
    at, drawn_here = _positions(base["points"])
    peak = max([row.active for row in by_segment.values()] + [1])
    ordered = sorted(((seg_id, row) for seg_id, row in by_segment.items() if row.active and seg_id in at),
                     key=lambda item: item[1].active, reverse=True)
    if len(drawn_here) > 50_000:  # a refresh draws each segment's dot again, mostly as it was: kept per process
        drawn_here.clear()
    dots = []
    add, drawn = dots.append, drawn_here.get
    for seg_id, row in ordered:
        seg, active, overdue = segments[seg_id], row.active, row.overdue
        key = (seg_id, seg.name, active, overdue, peak)  # at the positions `at`: drawn_here belongs to them
        dot = drawn(key)
        if dot is None:
            x, y = at[seg_id]
            radius = 3 + 11 * math.sqrt(active / peak)
            color = RED if overdue else BLUE
            tip = escape(f"{seg.name}：在办{active}件" + (f"，超期{overdue}件" if overdue else ""))
            dot = drawn_here[key] = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{color}">'
                                     f'<title>{tip}</title></circle>')  # its stroke: the group's (DOTS)
        add([seg_id, dot])
    return {"svg": base["svg"], "dots": dots}


def _positions(points: list) -> tuple[dict, dict]:
    """{segment id: (x, y)} of map_base's points and the dots drawn at them, kept while the same points come back
    (the dashboard keeps its base in the process)."""
    kept = _DRAWN[0] if _DRAWN else None
    if kept is not None and kept[0] is points:
        return kept[1], kept[2]
    at = {seg_id: (x, y) for seg_id, x, y in points}
    _DRAWN[:] = [(points, at, {})]
    return at, _DRAWN[0][2]


# What every dot shares, said once around them all (thousands at city scale)
DOTS = '<g fill-opacity="0.7" stroke="#fff" stroke-width="1">'
_DRAWN: list[tuple[list, dict, dict]] = []  # [(points, positions, {dot key: markup})]: one tuple, swapped whole


def map_with_links(layout: dict, link: Callable[[object], str | None]) -> Markup:
    """The stored map with each dot linked for this reader to what its tooltip counts: `link(segment_id)`."""
    if layout["dots"] is None:
        return Markup(layout["svg"])
    parts = [layout["svg"], DOTS]
    for segment_id, dot in layout["dots"]:
        url = link(segment_id)
        parts.append(f'<a href="{escape(url)}">{dot}</a>' if url else dot)
    parts.append("</g></svg>")
    return Markup("".join(parts))
