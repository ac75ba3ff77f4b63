"""Analytics at scale: synthetic cases written straight to a throwaway database, the rollups
built from them (printed time), then every dashboard and analysis query timed over random
regions and periods (p50/p95), next to the same figures computed by DuckDB over the same raw
cases, and an incremental run after 1,000 cases changed.

    python bench/bench_analytics.py                       # SQLite, 1,000,000 cases
    python bench/bench_analytics.py --events 200000       # quicker
    python bench/bench_analytics.py --backend postgresql  # 5,000,000 cases (GRIDGOV_TEST_PG_URL)
    python bench/bench_analytics.py --backend postgresql --keep   # write once, keep the database
    python bench/bench_analytics.py --backend postgresql --reuse  # its cases again, new rollups
    python bench/bench_analytics.py --backend postgresql --reuse --no-build  # queries only
    python bench/bench_analytics.py --reuse --incremental-only  # the incremental step only

``--keep`` leaves the database (PostgreSQL: ``gridgov_bench_<events>``; SQLite: a file under
the system temp directory) and puts back the cases the incremental step changed, so that
``--reuse`` finds the same cases (regenerated from the same seed and end time for DuckDB),
upgrades the schema and rebuilds the rollups with the current code.

Target: every query under 100 ms p95. DuckDB runs only here (``pip install .[bench]``).
Nothing needs the workflow tables: the synthetic cases carry their outcome in their own
columns (自办结/返工/升级 flags, which come from the timeline, stay zero).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from gridgov import schema
from gridgov.accounts.actor import Actor
from gridgov.analytics import services
from gridgov.db import make_engine, session_factory
from gridgov.events.models import Event
from gridgov.kit import clock
from gridgov.orgs.models import Organisation
from gridgov.regions.models import Region
from gridgov.seed.history import BulkWriter

TARGET_MS = 100.0
LOCAL = timedelta(hours=8)  # Asia/Shanghai, no daylight saving
CATEGORIES = [f"0{g}0{k}" for g in range(1, 8) for k in range(1, 5)]
SOURCES = ["citizen", "grid_worker", "department", "street", "community", "hotline", "sensor"]
LEVELS = ["grid", "community", "street", "district"]
PG_ADMIN_URL = os.environ.get(
    "GRIDGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def territory(streets: int, communities: int, grids: int) -> list[dict[str, Any]]:
    """A district of streets × communities × grids (paths and codes; a token polygon)."""
    rows: list[dict[str, Any]] = []
    poly = '{"type": "Polygon", "coordinates": [[[116,35],[116.1,35],[116.1,35.1],[116,35]]]}'

    def add(code: str, level: str, path: str, parent: int | None) -> int:
        rows.append(
            {
                "id": len(rows) + 1,
                "code": code,
                "name": f"{level}-{code}",
                "level": level,
                "kind": None,
                "parent_id": parent,
                "path": path,
                "geometry": poly,
                "min_lon": 116.0,
                "min_lat": 35.0,
                "max_lon": 116.1,
                "max_lat": 35.1,
                "centroid_lon": 116.05,
                "centroid_lat": 35.05,
                "area_km2": 1.0,
            }
        )
        return len(rows)

    root = add("370811", "district", "370811/", None)
    for s in range(1, streets + 1):
        s_code = f"370811{s:03d}"
        s_id = add(s_code, "street", f"370811/{s_code}/", root)
        for c in range(1, communities + 1):
            c_code = f"{s_code}{c:03d}"
            c_id = add(c_code, "community", f"370811/{s_code}/{c_code}/", s_id)
            for g in range(1, grids + 1):
                g_code = f"{c_code}{g:03d}"
                add(g_code, "grid", f"370811/{s_code}/{c_code}/{g_code}/", c_id)
    return rows


def synthetic_events(n: int, grid_paths: list[str], departments: list[int], end: datetime,
                     seed: int = 7) -> pd.DataFrame:  # fmt: skip
    """Three years of cases: skewed grids and categories, 10% voided, most closed, ~88% on
    time, ratings on two in three closed cases, the last days' cases still open."""
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=3 * 365)
    span = (end - start).total_seconds()
    created = np.sort(rng.random(n) * span)
    limit = rng.choice([4, 8, 16, 24, 40], n) * 3600 * 1.6
    handling = rng.lognormal(np.log(limit * 0.5), 0.6)
    grid_weight = rng.pareto(1.5, len(grid_paths)) + 1
    grid = rng.choice(len(grid_paths), n, p=grid_weight / grid_weight.sum())
    cat_weight = rng.pareto(1.2, len(CATEGORIES)) + 1
    category = rng.choice(len(CATEGORIES), n, p=cat_weight / cat_weight.sum())
    source = rng.choice(len(SOURCES), n, p=[0.22, 0.35, 0.08, 0.05, 0.08, 0.18, 0.04])
    voided = rng.random(n) < 0.1
    closed_at = created + handling
    still_open = (closed_at > span) | voided | (rng.random(n) < 0.02)
    level = rng.choice(len(LEVELS), n, p=[0.25, 0.1, 0.1, 0.55])
    department = np.where(level == 3, rng.choice(departments, n), -1)
    rated = ~still_open & (rng.random(n) < 0.66)
    satisfaction = np.where(
        rated, rng.choice([1, 2, 3, 4, 5], n, p=[0.03, 0.04, 0.1, 0.33, 0.5]), 0
    )
    status = np.where(voided, "voided", np.where(still_open, "handling",
                      np.where(rated, "rated", "closed")))  # fmt: skip
    base = start.timestamp()
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "region_path": np.array(grid_paths)[grid],
            "category_code": np.array(CATEGORIES)[category],
            "source": np.array(SOURCES)[source],
            "status": status,
            "level": np.array(LEVELS)[level],
            "department_id": department,
            "created": pd.to_datetime(base + created, unit="s", utc=True),
            "deadline": pd.to_datetime(base + created + limit, unit="s", utc=True),
            "closed": pd.to_datetime(
                np.where(still_open, np.nan, base + closed_at), unit="s", utc=True
            ),
            "satisfaction": satisfaction,
        }
    )
    return frame


def write_events(engine: Engine, frame: pd.DataFrame) -> float:
    started = time.perf_counter()
    session = session_factory(engine)()
    writer = BulkWriter(session, Event)
    columns: dict[str, list[Any]] = {c: frame[c].tolist() for c in frame.columns}
    closed_column: list[Any] = [None if pd.isna(v) else v for v in columns["closed"]]
    chunk = 50_000
    for begin in range(0, len(frame), chunk):
        rows = []
        for i in range(begin, min(begin + chunk, len(frame))):
            event_id, closed, created = (
                int(columns["id"][i]),
                closed_column[i],
                columns["created"][i],
            )
            department, score = int(columns["department_id"][i]), int(columns["satisfaction"][i])
            rows.append(
                {
                    "id": event_id,
                    "code": f"SJ{event_id:010d}",
                    "title": "synthetic",
                    "description": "",
                    "category_code": columns["category_code"][i],
                    "source": columns["source"][i],
                    "urgency": "normal",
                    "lon": 116.05,
                    "lat": 35.05,
                    "address": "",
                    "region_path": columns["region_path"][i],
                    "special_grids": [],
                    "status": columns["status"][i],
                    "level": columns["level"][i],
                    "department_id": None if department < 0 else department,
                    "reporter_id": None,
                    "reporter_key": "bench",
                    "idempotency_key": None,
                    "deadline_at": columns["deadline"][i],
                    "warn_at": columns["deadline"][i],
                    "sla_stage": 0,
                    "workflow_instance_id": None,
                    "classified_by": "reporter",
                    "spot_check": None,
                    "created_at": created,
                    "updated_at": closed or created,
                    "closed_at": closed,
                    "extra": {"satisfaction": score} if score else {},
                }
            )
        writer.write(rows)
    session.commit()
    session.close()
    return time.perf_counter() - started


def duck(frame: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    """The same raw cases in DuckDB, times shifted to local (a fixed +8 h)."""
    con = duckdb.connect()
    local = frame.assign(
        created=(frame["created"] + LOCAL).dt.tz_localize(None),
        deadline=(frame["deadline"] + LOCAL).dt.tz_localize(None),
        closed=(frame["closed"] + LOCAL).dt.tz_localize(None),
    )
    con.register("raw", local)
    con.execute("CREATE TABLE events AS SELECT * FROM raw")
    con.unregister("raw")
    return con


DUCK_SUMMARY = """
SELECT
  count(*) FILTER (WHERE created >= $a AND created < $b) AS reported,
  count(*) FILTER (WHERE status <> 'voided' AND deadline >= $a AND deadline < $b) AS due,
  count(*) FILTER (WHERE status <> 'voided' AND deadline >= $a AND deadline < $b
                   AND closed IS NOT NULL) AS due_closed,
  count(*) FILTER (WHERE status <> 'voided' AND deadline >= $a AND deadline < $b
                   AND closed <= deadline) AS due_on_time,
  count(*) FILTER (WHERE closed >= $a AND closed < $b) AS closed,
  count(*) FILTER (WHERE closed >= $a AND closed < $b AND level = 'grid') AS settled_grid,
  sum(epoch(closed - created)) FILTER (WHERE closed >= $a AND closed < $b) AS handling,
  count(*) FILTER (WHERE closed >= $a AND closed < $b AND satisfaction >= 4) AS satisfied
FROM events WHERE starts_with(region_path, $p)
"""
DUCK_BY_CATEGORY = """
SELECT category_code,
  count(*) FILTER (WHERE created >= $a AND created < $b) AS reported,
  count(*) FILTER (WHERE status <> 'voided' AND deadline >= $a AND deadline < $b) AS due,
  count(*) FILTER (WHERE closed >= $a AND closed < $b) AS closed
FROM events WHERE starts_with(region_path, $p) GROUP BY category_code
"""
DUCK_TREND = """
SELECT date_trunc('month', created) AS m, count(*) FROM events
WHERE starts_with(region_path, $p) AND created >= $a AND created < $b GROUP BY m
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def periods(today: date, rng: np.random.Generator) -> tuple[date, date]:
    kind = rng.integers(0, 7)
    if kind == 0:
        return today.replace(day=1), today
    if kind == 1:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if kind == 2:
        return today - timedelta(days=29), today
    if kind == 3:
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    if kind == 4:
        return today.replace(month=1, day=1), today
    first = today - timedelta(days=int(rng.integers(30, 1000)))
    return first, min(today, first + timedelta(days=int(rng.integers(1, 366))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--events", type=int, default=0, help="default 1M (SQLite), 5M (PG)")
    parser.add_argument("--queries", type=int, default=60, help="random questions per kind")
    parser.add_argument("--streets", type=int, default=10)
    parser.add_argument("--changed", type=int, default=1_000)
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="the kept database's cases")
    parser.add_argument("--no-build", action="store_true", help="with --reuse: keep the rollups")
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="with --reuse: keep the rollups, skip the queries, time the incremental step",
    )
    args = parser.parse_args()
    n = args.events or (1_000_000 if args.backend == "sqlite" else 5_000_000)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average at start: {load} ({os.cpu_count()} cores)")
    keep = args.keep or args.reuse
    with tempfile.TemporaryDirectory() as tmp:
        name = f"gridgov_bench_{n}" if keep else f"gridgov_bench_{uuid.uuid4().hex[:8]}"
        kept = Path(tempfile.gettempdir()) / f"{name}.db"
        if args.backend == "sqlite":
            url = f"sqlite:///{kept if keep else Path(tmp) / 'bench.db'}"
            if args.keep and not args.reuse:
                kept.unlink(missing_ok=True)
        else:
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                if args.keep and not args.reuse:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if not args.reuse:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            run(url, n, args, Path(tmp))
        finally:
            if args.backend == "postgresql" and not keep:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average at end: {load}")


def _saved_end(engine: Engine) -> datetime | None:
    """The end time the kept cases were generated with (a bench-only table)."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (body TEXT)"))
        body = connection.scalar(text("SELECT body FROM bench_meta"))
    return datetime.fromisoformat(json.loads(body)["end"]) if body else None


def _save_end(engine: Engine, end: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (body TEXT)"))
        connection.execute(text("DELETE FROM bench_meta"))
        connection.execute(
            text("INSERT INTO bench_meta (body) VALUES (:b)"),
            {"b": json.dumps({"end": end.isoformat()})},
        )


def run(url: str, n: int, args: argparse.Namespace, tmp: Path) -> None:
    engine = make_engine(url)
    if args.incremental_only and not args.reuse:
        parser_error = "--incremental-only needs --reuse (a kept database with its rollups)"
        raise SystemExit(parser_error)
    if not (args.reuse and args.no_build):
        schema.upgrade(engine)  # queries only: the kept schema as it is (older code may read)
    regions = territory(args.streets, 6, 4)
    grids = [r["path"] for r in regions if r["level"] == "grid"]
    end = _saved_end(engine) if args.reuse else None
    if end is None:
        end = datetime.now(UTC)
        write_all(engine, regions, grids, n, end, args.streets)
        _save_end(engine, end)
        frame = synthetic_events(n, grids, list(range(1, 13)), end)
    else:
        frame = synthetic_events(n, grids, list(range(1, 13)), end)
        print(f"{engine.dialect.name}: {n:,} cases reused (written {end:%Y-%m-%d %H:%M} UTC)")
    measure(engine, regions, grids, frame, n, end, args)


def write_all(
    engine: Engine, regions: list[dict[str, Any]], grids: list[str], n: int, end: datetime,
    streets: int,
) -> None:  # fmt: skip
    session = session_factory(engine)()
    BulkWriter(session, Region).write(regions)
    departments = [
        {
            "id": i,
            "code": f"dept-{i}",
            "name": f"部门{i}",
            "kind": "department",
            "region_id": 1,
            "region_path": "370811/",
        }
        for i in range(1, 13)
    ]
    BulkWriter(session, Organisation).write(departments)
    session.commit()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for table in ("regions", "organisations", "events"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 10000000)")
                )
    frame = synthetic_events(n, grids, list(range(1, 13)), end)
    print(f"{engine.dialect.name}: {n:,} cases, {len(grids)} grids, {streets} streets")
    print(f"  write cases            {write_events(engine, frame):8.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def measure(
    engine: Engine,
    regions: list[dict[str, Any]],
    grids: list[str],
    frame: pd.DataFrame,
    n: int,
    end: datetime,
    args: argparse.Namespace,
) -> None:
    system = Actor.system("bench")
    if not (args.reuse and (args.no_build or args.incremental_only)):
        with session_factory(engine)() as session:
            report = services.rollup_full(session, actor=system)
            session.commit()
        print(
            f"  build rollups (full)   {report.seconds:8.1f} s  ({report.daily_keys:,} daily, "
            f"{report.monthly_keys:,} monthly rows)"
        )
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    rng = np.random.default_rng(11)
    if not args.incremental_only:
        time_queries(engine, regions, frame, rng, args)
    if args.reuse and args.no_build:
        return  # queries only: the incremental step would leave the kept rollups stale
    incremental_step(engine, frame, n, end, rng, args)


def time_queries(
    engine: Engine,
    regions: list[dict[str, Any]],
    frame: pd.DataFrame,
    rng: np.random.Generator,
    args: argparse.Namespace,
) -> None:
    system = Actor.system("bench")
    con = duck(frame)
    today = services.today()
    codes = {r["path"]: r["code"] for r in regions}
    by_level: dict[str, list[str]] = {}
    for r in regions:
        by_level.setdefault(r["level"], []).append(r["path"])

    def question() -> tuple[str, str, date, date]:
        level = ["district", "street", "community", "grid"][int(rng.integers(0, 4))]
        path = by_level[level][int(rng.integers(0, len(by_level[level])))]
        first, last = periods(today, rng)
        return level, path, first, last

    def last_92(q: services.Query) -> services.Query:
        end = q.end or today
        return services.Query(q.region_code, max(q.start or end, end - timedelta(days=91)), end)

    session = session_factory(engine)()
    kinds: dict[str, Callable[[services.Query], Any]] = {
        "summary": lambda q: services.summary(session, q, actor=system),
        "trend (month)": lambda q: services.trend(session, q, "month", actor=system),
        "trend (day, ≤92 d)": lambda q: services.trend(session, last_92(q), "day", actor=system),
        "breakdown category": lambda q: services.breakdown(session, q, "category", actor=system),
        "breakdown region": lambda q: services.breakdown(session, q, "region", actor=system),
        "breakdown source": lambda q: services.breakdown(session, q, "source", actor=system),
        "ladder": lambda q: services.ladder(session, q, actor=system),
        "indicator 结案率": lambda q: services.indicator_value(
            session, "closure_rate", q, actor=system
        ),
        "ranking (grids)": lambda q: services.ranking(
            session, "on_time_rate", "grid", q, actor=system
        ),
    }
    duck_kinds = {"summary": DUCK_SUMMARY, "breakdown category": DUCK_BY_CATEGORY,
                  "trend (month)": DUCK_TREND}  # fmt: skip
    header = f"{'p50 ms':>8} {'p95 ms':>8} {'DuckDB p50':>11} {'p95':>8} {'ratio p95':>10}"
    print(f"  {'query':22} {header}")
    mismatches = 0
    for kind, call in kinds.items():
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(args.queries):
            level, path, first, last = question()
            q = services.Query(None if level == "district" else codes[path], first, last)
            started = time.perf_counter()
            result = call(q)
            ours.append((time.perf_counter() - started) * 1000)
            if kind in duck_kinds:
                a = datetime.combine(first, datetime.min.time())
                b = datetime.combine(last + timedelta(days=1), datetime.min.time())
                started = time.perf_counter()
                rows = con.execute(duck_kinds[kind], {"a": a, "b": b, "p": path}).fetchall()
                theirs.append((time.perf_counter() - started) * 1000)
                if kind == "summary":
                    c = result.counters
                    got = (c["reported"], c["due"], c["due_closed"], c["due_on_time"], c["closed"])
                    mismatches += got != tuple(int(v or 0) for v in rows[0][:5])
        line = f"  {kind:22} {percentile(ours, 0.5):8.1f} {percentile(ours, 0.95):8.1f}"
        if theirs:
            ratio = percentile(ours, 0.95) / percentile(theirs, 0.95)
            line += (
                f" {percentile(theirs, 0.5):11.1f} {percentile(theirs, 0.95):8.1f} {ratio:10.2f}"
            )
        print(line + ("" if percentile(ours, 0.95) < TARGET_MS else "   ← over target"))
    print(
        f"  summary figures equal to DuckDB's: {'yes' if mismatches == 0 else f'NO ({mismatches})'}"
    )
    session.close()


def incremental_step(
    engine: Engine,
    frame: pd.DataFrame,
    n: int,
    end: datetime,
    rng: np.random.Generator,
    args: argparse.Namespace,
) -> None:
    system = Actor.system("bench")
    # Incremental: close or reopen 1,000 cases, then one job run; first among the last 30
    # days' cases (what a job run every few minutes sees), then anywhere in the history.
    recent = max(args.changed, n * 30 // 1095)
    with session_factory(engine)() as session:
        newest = session.scalar(select(func.max(Event.updated_at)))
    base = max(end, newest) if newest else end  # a kept database's restored cases are newer
    changed: list[int] = []
    for label, pool, minutes in (("last 30 days", recent, 1), ("whole history", n, 30)):
        picked = [int(i) for i in rng.choice(pool, args.changed, replace=False) + (n - pool) + 1]
        changed += picked
        seconds, inc = incremental(engine, picked, base + timedelta(minutes=minutes), system)
        print(
            f"  incremental, {args.changed:,} cases changed ({label}; {inc.cases:,} read with "
            f"the overlap): {seconds * 1000:,.0f} ms ({inc.daily_keys:,} daily, "
            f"{inc.monthly_keys:,} monthly keys moved)"
        )
    if args.keep or args.reuse:
        seconds = restore(engine, frame, sorted(set(changed)), base + timedelta(minutes=31))
        print(f"  kept: changed cases put back, rollups caught up ({seconds:,.1f} s)")


def restore(engine: Engine, frame: pd.DataFrame, ids: list[int], moment: datetime) -> float:
    """Put the changed cases back as written (marked changed at ``moment``, so that one more
    incremental run brings the kept rollups back in step with the cases)."""
    rows = frame.set_index("id").loc[ids]
    with engine.begin() as connection:
        for event_id, row in rows.iterrows():
            closed = None if pd.isna(row["closed"]) else row["closed"].to_pydatetime(warn=False)
            connection.execute(
                update(Event)
                .where(Event.id == int(str(event_id)))
                .values(status=row["status"], closed_at=closed, updated_at=moment)
            )
    clock.set_clock(lambda: moment)
    try:
        with session_factory(engine)() as session:
            started = time.perf_counter()
            services.rollup_incremental(session, actor=Actor.system("bench"))
            session.commit()
            return time.perf_counter() - started
    finally:
        clock.reset_clock()


def incremental(
    engine: Engine, ids: list[int], moment: datetime, system: Actor
) -> tuple[float, services.RollupReport]:
    clock.set_clock(lambda: moment)
    try:
        with session_factory(engine)() as session:
            found = session.execute(select(Event.id, Event.closed_at).where(Event.id.in_(ids)))
            open_ids = [int(i) for i, closed in found if closed is None]
            closed_ids = sorted(set(ids) - set(open_ids))
            session.execute(
                update(Event)
                .where(Event.id.in_(open_ids))
                .values(status="closed", closed_at=moment, updated_at=moment)
            )
            session.execute(
                update(Event)
                .where(Event.id.in_(closed_ids))
                .values(status="handling", closed_at=None, updated_at=moment)
            )
            session.commit()
        with session_factory(engine)() as session:
            started = time.perf_counter()
            report = services.rollup_incremental(session, actor=system)
            session.commit()
            return time.perf_counter() - started, report
    finally:
        clock.reset_clock()


if __name__ == "__main__":
    main()
