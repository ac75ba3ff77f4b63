"""Track statistics from raw GPS fixes: pure functions, no database.

A patrol's fixes go through :func:`analyse` in time order:

1. **Noise.** A fix is dropped when its reported accuracy is worse than ``max_accuracy_m``,
   when it repeats the timestamp of the last kept fix, or when reaching it from the last kept
   fix would take a speed above ``max_speed_mps`` (a jump). When several refused fixes in a
   row agree with each other (:data:`REANCHOR_AFTER` of them, at plausible speeds between
   them), the worker really moved (a bus ride, or the first kept fix was the outlier): the
   track re-anchors on them and a new segment begins; a segment of a single fix left behind
   is marked as a jump too. The gap between segments is not counted as distance.
2. **Stops.** Stay-point detection: from an anchor fix, the fixes that stay within
   ``stop_radius_m`` of it for at least ``stop_minutes`` form a stop (centre = their mean).
3. **Distance** is the haversine length of the kept fixes, each stop collapsed to its centre,
   so GPS jitter while standing still does not count as walking. **Moving time** is the time
   between consecutive kept fixes outside stops, gaps longer than :data:`MAX_GAP_S` left out
   (the phone was off: nobody knows what happened).
4. **Coverage** of a grid: the share of its area within ``coverage_radius_m`` of the track,
   by buffering the track in a local metric plane (equirectangular at the grid's latitude,
   on the same sphere as the haversine) and intersecting it with the grid.
5. The **path** kept forever for replay is the collapsed track simplified to
   :data:`SIMPLIFY_M` metres (Douglas-Peucker), with each vertex's time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]

EARTH_RADIUS_M = 6371008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0
# Consecutive refused fixes that agree with each other before the track re-anchors on them.
REANCHOR_AFTER = 3
# A gap between fixes longer than this is not moving time (nor a walked segment's time).
MAX_GAP_S = 300.0
# Tolerance of the replay path's simplification.
SIMPLIFY_M = 5.0
BUFFER_QUAD_SEGMENTS = 16

NOISE_ACCURACY = "accuracy"
NOISE_JUMP = "jump"
NOISE_DUPLICATE = "duplicate"


@dataclass(frozen=True)
class TrackParams:
    max_accuracy_m: float = 50.0
    max_speed_mps: float = 15.0
    stop_radius_m: float = 30.0
    stop_minutes: float = 5.0
    coverage_radius_m: float = 50.0


@dataclass(frozen=True)
class Stop:
    lon: float
    lat: float
    start: float  # epoch seconds
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class TrackStats:
    point_count: int
    kept: npt.NDArray[np.bool_]
    noise: list[str | None]
    segments: list[npt.NDArray[np.int64]]  # indices of kept fixes, per segment
    distance_m: float
    moving_s: float
    stops: list[Stop]
    # The collapsed track: (lon, lat, t) per vertex, per segment.
    tracks: list[FloatArray] = field(default_factory=list)

    @property
    def kept_count(self) -> int:
        return int(self.kept.sum())

    @property
    def dropped_count(self) -> int:
        return self.point_count - self.kept_count

    def dropped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for reason in self.noise:
            if reason is not None:
                counts[reason] = counts.get(reason, 0) + 1
        return counts


def haversine(lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray) -> FloatArray:
    """Haversine distances in metres, element by element."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    result: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    return result


def _haversine1(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def filter_noise(
    t: FloatArray, lon: FloatArray, lat: FloatArray, accuracy: FloatArray, params: TrackParams
) -> tuple[npt.NDArray[np.bool_], list[str | None], list[list[int]]]:
    """Which fixes are kept (in time order), why the others were dropped, and the segments."""
    n = len(t)
    noise: list[str | None] = [None] * n
    segments: list[list[int]] = []
    current: list[int] = []
    pending: list[int] = []  # refused as jumps, in a row: a candidate new anchor
    max_speed = params.max_speed_mps

    def speed(i: int, j: int) -> float:
        dt = t[j] - t[i]
        d = _haversine1(lon[i], lat[i], lon[j], lat[j])
        return math.inf if dt <= 0 else d / dt

    for i in range(n):
        acc = accuracy[i]
        if not math.isnan(acc) and acc > params.max_accuracy_m:
            noise[i] = NOISE_ACCURACY
            continue
        if not current:
            current.append(i)
            continue
        last = current[-1]
        if t[i] <= t[last]:
            noise[i] = NOISE_DUPLICATE
            continue
        if speed(last, i) <= max_speed:
            current.append(i)
            pending.clear()
            continue
        noise[i] = NOISE_JUMP
        if pending and (t[i] <= t[pending[-1]] or speed(pending[-1], i) > max_speed):
            pending.clear()
        pending.append(i)
        if len(pending) >= REANCHOR_AFTER:
            # The refused fixes agree with each other: the worker is really there.
            if len(current) == 1:
                noise[current[0]] = NOISE_JUMP  # a lone fix left behind was the outlier
            else:
                segments.append(current)
            for j in pending:
                noise[j] = None
            current = list(pending)
            pending.clear()
    if current:
        segments.append(current)
    kept = np.array([reason is None for reason in noise], dtype=bool)
    return kept, noise, segments


def find_stops(
    t: FloatArray, x: FloatArray, y: FloatArray, params: TrackParams
) -> list[tuple[int, int]]:
    """Stay points over one segment's fixes in a metric plane: (first, last) index pairs."""
    radius2 = params.stop_radius_m**2
    min_s = params.stop_minutes * 60.0
    stops: list[tuple[int, int]] = []
    n = len(t)
    i = 0
    while i < n - 1:
        j = i + 1
        while j < n and (x[j] - x[i]) ** 2 + (y[j] - y[i]) ** 2 <= radius2:
            j += 1
        if t[j - 1] - t[i] >= min_s:
            stops.append((i, j - 1))
            i = j
        else:
            i += 1
    return stops


def to_plane(lon: FloatArray, lat: FloatArray, lat0: float) -> tuple[FloatArray, FloatArray]:
    """Equirectangular metres around latitude ``lat0`` (on the haversine's sphere)."""
    x: FloatArray = lon * (M_PER_DEG * math.cos(math.radians(lat0)))
    y: FloatArray = lat * M_PER_DEG
    return x, y


def analyse(
    t: Sequence[float] | FloatArray,
    lon: Sequence[float] | FloatArray,
    lat: Sequence[float] | FloatArray,
    accuracy: Sequence[float | None] | FloatArray | None = None,
    params: TrackParams | None = None,
) -> TrackStats:
    """Noise, stops, distance and moving time of fixes given in time order (epoch seconds)."""
    params = params or TrackParams()
    ta = np.asarray(t, dtype=float)
    lona = np.asarray(lon, dtype=float)
    lata = np.asarray(lat, dtype=float)
    if accuracy is None:
        acc = np.full(len(ta), np.nan)
    else:
        acc = np.array([np.nan if a is None else a for a in accuracy], dtype=float)
    order = np.argsort(ta, kind="stable")
    if not np.array_equal(order, np.arange(len(ta))):
        raise ValueError("fixes must be given in time order")
    kept, noise, segment_lists = filter_noise(ta, lona, lata, acc, params)
    segments = [np.array(s, dtype=np.int64) for s in segment_lists]
    distance = 0.0
    moving = 0.0
    stops: list[Stop] = []
    tracks: list[FloatArray] = []
    lat0 = float(np.mean(lata[kept])) if kept.any() else 0.0
    for seg in segments:
        st, slon, slat = ta[seg], lona[seg], lata[seg]
        x, y = to_plane(slon, slat, lat0)
        seg_stops = find_stops(st, x, y, params)
        stop_id = np.full(len(seg), -1, dtype=np.int64)
        # The collapsed track: fixes outside stops, each stop as its centre held from its
        # first to its last fix.
        vertices: list[tuple[float, float, float]] = []
        cursor = 0
        for first, last in seg_stops:
            vertices.extend(
                zip(slon[cursor:first], slat[cursor:first], st[cursor:first], strict=True)
            )
            c_lon, c_lat = (
                float(slon[first : last + 1].mean()),
                float(slat[first : last + 1].mean()),
            )
            vertices.append((c_lon, c_lat, float(st[first])))
            vertices.append((c_lon, c_lat, float(st[last])))
            stop_id[first : last + 1] = len(stops)
            stops.append(Stop(c_lon, c_lat, float(st[first]), float(st[last])))
            cursor = last + 1
        vertices.extend(zip(slon[cursor:], slat[cursor:], st[cursor:], strict=True))
        track = np.array(vertices, dtype=float).reshape(-1, 3)
        tracks.append(track)
        if len(track) > 1:
            distance += float(
                haversine(track[:-1, 0], track[:-1, 1], track[1:, 0], track[1:, 1]).sum()
            )
        if len(seg) > 1:
            dt = np.diff(st)
            # An interval is moving time unless both its ends are inside the same stop.
            inside = (stop_id[:-1] == stop_id[1:]) & (stop_id[:-1] >= 0)
            moving += float(dt[(~inside) & (dt <= MAX_GAP_S)].sum())
    return TrackStats(
        point_count=len(ta),
        kept=kept,
        noise=noise,
        segments=segments,
        distance_m=distance,
        moving_s=moving,
        stops=stops,
        tracks=tracks,
    )


def _track_geometry(tracks: list[FloatArray], lat0: float) -> BaseGeometry | None:
    parts: list[BaseGeometry] = []
    for track in tracks:
        if len(track) == 0:
            continue
        x, y = to_plane(track[:, 0], track[:, 1], lat0)
        coords = np.column_stack([x, y])
        unique = np.unique(coords, axis=0)
        parts.append(Point(coords[0]) if len(unique) == 1 else LineString(coords))
    if not parts:
        return None
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def coverage(tracks: list[FloatArray], grid: BaseGeometry, radius_m: float) -> float:
    """Share (0..1) of the grid's area within ``radius_m`` of the track."""
    if grid.is_empty or grid.area == 0:
        return 0.0
    lat0 = grid.centroid.y
    geometry = _track_geometry(tracks, lat0)
    if geometry is None:
        return 0.0
    scale_x = M_PER_DEG * math.cos(math.radians(lat0))
    plane_grid = shapely.transform(
        grid, lambda c: np.column_stack([c[:, 0] * scale_x, c[:, 1] * M_PER_DEG])
    )
    covered = geometry.buffer(radius_m, quad_segs=BUFFER_QUAD_SEGMENTS)
    share = shapely.intersection(covered, plane_grid).area / plane_grid.area
    return float(min(1.0, max(0.0, share)))


def simplified_path(tracks: list[FloatArray], tolerance_m: float = SIMPLIFY_M) -> FloatArray:
    """The collapsed track simplified for replay: (lon, lat, t) rows, segments joined."""
    rows: list[FloatArray] = []
    for track in tracks:
        if len(track) < 3:
            rows.append(track)
            continue
        lat0 = float(track[:, 1].mean())
        x, y = to_plane(track[:, 0], track[:, 1], lat0)
        # Simplify in the plane with the time as a third coordinate kept alongside: shapely
        # simplifies in 2D and keeps a subset of the vertices, which are then looked up.
        line = LineString(np.column_stack([x, y]))
        simple = line.simplify(tolerance_m, preserve_topology=False)
        keep_xy = np.asarray(simple.coords)
        index = _vertex_indices(np.column_stack([x, y]), keep_xy)
        rows.append(track[index])
    if not rows:
        return np.zeros((0, 3))
    return np.vstack(rows)


def _vertex_indices(coords: FloatArray, kept: FloatArray) -> npt.NDArray[np.int64]:
    """Indices (increasing) of the original vertices that the simplified line kept."""
    out: list[int] = []
    j = 0
    for vx, vy in kept:
        while j < len(coords) and not (coords[j, 0] == vx and coords[j, 1] == vy):
            j += 1
        if j == len(coords):
            break
        out.append(j)
        j += 1
    return np.array(out, dtype=np.int64)
