"""Event intake through HTTP with the full pipeline, and list/filter latency at scale.

1. Seeds a district (territory, accounts, workflow; no residents) into a throwaway database and
   serves it with `gridgov serve --workers N` on a local port (default 2, one process per core
   of a two-core machine; N > 1 shares live updates through Redis, as a deployment must).
2. Intake: N reports POSTed over HTTP (locate, classify, deadline, workflow start, timeline
   hash), from 1 and from 16 concurrent clients (``--clients``), each a keep-alive connection of
   the standard library's HTTP client. Prints the rate, the server's CPU per report (all its
   processes) and the clients' CPU per report. Target: at least 300 events/s on SQLite.
3. Lists: bulk-loads synthetic historical events up to --events rows (default 1,000,000), then
   times list requests with the filters a workbench uses, as the center and as a street.
   Target: p95 under 50 ms.

    python bench/bench_events.py [--reports 2000] [--events 1000000] [--database-url URL]
        [--keep DIR | --reuse DIR] [--only intake|lists] [--workers N] [--clients N …]
        [--redis-url URL]

``--keep DIR`` builds the SQLite database in DIR and leaves it there; ``--reuse DIR`` starts
from that database without seeding it again, so with ``--only lists`` a list change can be
measured without rebuilding a million cases.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import DEVNULL, Popen, TimeoutExpired

import httpx
from sqlalchemy import insert, select

from gridgov.config import Settings
from gridgov.db import make_engine, unit_of_work
from gridgov.events.catalog import CATEGORIES
from gridgov.events.models import Event
from gridgov.regions.models import Region
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database
from gridgov.seed.territory import build_district

INTAKE_TARGET = 300.0
LIST_TARGET_MS = 50.0
# After the first answer, time for the other server processes to finish starting.
WORKERS_SETTLE_SECONDS = 5.0


def serve(settings: Settings, url: str, workers: int, redis_url: str) -> tuple[str, Popen[bytes]]:
    """`gridgov serve --workers N` in its own process group, as a deployment runs it (a server
    thread in the benchmark's own process would share its interpreter lock with the clients)."""
    with socket.socket() as probe:  # a free port: another bench may be serving on any fixed one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "GRIDGOV_VAR_DIR": str(settings.var_dir),
        "GRIDGOV_DATABASE_URL": url,
        "GRIDGOV_JOBS": "off",
        "GRIDGOV_DEMO_PASSWORD": settings.demo_password,
        "GRIDGOV_REDIS_URL": redis_url if workers > 1 else "",
    }
    command = [sys.executable, "-c", "from gridgov.cli import app; app()", "serve"]
    options = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    process = Popen([*command, *options], env=env, start_new_session=True, stdout=DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        if process.poll() is not None:
            raise RuntimeError(f"gridgov serve exited with {process.returncode}")
        try:
            httpx.get(f"{base}/api/v1/health", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if workers > 1:
            time.sleep(WORKERS_SETTLE_SECONDS)  # the first answer came from one process only
        return base, process
    raise RuntimeError("the server did not start")


def stop(process: Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def token(base: str, username: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": username, "password": password}
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def cpu_seconds(pid: int) -> float | None:
    """The CPU time the server has used, its processes summed (Linux): on a shared machine a
    steadier figure than the rate, which other work on the cores lowers."""
    total = 0.0
    for process in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [d for child in children for d in (int(child), *_descendants(int(child)))]


def intake(
    base: str, headers: dict[str, str], points: list[tuple[float, float]], clients: int
) -> tuple[float, float]:
    """Reports per second, and the clients' CPU per report in ms. Each client keeps one
    connection open and sends with the standard library's HTTP client: the clients share the
    machine's two cores with the server, and a lighter client leaves more of them to it (a
    client machine of its own would leave all of them)."""
    leaves = [code for code, _n, parent, *_ in CATEGORIES if parent]
    host, port = base.removeprefix("http://").split(":")
    send = {**headers, "Content-Type": "application/json"}

    def run(chunk: list[tuple[float, float]]) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        for i, (lon, lat) in enumerate(chunk):
            body = {
                "title": "巡查发现问题",
                "category_code": leaves[i % len(leaves)],
                "source": "grid_worker",
                "location": {"lon": lon, "lat": lat},
            }
            connection.request("POST", "/api/v1/events", json.dumps(body), send)
            response = connection.getresponse()
            answer = response.read()
            assert response.status == 201, answer
        connection.close()

    chunks = [points[i::clients] for i in range(clients)]
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, chunks))
    client_cpu = (time.process_time() - cpu) / len(points) * 1000
    return len(points) / (time.perf_counter() - started), client_cpu


def bulk_history(url: str, total: int, seed: int) -> None:
    """Synthetic closed and open cases, straight into the table: only for list timings."""
    rnd = random.Random(seed)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        grids = list(
            session.execute(
                select(Region.path, Region.centroid_lon, Region.centroid_lat).where(
                    Region.level == "grid"
                )
            )
        )
        have = session.query(Event).count()
    leaves = [(code, name) for code, name, parent, *_ in CATEGORIES if parent]
    places = ["小区门口", "菜市场旁", "学校附近", "主干道", "公园东侧", "河道沿线", "背街小巷"]
    statuses = (
        ["rated"] * 70
        + ["closed"] * 15
        + ["handling"] * 6
        + ["accepted"] * 4
        + ["reported"] * 3
        + ["voided"] * 2
    )
    now = datetime.now(UTC)
    batch: list[dict[str, object]] = []
    with engine.begin() as connection:
        for n in range(have, total):
            path, lon, lat = rnd.choice(grids)
            created = now - timedelta(minutes=rnd.randrange(3 * 365 * 24 * 60))
            status = rnd.choice(statuses)
            deadline = created + timedelta(hours=rnd.choice([8, 16, 24, 40, 72]))
            category, name = rnd.choice(leaves)
            batch.append(
                {
                    "code": f"H{n:09d}",
                    "title": f"{rnd.choice(places)}{name}",
                    "description": "",
                    "category_code": category,
                    "source": rnd.choice(["citizen", "grid_worker", "hotline", "department"]),
                    "urgency": "normal",
                    "lon": lon,
                    "lat": lat,
                    "address": "",
                    "region_path": path,
                    "special_grids": [],
                    "status": status,
                    "level": "grid",
                    "reporter_key": "bench",
                    "deadline_at": deadline,
                    "warn_at": deadline,
                    "sla_stage": 2,
                    "classified_by": "reporter",
                    "created_at": created,
                    "updated_at": created,
                    "closed_at": created + timedelta(hours=rnd.randrange(1, 80))
                    if status in ("rated", "closed")
                    else None,
                    "extra": {},
                }
            )
            if len(batch) == 20_000:
                connection.execute(insert(Event.__table__), batch)  # type: ignore[arg-type]
                batch = []
        if batch:
            connection.execute(insert(Event.__table__), batch)  # type: ignore[arg-type]
    engine.dispose()


def list_timings(
    base: str, headers: dict[str, str], queries: list[dict[str, str | int]], rounds: int
) -> dict[str, list[float]]:
    """Milliseconds per request, by query (the first round warms caches and is dropped)."""
    timings: dict[str, list[float]] = {str(q): [] for q in queries}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for round_no in range(rounds + 1):
            for params in queries:
                started = time.perf_counter()
                response = client.get("/api/v1/events", params=params)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if round_no:
                    timings[str(params)].append(elapsed)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", metavar="DIR", help="build the SQLite database in DIR, keep it")
    where.add_argument("--reuse", metavar="DIR", help="start from DIR's kept database")
    parser.add_argument("--only", choices=("intake", "lists"), help="run one of the two parts")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="server processes (`gridgov serve --workers`; 2, one per core of the bench machine)",
    )
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 16], help="concurrent intake clients"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/13",
        help="the Redis that several server processes share live updates through",
    )
    args = parser.parse_args()
    kept = args.keep or args.reuse
    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(kept) if kept else Path(tmp)
        var_dir.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{var_dir / 'bench.db'}"
        settings = Settings(
            var_dir=var_dir, database_url=url, jobs="off", demo_password="bench-pass"
        )
        if not args.reuse:
            started = time.perf_counter()
            seed_database(
                make_engine(url),
                settings,
                tier=Tier.DISTRICT,
                seed=42,
                reset=True,
                progress=lambda *_: None,
                only=("regions", "organisations", "accounts", "events"),
            )
            print(f"seeded in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        base, server = serve(settings, url, args.workers, args.redis_url)
        print(f"serving with {args.workers} process(es)")
        if args.only != "lists":
            headers = token(base, "operator", "bench-pass")
            grids = [
                r.polygon.representative_point()
                for r in build_district(42).regions
                if r.level == "grid"
            ]
            points = [
                (p.x, p.y) for p in (grids * (args.reports // len(grids) + 1))[: args.reports]
            ]
            for clients in args.clients:
                cpu_before = cpu_seconds(server.pid)
                rate, client_cpu = intake(base, headers, points, clients)
                cpu_after = cpu_seconds(server.pid)
                cpu = (
                    f", server CPU {(cpu_after - cpu_before) / len(points) * 1000:.1f} ms/report"
                    if cpu_before is not None and cpu_after is not None
                    else ""
                )
                print(
                    f"intake over HTTP, {clients} client(s): {rate:7.1f} events/s  "
                    f"({rate / INTAKE_TARGET:.2f}x the {INTAKE_TARGET:.0f}/s target){cpu}, "
                    f"clients' CPU {client_cpu:.1f} ms/report"
                )
        if args.only == "intake":
            stop(server)
            return
        started = time.perf_counter()
        bulk_history(url, args.events, 42)
        print(f"loaded history to {args.events:,} events in {time.perf_counter() - started:.1f} s")
        queries: list[dict[str, str | int]] = [
            {},
            {"status": "reported"},
            {"status": "handling", "category_code": "03"},
            {"source": "hotline", "page": 3},
            {"overdue": "true"},
            {"region_code": "370811006"},
            {"created_from": "2026-01-01T00:00:00Z", "created_to": "2026-02-01T00:00:00Z"},
            {"q": "SJ"},
            {"q": "小区门口"},  # common words: the index gives many candidates
            {"q": "无此内容"},  # nothing matches: the index answers at once
        ]
        for who in ("operator", "street_nanzhang"):
            by_query = list_timings(base, token(base, who, "bench-pass"), queries, rounds=5)
            for query, values in by_query.items():
                print(f"    {who:<16} {query:<70} median {statistics.median(values):6.1f} ms")
            timings = [t for values in by_query.values() for t in values]
            structured = [t for q, values in by_query.items() if "'q'" not in q for t in values]
            print(
                f"list as {who:<16} without the free-text q: p95 {p95(structured):6.1f} ms  "
                f"({LIST_TARGET_MS / p95(structured):.2f}x the {LIST_TARGET_MS:.0f} ms target)"
            )
            print(
                f"list as {who:<16} p50 {statistics.median(timings):6.1f} ms  "
                f"p95 {p95(timings):6.1f} ms  "
                f"({LIST_TARGET_MS / p95(timings):.2f}x the {LIST_TARGET_MS:.0f} ms target)"
            )
        stop(server)


if __name__ == "__main__":
    main()
