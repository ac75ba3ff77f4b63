"""Track statistics against synthetic tracks whose true figures are known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from gridgov.patrol import tracks
from gridgov.patrol.tracks import M_PER_DEG, TrackParams

LON0, LAT0 = 117.06, 36.65
STEP_S = 10.0
WALK_MPS = 1.2


def metres_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local metres east/north of (LON0, LAT0) on the haversine's sphere."""
    return LON0 + x / (M_PER_DEG * math.cos(math.radians(LAT0))), LAT0 + y / M_PER_DEG


def straight_walk(
    length_m: float = 1000.0, *, stop_at_m: float | None = None, stop_s: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A walk due north at 1.2 m/s with a fix every 10 s, optionally standing still for
    ``stop_s`` seconds at ``stop_at_m`` with a few metres of GPS jitter."""
    rng = np.random.default_rng(7)
    walk_s = length_m / WALK_MPS
    # A fix every 10 s, and one more when the walk ends.
    t = np.append(np.arange(0.0, walk_s + stop_s, STEP_S), walk_s + stop_s)
    if stop_at_m is None:
        y = np.minimum(t * WALK_MPS, length_m)
        x = np.zeros_like(t)
    else:
        arrive = stop_at_m / WALK_MPS
        walked = np.where(t < arrive, t, np.where(t < arrive + stop_s, arrive, t - stop_s))
        y = np.minimum(walked * WALK_MPS, length_m)
        x = np.zeros_like(t)
        standing = (t >= arrive) & (t < arrive + stop_s)
        x[standing] += rng.uniform(-3, 3, standing.sum())
        y[standing] += rng.uniform(-3, 3, standing.sum())
    lon, lat = metres_to_lonlat(x, y)
    return t, lon, lat


def test_straight_kilometre_with_injected_noise() -> None:
    t, lon, lat = straight_walk()
    accuracy = np.full(len(t), 8.0)
    # Injected noise: three 2 km jumps (single fixes thrown off east) and four fixes whose
    # reported accuracy is 200 m (thrown 300 m off too, as such fixes are).
    jumps = [10, 35, 60]
    poor = [20, 21, 45, 70]
    for i in jumps:
        lon[i] += 2000 / (M_PER_DEG * math.cos(math.radians(LAT0)))
    for i in poor:
        lon[i] -= 300 / (M_PER_DEG * math.cos(math.radians(LAT0)))
        accuracy[i] = 200.0
    stats = tracks.analyse(t, lon, lat, accuracy)

    assert stats.distance_m == pytest.approx(1000.0, rel=0.01)
    assert stats.dropped_by_reason() == {"jump": len(jumps), "accuracy": len(poor)}
    assert stats.kept_count == len(t) - len(jumps) - len(poor)
    assert [i for i, reason in enumerate(stats.noise) if reason] == sorted(jumps + poor)
    assert stats.stops == []
    assert stats.moving_s == pytest.approx(t[-1], abs=STEP_S)


def test_a_planted_ten_minute_stop_is_found_and_jitter_is_not_walked() -> None:
    t, lon, lat = straight_walk(stop_at_m=400.0, stop_s=600.0)
    stats = tracks.analyse(t, lon, lat)

    assert len(stats.stops) == 1
    stop = stats.stops[0]
    # A stay point takes in the fixes of the approach within its 30 m radius: the stop's
    # ends are known to within the time it takes to walk 30 m.
    slack = 30 / WALK_MPS
    assert stop.seconds == pytest.approx(600.0, abs=slack)
    assert stop.start == pytest.approx(400 / WALK_MPS, abs=slack)
    y_m = (stop.lat - LAT0) * M_PER_DEG
    assert y_m == pytest.approx(400.0, abs=5.0)
    # Standing still with ±3 m of jitter for ten minutes would add ~200 m if it were walked.
    assert stats.distance_m == pytest.approx(1000.0, rel=0.01)
    assert stats.moving_s == pytest.approx(1000 / WALK_MPS, abs=2 * STEP_S)


def test_a_stop_shorter_than_the_threshold_is_not_a_stop() -> None:
    t, lon, lat = straight_walk(stop_at_m=400.0, stop_s=240.0)
    assert tracks.analyse(t, lon, lat).stops == []
    longer = tracks.analyse(t, lon, lat, params=TrackParams(stop_minutes=3))
    assert len(longer.stops) == 1


def test_duplicate_timestamps_and_a_first_fix_that_is_an_outlier() -> None:
    t, lon, lat = straight_walk(200.0)
    # The very first fix is 2 km off: the track re-anchors on the real fixes after it.
    lon[0] += 2000 / (M_PER_DEG * math.cos(math.radians(LAT0)))
    t = np.insert(t, 5, t[5])
    lon = np.insert(lon, 5, lon[5])
    lat = np.insert(lat, 5, lat[5])
    stats = tracks.analyse(t, lon, lat)
    assert stats.noise[0] == "jump"
    assert stats.noise[6] == "duplicate"
    assert stats.dropped_count == 2
    # From the first real fix (t=10 s, 12 m along) to the end.
    assert stats.distance_m == pytest.approx(200.0 - 12.0, rel=0.01)


def test_a_bus_ride_starts_a_new_segment_without_counting_the_ride() -> None:
    t1, lon1, lat1 = straight_walk(300.0)
    t2, lon2, lat2 = straight_walk(300.0)
    # Ten minutes later, 3 km east: a ride at 5 m/s is plausible, this one at 25 m/s is not.
    shift = 3000 / (M_PER_DEG * math.cos(math.radians(LAT0)))
    t = np.concatenate([t1, t2 + t1[-1] + 120.0])
    lon = np.concatenate([lon1, lon2 + shift])
    lat = np.concatenate([lat1, lat2])
    stats = tracks.analyse(t, lon, lat)
    assert len(stats.segments) == 2
    assert stats.kept_count == len(t)
    assert stats.distance_m == pytest.approx(600.0, rel=0.01)


def square_grid(side_m: float = 200.0) -> object:
    lon, lat = metres_to_lonlat(np.array([0.0, side_m]), np.array([0.0, side_m]))
    return box(lon[0], lat[0], lon[1], lat[1])


def track_across(x0: float, y0: float, x1: float, y1: float) -> list[np.ndarray]:
    n = 50
    x, y = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    lon, lat = metres_to_lonlat(x, y)
    return [np.column_stack([lon, lat, np.arange(n) * 10.0])]


def test_coverage_of_a_square_grid_matches_the_analytic_figure() -> None:
    grid = square_grid(200.0)
    # Straight through the middle, edge to edge: a 100 m band of a 200 m square.
    across = tracks.coverage(track_across(0, 100, 200, 100), grid, 50.0)
    assert across == pytest.approx(0.5, abs=0.002)
    # From the west edge to the centre: a 100 × 100 band plus a half disc of 50 m.
    half = tracks.coverage(track_across(0, 100, 100, 100), grid, 50.0)
    assert half == pytest.approx((100 * 100 + math.pi * 50**2 / 2) / 200**2, abs=0.002)
    # A single fix in the middle: one disc.
    point = tracks.coverage(track_across(100, 100, 100, 100), grid, 50.0)
    assert point == pytest.approx(math.pi * 50**2 / 200**2, abs=0.002)
    # Outside the grid entirely.
    assert tracks.coverage(track_across(500, 500, 600, 600), grid, 50.0) == 0.0


def test_simplified_path_keeps_the_corners_and_their_times() -> None:
    x = np.concatenate([np.zeros(50), np.linspace(0, 490, 50)])
    y = np.concatenate([np.linspace(0, 490, 50), np.full(50, 490.0)])
    lon, lat = metres_to_lonlat(x, y)
    t = np.arange(100) * 10.0
    path = tracks.simplified_path([np.column_stack([lon, lat, t])])
    assert len(path) == 3
    assert list(path[:, 2]) == [0.0, 490.0, 990.0]
