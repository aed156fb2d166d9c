"""Coordinate systems: known point pairs (the reference values published with wandergis/coordtransform,
which the Hutool and other ports test against), round trips, and parsing."""
from __future__ import annotations

import json

import pytest

from inspect_app.common import coords
from inspect_app.common.geo import distance_m

# (lon, lat) pairs around Tiananmen: input 116.404,39.915 in one system, the other system's value.
WGS_TO_GCJ = ((116.404, 39.915), (116.41024449916938, 39.91640428150164))
GCJ_TO_BD = ((116.404, 39.915), (116.41036949371029, 39.92133699351021))
BD_TO_GCJ = ((116.404, 39.915), (116.39762729119315, 39.90865673957631))


def close(a, b, metres: float) -> bool:
    return distance_m(a[1], a[0], b[1], b[0]) <= metres


def test_known_pairs():
    assert close(coords.from_wgs84(*WGS_TO_GCJ[0], coords.GCJ02), WGS_TO_GCJ[1], 0.01)
    # GCJ → WGS is the inverse of the published WGS → GCJ pair.
    assert close(coords.to_wgs84(*WGS_TO_GCJ[1], coords.GCJ02), WGS_TO_GCJ[0], 0.05)
    # BD-09 is defined over GCJ-02: BD → WGS equals BD → GCJ → WGS.
    bd_wgs = coords.to_wgs84(*BD_TO_GCJ[0], coords.BD09)
    assert close(bd_wgs, coords.to_wgs84(*BD_TO_GCJ[1], coords.GCJ02), 0.05)
    gcj_of_bd_point = coords.from_wgs84(*coords.to_wgs84(*GCJ_TO_BD[1], coords.BD09), coords.GCJ02)
    assert close(gcj_of_bd_point, GCJ_TO_BD[0], 0.05)


def test_offsets_are_hundreds_of_metres_the_reason_this_matters():
    point = (112.9390, 28.2280)  # the demo city centre, WGS-84
    gcj = coords.from_wgs84(*point, coords.GCJ02)
    bd = coords.from_wgs84(*point, coords.BD09)
    assert 300 < distance_m(point[1], point[0], gcj[1], gcj[0]) < 1000
    assert 800 < distance_m(point[1], point[0], bd[1], bd[0]) < 2000


@pytest.mark.parametrize("system", [coords.GCJ02, coords.BD09])
def test_round_trip_within_a_few_centimetres(system):
    for point in [(112.9390, 28.2280), (121.4737, 31.2304), (87.6168, 43.8256)]:
        shown = coords.from_wgs84(*point, system)
        assert close(coords.to_wgs84(*shown, system), point, 0.05)


@pytest.mark.parametrize("text, expected", [
    ("WGS84", "WGS84"), ("wgs-84", "WGS84"), ("GCJ02", "GCJ02"), ("gcj-02", "GCJ02"), ("高德地图", "GCJ02"),
    ("腾讯", "GCJ02"), ("BD09", "BD09"), ("百度坐标", "BD09"), ("bd09ll", "BD09")])
def test_system_names(text, expected):
    assert coords.parse_system(text) == expected


def test_unknown_or_missing_system():
    with pytest.raises(coords.CoordinateError, match="无法识别"):
        coords.parse_system("CGCS-XYZ")
    with pytest.raises(coords.CoordinateError, match="请注明坐标系"):
        coords.parse_system("")


def test_polyline_text_is_converted_to_wgs84():
    gcj = coords.from_wgs84(112.93, 28.23, coords.GCJ02)
    points = coords.parse_polyline(f"{gcj[0]:.7f},{gcj[1]:.7f}；112.94, 28.23", coords.GCJ02)
    assert len(points) == 2
    assert close(points[0], (112.93, 28.23), 0.1)
    assert not close(points[1], (112.94, 28.23), 100)  # the second point was GCJ too: moved


@pytest.mark.parametrize("text, message", [
    ("112.93", "格式不正确"), ("abc,def", "不是数字"), ("200,28", "超出范围"), ("28.23,112.93", "顺序"),
    ("", "不能为空"), ("2.35,48.85", None)])
def test_bad_polylines(text, message):
    if message is None:  # Paris is fine in WGS-84 (no conversion), refused for GCJ-02
        coords.parse_polyline(text, coords.WGS84)
        with pytest.raises(coords.CoordinateError, match="不在中国境内"):
            coords.parse_polyline(text, coords.GCJ02)
        return
    with pytest.raises(coords.CoordinateError, match=message):
        coords.parse_polyline(text, coords.WGS84)


def test_geojson_feature_collection_line():
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                           "coordinates": [[112.93, 28.23], [112.94, 28.23]]}}]}
    assert coords.parse_geojson(json.dumps(doc).encode(), coords.WGS84) == [[112.93, 28.23], [112.94, 28.23]]
    with pytest.raises(coords.CoordinateError, match="无法解析"):
        coords.parse_geojson(b"not json", coords.WGS84)
    with pytest.raises(coords.CoordinateError, match="没有找到"):
        coords.parse_geojson(b'{"type": "Polygon", "coordinates": []}', coords.WGS84)


def test_format_polyline_in_a_map_system_reads_back():
    points = [[112.93, 28.23], [112.94, 28.231]]
    text = coords.format_polyline(points, coords.BD09, digits=7)
    back = coords.parse_polyline(text, coords.BD09)
    assert all(close(a, b, 0.05) for a, b in zip(points, back))
