"""The detectors, as pure functions over plain numbers and rows (no database): the scan in
``services`` feeds them and turns what they find into alerts.

- ``rise``: is a count abnormally high against the same window of past weeks? A z-score
  whose spread is the larger of the weeks' sample variance and their mean (a Poisson count's
  variance), never below 1, confirmed by an over-dispersed Poisson tail (small counts are
  skewed); a minimum count keeps 0 → 2 from ever being an alert.
- ``recurrences``: reports of one category at the same spot (within a radius) or on the same
  city component, grouped; groups of at least K reports are root-cause candidates.
- ``SlaModel``: the chance an open case closes late, from how similar closed cases went: of
  those that had used as large a share of their time limit without closing, how many then
  closed late; per category × level × department with back-off to coarser groups (shrunk
  towards them, so a group of three cases says little).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from scipy.stats import norm, poisson

# --- abnormal rises -------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    kind: str  # "day" (today) or "week" (the last 7 days, today included)
    first: date
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


WINDOW_LABELS = {"day": "今日", "week": "近7日"}


def windows(today: date, kind: str, weeks: int) -> tuple[Window, list[Window]]:
    """The current window and the same window 1..``weeks`` weeks earlier (same weekdays)."""
    length = 1 if kind == "day" else 7
    current = Window(kind, today - timedelta(days=length - 1), today)
    past = [
        Window(kind, current.first - timedelta(weeks=k), current.last - timedelta(weeks=k))
        for k in range(1, weeks + 1)
    ]
    return current, past


@dataclass(frozen=True)
class Rise:
    current: int
    mean: float
    sd: float  # the spread the z-score divides by (see ``rise``)
    z: float  # (current − mean) / sd
    p_value: float  # chance of at least ``current`` by the background alone
    history: tuple[int, ...]


def rise(current: int, history: Sequence[int], *, threshold: float, min_count: int) -> Rise | None:
    """The rise of ``current`` over ``history`` (the same window in past weeks), if it is
    abnormal at ``threshold`` standard deviations.

    Two tests must agree. The z-score divides by the spread of a new count around an
    estimated mean: the larger of the weeks' variance and their mean (a Poisson count's
    variance, and at least 1), times (1 + 1/n) for the mean's own uncertainty. Small counts
    are skewed, so the count must also be as unlikely under an over-dispersed Poisson
    background (its mean taken at the top of its plausible range) as ``threshold`` standard
    deviations of a normal one."""
    if current < min_count or not history:
        return None
    n = len(history)
    mean = sum(history) / n
    variance = sum((h - mean) ** 2 for h in history) / (n - 1) if n > 1 else mean
    sd = math.sqrt(max(variance, mean, 1.0) * (1 + 1 / n))
    z = (current - mean) / sd
    if z < threshold:
        return None
    dispersion = max(1.0, variance / mean) if mean > 0 else 1.0
    upper = mean + sd / math.sqrt(n + 1)
    p_value = float(poisson.sf(math.ceil(current / dispersion) - 1, max(upper / dispersion, 0.5)))
    if p_value > float(norm.sf(threshold)):
        return None
    return Rise(current, mean, sd, z, p_value, tuple(history))


RiseKey = tuple[str, str, str]  # (window kind, region path, category code)


def most_specific(keys: set[RiseKey], parent_of: Callable[[str], str | None]) -> set[RiseKey]:
    """One alert per cause: a street's rise is dropped when one of its communities rose in the
    same category (or one of its leaves), a top-level category's when one of its leaves rose
    in the same region, and the last 7 days' when today's rose for the same region and
    category (today explains the week)."""
    kept = set()
    for key in keys:
        window, path, code = key
        if window == "week" and ("day", path, code) in keys:
            continue
        finer = any(
            other != key
            and other[0] == window
            and other[1].startswith(path)
            and (other[2] == code or parent_of(other[2]) == code)
            for other in keys
        )
        if not finer:
            kept.add(key)
    return kept


# --- recurrence -----------------------------------------------------------------------------

EARTH_M = 6_371_000.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough over the tens of metres compared here."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return EARTH_M * math.hypot(x, y)


@dataclass(frozen=True)
class Report:
    event_id: int
    category_code: str
    lon: float
    lat: float
    created_at: datetime
    region_path: str
    component: str | None = None


@dataclass
class Group:
    key: str  # "component:<code>" or "spot:<lon>,<lat>" of the first report
    category_code: str
    lon: float
    lat: float
    region_path: str
    component: str | None
    reports: list[Report] = field(default_factory=list)

    @property
    def event_ids(self) -> list[int]:
        return [r.event_id for r in self.reports]

    @property
    def first_at(self) -> datetime:
        return self.reports[0].created_at

    @property
    def last_at(self) -> datetime:
        return self.reports[-1].created_at


def recurrences(reports: Iterable[Report], *, min_count: int, radius_m: float) -> list[Group]:
    """Groups of at least ``min_count`` reports of one category on one component, or within
    ``radius_m`` of the group's first report; each report joins the nearest group."""
    ordered = sorted(reports, key=lambda r: (r.created_at, r.event_id))
    groups: list[Group] = []
    by_component: dict[tuple[str, str], Group] = {}
    # Spatial hash per category: cells of about the radius, a report looks in the 3×3 around.
    cells: dict[tuple[str, int, int], list[Group]] = {}
    cell_lat = radius_m / 111_320.0
    for report in ordered:
        if report.component:
            ckey = (report.category_code, report.component)
            group = by_component.get(ckey)
            if group is None:
                group = Group(
                    f"component:{report.component}",
                    report.category_code,
                    report.lon,
                    report.lat,
                    report.region_path,
                    report.component,
                )
                by_component[ckey] = group
                groups.append(group)
            group.reports.append(report)
            continue
        cell_lon = cell_lat / max(math.cos(math.radians(report.lat)), 0.1)
        cx, cy = math.floor(report.lon / cell_lon), math.floor(report.lat / cell_lat)
        best: tuple[float, Group] | None = None
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for candidate in cells.get((report.category_code, cx + dx, cy + dy), []):
                    d = distance_m(report.lon, report.lat, candidate.lon, candidate.lat)
                    if d <= radius_m and (best is None or d < best[0]):
                        best = (d, candidate)
        if best is None:
            group = Group(
                f"spot:{report.lon:.5f},{report.lat:.5f}",
                report.category_code,
                report.lon,
                report.lat,
                report.region_path,
                None,
            )
            cells.setdefault((report.category_code, cx, cy), []).append(group)
            groups.append(group)
        else:
            group = best[1]
        group.reports.append(report)
    return [g for g in groups if len(g.reports) >= min_count]


# --- SLA risk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedCase:
    category_code: str
    parent_code: str | None
    level: str
    department_id: int | None
    # Time taken over the time allowed (closed − reported) / (deadline − reported); > 1: late.
    share: float


@dataclass(frozen=True)
class Estimate:
    probability: float
    # The most specific group with enough history, its size and on-time rate.
    group: str
    cases: int
    on_time_rate: float | None
    # Of that group's cases that had used at least the same share without closing, how many.
    survivors: int
    late_survivors: int


@dataclass
class _Shares:
    shares: list[float] = field(default_factory=list)
    late: int = 0

    def add(self, share: float) -> None:
        self.shares.append(share)
        if share > 1.0:
            self.late += 1

    def survivors(self, elapsed: float) -> int:
        return len(self.shares) - bisect.bisect_right(self.shares, elapsed)


PRIOR_WEIGHT = 5.0
ENOUGH = 10


def _keys(
    category: str, parent: str | None, level: str, department: int | None
) -> list[tuple[str, ...]]:
    dept = str(department or 0)
    keys: list[tuple[str, ...]] = [
        ("cld", category, level, dept),
        ("cd", category, dept),
        ("c", category),
    ]
    if parent:
        keys.append(("p", parent))
    keys.append(("all",))
    return keys


class SlaModel:
    """Trained once per scan on a bounded sample of recently closed cases."""

    def __init__(self, history: Iterable[ClosedCase], prior_weight: float = PRIOR_WEIGHT):
        self.prior_weight = prior_weight
        self.groups: dict[tuple[str, ...], _Shares] = {}
        self.size = 0
        for case in history:
            self.size += 1
            for key in _keys(case.category_code, case.parent_code, case.level, case.department_id):
                self.groups.setdefault(key, _Shares()).add(case.share)
        for group in self.groups.values():
            group.shares.sort()

    def estimate(
        self,
        category: str,
        parent: str | None,
        level: str,
        department: int | None,
        elapsed: float,
    ) -> Estimate:
        """P(late | not closed after ``elapsed`` of the time limit), from the coarsest group
        to the finest, each shrunk towards the one above it."""
        keys = _keys(category, parent, level, department)
        probability = 0.0
        for key in reversed(keys):
            group = self.groups.get(key)
            if group is None:
                continue
            survivors = group.survivors(elapsed)
            # Late cases all outlived any elapsed share below 1.
            late = group.late if elapsed < 1.0 else survivors
            probability = (late + self.prior_weight * probability) / (survivors + self.prior_weight)
        chosen = next(
            (k for k in keys if k in self.groups and len(self.groups[k].shares) >= ENOUGH),
            keys[-1],
        )
        group = self.groups.get(chosen, _Shares())
        n = len(group.shares)
        return Estimate(
            probability=probability,
            group=chosen[0],
            cases=n,
            on_time_rate=(n - group.late) / n if n else None,
            survivors=group.survivors(elapsed),
            late_survivors=group.late if elapsed < 1.0 else group.survivors(elapsed),
        )


def elapsed_share(created_at: datetime, deadline_at: datetime, moment: datetime) -> float:
    allowed = (deadline_at - created_at).total_seconds()
    if allowed <= 0:
        return 1.0
    return max(0.0, (moment - created_at).total_seconds() / allowed)
