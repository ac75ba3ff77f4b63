"""Sustained GPS track ingest: many workers posting fixes, through the service and over HTTP.

1. Seeds a district's territory and accounts (400 grid workers) into a throwaway database:
   SQLite, or PostgreSQL with ``--backend postgresql`` (a database created and dropped on the
   server at ``--pg-admin-url``, default the local postgres), or ``--database-url``.
2. Every worker starts a patrol. Then rounds: each worker sends one batch of fixes, a
   transaction per batch as a request is (batches of 1: a phone posting every 10 s; batches
   of 30: one posting every 5 minutes, or an offline queue draining).
3. Through the service (``patrol.services.add_points``, in this process) and through the real
   endpoint ``POST /api/v1/patrols/{id}/points`` under uvicorn in its own process with
   concurrent clients. Prints points/s and the ratio to the target of 1,000 points/s
   (10,000 workers every 10 s).

    python bench/bench_track_ingest.py [--backend sqlite|postgresql] [--rounds 5]
        [--clients 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from gridgov.accounts import services as accounts
from gridgov.accounts.models import User
from gridgov.accounts.security import issue_token
from gridgov.app import create_app
from gridgov.config import Settings
from gridgov.db import make_engine, unit_of_work
from gridgov.patrol import services as patrol
from gridgov.patrol.schemas import PatrolStart, PointsIn
from gridgov.patrol.tracks import M_PER_DEG
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database

TARGET = 1000.0
PORT = 8766
SECRET = "bench-secret-bench-secret-bench-secret-0123"


def _run_server(var_dir: str, url: str, port: int) -> None:
    settings = Settings(var_dir=Path(var_dir), database_url=url, jobs="off", secret_key=SECRET)
    uvicorn.run(
        create_app(settings, make_engine(url)), host="127.0.0.1", port=port, log_level="error"
    )


def serve(var_dir: str, url: str) -> tuple[str, SpawnProcess]:
    process = multiprocessing.get_context("spawn").Process(
        target=_run_server, args=(var_dir, url, PORT), daemon=True
    )
    process.start()
    base = f"http://127.0.0.1:{PORT}"
    for _ in range(600):
        try:
            httpx.get(f"{base}/api/v1/health", timeout=1)
            return base, process
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


class Fleet:
    """The workers, their open patrols and a clock per worker for the next fix."""

    def __init__(self, url: str) -> None:
        engine = make_engine(url)
        self.engine = engine
        self.actors: list[Any] = []
        self.patrol_ids: list[int] = []
        start = datetime.now(UTC) - timedelta(hours=2)
        with unit_of_work(engine) as session:
            users = list(
                session.scalars(select(User).where(User.role == "grid_worker").order_by(User.id))
            )
            for user in users:
                actor = accounts.actor_for(session, user)
                created, _ = patrol.start_patrol(
                    session,
                    PatrolStart(client_id=uuid.uuid4().hex, started_at=start),
                    actor=actor,
                )
                self.actors.append(actor)
                self.patrol_ids.append(created.id)
        self.user_ids = [u.id for u in users]
        self.start = start
        self.sent = [0] * len(users)

    def batch(self, index: int, size: int) -> dict[str, Any]:
        """The next ``size`` fixes of worker ``index``: 10 s apart, walking east."""
        first = self.sent[index]
        self.sent[index] += size
        lat = 35.4 + index * 0.0005
        scale = M_PER_DEG * math.cos(math.radians(lat))
        return {
            "points": [
                {
                    "t": (self.start + timedelta(seconds=10 * k)).isoformat(),
                    "lon": 117.0 + 1.2 * 10 * k / scale,
                    "lat": lat,
                    "accuracy_m": 8.0,
                    "speed_mps": 1.2,
                }
                for k in range(first, first + size)
            ]
        }


def through_service(fleet: Fleet, size: int, rounds: int) -> float:
    payloads = [
        [PointsIn.model_validate(fleet.batch(i, size)) for i in range(len(fleet.actors))]
        for _ in range(rounds)
    ]
    started = time.perf_counter()
    points = 0
    for batches in payloads:
        for actor, patrol_id, data in zip(fleet.actors, fleet.patrol_ids, batches, strict=True):
            with unit_of_work(fleet.engine) as session:
                result = patrol.add_points(session, patrol_id, data, actor=actor)
            points += result.stored
    return points / (time.perf_counter() - started)


def over_http(base: str, fleet: Fleet, size: int, rounds: int, clients: int) -> float:
    tokens = [
        {"Authorization": f"Bearer {issue_token(user_id, SECRET, 600)}"}
        for user_id in fleet.user_ids
    ]
    jobs = [
        (i, fleet.patrol_ids[i], fleet.batch(i, size))
        for _ in range(rounds)
        for i in range(len(fleet.user_ids))
    ]

    def run(chunk: list[tuple[int, int, dict[str, Any]]]) -> int:
        stored = 0
        with httpx.Client(base_url=base, timeout=60) as client:
            for index, patrol_id, body in chunk:
                response = client.post(
                    f"/api/v1/patrols/{patrol_id}/points", json=body, headers=tokens[index]
                )
                assert response.status_code == 200, response.text
                stored += int(response.json()["stored"])
        return stored

    chunks = [jobs[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        stored = sum(pool.map(run, chunks))
    return stored / (time.perf_counter() - started)


def report(label: str, rate: float) -> None:
    print(f"{label:<48} {rate:9.0f} points/s  ({rate / TARGET:.2f}x the {TARGET:.0f}/s target)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    throwaway = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if not url and args.backend == "postgresql":
            throwaway = f"gridgov_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{throwaway}"'))
            admin.dispose()
            url = make_url(args.pg_admin_url).set(database=throwaway).render_as_string(False)
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        try:
            settings = Settings(var_dir=Path(tmp), database_url=url, jobs="off")
            started = time.perf_counter()
            seed_database(
                make_engine(url),
                settings,
                tier=Tier.DISTRICT,
                seed=42,
                reset=True,
                progress=lambda *_: None,
                only=("regions", "organisations", "accounts"),
            )
            fleet = Fleet(url)
            backend = url.split(":")[0]
            print(
                f"{backend}: {len(fleet.actors)} workers with an open patrol, "
                f"seeded in {time.perf_counter() - started:.1f} s"
            )
            for size in (1, 30):
                rate = through_service(fleet, size, args.rounds)
                report(f"service, batches of {size:>2}, 1 thread", rate)
            base, server = serve(tmp, url)
            try:
                for size in (1, 30):
                    rate = over_http(base, fleet, size, args.rounds, args.clients)
                    report(f"HTTP, batches of {size:>2}, {args.clients} clients", rate)
            finally:
                server.terminate()
                server.join(10)
            fleet.engine.dispose()
        finally:
            if throwaway:
                admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{throwaway}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
