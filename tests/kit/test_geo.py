from __future__ import annotations

import pytest

from gridgov.kit.geo import (
    bd09_to_gcj02,
    bd09_to_gcj02_closed_form,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_m,
    to_wgs84,
    wgs84_to_gcj02,
)

# Reference values published with the widely used coordtransform library (Beijing, 天安门).
BEIJING = (116.404, 39.915)


def test_wgs84_to_gcj02_matches_published_reference() -> None:
    lon, lat = wgs84_to_gcj02(*BEIJING)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)


def test_gcj02_bd09_match_published_reference() -> None:
    assert gcj02_to_bd09(*BEIJING) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-9
    )
    assert bd09_to_gcj02_closed_form(*BEIJING) == pytest.approx(
        (116.39762729119315, 39.90865673957631), abs=1e-9
    )


@pytest.mark.parametrize("point", [(116.55, 35.38), (116.404, 39.915), (121.47, 31.23)])
def test_inverse_transforms_round_trip_to_millimetres(point: tuple[float, float]) -> None:
    gcj = wgs84_to_gcj02(*point)
    back = gcj02_to_wgs84(*gcj)
    assert haversine_m(*point, *back) < 0.001
    bd = gcj02_to_bd09(*gcj)
    assert haversine_m(*point, *to_wgs84(*bd, "bd09")) < 0.001
    assert haversine_m(*bd09_to_gcj02(*bd), *gcj) < 0.001
    # The offsets are real: hundreds of metres, which is why inputs must be converted.
    assert 100 < haversine_m(*point, *gcj) < 1000


def test_outside_china_is_left_alone() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert to_wgs84(2.35, 48.85, "gcj02") == (2.35, 48.85)
