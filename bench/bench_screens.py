"""The five big screens at the district tier: how long each screen's whole payload takes to
build, in-process through the same service the API calls (``screens.services.screen``).

Needs a seeded district (territory, base data, the 300,000-case history and its rollups):
pass ``--database-url`` of one that exists (``gridgov seed`` builds one); without it a fresh
district with ``--history`` cases is seeded into a temporary directory first (slow).

For each screen and each reader (the leader over the district, a street's staff over their
street) it times ``--samples`` payloads over three periods (this month, the last 30 days, this
year), prints median and p95 wall and CPU time against the 2 s target, and the slowest panels'
sources. Run it ``nice``'d on a shared machine:

    nice -n 10 python bench/bench_screens.py --database-url sqlite:////path/district.db
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.analytics import services as analytics
from gridgov.config import Settings
from gridgov.db import make_engine, session_factory
from gridgov.events.models import Event
from gridgov.screens import services
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database

TARGET_MS = 2_000.0
READERS = ("leader", "street_xuzhuang")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def actor_named(session: Session, username: str) -> Actor:
    user = session.scalars(select(User).where(User.username == username)).one()
    return accounts.actor_for(session, user)


def seeded(history: int) -> str:
    root = Path(tempfile.mkdtemp(prefix="bench-screens-"))
    url = f"sqlite:///{root / 'district.db'}"
    settings = Settings(var_dir=root, database_url=url, jobs="off")
    print(f"seeding a district with {history:,} history cases into {root} …")
    started = time.perf_counter()
    seed_database(
        make_engine(url),
        settings,
        tier=Tier.DISTRICT,
        seed=42,
        reset=False,
        progress=lambda *_: None,
        history_events=history,
    )
    print(f"  seeded in {time.perf_counter() - started:.0f} s")
    return url


def run(url: str, samples: int) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions() as session:
        cases = session.scalar(select(func.count(Event.id))) or 0
    today = analytics.today()
    periods = {
        "本月": (today.replace(day=1), today),
        "近30天": (today - timedelta(days=29), today),
        "本年": (today.replace(month=1, day=1), today),
    }
    print(f"district database: {cases:,} cases; target {TARGET_MS:.0f} ms per screen payload")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for username in READERS:
        for name in services.SCREENS:
            wall: list[float] = []
            cpu: list[float] = []
            for n in range(samples):
                first, last = list(periods.values())[n % len(periods)]
                with sessions() as session:
                    actor = actor_named(session, username)
                    started, cpu_started = time.perf_counter(), time.process_time()
                    payload = services.screen(session, name, actor=actor, start=first, end=last)
                    wall.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                    empty = [p.id for p in payload.panels if not p.has_data]
            print(
                f"{name:12s} as {username:16s} n={len(wall)} "
                f"wall p50 {statistics.median(wall):7.0f} ms p95 {p95(wall):7.0f} ms | "
                f"CPU p50 {statistics.median(cpu):7.0f} ms p95 {p95(cpu):7.0f} ms "
                f"({TARGET_MS / p95(cpu):.1f}× under target by CPU)"
                + (f" empty: {empty}" if empty else "")
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--samples", type=int, default=6)
    parser.add_argument("--history", type=int, default=300_000)
    args = parser.parse_args()
    run(args.database_url or seeded(args.history), args.samples)


if __name__ == "__main__":
    main()
