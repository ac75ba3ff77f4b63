"""WGS-84 ⇄ GCJ-02 ⇄ BD-09 in both directions, against points published with the
coordtransform (wandergis) and eviltransform (googollee) projects' own examples and tests.

Their inverse transforms are one-step approximations (a few metres off); ours iterate to
the exact inverse, so inverses are compared within metres and forwards within centimetres.
eviltransform uses the WGS-84 semi-major axis where coordtransform uses Krasovsky's, a
difference of under a centimetre in the offset."""

from __future__ import annotations

import pytest

from gridgov.kit import geo
from gridgov.kit.errors import InvalidInput

# coordtransform README: input (116.404, 39.915) for every function.
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM = {
    "bd09togcj02": (116.39762729119315, 39.90865673957631),
    "gcj02tobd09": (116.41036949371029, 39.92133699351021),
    "wgs84togcj02": (116.41024449916938, 39.91640428150164),
    "gcj02towgs84": (116.39775550083061, 39.91359571849836),
}
# eviltransform's tests: (wgsLat, wgsLng, gcjLat, gcjLng).
EVIL_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geo.haversine_m(a[0], a[1], b[0], b[1])


def test_coordtransform_reference_points_both_directions() -> None:
    point = COORDTRANSFORM_INPUT
    assert metres(geo.wgs84_to_gcj02(*point), COORDTRANSFORM["wgs84togcj02"]) < 0.001
    assert metres(geo.gcj02_to_bd09(*point), COORDTRANSFORM["gcj02tobd09"]) < 0.001
    # The published inverses are approximations; ours is exact, so within a few metres.
    assert metres(geo.gcj02_to_wgs84(*point), COORDTRANSFORM["gcj02towgs84"]) < 5
    assert metres(geo.bd09_to_gcj02(*point), COORDTRANSFORM["bd09togcj02"]) < 1


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVIL_WGS_GCJ)
def test_eviltransform_wgs_gcj_pairs(wlat: float, wlon: float, glat: float, glon: float) -> None:
    assert metres(geo.wgs84_to_gcj02(wlon, wlat), (glon, glat)) < 0.05
    assert metres(geo.gcj02_to_wgs84(glon, glat), (wlon, wlat)) < 0.05
    assert metres(geo.to_wgs84(glon, glat, "gcj02"), (wlon, wlat)) < 0.05
    assert metres(geo.from_wgs84(wlon, wlat, "gcj02"), (glon, glat)) < 0.05


def test_bd09_round_trips_through_wgs84() -> None:
    """BD-09 is GCJ-02 offset again: both directions, composed, give the input back."""
    for point in [(116.55, 35.38), COORDTRANSFORM_INPUT, (121.4737, 31.2304)]:
        bd = geo.wgs84_to_bd09(*point)
        assert metres(bd, geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(*point))) < 0.001
        assert metres(geo.bd09_to_wgs84(*bd), point) < 0.001
        assert metres(geo.from_wgs84(*point, "bd09"), bd) < 0.001
        assert metres(geo.to_wgs84(*bd, "bd09"), point) < 0.001


def test_cgcs2000_is_wgs84_and_aliases_parse() -> None:
    assert geo.to_wgs84(116.55, 35.4, "cgcs2000") == (116.55, 35.4)
    assert geo.parse_crs("CGCS2000") == "wgs84"
    assert geo.parse_crs("EPSG:4490") == "wgs84"
    assert geo.parse_crs(" GCJ-02 ") == "gcj02"
    assert geo.parse_crs("bd09") == "bd09"
    with pytest.raises(InvalidInput):
        geo.parse_crs("utm50n")


def test_geometries_convert_every_position_both_ways() -> None:
    ring = [[116.5, 35.3], [116.6, 35.3], [116.6, 35.4], [116.5, 35.3]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    for crs in ("gcj02", "bd09"):
        out = geo.geometry_from_wgs84(polygon, crs)
        assert out["coordinates"][0][0] != ring[0]
        back = geo.geometry_to_wgs84(out, crs)
        for a, b in zip(back["coordinates"][0], ring, strict=True):
            assert metres((a[0], a[1]), (b[0], b[1])) < 0.001
    assert geo.geometry_to_wgs84(polygon, "cgcs2000") is polygon
