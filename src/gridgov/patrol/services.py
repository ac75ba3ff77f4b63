"""Patrols (巡查): start, fixes, stop, statistics, live positions and duty.

Services take a session and a keyword-only actor and never commit. Starting and stopping a
patrol and checking in or out are audited; the fixes are not (10,000 workers send one every
10 s: an audit row per batch would outgrow the fixes themselves). Ingest is one executemany
with ON CONFLICT DO NOTHING on (patrol, time), so a batch sent twice is stored once.
Statistics are computed from the stored fixes when a patrol stops (and again when late fixes
reach a closed patrol); reads of an open patrol compute them on the fly without writing.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.config import Settings, get_settings
from gridgov.kit import geo
from gridgov.kit.clock import now
from gridgov.kit.errors import InvalidInput, NotFound, PermissionDenied
from gridgov.kit.geojson import CHINA_BOUNDS, loads
from gridgov.kit.pagination import PageParams
from gridgov.patrol import repository, tracks
from gridgov.patrol.models import ClosedBy, Patrol, PatrolStatus, WorkerStatus
from gridgov.patrol.schemas import DutyIn, PatrolStart, PatrolStopIn, PointsIn, PointsResult
from gridgov.regions import services as regions

# How far a device's clock may run ahead of ours.
CLOCK_SKEW = timedelta(minutes=2)
# An open patrol with no fix for this long is closed by the housekeeping job.
STALE_AFTER = timedelta(hours=2)
HOUSEKEEPING_BATCH = 500
SYSTEM = "patrol"


def track_params(settings: Settings | None = None) -> tracks.TrackParams:
    settings = settings or get_settings()
    return tracks.TrackParams(
        max_accuracy_m=settings.track_max_accuracy_m,
        max_speed_mps=settings.track_max_speed_mps,
        stop_minutes=settings.track_stop_minutes,
        coverage_radius_m=settings.track_coverage_radius_m,
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def day_window(day: date) -> tuple[datetime, datetime]:
    """A local calendar day as a UTC range [start, end)."""
    zone = _zone()
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def today() -> date:
    return local_day(now())


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    """What a patrol's fixes say: stored on the patrol, or computed now for an open one."""

    distance_m: float = 0.0
    duration_s: int = 0
    moving_s: int = 0
    point_count: int = 0
    kept_count: int = 0
    dropped_count: int = 0
    coverage: float | None = None
    stops: list[dict[str, Any]] = field(default_factory=list)
    # Collapsed track per segment: (lon, lat, epoch seconds) rows.
    tracks: list[tracks.FloatArray] = field(default_factory=list)
    noise: list[str | None] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def figures_from_points(
    patrol: Patrol,
    rows: Sequence[Any],
    grid: BaseGeometry | None,
    params: tracks.TrackParams,
    *,
    end: datetime,
) -> Figures:
    """Figures of a patrol from its fixes (rows of patrol_id, t, lon, lat, accuracy, …)."""
    times = [r[1] for r in rows]
    duration = max(0, int((end - patrol.started_at).total_seconds()))
    if not rows:
        return Figures(duration_s=duration, coverage=0.0 if grid is not None else None)
    t = np.array([moment.timestamp() for moment in times])
    stats = tracks.analyse(
        t,
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
        [r[4] for r in rows],
        params,
    )
    return Figures(
        distance_m=round(stats.distance_m, 1),
        duration_s=duration,
        moving_s=round(stats.moving_s),
        point_count=stats.point_count,
        kept_count=stats.kept_count,
        dropped_count=stats.dropped_count,
        coverage=(
            round(tracks.coverage(stats.tracks, grid, params.coverage_radius_m), 4)
            if grid is not None
            else None
        ),
        stops=[
            {
                "lon": round(s.lon, 7),
                "lat": round(s.lat, 7),
                "from": _iso(s.start),
                "to": _iso(s.end),
                "seconds": round(s.seconds),
            }
            for s in stats.stops
        ],
        tracks=stats.tracks,
        noise=stats.noise,
        times=times,
    )


def figures_of(patrol: Patrol) -> Figures:
    """The figures stored on a patrol."""
    return Figures(
        distance_m=patrol.distance_m,
        duration_s=patrol.duration_s,
        moving_s=patrol.moving_s,
        point_count=patrol.point_count,
        kept_count=patrol.kept_count,
        dropped_count=patrol.dropped_count,
        coverage=patrol.coverage,
        stops=list(patrol.stops or []),
        tracks=[path_rows(patrol)],
    )


def path_rows(patrol: Patrol) -> tracks.FloatArray:
    """The stored simplified path as (lon, lat, epoch seconds) rows."""
    if not patrol.path:
        return np.zeros((0, 3))
    geometry = json.loads(patrol.path)
    coords = geometry["coordinates"]
    if geometry["type"] == "Point":
        coords = [coords]
    base = patrol.started_at.timestamp()
    offsets = list(patrol.path_t or []) + [0] * (len(coords) - len(patrol.path_t or []))
    return np.array(
        [(c[0], c[1], base + o) for c, o in zip(coords, offsets, strict=False)], dtype=float
    ).reshape(-1, 3)


def _path_columns(patrol: Patrol, figures: Figures) -> dict[str, Any]:
    path = tracks.simplified_path(figures.tracks)
    if len(path) == 0:
        return {"path": None, "path_t": []}
    coords = [[round(float(lon), 7), round(float(lat), 7)] for lon, lat, _ in path]
    geometry: dict[str, Any] = (
        {"type": "Point", "coordinates": coords[0]}
        if len(coords) == 1
        else {"type": "LineString", "coordinates": coords}
    )
    base = patrol.started_at.timestamp()
    return {
        "path": json.dumps(geometry, separators=(",", ":")),
        "path_t": [round(float(t) - base) for _, _, t in path],
    }


def _grid_geometries(session: Session, codes: Sequence[str]) -> dict[str, BaseGeometry]:
    """Grid polygons for statistics, read as the platform (a worker may have moved grids)."""
    if not codes:
        return {}
    found = regions.regions_by_codes(session, sorted(set(codes)), actor=Actor.system(SYSTEM))
    return {r.code: loads(r.geometry) for r in found}


def recompute(session: Session, patrol: Patrol) -> Patrol:
    """Compute and store a closed patrol's figures from its stored fixes."""
    if patrol.points_pruned:
        return patrol  # the fixes are gone: the stored figures are all there is
    rows = repository.points_of(session, [patrol.id])
    grid = _grid_geometries(session, [patrol.grid_code]).get(patrol.grid_code)
    end = patrol.ended_at or (rows[-1][1] if rows else patrol.started_at)
    figures = figures_from_points(patrol, rows, grid, track_params(), end=end)
    patrol.distance_m = figures.distance_m
    patrol.duration_s = figures.duration_s
    patrol.moving_s = figures.moving_s
    patrol.point_count = figures.point_count
    patrol.kept_count = figures.kept_count
    patrol.dropped_count = figures.dropped_count
    patrol.coverage = figures.coverage
    patrol.stops = figures.stops
    for key, value in _path_columns(patrol, figures).items():
        setattr(patrol, key, value)
    patrol.stats_at = now()
    changes = [
        (t, reason)
        for t, reason, row in zip(figures.times, figures.noise, rows, strict=True)
        if row[6] != reason
    ]
    repository.update_noise(session, patrol.id, changes)
    return patrol


def live_figures(session: Session, patrols: Sequence[Patrol]) -> dict[int, Figures]:
    """Figures of patrols as a reader sees them now: stored for closed ones, computed from the
    fixes for open ones (nothing written)."""
    result: dict[int, Figures] = {}
    open_ones = [p for p in patrols if p.status == PatrolStatus.OPEN.value]
    for p in patrols:
        if p.status != PatrolStatus.OPEN.value:
            result[p.id] = figures_of(p)
    if open_ones:
        rows_by: dict[int, list[Any]] = defaultdict(list)
        for row in repository.points_of(session, [p.id for p in open_ones]):
            rows_by[row[0]].append(row)
        grids = _grid_geometries(session, [p.grid_code for p in open_ones])
        params = track_params()
        moment = now()
        for p in open_ones:
            result[p.id] = figures_from_points(
                p, rows_by[p.id], grids.get(p.grid_code), params, end=moment
            )
    return result


# ---------------------------------------------------------------- the worker's own writes


def _own_grid(actor: Actor) -> tuple[str, str]:
    """The worker's first assigned grid: (path, code)."""
    paths = actor.scope.region_paths
    if actor.id is None or not paths:
        raise InvalidInput("只有分配了网格的网格员才能巡查", code="no_grid")
    path = paths[0]
    return path, path.rstrip("/").split("/")[-1]


def _status_row(session: Session, actor: Actor) -> WorkerStatus:
    assert actor.id is not None
    status = repository.own_status(session, actor.id)
    if status is None:
        path, _ = _own_grid(actor)
        status = repository.add_status(
            session, WorkerStatus(user_id=actor.id, region_path=path, on_duty=False)
        )
    return status


def _seen(status: WorkerStatus, moment: datetime) -> None:
    if status.last_seen_at is None or status.last_seen_at < moment:
        status.last_seen_at = moment
    status.updated_at = now()


def _close(
    session: Session, patrol: Patrol, closed_by: ClosedBy, ended_at: datetime, *, actor: Actor
) -> None:
    patrol.status = PatrolStatus.CLOSED.value
    patrol.closed_by = closed_by.value
    patrol.ended_at = max(ended_at, patrol.started_at)
    recompute(session, patrol)
    status = repository.own_status(session, patrol.user_id)
    if status is not None and status.open_patrol_id == patrol.id:
        status.open_patrol_id = None
    labels = {
        ClosedBy.STOPPED: "结束巡查",
        ClosedBy.SUPERSEDED: "开始新的巡查，上一次巡查自动结束",
        ClosedBy.STALE: "长时间无定位，巡查自动结束",
    }
    audit.record(
        session,
        actor=actor,
        action="patrol.stop",
        object_type="patrol",
        object_id=patrol.id,
        region_path=patrol.region_path,
        summary=f"{labels[closed_by]}：{patrol.distance_m:.0f} 米，{patrol.duration_s // 60} 分钟",
        details={"closed_by": closed_by.value},
    )


def start_patrol(session: Session, data: PatrolStart, *, actor: Actor) -> tuple[Patrol, bool]:
    """Start a patrol (a retry with the same client id returns the first); the worker's open
    patrol, if any, is closed at its last fix. Returns (patrol, created)."""
    actor.require(Perm.PATROL_REPORT)
    path, code = _own_grid(actor)
    assert actor.id is not None
    existing = repository.own_patrol_by_client_id(session, actor.id, data.client_id)
    if existing is not None:
        return existing, False
    moment = now()
    started = data.started_at or moment
    if started > moment + CLOCK_SKEW:
        raise InvalidInput("开始时间晚于当前时间，请检查手机时间", code="time_in_future")
    for old in repository.own_open_patrols(session, actor.id):
        _close(session, old, ClosedBy.SUPERSEDED, old.last_point_at or old.started_at, actor=actor)
    patrol = repository.add_patrol(
        session,
        Patrol(
            user_id=actor.id,
            client_id=data.client_id,
            region_path=path,
            grid_code=code,
            started_at=started,
            status=PatrolStatus.OPEN.value,
            stops=[],
            path_t=[],
        ),
    )
    status = _status_row(session, actor)
    if not status.on_duty:
        status.duty_changed_at = moment
    status.on_duty = True
    status.open_patrol_id = patrol.id
    _seen(status, moment)
    audit.record(
        session,
        actor=actor,
        action="patrol.start",
        object_type="patrol",
        object_id=patrol.id,
        region_path=path,
        summary=f"开始巡查（网格 {code}）",
    )
    return patrol, True


def _in_bounds(lon: float, lat: float) -> bool:
    lo_lon, lo_lat, hi_lon, hi_lat = CHINA_BOUNDS
    return lo_lon <= lon <= hi_lon and lo_lat <= lat <= hi_lat


def add_points(session: Session, patrol_id: int, data: PointsIn, *, actor: Actor) -> PointsResult:
    """Store a batch of fixes of the worker's own patrol, each (patrol, time) once."""
    actor.require(Perm.PATROL_REPORT)
    if actor.id is None:
        raise PermissionDenied("系统账号不能上传轨迹", code="not_a_worker")
    patrol = repository.get_own_patrol(session, actor.id, patrol_id)
    if patrol is None:
        raise NotFound(f"巡查 {patrol_id} 不存在", code="patrol_not_found")
    settings = get_settings()
    moment = now()
    earliest = max(
        patrol.started_at - CLOCK_SKEW, moment - timedelta(days=settings.track_retention_days)
    )
    latest = moment + CLOCK_SKEW
    if patrol.closed_by == ClosedBy.STOPPED.value and patrol.ended_at is not None:
        latest = min(latest, patrol.ended_at + CLOCK_SKEW)
    convert = data.crs != "wgs84"
    rows: dict[datetime, dict[str, Any]] = {}
    dropped = repeated = 0
    for point in data.points:
        t = point.t.astimezone(UTC)
        lon, lat = point.lon, point.lat
        if convert:
            lon, lat = geo.to_wgs84(lon, lat, data.crs)
        if patrol.points_pruned or not (earliest <= t <= latest) or not _in_bounds(lon, lat):
            dropped += 1
            continue
        if t in rows:
            repeated += 1
            continue
        rows[t] = {
            "patrol_id": patrol.id,
            "t": t,
            "lon": lon,
            "lat": lat,
            "accuracy_m": point.accuracy_m,
            "speed_mps": point.speed_mps,
        }
    new: list[dict[str, Any]] = []
    if rows:
        first, last = min(rows), max(rows)
        stored = repository.stored_times(session, patrol.id, first, last)
        new = [row for t, row in rows.items() if t not in stored]
        repository.add_points(session, new)
        newest = rows[last]
        repository.update_last_point(session, patrol.id, last)
        changed = repository.update_status_fix(
            session,
            actor.id,
            lon=newest["lon"],
            lat=newest["lat"],
            at=last,
            accuracy_m=newest["accuracy_m"],
            seen=moment,
        )
        if not changed:
            status = _status_row(session, actor)
            status.last_lon, status.last_lat = newest["lon"], newest["lat"]
            status.last_fix_at, status.last_accuracy_m = last, newest["accuracy_m"]
            _seen(status, moment)
        if new and patrol.status == PatrolStatus.CLOSED.value:
            # Late fixes of a closed patrol (sent from an offline queue): its figures change.
            session.expire(patrol, ["last_point_at"])
            if patrol.closed_by != ClosedBy.STOPPED.value and patrol.ended_at is not None:
                patrol.ended_at = max(patrol.ended_at, last)
            recompute(session, patrol)
    return PointsResult(
        received=len(data.points),
        stored=len(new),
        duplicates=len(rows) - len(new) + repeated,
        dropped=dropped,
    )


def stop_patrol(session: Session, patrol_id: int, data: PatrolStopIn, *, actor: Actor) -> Patrol:
    """Stop the worker's own patrol (a repeated stop returns it unchanged)."""
    actor.require(Perm.PATROL_REPORT)
    if actor.id is None:
        raise PermissionDenied("系统账号不能巡查", code="not_a_worker")
    patrol = repository.get_own_patrol(session, actor.id, patrol_id)
    if patrol is None:
        raise NotFound(f"巡查 {patrol_id} 不存在", code="patrol_not_found")
    if patrol.status == PatrolStatus.CLOSED.value:
        return patrol
    moment = now()
    ended = data.ended_at.astimezone(UTC) if data.ended_at else None
    if ended is not None and ended > moment + CLOCK_SKEW:
        raise InvalidInput("结束时间晚于当前时间，请检查手机时间", code="time_in_future")
    if ended is not None and ended < patrol.started_at:
        raise InvalidInput("结束时间早于开始时间", code="ends_before_start")
    _close(session, patrol, ClosedBy.STOPPED, ended or patrol.last_point_at or moment, actor=actor)
    status = _status_row(session, actor)
    _seen(status, moment)
    return patrol


def set_duty(session: Session, data: DutyIn, *, actor: Actor) -> WorkerStatus:
    """Check in (上岗) or out (下岗). Checking out also ends an open patrol."""
    actor.require(Perm.PATROL_REPORT)
    if actor.id is None:
        raise PermissionDenied("系统账号没有在岗状态", code="not_a_worker")
    moment = now()
    if not data.on_duty:
        for patrol in repository.own_open_patrols(session, actor.id):
            _close(
                session,
                patrol,
                ClosedBy.STOPPED,
                patrol.last_point_at or moment,
                actor=actor,
            )
    status = _status_row(session, actor)
    changed = status.on_duty != data.on_duty
    status.on_duty = data.on_duty
    if not data.on_duty:
        status.open_patrol_id = None
    if changed:
        status.duty_changed_at = moment
    _seen(status, moment)
    if changed:
        audit.record(
            session,
            actor=actor,
            action="worker.duty",
            object_type="user",
            object_id=actor.id,
            region_path=status.region_path,
            summary="上岗签到" if data.on_duty else "下岗签退",
        )
    return status


# ---------------------------------------------------------------- reads


def _reader_scope(actor: Actor) -> tuple[Any, int | None]:
    """The scope a reader reads patrols through, and the only worker they may read (None:
    anyone in scope): staff with workers.read read their area; a worker reads their own."""
    if actor.can(Perm.WORKERS_READ):
        return actor.scope, None
    if actor.can(Perm.PATROL_REPORT) and actor.id is not None:
        return actor.scope, actor.id
    actor.require(Perm.WORKERS_READ)
    raise AssertionError("unreachable")


def may_read_worker(actor: Actor, user_id: int) -> bool:
    """Whether the actor may read this worker's patrols at all (scope still applies)."""
    _, only = _reader_scope(actor)
    return only is None or only == user_id


def get_patrol(session: Session, patrol_id: int, *, actor: Actor) -> Patrol:
    scope, only = _reader_scope(actor)
    patrol = repository.get_patrol(session, scope, patrol_id)
    if patrol is None or (only is not None and patrol.user_id != only):
        raise NotFound(f"巡查 {patrol_id} 不存在或不在您的管辖范围内", code="patrol_not_found")
    return patrol


def list_patrols(
    session: Session,
    *,
    actor: Actor,
    user_id: int | None,
    day: date | None,
    page: PageParams,
) -> tuple[list[Patrol], int]:
    scope, only = _reader_scope(actor)
    if only is not None:
        if user_id is not None and user_id != only:
            return [], 0
        user_id = only
    start, end = day_window(day) if day else (None, None)
    return repository.list_patrols(session, scope, user_id=user_id, start=start, end=end, page=page)


def worker_names(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """Display names of the workers whose patrols the caller has read through scope."""
    return repository.user_names(session, sorted(set(user_ids)))


def patrols_of_day(session: Session, user_id: int, day: date, *, actor: Actor) -> list[Patrol]:
    scope, only = _reader_scope(actor)
    if only is not None and only != user_id:
        return []
    start, end = day_window(day)
    return repository.patrols_between(session, scope, [user_id], start, end)


@dataclass
class DayTrack:
    user_id: int
    day: date
    patrols: list[Patrol]
    figures: dict[int, Figures]
    # Kept fixes in time order: (t, lon, lat, speed, patrol id); from the simplified path
    # (speed None) for patrols whose raw fixes were pruned.
    points: list[tuple[datetime, float, float, float | None, int]]
    source: str  # "points", "path" or "mixed"


def day_track(session: Session, user_id: int, day: date, *, actor: Actor) -> DayTrack:
    """A worker's day for replay: their patrols, kept fixes in order, stops and figures."""
    patrols = patrols_of_day(session, user_id, day, actor=actor)
    figures = live_figures(session, patrols)
    with_points = [p for p in patrols if not p.points_pruned]
    rows_by: dict[int, list[Any]] = defaultdict(list)
    for row in repository.points_of(session, [p.id for p in with_points]):
        rows_by[row[0]].append(row)
    params = track_params()
    points: list[tuple[datetime, float, float, float | None, int]] = []
    sources = set()
    for p in patrols:
        if p.points_pruned:
            sources.add("path")
            for lon, lat, t in path_rows(p):
                points.append((datetime.fromtimestamp(t, UTC), lon, lat, None, p.id))
            continue
        sources.add("points")
        rows = rows_by[p.id]
        if not rows:
            continue
        kept, _, _ = tracks.filter_noise(
            np.array([r[1].timestamp() for r in rows]),
            np.array([r[2] for r in rows]),
            np.array([r[3] for r in rows]),
            np.array([math.nan if r[4] is None else r[4] for r in rows]),
            params,
        )
        points.extend((r[1], r[2], r[3], r[5], p.id) for r, k in zip(rows, kept, strict=True) if k)
    points.sort(key=lambda item: item[0])
    source = "mixed" if len(sources) > 1 else (sources.pop() if sources else "points")
    return DayTrack(user_id, day, patrols, figures, points, source)


@dataclass
class DayFigures:
    user_id: int
    day: date
    patrols: int = 0
    distance_m: float = 0.0
    patrol_seconds: int = 0
    moving_s: int = 0
    coverage: float | None = None
    stops: int = 0


def figures_by_day(
    session: Session, user_ids: Sequence[int], first: date, last: date, *, actor: Actor
) -> dict[tuple[int, date], DayFigures]:
    """Each worker's patrol figures per local day from ``first`` to ``last``: sums over the
    day's patrols, and the coverage of their grid by all of the day's tracks together."""
    scope, only = _reader_scope(actor)
    ids = [u for u in user_ids if only is None or u == only]
    start, _ = day_window(first)
    _, end = day_window(last)
    patrols = repository.patrols_between(session, scope, ids, start, end)
    figures = live_figures(session, patrols)
    grids = _grid_geometries(session, [p.grid_code for p in patrols])
    radius = get_settings().track_coverage_radius_m
    result: dict[tuple[int, date], DayFigures] = {}
    day_tracks: dict[tuple[int, date], list[tracks.FloatArray]] = defaultdict(list)
    day_grid: dict[tuple[int, date], str] = {}
    for p in patrols:
        key = (p.user_id, local_day(p.started_at))
        f = figures[p.id]
        entry = result.setdefault(key, DayFigures(p.user_id, key[1]))
        entry.patrols += 1
        entry.distance_m = round(entry.distance_m + f.distance_m, 1)
        entry.patrol_seconds += f.duration_s
        entry.moving_s += f.moving_s
        entry.stops += len(f.stops)
        day_tracks[key].extend(t for t in f.tracks if len(t))
        day_grid.setdefault(key, p.grid_code)
    for key, entry in result.items():
        grid = grids.get(day_grid[key])
        if grid is not None:
            entry.coverage = round(tracks.coverage(day_tracks[key], grid, radius), 4)
    return result


@dataclass(frozen=True)
class StoredFigures:
    """A patrol's stored statistics (computed at its stop; zero and None while open)."""

    patrol_id: int
    user_id: int
    day: date
    open: bool
    distance_m: float
    duration_s: int
    coverage: float | None


def stored_figures(
    session: Session, user_ids: Sequence[int], first: date, last: date, *, actor: Actor
) -> list[StoredFigures]:
    """The stored figures of the workers' patrols started on local days [first, last]: what
    a month's assessment sums over hundreds of workers (``figures_by_day`` recomputes the
    day's coverage from the tracks, which costs too much at that scale)."""
    scope, only = _reader_scope(actor)
    ids = [u for u in user_ids if only is None or u == only]
    start, _ = day_window(first)
    _, end = day_window(last)
    return [
        StoredFigures(
            row[0],
            row[1],
            local_day(row[2]),
            row[3] == PatrolStatus.OPEN.value,
            float(row[4] or 0.0),
            int(row[5] or 0),
            row[6],
        )
        for row in repository.stored_figures_between(session, scope, ids, start, end)
    ]


# ---------------------------------------------------------------- positions and duty


@dataclass(frozen=True)
class WorkerFix:
    """A worker's latest known position and duty, for the map, the roster and calls."""

    user_id: int
    lon: float | None
    lat: float | None
    fix_at: datetime | None
    accuracy_m: float | None
    on_duty: bool
    checked_in: bool
    open_patrol_id: int | None
    last_seen_at: datetime | None


def duty_cutoff(moment: datetime | None = None) -> datetime:
    return (moment or now()) - timedelta(minutes=get_settings().on_duty_timeout_minutes)


def is_on_duty(status: WorkerStatus, cutoff: datetime) -> bool:
    """Checked in (or patrolling) and seen within the timeout."""
    return (
        bool(status.on_duty) and status.last_seen_at is not None and status.last_seen_at >= cutoff
    )


def _fix(status: WorkerStatus, cutoff: datetime) -> WorkerFix:
    return WorkerFix(
        user_id=status.user_id,
        lon=status.last_lon,
        lat=status.last_lat,
        fix_at=status.last_fix_at,
        accuracy_m=status.last_accuracy_m,
        on_duty=is_on_duty(status, cutoff),
        checked_in=bool(status.on_duty),
        open_patrol_id=status.open_patrol_id,
        last_seen_at=status.last_seen_at,
    )


def can_read_positions(actor: Actor) -> bool:
    return actor.can(Perm.WORKERS_READ) or actor.can(Perm.PATROL_REPORT)


def latest_positions(
    session: Session, *, actor: Actor, user_ids: Sequence[int] | None = None
) -> list[WorkerFix]:
    """The latest fix and duty of the workers in the actor's scope (of ``user_ids`` if given).
    Staff with workers.read see their area; a worker sees the workers of their own grids."""
    if not can_read_positions(actor):
        actor.require(Perm.WORKERS_READ)
    cutoff = duty_cutoff()
    return [_fix(s, cutoff) for s in repository.statuses(session, actor.scope, user_ids)]


def on_duty_user_ids(session: Session, *, actor: Actor) -> list[int]:
    actor.require(Perm.WORKERS_READ)
    return repository.on_duty_user_ids(session, actor.scope, duty_cutoff())


def nearest(
    session: Session,
    lon: float,
    lat: float,
    *,
    actor: Actor,
    limit: int,
    on_duty_only: bool,
) -> list[tuple[WorkerFix, float]]:
    """Workers with a GPS fix nearest to a point (haversine), in the actor's scope."""
    actor.require(Perm.WORKERS_READ)
    cutoff = duty_cutoff()
    rows = repository.positioned(session, actor.scope, seen_since=cutoff if on_duty_only else None)
    if not rows:
        return []
    lons = np.array([r.last_lon for r in rows], dtype=float)
    lats = np.array([r.last_lat for r in rows], dtype=float)
    distances = tracks.haversine(np.full(len(rows), lon), np.full(len(rows), lat), lons, lats)
    order = np.argsort(distances, kind="stable")[:limit]
    return [(_fix(rows[i], cutoff), round(float(distances[i]), 1)) for i in order]


# ---------------------------------------------------------------- housekeeping


def close_stale(session: Session, moment: datetime | None = None) -> int:
    """Close patrols with no fix for two hours, at their last fix; statistics computed."""
    moment = moment or now()
    system = Actor.system("patrol-housekeeping")
    closed = 0
    for patrol in repository.stale_open_patrols(session, moment - STALE_AFTER, HOUSEKEEPING_BATCH):
        _close(
            session,
            patrol,
            ClosedBy.STALE,
            patrol.last_point_at or patrol.started_at,
            actor=system,
        )
        closed += 1
    return closed


def prune_points(session: Session, moment: datetime | None = None) -> int:
    """Delete raw fixes of patrols older than the retention period (their figures and
    simplified path stay). Returns the number of fixes deleted."""
    moment = moment or now()
    before = moment - timedelta(days=get_settings().track_retention_days)
    ids = repository.patrols_to_prune(session, before, HOUSEKEEPING_BATCH)
    deleted = repository.delete_points(session, ids)
    repository.update_pruned(session, ids)
    return deleted
