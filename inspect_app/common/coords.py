"""Coordinate systems: phones report WGS-84; 高德/腾讯 maps show GCJ-02, 百度 shows BD-09.

Everything stored is WGS-84. Offices paste coordinates from whichever map they use, so every input
names its system and passes through `to_wgs84`. The conversions are prcoords' (the inverse ones
iterate to well under a metre); this module adds parsing, validation and Chinese messages.
"""
from __future__ import annotations

import json
import math
import re
import warnings

import prcoords

WGS84, GCJ02, BD09 = "WGS84", "GCJ02", "BD09"
SYSTEMS = (WGS84, GCJ02, BD09)
SYSTEM_LABELS = {
    WGS84: "WGS-84（GPS、手机定位、天地图）",
    GCJ02: "GCJ-02（高德、腾讯地图）",
    BD09: "BD-09（百度地图）",
}
_ALIASES = {
    "wgs84": WGS84, "wgs": WGS84, "gps": WGS84, "天地图": WGS84, "cgcs2000": WGS84,
    "gcj02": GCJ02, "gcj": GCJ02, "高德": GCJ02, "腾讯": GCJ02, "火星": GCJ02, "国测局": GCJ02,
    "bd09": BD09, "bd09ll": BD09, "bd": BD09, "百度": BD09,
}
MAX_POINTS = 2000


class CoordinateError(ValueError):
    """Bad coordinate input; str(error) is a Chinese message for the user."""


def parse_system(text: str | None, default: str | None = None) -> str:
    """'WGS84', 'gcj-02', '高德', '百度' ... → one of SYSTEMS; blank gives `default`."""
    if text is not None and not isinstance(text, str):  # a JSON list, object or number
        raise CoordinateError("坐标系应为文字：WGS84、GCJ02 或 BD09。")
    value = (text or "").strip()
    if not value:
        if default is None:
            raise CoordinateError("请注明坐标系（WGS84、GCJ02 或 BD09）。")
        return default
    key = re.sub(r"[\s\-_（）()]", "", value.lower())
    for suffix in ("坐标系", "坐标", "地图"):
        key = key.removesuffix(suffix)
    if key in _ALIASES:
        return _ALIASES[key]
    raise CoordinateError(f"坐标系“{value}”无法识别，应为 WGS84、GCJ02 或 BD09。")


def in_china(lon: float, lat: float) -> bool:
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lon))


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """(lon, lat) in `system` → (lon, lat) in WGS-84."""
    if system == WGS84:
        return lon, lat
    point = prcoords.Coords(lat, lon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # outside China prcoords returns the input and warns; checked by callers
        if system == GCJ02:
            result = prcoords.gcj_wgs_bored(point)
        elif system == BD09:
            result = prcoords.bd_wgs_bored(point)
        else:
            raise CoordinateError(f"未知坐标系 {system}。")
    return result.lon, result.lat


def from_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """(lon, lat) in WGS-84 → (lon, lat) in `system` (for showing or exporting in a map's system)."""
    if system == WGS84:
        return lon, lat
    point = prcoords.Coords(lat, lon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if system == GCJ02:
            result = prcoords.wgs_gcj(point)
        elif system == BD09:
            result = prcoords.wgs_bd(point)
        else:
            raise CoordinateError(f"未知坐标系 {system}。")
    return result.lon, result.lat


def check_point(lon: float, lat: float, system: str, where: str = "") -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CoordinateError(f"{where}坐标不是有效数字。")
    if not in_china(lon, lat) and in_china(lat, lon):
        raise CoordinateError(f"{where}经纬度顺序似乎颠倒了：应为“经度,纬度”，如 112.93,28.23。")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise CoordinateError(f"{where}坐标超出范围（经度 -180~180，纬度 -90~90）。")
    if system != WGS84 and not in_china(lon, lat):
        raise CoordinateError(f"{where}坐标不在中国境内，无法按 {system} 换算。")


def convert_points(points: list[tuple[float, float]], system: str) -> list[list[float]]:
    """Validate (lon, lat) pairs in `system` and return them as WGS-84 [[lon, lat], ...]."""
    if not points:
        raise CoordinateError("坐标不能为空。")
    if len(points) > MAX_POINTS:
        raise CoordinateError(f"坐标点过多（最多 {MAX_POINTS} 个）。")
    result = []
    for index, (lon, lat) in enumerate(points, start=1):
        check_point(lon, lat, system, where=f"第{index}个点：" if len(points) > 1 else "")
        wlon, wlat = to_wgs84(lon, lat, system)
        result.append([round(wlon, 7), round(wlat, 7)])
    return result


def parse_polyline(text: str | None, system: str) -> list[list[float]]:
    """'lng,lat;lng,lat' (also with '，' '；', spaces or new lines between points) → WGS-84 points."""
    raw = (text or "").strip()
    if not raw:
        raise CoordinateError("坐标不能为空，格式为“经度,纬度;经度,纬度”。")
    raw = raw.replace("，", ",").replace("；", ";").replace("\r", "\n").replace("\n", ";").replace("|", ";")
    points = []
    for index, part in enumerate((p.strip() for p in raw.split(";")), start=1):
        if not part:
            continue
        numbers = [n for n in part.replace(" ", ",").split(",") if n.strip()]
        if len(numbers) != 2:
            raise CoordinateError(f"第{index}个点“{part}”格式不正确，应为“经度,纬度”。")
        try:
            lon, lat = float(numbers[0]), float(numbers[1])
        except ValueError:
            raise CoordinateError(f"第{index}个点“{part}”不是数字。") from None
        points.append((lon, lat))
    return convert_points(points, system)


def parse_geojson(data: bytes | str, system: str) -> list[list[float]]:
    """The first LineString (or MultiLineString's first line, or Point) in a GeoJSON document."""
    try:
        document = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except (UnicodeDecodeError, ValueError):
        raise CoordinateError("GeoJSON 文件无法解析，请确认是 UTF-8 编码的 .geojson / .json 文件。") from None
    geometry = _first_geometry(document)
    if geometry is None:
        raise CoordinateError("GeoJSON 中没有找到线（LineString）或点（Point）。")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    try:
        if kind == "Point":
            coordinates = [coordinates]
        elif kind == "MultiLineString":
            coordinates = coordinates[0]
        points = [(float(c[0]), float(c[1])) for c in coordinates]
    except (TypeError, ValueError, IndexError, KeyError):
        raise CoordinateError("GeoJSON 坐标格式不正确。") from None
    return convert_points(points, system)


def _first_geometry(node):
    if not isinstance(node, dict):
        return None
    kind = node.get("type")
    if kind in ("LineString", "MultiLineString", "Point"):
        return node
    if kind == "Feature":
        return _first_geometry(node.get("geometry"))
    if kind == "FeatureCollection":
        for feature in node.get("features") or []:
            found = _first_geometry(feature)
            if found is not None:
                return found
    if kind == "GeometryCollection":
        for geometry in node.get("geometries") or []:
            found = _first_geometry(geometry)
            if found is not None:
                return found
    return None


def format_polyline(points: list[list[float]], system: str = WGS84, digits: int = 6) -> str:
    """WGS-84 points → 'lng,lat;lng,lat' in `system`."""
    out = []
    for lon, lat in points:
        lon, lat = from_wgs84(lon, lat, system)
        out.append(f"{lon:.{digits}f},{lat:.{digits}f}")
    return ";".join(out)
