"""Hotspots (热点): H3 cells with significantly more cases in a period than in the same cells
over the periods before it. Pure: points in, cells out; the service reads the points.

The test, per cell with at least ``min_count`` cases in the period:

- the area's overall change: ``scale`` = cases in the period / mean cases per baseline period
  (when it rose; 1 otherwise), so that a district-wide rise (a season, a storm) is not
  reported as hundreds of hotspots;
- the cell's cases in the period and in the ``baseline_periods`` periods before are compared
  as two Poisson counts: given their sum n, the period's count is Binomial(n, p0) with
  p0 = scale / (scale + periods) when the cell's rate did not change (the conditional test
  for two Poisson rates, which also allows for the baseline itself being a noisy estimate);
- p = P(X >= count); a cell is a hotspot when p is below ``alpha`` divided by the number of
  cells tested (Bonferroni), so a uniform background yields none by chance however many cells
  it covers;
- expected = the cell's baseline mean (smoothed: ``(sum + 0.5) / periods``) × scale, and
  z = (count - expected) / sqrt(expected), reported for ranking and display.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h3  # type: ignore[import-untyped]
from h3.api import basic_int as h3_int  # type: ignore[import-untyped]

RESOLUTIONS = (7, 8, 9)
DEFAULT_RESOLUTION = 8
DEFAULT_BASELINE_PERIODS = 8
DEFAULT_MIN_COUNT = 5
DEFAULT_ALPHA = 0.05
SAMPLE_SIZE = 20


@dataclass(frozen=True)
class Point:
    event_id: int
    lon: float
    lat: float
    period: int  # 0 = the period asked about, 1..N = the baseline periods before it


@dataclass
class Cell:
    cell: str
    lon: float
    lat: float
    count: int
    baseline: float  # mean cases per baseline period (unsmoothed)
    expected: float  # what the test expected (smoothed and scaled)
    z: float
    p_value: float
    event_ids: list[int] = field(default_factory=list)
    boundary: list[tuple[float, float]] = field(default_factory=list)  # (lon, lat) ring


@dataclass
class Detection:
    cells: list[Cell]
    tested: int
    current_total: int
    baseline_total: float  # mean cases per baseline period over the whole area
    scale: float
    before: Counter[int] = field(default_factory=Counter)  # baseline cases per cell (H3 int)


def cell_of(lon: float, lat: float, resolution: int) -> str:
    return str(h3.latlng_to_cell(lat, lon, resolution))


def poisson_sf(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam), accurate in the far tail (summed from k upward)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    if k <= lam:  # not in the upper tail: 1 - P(X < k) is well conditioned here
        term = math.exp(-lam)
        below = term
        for i in range(1, k):
            term *= lam / i
            below += term
        return max(0.0, 1.0 - below)
    log_term = -lam + k * math.log(lam) - math.lgamma(k + 1)
    term = math.exp(log_term)
    total, i = term, k
    while term > total * 1e-15 and i < k + 10_000:
        i += 1
        term *= lam / i
        total += term
    return min(1.0, total)


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space from k upward."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    lg = math.lgamma
    first = lg(n + 1) - lg(k + 1) - lg(n - k + 1) + k * log_p + (n - k) * log_q
    total, term = 0.0, math.exp(first)
    i = k
    while i <= n:
        total += term
        if term < total * 1e-15:
            break
        term *= (n - i) / (i + 1) * p / (1 - p)
        i += 1
    return min(1.0, total)


def detect(
    points: Iterable[Point],
    *,
    resolution: int = DEFAULT_RESOLUTION,
    baseline_periods: int = DEFAULT_BASELINE_PERIODS,
    min_count: int = DEFAULT_MIN_COUNT,
    alpha: float = DEFAULT_ALPHA,
    boundary: bool = False,
) -> Detection:
    """The hotspot cells among ``points`` (period 0 the period asked about, 1..N the baseline
    periods, others ignored), most significant first."""
    rows = [
        (p.event_id, p.lon, p.lat, p.period == 0)
        for p in points
        if 0 <= p.period <= baseline_periods
    ]
    return detect_rows(
        rows,
        resolution=resolution,
        baseline_periods=baseline_periods,
        min_count=min_count,
        alpha=alpha,
        boundary=boundary,
    )


def detect_rows(
    rows: Iterable[Sequence[Any]],
    *,
    resolution: int = DEFAULT_RESOLUTION,
    baseline_periods: int = DEFAULT_BASELINE_PERIODS,
    min_count: int = DEFAULT_MIN_COUNT,
    alpha: float = DEFAULT_ALPHA,
    boundary: bool = False,
    before: Counter[int] | None = None,
) -> Detection:
    """The same over plain rows (event id, lon, lat, in the period?) as the database returns
    them: every row outside the period is in the baseline. ``before``: the baseline's cases
    per cell counted already (then the rows are the period's only)."""
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {RESOLUTIONS}")
    to_cell = h3_int.latlng_to_cell
    current: Counter[int] = Counter()
    counted = before is not None
    before = Counter(before) if before is not None else Counter()
    samples: dict[int, list[int]] = {}
    for event_id, lon, lat, in_period in rows:
        cell = to_cell(lat, lon, resolution)
        if in_period:
            current[cell] += 1
            samples.setdefault(cell, []).append(event_id)
        elif not counted:
            before[cell] += 1
    current_total = sum(current.values())
    baseline_total = sum(before.values()) / baseline_periods if baseline_periods else 0.0
    scale = max(1.0, current_total / baseline_total) if baseline_total > 0 else 1.0
    tested = [c for c, n in current.items() if n >= min_count]
    threshold = alpha / max(1, len(tested))
    share = scale / (scale + baseline_periods)
    found: list[Cell] = []
    for number in tested:
        count = current[number]
        p = binomial_sf(count, count + before[number], share)
        if p >= threshold:
            continue
        cell = h3_int.int_to_str(number)
        mean = before[number] / baseline_periods if baseline_periods else 0.0
        expected = (before[number] + 0.5) / max(1, baseline_periods) * scale
        lat, lon = h3.cell_to_latlng(cell)
        ids = sorted(samples[number], reverse=True)[:SAMPLE_SIZE]
        ring = [(b_lon, b_lat) for b_lat, b_lon in h3.cell_to_boundary(cell)] if boundary else []
        found.append(
            Cell(
                cell=cell,
                lon=round(lon, 6),
                lat=round(lat, 6),
                count=count,
                baseline=round(mean, 3),
                expected=round(expected, 3),
                z=round((count - expected) / math.sqrt(expected), 2),
                p_value=p,
                event_ids=ids,
                boundary=[(round(x, 6), round(y, 6)) for x, y in ring],
            )
        )
    found.sort(key=lambda c: (c.p_value, -c.z, c.cell))
    return Detection(
        found, len(tested), current_total, round(baseline_total, 3), round(scale, 3), before
    )


def cell_counts(points: Sequence[tuple[float, float]], resolution: int) -> Counter[str]:
    """Cases per cell (for tests and the benchmark)."""
    return Counter(cell_of(lon, lat, resolution) for lon, lat in points)
