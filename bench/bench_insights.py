"""Hotspots and frequent reporters at district scale: synthetic cases (300,000 over three
years by default, points clustered around towns over a district-sized box, a citizen share
with a long tail of repeat reporters) written straight to a throwaway database, then the
services timed over the district and single streets (p50/p95 of repeated calls), and the
query plan of the window read printed (SQLite).

    python bench/bench_insights.py                        # SQLite, 300,000 cases
    python bench/bench_insights.py --events 100000        # quicker
    python bench/bench_insights.py --backend postgresql   # GRIDGOV_TEST_PG_URL
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench_analytics import territory  # type: ignore[import-not-found]
from gridgov import schema
from gridgov.accounts.actor import Actor
from gridgov.analytics.services import Query, today
from gridgov.db import make_engine, session_factory
from gridgov.events.models import Event
from gridgov.insights import services
from gridgov.insights.repository import CaseFilter, _cases
from gridgov.regions.models import Region
from gridgov.seed.history import BulkWriter

PG_ADMIN_URL = os.environ.get(
    "GRIDGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WEST, SOUTH, WIDTH, HEIGHT = 116.0, 35.0, 0.30, 0.25  # about 27 km × 28 km


def write(engine: Engine, n: int, end: datetime, streets: int) -> list[dict[str, Any]]:
    regions: list[dict[str, Any]] = territory(streets, 6, 4)
    grids = [r["path"] for r in regions if r["level"] == "grid"]
    rng = np.random.default_rng(3)
    started = time.perf_counter()
    span = 3 * 365 * 86400
    created = np.sort(rng.random(n) * span)
    towns = rng.random((40, 2)) * [WIDTH, HEIGHT] + [WEST, SOUTH]
    town = rng.integers(0, 40, n)
    clustered = rng.random(n) < 0.7
    lon = np.where(
        clustered,
        towns[town, 0] + rng.normal(0, 0.01, n),
        WEST + rng.random(n) * WIDTH,
    )
    lat = np.where(
        clustered,
        towns[town, 1] + rng.normal(0, 0.01, n),
        SOUTH + rng.random(n) * HEIGHT,
    )
    grid = rng.integers(0, len(grids), n)
    citizen = rng.random(n) < 0.25
    reporters = rng.choice(20_000, n, p=_tail(20_000))
    base = end.timestamp() - span
    session = session_factory(engine)()
    BulkWriter(session, Region).write(regions)
    writer = BulkWriter(session, Event)
    for begin in range(0, n, 50_000):
        rows = []
        for i in range(begin, min(n, begin + 50_000)):
            at = datetime.fromtimestamp(base + created[i], UTC)
            rows.append(
                {
                    "id": i + 1,
                    "code": f"SJ{i + 1:010d}",
                    "title": "synthetic",
                    "description": "",
                    "category_code": f"0{1 + i % 7}01",
                    "source": "citizen" if citizen[i] else "grid_worker",
                    "urgency": "normal",
                    "lon": float(lon[i]),
                    "lat": float(lat[i]),
                    "address": "",
                    "region_path": grids[grid[i]],
                    "special_grids": [],
                    "status": "closed",
                    "level": "grid",
                    "department_id": None,
                    "reporter_id": None,
                    "reporter_key": f"app:{reporters[i]}" if citizen[i] else "system:w",
                    "idempotency_key": None,
                    "deadline_at": at + timedelta(days=3),
                    "warn_at": at + timedelta(days=2),
                    "sla_stage": 0,
                    "workflow_instance_id": None,
                    "classified_by": "reporter",
                    "spot_check": None,
                    "created_at": at,
                    "updated_at": at,
                    "closed_at": at + timedelta(days=1),
                    "extra": {},
                }
            )
        writer.write(rows)
    session.commit()
    session.close()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(
        f"{engine.dialect.name}: {n:,} cases over three years, {len(grids)} grids, "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    return regions


def _tail(size: int) -> np.ndarray:
    weights = 1.0 / (np.arange(size) + 20.0)
    return np.asarray(weights / weights.sum())


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(0.95 * len(times)))], result


def _hotspots(session: Session, *, q: Query, actor: Actor) -> Any:
    return services.hotspot_report(session, q, actor=actor)


def _reporters(session: Session, *, q: Query, actor: Actor) -> Any:
    return services.frequent_reporters(session, q, actor=actor)


def measure(engine: Engine, regions: list[dict[str, Any]], repeat: int) -> None:
    actor = Actor.system("bench")
    last = today()
    street = next(r["code"] for r in regions if r["level"] == "street")
    cases: list[tuple[str, Callable[[Any], Any]]] = []
    for label, start, region in (
        ("district, 30 days (+8 × 30 baseline)", last - timedelta(days=29), None),
        ("district, 7 days (+8 × 7 baseline)", last - timedelta(days=6), None),
        ("street, 30 days (+8 × 30 baseline)", last - timedelta(days=29), street),
    ):
        cases.append(
            (f"hotspots  {label}", partial(_hotspots, q=Query(region, start, last), actor=actor))
        )
    for label, start in (
        ("30 days", last - timedelta(days=29)),
        ("365 days", last - timedelta(days=364)),
    ):
        cases.append(
            (
                f"frequent reporters, district, {label}",
                partial(_reporters, q=Query(None, start, last), actor=actor),
            )
        )
    print(f"\n{'query':<58} {'p50 ms':>8} {'p95 ms':>8}  result   (first call: baselines not kept)")
    with session_factory(engine)() as session:
        for label, call in cases:
            services._BASELINES.clear()
            first, _, _ = timed(partial(call, session), 1)
            if label.startswith("hotspots"):
                label = f"{label} [first {first:.0f}]"
            p50, p95, result = timed(partial(call, session), repeat)
            if hasattr(result, "cells"):
                what = (
                    f"{len(result.cells)} hotspots of {result.tested} cells tested, "
                    f"{result.current_total:,} cases in the period"
                )
            else:
                what = f"{len(result)} persons, top {result[0].count if result else 0}"
            print(f"{label:<58} {p50:>8.1f} {p95:>8.1f}  {what}")
        if engine.dialect.name == "sqlite":
            zone_start = datetime.combine(last - timedelta(days=269), datetime.min.time(), UTC)
            f = CaseFilter(zone_start, zone_start + timedelta(days=270), ("370811/",))
            stmt = _cases(actor.scope, f, Event.id, Event.lon, Event.lat, Event.created_at)
            compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
            plan = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            print("\nwindow read plan (SQLite): " + "; ".join(str(row[-1]) for row in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--streets", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--db", type=Path, help="SQLite: keep the cases in this file; reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        reuse = False
        if args.backend == "sqlite":
            path = args.db or Path(tmp) / "insights.db"
            reuse = path.exists()
            url = f"sqlite:///{path}"
            admin = None
        else:
            name = f"gridgov_bench_insights_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        try:
            end = datetime.combine(date.today(), datetime.min.time(), UTC)
            if reuse:
                regions = territory(args.streets, 6, 4)
                print(f"sqlite: cases reused from {args.db}")
            else:
                schema.upgrade(engine)
                regions = write(engine, args.events, end, args.streets)
            measure(engine, regions, args.repeat)
        finally:
            engine.dispose()
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
