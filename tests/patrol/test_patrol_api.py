"""Patrols through the API, as the worker app and the center use them: start, fixes (retried
batches stored once), stop and statistics; who may post and read; nearest workers, the roster,
the GIS popup, daily reports and pages."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.config import Settings
from gridgov.events.models import Event
from gridgov.kit.clock import now, stopped_at
from gridgov.kit.geojson import loads
from gridgov.patrol import services as patrol_services
from gridgov.patrol.tracks import M_PER_DEG
from gridgov.regions.models import Region
from tests.conftest import Auth
from tests.web.test_pages import _logged_in

OWN_STREET = "370811002"  # 许庄街道
OTHER_STREET = "370811006"  # 南张街道


class Worker:
    def __init__(self, session: Session, street: str, index: int) -> None:
        user, grid = session.execute(
            select(User, Region)
            .join(GridAssignment, GridAssignment.user_id == User.id)
            .join(Region, Region.id == GridAssignment.region_id)
            .where(
                User.username.startswith(f"gw_{street}"),
                Region.level == "grid",
            )
            .order_by(User.username)
            .offset(index)
            .limit(1)
        ).one()
        self.id: int = user.id
        self.username: str = user.username
        self.name: str = user.display_name
        self.grid_code: str = grid.code
        self.polygon = loads(grid.geometry)
        centre = self.polygon.representative_point()
        self.lon0, self.lat0 = centre.x, centre.y

    def walk(
        self, start: datetime, seconds: int, *, step_s: int = 10, speed: float = 1.2
    ) -> list[dict[str, Any]]:
        """Fixes walking due east from the grid's inner point, one every ``step_s``."""
        scale = M_PER_DEG * math.cos(math.radians(self.lat0))
        return [
            {
                "t": (start + timedelta(seconds=k)).isoformat(),
                "lon": self.lon0 + k * speed / scale,
                "lat": self.lat0,
                "accuracy_m": 6.0,
                "speed_mps": speed,
            }
            for k in range(0, seconds + 1, step_s)
        ]


def worker(db: Session, street: str = OWN_STREET, index: int = 0) -> Worker:
    return Worker(db, street, index)


def start(client: TestClient, headers: dict[str, str], started: datetime) -> dict[str, Any]:
    body = {"client_id": uuid.uuid4().hex, "started_at": started.isoformat()}
    response = client.post("/api/v1/patrols", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_start_points_stop_and_statistics(client: TestClient, auth: Auth, db: Session) -> None:
    w = worker(db, index=0)
    headers = auth(w.username)
    started = now() - timedelta(hours=1)
    client_id = uuid.uuid4().hex
    first = client.post(
        "/api/v1/patrols",
        json={"client_id": client_id, "started_at": started.isoformat()},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    patrol = first.json()
    assert patrol["status"] == "open" and patrol["grid_code"] == w.grid_code
    again = client.post(
        "/api/v1/patrols",
        json={"client_id": client_id, "started_at": started.isoformat()},
        headers=headers,
    )
    assert again.status_code == 200 and again.json()["id"] == patrol["id"]

    fixes = w.walk(started, 600)  # 61 fixes, 720 m
    url = f"/api/v1/patrols/{patrol['id']}/points"
    sent = client.post(url, json={"points": fixes[:40]}, headers=headers).json()
    assert sent == {"received": 40, "stored": 40, "duplicates": 0, "dropped": 0}
    # The phone lost the answer and sends the batch again, with the rest appended.
    retried = client.post(url, json={"points": fixes}, headers=headers).json()
    assert retried == {"received": 61, "stored": 21, "duplicates": 40, "dropped": 0}
    # A fix from the future and one outside China are refused; nothing else is stored.
    bad = [
        {"t": (now() + timedelta(hours=1)).isoformat(), "lon": w.lon0, "lat": w.lat0},
        {"t": (started + timedelta(seconds=5)).isoformat(), "lon": 10.0, "lat": 10.0},
    ]
    refused = client.post(url, json={"points": bad}, headers=headers).json()
    assert refused == {"received": 2, "stored": 0, "duplicates": 0, "dropped": 2}

    live = client.get(f"/api/v1/patrols/{patrol['id']}", headers=headers).json()
    assert live["live"] is True and live["point_count"] == 61
    assert live["distance_m"] == pytest.approx(720, rel=0.01)

    stopped = client.post(
        f"/api/v1/patrols/{patrol['id']}/stop",
        json={"ended_at": (started + timedelta(seconds=900)).isoformat()},
        headers=headers,
    ).json()
    assert stopped["status"] == "closed" and stopped["closed_by"] == "stopped"
    assert stopped["distance_m"] == pytest.approx(720, rel=0.01)
    assert stopped["duration_s"] == 900
    assert stopped["moving_s"] == 600
    assert stopped["point_count"] == stopped["kept_count"] == 61
    assert 0 < stopped["coverage"] < 1
    # A stop sent twice changes nothing.
    assert client.post(f"/api/v1/patrols/{patrol['id']}/stop", headers=headers).json() == stopped

    # Late fixes from the offline queue, inside the patrol's time: stored, figures recomputed,
    # a 200 m-accuracy fix counted as dropped.
    late = [
        {
            "t": (started + timedelta(seconds=605 + k)).isoformat(),
            "lon": fixes[-1]["lon"],
            "lat": w.lat0,
            "accuracy_m": 200.0 if k == 0 else 5.0,
        }
        for k in range(0, 20, 10)
    ]
    assert client.post(url, json={"points": late}, headers=headers).json()["stored"] == 2
    after = client.get(f"/api/v1/patrols/{patrol['id']}", headers=headers).json()
    assert after["point_count"] == 63 and after["dropped_count"] == 1
    assert after["distance_m"] == pytest.approx(720, rel=0.01)

    listed = client.get(
        "/api/v1/patrols",
        params={"user_id": w.id, "date": patrol_services.local_day(started).isoformat()},
        headers=auth(f"street_{street_login(db, OWN_STREET)}"),
    ).json()
    assert patrol["id"] in [p["id"] for p in listed["items"]]


def street_login(db: Session, street_code: str) -> str:
    """The street staff login of a street code (street_<pinyin>)."""
    region_path = f"370811/{street_code}/"
    username = db.scalars(
        select(User.username).where(User.role == "street_staff", User.region_path == region_path)
    ).first()
    assert username is not None
    return username.removeprefix("street_")


def test_only_the_worker_posts_to_their_patrol(client: TestClient, auth: Auth, db: Session) -> None:
    mine, theirs = worker(db, index=1), worker(db, index=2)
    patrol = start(client, auth(mine.username), now() - timedelta(minutes=30))
    fixes = {"points": mine.walk(now() - timedelta(minutes=20), 60)}
    other = client.post(
        f"/api/v1/patrols/{patrol['id']}/points", json=fixes, headers=auth(theirs.username)
    )
    assert other.status_code == 404
    stop = client.post(f"/api/v1/patrols/{patrol['id']}/stop", headers=auth(theirs.username))
    assert stop.status_code == 404
    staff = client.post(
        f"/api/v1/patrols/{patrol['id']}/points",
        json=fixes,
        headers=auth(f"street_{street_login(db, OWN_STREET)}"),
    )
    assert staff.status_code == 403
    # The worker reads their own patrol but not a colleague's list.
    assert (
        client.get(f"/api/v1/patrols/{patrol['id']}", headers=auth(theirs.username)).status_code
        == 404
    )
    listed = client.get(
        "/api/v1/patrols", params={"user_id": mine.id}, headers=auth(theirs.username)
    )
    assert listed.json()["items"] == []


def test_a_street_outside_scope_cannot_see_the_track(
    client: TestClient, auth: Auth, db: Session
) -> None:
    w = worker(db, index=3)
    started = now() - timedelta(minutes=40)
    patrol = start(client, auth(w.username), started)
    client.post(
        f"/api/v1/patrols/{patrol['id']}/points",
        json={"points": w.walk(started, 300)},
        headers=auth(w.username),
    )
    day = patrol_services.local_day(started).isoformat()
    own = auth(f"street_{street_login(db, OWN_STREET)}")
    other = auth(f"street_{street_login(db, OTHER_STREET)}")
    track = client.get(f"/api/v1/workers/{w.id}/track", params={"date": day}, headers=own)
    assert track.status_code == 200
    body = track.json()
    # The demo's own patrols of today are on the track too once the local working day has
    # begun (the seed walks the workers up to "now"): count this patrol's points.
    ours = [f for f in body["features"] if f["properties"]["patrol_id"] == patrol["id"]]
    assert len(ours) == 31
    times = [f["properties"]["t"] for f in body["features"]]
    assert times == sorted(times)
    for path in (
        f"/api/v1/workers/{w.id}/track?date={day}",
        f"/api/v1/workers/{w.id}",
        f"/api/v1/workers/{w.id}/daily-report?date={day}",
        f"/api/v1/patrols/{patrol['id']}",
    ):
        assert client.get(path, headers=other).status_code == 404, path
    listed = client.get("/api/v1/patrols", params={"user_id": w.id}, headers=other).json()
    assert listed["items"] == []
    positions = client.get("/api/v1/workers/positions", headers=other).json()
    assert w.id not in [f["id"] for f in positions["features"]]


def test_nearest_workers_roster_and_gis_popup(client: TestClient, auth: Auth, db: Session) -> None:
    w = worker(db, index=4)
    headers = auth(w.username)
    # The walk ends now: in office hours the demo's own fix of this worker is minutes old, and
    # a position only moves to a newer fix.
    started = now() - timedelta(seconds=120)
    patrol = start(client, headers, started)
    fixes = w.walk(started, 120)
    client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": fixes}, headers=headers)
    last = fixes[-1]
    operator = auth("operator")

    nearest = client.get(
        "/api/v1/workers/nearest", params={"lon": last["lon"], "lat": last["lat"]}, headers=operator
    ).json()
    assert nearest[0]["user_id"] == w.id and nearest[0]["distance_m"] < 1
    assert nearest[0]["on_duty"] is True
    distances = [n["distance_m"] for n in nearest]
    # How many of the demo's workers are still on duty depends on how long ago the run seeded
    # them (their fixes age past the 15-minute timeout in a slow run); all positioned workers
    # fill the limit.
    assert distances == sorted(distances) and 1 <= len(nearest) <= 10
    everyone = client.get(
        "/api/v1/workers/nearest",
        params={"lon": last["lon"], "lat": last["lat"], "on_duty": "false"},
        headers=operator,
    ).json()
    assert everyone[0]["user_id"] == w.id and len(everyone) == 10
    assert [n["distance_m"] for n in everyone] == sorted(n["distance_m"] for n in everyone)

    roster = client.get("/api/v1/workers", params={"q": w.name}, headers=operator).json()
    entry = next(item for item in roster["items"] if item["user_id"] == w.id)
    assert entry["on_duty"] is True and entry["grids"][0]["code"] == w.grid_code
    assert entry["last_fix"]["lon"] == pytest.approx(last["lon"])
    assert entry["today"]["patrols"] >= 1
    in_grid = client.get(
        "/api/v1/workers", params={"region_code": w.grid_code}, headers=operator
    ).json()
    assert w.id in [i["user_id"] for i in in_grid["items"]]
    assert all(any(g["code"] == w.grid_code for g in i["grids"]) for i in in_grid["items"])
    # The three rosters are read at one stopped moment: the demo's workers were last seen
    # when the run seeded them, and one crossing the 15-minute duty timeout between two reads
    # would be counted on duty and off duty.
    with stopped_at(now()):
        on_duty = client.get(
            "/api/v1/workers", params={"on_duty": "true", "page_size": 500}, headers=operator
        ).json()
        off_duty = client.get(
            "/api/v1/workers", params={"on_duty": "false", "page_size": 500}, headers=operator
        ).json()
        everybody = client.get("/api/v1/workers", headers=operator).json()["total"]
    assert all(i["on_duty"] for i in on_duty["items"])
    assert w.id in [i["user_id"] for i in on_duty["items"]]
    assert not any(i["on_duty"] for i in off_duty["items"])
    assert on_duty["total"] + off_duty["total"] == everybody

    popup = client.get(f"/api/v1/gis/features/workers/{w.id}", headers=operator).json()
    assert popup["position_source"] == "gps" and popup["position_label"] == "GPS定位"
    assert (popup["lon"], popup["lat"]) == pytest.approx((last["lon"], last["lat"]))
    assert popup["on_duty"] is True and popup["on_duty_label"] == "在岗"

    # Checking out ends the patrol and the duty.
    duty = client.post("/api/v1/workers/me/duty", json={"on_duty": False}, headers=headers).json()
    assert duty["on_duty"] is False and duty["open_patrol_id"] is None
    closed = client.get(f"/api/v1/patrols/{patrol['id']}", headers=headers).json()
    assert closed["status"] == "closed"
    assert w.id not in [
        n["user_id"]
        for n in client.get(
            "/api/v1/workers/nearest",
            params={"lon": last["lon"], "lat": last["lat"], "limit": 100},
            headers=operator,
        ).json()
    ]


def last_saturday() -> date:
    today = patrol_services.today()
    return today - timedelta(days=(today.weekday() - 5) % 7 or 7)


def test_daily_report_matches_what_was_posted(client: TestClient, auth: Auth, db: Session) -> None:
    """A Saturday (no seeded patrols): two patrols posted, their figures summed in the report;
    the case counts equal an independent count of the worker's reports that day."""
    w = worker(db, index=5)
    headers = auth(w.username)
    day = last_saturday()
    start_of_day, end_of_day = patrol_services.day_window(day)
    totals = {"distance": 0.0, "seconds": 0}
    for hour, seconds in ((9, 1200), (15, 600)):
        started = start_of_day + timedelta(hours=hour)
        patrol = start(client, headers, started)
        client.post(
            f"/api/v1/patrols/{patrol['id']}/points",
            json={"points": w.walk(started, seconds)},
            headers=headers,
        )
        stopped = client.post(
            f"/api/v1/patrols/{patrol['id']}/stop",
            json={"ended_at": (started + timedelta(seconds=seconds)).isoformat()},
            headers=headers,
        ).json()
        totals["distance"] += stopped["distance_m"]
        totals["seconds"] += stopped["duration_s"]
    report = client.get(
        f"/api/v1/workers/{w.id}/daily-report",
        params={"date": day.isoformat()},
        headers=auth("operator"),
    ).json()
    assert report["date"] == day.isoformat()
    assert report["distance_m"] == pytest.approx(totals["distance"], abs=0.2)
    assert report["distance_m"] == pytest.approx(1.2 * 1800, rel=0.01)
    assert report["patrol_seconds"] == totals["seconds"] == 1800
    # Both walks go east from the same point: the day's coverage is the longer one's band.
    assert 0 < report["coverage"] <= 1
    reported = db.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.reporter_id == w.id,
            Event.created_at >= start_of_day,
            Event.created_at < end_of_day,
        )
    )
    assert report["events_reported"] == reported
    # The worker reads their own report; the same figures come in the 30-day history.
    own = client.get(
        f"/api/v1/workers/{w.id}/daily-report", params={"date": day.isoformat()}, headers=headers
    ).json()
    assert own == report
    detail = client.get(f"/api/v1/workers/{w.id}", headers=auth("operator")).json()
    assert len(detail["history"]) == 30
    assert next(h for h in detail["history"] if h["date"] == day.isoformat()) == report


def test_the_coverage_figure_is_the_grid_share_near_the_track(
    client: TestClient, auth: Auth, db: Session
) -> None:
    w = worker(db, index=6)
    headers = auth(w.username)
    started = now() - timedelta(hours=3)
    patrol = start(client, headers, started)
    fixes = w.walk(started, 300)
    client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": fixes}, headers=headers)
    stopped = client.post(f"/api/v1/patrols/{patrol['id']}/stop", headers=headers).json()
    # Independently: buffer the track by 50 m in a local metric plane, share of the grid.
    scale_x = M_PER_DEG * math.cos(math.radians(w.polygon.centroid.y))

    def plane(geometry: Any) -> Any:
        return shapely.transform(geometry, lambda c: c * [scale_x, M_PER_DEG])

    line = shapely.LineString([(f["lon"], f["lat"]) for f in fixes])
    grid = plane(w.polygon)
    expected = plane(line).buffer(50, quad_segs=16).intersection(grid).area / grid.area
    assert stopped["coverage"] == pytest.approx(expected, abs=0.002)


def test_pages_render(demo_settings: Settings, demo_engine: Engine, db: Session) -> None:
    w = worker(db, index=7)
    browser = _logged_in(demo_settings, demo_engine, f"street_{street_login(db, OWN_STREET)}")
    assert 'href="/workers"' in browser.get("/").text
    roster = browser.get("/workers")
    assert roster.status_code == 200 and "网格员管理" in roster.text
    assert w.name in browser.get("/workers", params={"q": w.name}).text
    page = browser.get(f"/workers/{w.id}")
    assert page.status_code == 200
    assert w.name in page.text and "近 30 天工作日报" in page.text
    assert f'data-call-user="{w.id}"' in page.text
    assert "/static/js/workers.js" in page.text
    other = _logged_in(demo_settings, demo_engine, f"street_{street_login(db, OTHER_STREET)}")
    assert other.get(f"/workers/{w.id}").status_code == 404


def test_housekeeping_closes_stale_patrols_and_prunes_old_fixes(
    fresh: tuple[TestClient, Auth, Engine],
) -> None:
    """In a district of its own: the housekeeping job works on every patrol there is."""
    client, auth, engine = fresh
    with Session(engine) as session:
        w = worker(session, index=0)
    headers = auth(w.username)
    started = now() - timedelta(hours=5)
    patrol = start(client, headers, started)
    fixes = w.walk(started, 120)
    client.post(f"/api/v1/patrols/{patrol['id']}/points", json={"points": fixes}, headers=headers)
    with Session(engine) as session:
        assert patrol_services.close_stale(session) == 1
        session.commit()
    closed = client.get(f"/api/v1/patrols/{patrol['id']}", headers=headers).json()
    assert closed["status"] == "closed" and closed["closed_by"] == "stale"
    last_fix = datetime.fromisoformat(fixes[-1]["t"]).astimezone(UTC)
    assert datetime.fromisoformat(closed["ended_at"]) == last_fix
    assert closed["distance_m"] == pytest.approx(144, rel=0.01)
    with Session(engine) as session:
        assert patrol_services.prune_points(session, now() + timedelta(days=80)) == 0
        # 91 days later the raw fixes go; the figures and the path stay for replay.
        assert patrol_services.prune_points(session, now() + timedelta(days=91)) == len(fixes)
        session.commit()
    kept = client.get(f"/api/v1/patrols/{patrol['id']}", headers=headers).json()
    assert kept["distance_m"] == closed["distance_m"]
    track = client.get(
        f"/api/v1/workers/{w.id}/track",
        params={"date": patrol_services.local_day(started).isoformat()},
        headers=auth("operator"),
    ).json()
    assert track["source"] == "path" and len(track["features"]) == 2
    coords = [f["geometry"]["coordinates"] for f in track["features"]]
    assert coords[0] == pytest.approx([fixes[0]["lon"], fixes[0]["lat"]], abs=1e-6)
    assert coords[-1] == pytest.approx([fixes[-1]["lon"], fixes[-1]["lat"]], abs=1e-6)
