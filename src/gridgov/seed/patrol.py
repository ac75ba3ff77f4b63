"""Demo patrols: every grid worker patrols their grid on working days over the last 90 days.

- a morning round (most days) and an afternoon round (many days), each a walk between eight
  random points inside the worker's grid polygon at 0.9–1.4 m/s with up to two stops of 5–25
  minutes at its corners; its figures (distance = the path's length, moving time, stops,
  coverage) and the simplified path are written as the statistics would store them. The
  coverage is estimated from the distance (a 100 m band along the path, a third of it
  overlapping itself) rather than buffered, which would cost seconds at this volume;
- raw fixes (every 20 s, a metre or two of jitter, about 1% poor fixes and a few jumps) only
  for yesterday and today, so replay has real fixes to show; older patrols keep their path
  only, as after the retention job;
- about 60% of the workers on duty now with a fix a few minutes old inside their grid; during
  office hours those in the middle of a round have an open patrol whose fixes run up to now.

Everything is drawn with numpy, a worker at a time; rows go to the driver as prepared values
(``executemany`` on SQLite, ``COPY`` on PostgreSQL), ids given.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.config import Settings
from gridgov.kit.clock import now
from gridgov.kit.geojson import loads
from gridgov.patrol.models import ClosedBy, PatrolStatus, WorkerStatus
from gridgov.patrol.tracks import M_PER_DEG
from gridgov.regions.models import Region
from gridgov.seed.context import SeedContext

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DAYS = 90
POOL = 48  # random points inside each grid that walks go between
VERTICES = 8
FIX_EVERY_S = 20
ON_DUTY_SHARE = 0.6
RADIUS_M = 50.0
# (first start, latest start, shortest, longest minutes, probability) of a round.
ROUNDS = ((8 * 60 + 30, 9 * 60 + 30, 90, 180, 0.9), (14 * 60, 15 * 60, 60, 150, 0.7))
OFFICE = ((8 * 60 + 30, 12 * 60), (14 * 60, 17 * 60 + 30))

PATROL_COLUMNS = (
    "id",
    "user_id",
    "client_id",
    "region_path",
    "grid_code",
    "started_at",
    "ended_at",
    "last_point_at",
    "status",
    "closed_by",
    "distance_m",
    "duration_s",
    "moving_s",
    "point_count",
    "kept_count",
    "dropped_count",
    "coverage",
    "stops",
    "path",
    "path_t",
    "stats_at",
    "points_pruned",
    "created_at",
)
POINT_COLUMNS = ("patrol_id", "t", "lon", "lat", "accuracy_m", "speed_mps", "noise")


def _working_days(settings: Settings, last: date) -> list[date]:
    holidays = Settings.dates(settings.holidays)
    extra = Settings.dates(settings.extra_workdays)
    days = [last - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    return [d for d in days if (d.weekday() < 5 and d not in holidays) or d in extra]


def _pool(polygon: Any, rng: np.random.Generator) -> FloatArray:
    """POOL random points inside the polygon (lon, lat)."""
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    shapely.prepare(polygon)
    found: list[FloatArray] = []
    count = 0
    while count < POOL:
        lon = rng.uniform(min_lon, max_lon, POOL * 3)
        lat = rng.uniform(min_lat, max_lat, POOL * 3)
        inside = shapely.contains_xy(polygon, lon, lat)
        found.append(np.column_stack([lon[inside], lat[inside]]))
        count += int(inside.sum())
    return np.vstack(found)[:POOL]


def _stamps(epoch: FloatArray) -> list[str]:
    """UTC moments as the naive text both drivers take for a timestamp column."""
    micro = np.round(epoch * 1e6).astype("int64").astype("datetime64[us]")
    return [s.replace("T", " ") for s in np.datetime_as_string(micro, unit="us").tolist()]


def _iso(epoch: FloatArray) -> list[str]:
    seconds = np.round(epoch).astype("int64").astype("datetime64[s]")
    return [s + "+00:00" for s in np.datetime_as_string(seconds, unit="s").tolist()]


def _write(
    session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Prepared rows straight to the driver, inside the session's transaction."""
    if not rows:
        return
    raw: Any = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor = raw.cursor()
        try:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        finally:
            cursor.close()


class Walks:
    """A worker's patrols, drawn together: P walks of VERTICES pool points each."""

    def __init__(
        self,
        start: FloatArray,
        duration: FloatArray,
        pool: FloatArray,
        dist: FloatArray,
        rng: np.random.Generator,
    ) -> None:
        p, v = len(start), VERTICES
        idx = rng.integers(0, POOL, (p, v))
        same = idx[:, 1:] == idx[:, :-1]
        idx[:, 1:][same] = (idx[:, 1:][same] + 1) % POOL
        legs = dist[idx[:, :-1], idx[:, 1:]]
        speed = rng.uniform(0.9, 1.4, p)
        walk_t = legs / speed[:, None]
        walking = walk_t.sum(axis=1)
        budget = np.maximum(0.0, duration - walking)
        pos = np.column_stack([rng.integers(1, 4, p), rng.integers(4, v - 1, p)])
        stop_s = np.minimum(rng.uniform(300, 1500, (p, 2)), budget[:, None] / 2)
        stop_s[stop_s < 300] = 0.0
        hold = np.zeros((p, v))
        rows = np.arange(p)[:, None]
        hold[rows, pos] = stop_s
        arrive = np.zeros((p, v))
        arrive[:, 1:] = np.cumsum(hold[:, :-1] + walk_t, axis=1)
        leave = arrive + hold
        # The timeline: every vertex at its arrival, the two stop corners again at leaving.
        slots = np.concatenate([np.tile(np.arange(v), (p, 1)), pos], axis=1)
        keys = np.concatenate([np.tile(np.arange(v, dtype=float), (p, 1)), pos + 0.5], axis=1)
        order = np.argsort(keys, axis=1, kind="stable")
        self.vertex = np.take_along_axis(slots, order, axis=1)
        times = np.concatenate([arrive, np.take_along_axis(leave, pos, axis=1)], axis=1)
        self.t = np.take_along_axis(times, order, axis=1)
        self.idx = idx
        self.pool_index = np.take_along_axis(idx, self.vertex, axis=1)
        self.start = start
        self.end = leave[:, -1]
        self.distance = legs.sum(axis=1)
        self.moving = walking
        self.pos = pos
        self.stop_s = stop_s
        self.stop_at = np.take_along_axis(arrive, pos, axis=1)
        self.stop_lon = pool[np.take_along_axis(idx, pos, axis=1), 0]
        self.stop_lat = pool[np.take_along_axis(idx, pos, axis=1), 1]

    def positions(self, i: int, pool: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Where walk ``i`` is at seconds ``t`` after its start."""
        points = self.pool_index[i]
        return np.interp(t, self.t[i], pool[points, 0]), np.interp(t, self.t[i], pool[points, 1])


def generate(ctx: SeedContext) -> None:
    session = ctx.session
    rng = np.random.default_rng(ctx.seed * 6151 + 12)
    zone = ZoneInfo(ctx.settings.timezone)
    moment = now()
    now_s = moment.timestamp()
    local_now = moment.astimezone(zone)
    today = local_now.date()
    days = _working_days(ctx.settings, today)
    day_starts = np.array(
        [datetime.combine(d, time(0), tzinfo=zone).timestamp() for d in days], dtype=float
    )
    recent_from = datetime.combine(today - timedelta(days=1), time(0), tzinfo=zone).timestamp()
    minute_now = local_now.hour * 60 + local_now.minute
    in_office = today in days and any(a <= minute_now < b for a, b in OFFICE)
    rows = session.execute(
        select(User.id, GridAssignment.region_path, Region.code, Region.geometry, Region.area_km2)
        .join(GridAssignment, GridAssignment.user_id == User.id)
        .join(Region, Region.id == GridAssignment.region_id)
        .where(User.role == Role.GRID_WORKER.value, User.is_active.is_(True))
        .order_by(User.id, GridAssignment.region_path)
    ).all()
    workers: dict[int, tuple[str, str, str, float]] = {}
    for user_id, path, code, geometry, area_km2 in rows:
        workers.setdefault(user_id, (path, code, geometry, area_km2))
    if not workers or not days:
        return
    ctx.progress("巡查轨迹", 0, len(workers))
    patrols: list[tuple[Any, ...]] = []
    points: list[FloatArray] = []
    statuses: list[dict[str, Any]] = []
    next_id = 1
    for done, (user_id, (path, code, geometry, area_km2)) in enumerate(workers.items()):
        pool = _pool(loads(geometry), rng)
        lat0 = math.radians(float(pool[:, 1].mean()))
        x, y = pool[:, 0] * M_PER_DEG * math.cos(lat0), pool[:, 1] * M_PER_DEG
        dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
        starts, durations = [], []
        for first, latest, shortest, longest, chance in ROUNDS:
            take = rng.random(len(days)) < chance
            starts.append(day_starts[take] + rng.uniform(first, latest, int(take.sum())) * 60)
            durations.append(rng.uniform(shortest, longest, int(take.sum())) * 60)
        start = np.concatenate(starts)
        order = np.argsort(start)
        walks = Walks(start[order], np.concatenate(durations)[order], pool, dist, rng)
        on_duty = bool(rng.random() < ON_DUTY_SHARE)
        ended = walks.start + walks.end
        # A round still going on now: open when the worker is on duty in office hours.
        running = ended > now_s
        open_index: int | None = None
        if on_duty and in_office and running.any():
            candidate = int(np.flatnonzero(running)[0])
            if walks.start[candidate] < now_s - 300:
                open_index = candidate
        keep = ~running
        if open_index is not None:
            keep[open_index] = True
        status = _status(user_id, path, pool, on_duty, moment, rng)
        last_closed: int | None = None
        coverage = np.minimum(0.97, walks.distance * 2 * RADIUS_M * 0.67 / max(area_km2 * 1e6, 1))
        stamps = _stamps(np.concatenate([walks.start, ended]))
        texts = Texts(walks, pool)
        n = len(walks.start)
        for i in np.flatnonzero(keep).tolist():
            patrol_id = next_id
            next_id += 1
            is_open = i == open_index
            counts = (0, 0, 0)
            last_point = stamps[n + i]
            if walks.start[i] >= recent_from:
                end_s = (now_s - walks.start[i]) if is_open else walks.end[i]
                t = np.arange(0.0, max(end_s, 1.0), FIX_EVERY_S)
                fixes, dropped, last_fix = _fixes(patrol_id, walks, i, pool, t, lat0, rng)
                points.append(fixes)
                counts = (len(t), len(t) - dropped, dropped)
                if is_open:
                    last_point = _stamps(np.array([walks.start[i] + t[-1]]))[0]
                    status.update(
                        open_patrol_id=patrol_id,
                        last_lon=last_fix[0],
                        last_lat=last_fix[1],
                        last_fix_at=datetime.fromtimestamp(walks.start[i] + last_fix[2], UTC),
                        last_seen_at=datetime.fromtimestamp(walks.start[i] + t[-1], UTC),
                    )
            patrols.append(
                _patrol(
                    patrol_id,
                    user_id,
                    path,
                    code,
                    walks,
                    texts,
                    i,
                    stamps,
                    last_point,
                    float(coverage[i]),
                    counts,
                    is_open=is_open,
                    pruned=walks.start[i] < recent_from,
                )
            )
            if not is_open:
                last_closed = i
        if not on_duty and last_closed is not None:
            last = walks.pool_index[last_closed][-1]
            at = datetime.fromtimestamp(float(ended[last_closed]), UTC)
            status.update(last_lon=float(pool[last, 0]), last_lat=float(pool[last, 1]))
            status.update(last_fix_at=at, last_seen_at=at)
        statuses.append(status)
        if done % 100 == 0:
            ctx.progress("巡查轨迹", done, len(workers))
    _write(session, "patrols", PATROL_COLUMNS, patrols)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('patrols', 'id'), :last)"),
            {"last": next_id - 1},
        )
    all_points = np.concatenate(points) if points else np.zeros((0, 7))
    _write(session, "track_points", POINT_COLUMNS, _point_rows(all_points))
    session.execute(insert(WorkerStatus), statuses)
    ctx.counts["patrols"] = len(patrols)
    ctx.counts["track_points"] = len(all_points)
    ctx.progress("巡查轨迹", len(workers), len(workers))


class Texts:
    """A worker's walks as the JSON texts of their stored path, vertex times and stops."""

    def __init__(self, walks: Walks, pool: FloatArray) -> None:
        coords = [f"[{lon:.7f},{lat:.7f}]" for lon, lat in pool.tolist()]
        self.path = [
            '{"type":"LineString","coordinates":[' + ",".join(coords[k] for k in row) + "]}"
            for row in walks.pool_index.tolist()
        ]
        self.path_t = [
            "[" + ",".join(map(str, row)) + "]"
            for row in np.round(walks.t).astype(np.int64).tolist()
        ]
        at = np.array(_iso((walks.start[:, None] + walks.stop_at).ravel())).reshape(-1, 2)
        until = np.array(
            _iso((walks.start[:, None] + walks.stop_at + walks.stop_s).ravel())
        ).reshape(-1, 2)
        seconds = np.round(walks.stop_s).astype(np.int64).tolist()
        self.stops = []
        for i, row in enumerate(seconds):
            parts = [
                f'{{"lon":{walks.stop_lon[i, k]:.7f},"lat":{walks.stop_lat[i, k]:.7f},'
                f'"from":"{at[i, k]}","to":"{until[i, k]}","seconds":{row[k]}}}'
                for k in range(2)
                if row[k] > 0
            ]
            self.stops.append("[" + ",".join(parts) + "]")


def _patrol(
    patrol_id: int,
    user_id: int,
    path: str,
    code: str,
    walks: Walks,
    texts: Texts,
    i: int,
    stamps: list[str],
    last_point: str,
    coverage: float,
    counts: tuple[int, int, int],
    *,
    is_open: bool,
    pruned: bool,
) -> tuple[Any, ...]:
    n = len(walks.start)
    started = stamps[i]
    if is_open:
        # Figures of an open patrol are computed on read; the path comes at the stop.
        return (
            patrol_id, user_id, f"seed-{patrol_id}", path, code, started, None, last_point,
            PatrolStatus.OPEN.value, None, 0.0, 0, 0, *counts, None, "[]", None, "[]", None,
            False, started,
        )  # fmt: skip
    return (
        patrol_id, user_id, f"seed-{patrol_id}", path, code, started, stamps[n + i],
        stamps[n + i], PatrolStatus.CLOSED.value, ClosedBy.STOPPED.value,
        round(float(walks.distance[i]), 1), round(float(walks.end[i])),
        round(float(walks.moving[i])), *counts, round(coverage, 4), texts.stops[i],
        texts.path[i], texts.path_t[i], stamps[n + i], pruned, started,
    )  # fmt: skip


def _fixes(
    patrol_id: int,
    walks: Walks,
    i: int,
    pool: FloatArray,
    t: FloatArray,
    lat0: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, int, tuple[float, float, float]]:
    """Raw fixes along walk ``i``: columns patrol id, epoch, lon, lat, accuracy, speed, noise
    (0 kept, 1 poor accuracy, 2 jump); how many are noise; the last kept (lon, lat, t)."""
    lon, lat = walks.positions(i, pool, t)
    n = len(t)
    jitter = rng.normal(0, 1.5, (2, n))
    lon = lon + jitter[0] / (M_PER_DEG * math.cos(lat0))
    lat = lat + jitter[1] / M_PER_DEG
    accuracy = rng.uniform(4, 15, n)
    poor = rng.random(n) < 0.01
    accuracy[poor] = rng.uniform(80, 200, int(poor.sum()))
    jumps = (rng.random(n) < 0.003) & ~poor
    lon[jumps] += rng.uniform(0.01, 0.02, int(jumps.sum()))
    noise = poor * 1.0 + jumps * 2.0
    kept = np.flatnonzero(noise == 0)
    last = int(kept[-1]) if len(kept) else n - 1
    fixes = np.column_stack(
        [
            np.full(n, float(patrol_id)),
            walks.start[i] + t,
            lon,
            lat,
            np.round(accuracy, 1),
            np.round(rng.uniform(0.8, 1.5, n), 2),
            noise,
        ]
    )
    return (
        fixes,
        int(poor.sum() + jumps.sum()),
        (float(lon[last]), float(lat[last]), float(t[last])),
    )


def _point_rows(fixes: FloatArray) -> list[tuple[Any, ...]]:
    if not len(fixes):
        return []
    names = {0.0: None, 1.0: "accuracy", 2.0: "jump"}
    return list(
        zip(
            fixes[:, 0].astype(int).tolist(),
            _stamps(fixes[:, 1]),
            fixes[:, 2].tolist(),
            fixes[:, 3].tolist(),
            fixes[:, 4].tolist(),
            fixes[:, 5].tolist(),
            [names[v] for v in fixes[:, 6].tolist()],
            strict=True,
        )
    )


def _status(
    user_id: int,
    path: str,
    pool: FloatArray,
    on_duty: bool,
    moment: datetime,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """A worker's status: on duty with a fresh fix inside their grid, or off duty (the fix
    is then their last patrol's end, filled in by the caller)."""
    lon, lat = (float(v) for v in pool[int(rng.integers(len(pool)))])
    at = moment - timedelta(seconds=float(rng.uniform(20, 300)))
    return {
        "user_id": user_id,
        "region_path": path,
        "on_duty": on_duty,
        "open_patrol_id": None,
        "last_lon": lon if on_duty else None,
        "last_lat": lat if on_duty else None,
        "last_fix_at": at if on_duty else None,
        "last_accuracy_m": round(float(rng.uniform(4, 15)), 1),
        "last_seen_at": at if on_duty else None,
        "duty_changed_at": moment - timedelta(hours=float(rng.uniform(0.5, 4))),
        "updated_at": moment,
    }
