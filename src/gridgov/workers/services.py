"""Worker management: the roster with duty and live positions, worker details, daily work
reports (patrol figures, cases reported and settled on the spot, visits, tasks done), the
nearest workers to a point and the positions map. Read-only: nothing here writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import Perm
from gridgov.events import services as events
from gridgov.kit import geo
from gridgov.kit.errors import NotFound
from gridgov.kit.pagination import PageParams
from gridgov.patrol import services as patrol
from gridgov.regions import services as regions
from gridgov.tasks import services as tasks
from gridgov.visits import services as visits
from gridgov.workers import repository
from gridgov.workers.schemas import DailyReport, FixOut, GridOut, NearbyWorker, WorkerOut

HISTORY_DAYS = 30


def _require_reader(actor: Actor, user_id: int | None = None) -> None:
    """Staff with workers.read read their area; a worker reads their own figures."""
    if actor.can(Perm.WORKERS_READ):
        return
    if user_id is not None and actor.id == user_id and actor.can(Perm.PATROL_REPORT):
        return
    actor.require(Perm.WORKERS_READ)


# ---------------------------------------------------------------- daily reports


def daily_reports(
    session: Session, user_ids: Sequence[int], first: date, last: date, *, actor: Actor
) -> dict[tuple[int, date], DailyReport]:
    """Each worker's daily report for every local day from ``first`` to ``last``."""
    ids = list(user_ids)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    figures = patrol.figures_by_day(session, ids, first, last, actor=actor)
    start, _ = patrol.day_window(first)
    _, end = patrol.day_window(last)
    reported: dict[tuple[int, date], int] = defaultdict(int)
    settled: dict[tuple[int, date], int] = defaultdict(int)
    if actor.can(Perm.EVENTS_READ):
        work = events.field_work(session, ids, start, end, actor=actor)
        for user_id, moments in work.reported.items():
            for moment in moments:
                reported[(user_id, patrol.local_day(moment))] += 1
        for user_id, moments in work.settled.items():
            for moment in moments:
                settled[(user_id, patrol.local_day(moment))] += 1
    visit_counts: dict[date, dict[int, int]] = {}
    task_counts: dict[date, dict[int, int]] = {}
    for day in days:
        day_start, day_end = patrol.day_window(day)
        visit_counts[day] = visits.count_by_user_day(session, ids, day_start, day_end, actor=actor)
        task_counts[day] = tasks.count_done_by_user_day(
            session, ids, day_start, day_end, actor=actor
        )
    reports: dict[tuple[int, date], DailyReport] = {}
    for user_id in ids:
        for day in days:
            key = (user_id, day)
            f = figures.get(key)
            reports[key] = DailyReport(
                date=day,
                distance_m=f.distance_m if f else 0.0,
                patrol_seconds=f.patrol_seconds if f else 0,
                moving_s=f.moving_s if f else 0,
                patrols=f.patrols if f else 0,
                stops=f.stops if f else 0,
                coverage=f.coverage if f else None,
                events_reported=reported.get(key, 0),
                settled_on_spot=settled.get(key, 0),
                visits=visit_counts[day].get(user_id, 0),
                tasks_done=task_counts[day].get(user_id, 0),
            )
    return reports


def daily_report(session: Session, user_id: int, day: date, *, actor: Actor) -> DailyReport:
    _require_reader(actor, user_id)
    _worker(session, user_id, actor)
    return daily_reports(session, [user_id], day, day, actor=actor)[(user_id, day)]


# ---------------------------------------------------------------- roster and details


@dataclass
class WorkerView:
    user: User
    grids: list[GridOut]
    fix: patrol.WorkerFix | None
    today: DailyReport

    def out(self) -> WorkerOut:
        return WorkerOut(**self.fields())

    def fields(self) -> dict[str, Any]:
        fix = self.fix
        return {
            "user_id": self.user.id,
            "name": self.user.display_name or self.user.username,
            "username": self.user.username,
            "grids": self.grids,
            "on_duty": bool(fix and fix.on_duty),
            "checked_in": bool(fix and fix.checked_in),
            "open_patrol_id": fix.open_patrol_id if fix else None,
            "last_fix": (
                FixOut(lon=fix.lon, lat=fix.lat, at=fix.fix_at, accuracy_m=fix.accuracy_m)
                if fix and fix.lon is not None and fix.lat is not None and fix.fix_at
                else None
            ),
            "last_seen_at": fix.last_seen_at if fix else None,
            "today": self.today,
        }


def _grids(session: Session, actor: Actor, user_ids: Sequence[int]) -> dict[int, list[GridOut]]:
    grids: dict[int, list[GridOut]] = defaultdict(list)
    for row in repository.assignments(session, actor.scope, user_ids):
        grids[row[0]].append(
            GridOut(code=row[2], name=row[3], level=row[4], kind=row[5], duty=row[1])
        )
    return grids


def _views(session: Session, users: Sequence[User], actor: Actor) -> list[WorkerView]:
    ids = [u.id for u in users]
    grids = _grids(session, actor, ids)
    fixes = {f.user_id: f for f in patrol.latest_positions(session, actor=actor, user_ids=ids)}
    day = patrol.today()
    reports = daily_reports(session, ids, day, day, actor=actor)
    return [WorkerView(u, grids[u.id], fixes.get(u.id), reports[(u.id, day)]) for u in users]


def _worker(session: Session, user_id: int, actor: Actor) -> User:
    user = repository.get_worker(session, actor.scope, user_id)
    if user is None:
        raise NotFound(f"网格员 {user_id} 不存在或不在您的管辖范围内", code="worker_not_found")
    return user


def roster(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None,
    on_duty: bool | None,
    q: str | None,
    page: PageParams,
) -> tuple[list[WorkerView], int]:
    """Grid workers in scope (under a region), with duty, last fix and today's figures."""
    actor.require(Perm.WORKERS_READ)
    region_path = (
        regions.get_region(session, region_code, actor=actor).path if region_code else None
    )
    users, total = repository.roster(
        session,
        actor.scope,
        region_path=region_path,
        q=q.strip() if q else None,
        on_duty=on_duty,
        cutoff=patrol.duty_cutoff(),
        page=page,
    )
    return _views(session, users, actor), total


def worker(session: Session, user_id: int, *, actor: Actor) -> WorkerView:
    _require_reader(actor, user_id)
    return _views(session, [_worker(session, user_id, actor)], actor)[0]


def history(
    session: Session, user_id: int, *, actor: Actor, days: int = HISTORY_DAYS
) -> list[DailyReport]:
    """The last ``days`` days' reports, newest first (today included)."""
    _require_reader(actor, user_id)
    _worker(session, user_id, actor)
    last = patrol.today()
    first = last - timedelta(days=days - 1)
    reports = daily_reports(session, [user_id], first, last, actor=actor)
    return [reports[(user_id, last - timedelta(days=n))] for n in range(days)]


# ---------------------------------------------------------------- positions and nearest


def nearest(
    session: Session,
    lon: float,
    lat: float,
    *,
    actor: Actor,
    crs: geo.Crs = "wgs84",
    limit: int = 10,
    on_duty: bool = True,
) -> list[NearbyWorker]:
    """Workers with a GPS fix nearest to a point (on duty only, by default)."""
    actor.require(Perm.WORKERS_READ)
    wlon, wlat = geo.to_wgs84(lon, lat, crs)
    found = patrol.nearest(session, wlon, wlat, actor=actor, limit=limit, on_duty_only=on_duty)
    ids = [f.user_id for f, _ in found]
    users = {u.id: u for u in repository.all_workers(session, actor.scope, ids)}
    grids = _grids(session, actor, ids)
    result = []
    for fix, distance in found:
        user = users.get(fix.user_id)
        if user is None or fix.lon is None or fix.lat is None:
            continue
        result.append(
            NearbyWorker(
                user_id=user.id,
                name=user.display_name or user.username,
                username=user.username,
                grid_codes=[g.code for g in grids[user.id]],
                on_duty=fix.on_duty,
                lon=fix.lon,
                lat=fix.lat,
                fix_at=fix.fix_at,
                distance_m=distance,
            )
        )
    return result


def positions(session: Session, *, actor: Actor) -> dict[str, Any]:
    """GeoJSON of every worker in scope at their latest fix (else their grid's centre,
    labelled), with duty and when they were last seen."""
    actor.require(Perm.WORKERS_READ)
    users = repository.all_workers(session, actor.scope)
    ids = [u.id for u in users]
    grids = _grids(session, actor, ids)
    centres = {
        row[0]: (row[6], row[7])
        for row in reversed(repository.assignments(session, actor.scope, ids))
    }
    fixes = {f.user_id: f for f in patrol.latest_positions(session, actor=actor, user_ids=ids)}
    features = []
    for user in users:
        fix = fixes.get(user.id)
        has_fix = fix is not None and fix.lon is not None and fix.lat is not None
        if has_fix and fix is not None:
            lon, lat = fix.lon, fix.lat
        elif user.id in centres:
            lon, lat = centres[user.id]
        else:
            continue
        features.append(
            {
                "type": "Feature",
                "id": user.id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": user.id,
                    "name": user.display_name or user.username,
                    "grid_code": grids[user.id][0].code if grids[user.id] else None,
                    "on_duty": bool(fix and fix.on_duty),
                    "last_seen": fix.last_seen_at.isoformat() if fix and fix.last_seen_at else None,
                    "fix_at": fix.fix_at.isoformat() if fix and fix.fix_at else None,
                    "source": "gps" if has_fix else "grid",
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- track replay


def track(session: Session, user_id: int, day: date, *, actor: Actor) -> dict[str, Any]:
    """A worker's day for replay: GeoJSON of the kept fixes in time order (properties t,
    speed, patrol), with the stops, the patrols and the day's figures beside it."""
    _require_reader(actor, user_id)
    _worker(session, user_id, actor)
    day_track = patrol.day_track(session, user_id, day, actor=actor)
    report = daily_reports(session, [user_id], day, day, actor=actor)[(user_id, day)]
    stops = [
        {**stop, "patrol_id": p.id}
        for p in day_track.patrols
        for stop in day_track.figures[p.id].stops
    ]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {"t": t.isoformat(), "speed": speed, "patrol_id": patrol_id},
            }
            for t, lon, lat, speed, patrol_id in day_track.points
        ],
        "user_id": user_id,
        "date": day.isoformat(),
        "source": day_track.source,
        "stops": stops,
        "patrols": [
            {
                "id": p.id,
                "started_at": p.started_at.isoformat(),
                "ended_at": p.ended_at.isoformat() if p.ended_at else None,
                "status": p.status,
                "distance_m": day_track.figures[p.id].distance_m,
            }
            for p in day_track.patrols
        ],
        "stats": report.model_dump(mode="json"),
    }


# ---------------------------------------------------------------- for the assessment


@dataclass(frozen=True)
class AssignedWorker:
    user_id: int
    name: str
    username: str
    grid_paths: tuple[str, ...]  # the worker's grids in the reader's scope, by grid code


def assigned_workers(
    session: Session, *, actor: Actor, region_path: str | None = None
) -> list[AssignedWorker]:
    """Every active account with a grid assignment in scope (under ``region_path``), with the
    paths of those grids: the targets of a worker assessment."""
    actor.require(Perm.WORKERS_READ)
    users = repository.all_workers(session, actor.scope)
    rows = repository.assignments(session, actor.scope, [u.id for u in users])
    paths = {
        r.code: r.path
        for r in regions.regions_by_codes(session, sorted({row[2] for row in rows}), actor=actor)
    }
    grids: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        if row[2] in paths:
            grids[row[0]].append(paths[row[2]])
    found = []
    for user in users:
        mine = tuple(grids.get(user.id, ()))
        if not mine or (region_path and not any(p.startswith(region_path) for p in mine)):
            continue
        found.append(
            AssignedWorker(user.id, user.display_name or user.username, user.username, mine)
        )
    return found
