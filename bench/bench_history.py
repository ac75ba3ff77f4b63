"""The three-year case history (seed/history.py) at full scale: seconds, rows per second and
database size, then the cost of checking every hash chain (`gridgov audit verify`).

Seeds territory, organisations and accounts into a throwaway database (SQLite by default, or
``--database-url``, e.g. a PostgreSQL database you created), then times the history generator
alone. Target: 300,000 cases in under 2 minutes on SQLite on a 2-core machine.

    python bench/bench_history.py [--events 300000] [--database-url URL] [--verify]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text

from gridgov.config import Settings
from gridgov.db import make_engine, session_factory
from gridgov.events import services as events
from gridgov.events.models import Event
from gridgov.seed import history
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database
from gridgov.workflow.models import WorkflowStep

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=history.HISTORY_EVENTS[Tier.DISTRICT])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--verify", action="store_true", help="also time the chain check")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(var_dir=Path(tmp), database_url=url, jobs="off")
        engine = make_engine(url)
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "历史事件":
                marks.setdefault("wall", time.perf_counter())
                marks.setdefault("cpu", time.process_time())
                marks["wall_end"], marks["cpu_end"] = time.perf_counter(), time.process_time()

        seed_database(
            engine,
            settings,
            tier=Tier.DISTRICT,
            seed=42,
            reset=True,
            progress=progress,
            only=("regions", "organisations", "accounts", "history"),
            history_events=args.events,
        )
        seconds = marks["wall_end"] - marks["wall"]
        cpu = marks["cpu_end"] - marks["cpu"]
        with session_factory(engine)() as session:
            cases = session.scalar(select(func.count()).select_from(Event)) or 0
            steps = session.scalar(select(func.count()).select_from(WorkflowStep)) or 0
            if engine.dialect.name == "postgresql":
                size = session.scalar(text("SELECT pg_database_size(current_database())")) or 0
            else:
                size = Path(url.removeprefix("sqlite:///")).stat().st_size
        rows = cases * 2 + steps  # events, workflow instances, timeline steps
        print(f"database: {engine.dialect.name}")
        print(f"history: {cases:,} cases, {steps:,} timeline steps ({steps / cases:.1f} a case)")
        print(
            f"seconds: {seconds:.1f} wall, {cpu:.1f} CPU (this process) — "
            f"{cases / seconds:,.0f} cases/s, {rows / seconds:,.0f} rows/s; "
            f"target {TARGET_SECONDS:.0f} s: {seconds / TARGET_SECONDS:.2f}× of it"
        )
        print(f"database size: {size / 1e6:,.0f} MB ({size / cases:,.0f} bytes a case)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: {peak:,.0f} MB")
        if args.verify:
            started = time.perf_counter()
            with session_factory(engine)() as session:
                report = events.verify_timelines(session)
            took = time.perf_counter() - started
            print(
                f"audit verify: {report.steps:,} entries in {took:.1f} s "
                f"({report.steps / took:,.0f}/s), {len(report.broken)} broken"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
