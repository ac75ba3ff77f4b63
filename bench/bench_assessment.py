"""Assessment at district scale, on a seeded demo database (``gridgov seed --tier district``):
each default scheme's live board for last month (the assessment's own figures: analytics
rankings, the workers' own cases, patrol/visit/task counters), then freezing the last two
months of every scheme as the seed does (rolled back), and reading a frozen board.

    GRIDGOV_DATABASE_URL=sqlite:///var/gridgov.db python bench/bench_assessment.py

Prints seconds; nothing is kept (the freezing runs in a transaction that is rolled back).
"""

from __future__ import annotations

import time
from typing import Any

from gridgov import schema
from gridgov.accounts.actor import Actor
from gridgov.assessment import services
from gridgov.config import get_settings
from gridgov.db import make_engine, session_factory


def main() -> None:
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    schema.upgrade(engine)
    system = Actor.system("bench")
    session = session_factory(engine)()
    try:
        services.install_defaults(session, actor=system)
        month = services.previous_month()
        print(f"district database: {settings.effective_database_url}")
        for scheme in services.list_schemes(session, actor=system):
            started = time.perf_counter()
            rows, *_ = services.compute(session, scheme, month, actor=system)
            seconds = time.perf_counter() - started
            print(f"live board {scheme.code:<20} {len(rows):>4} targets {seconds:7.2f} s")
        started = time.perf_counter()
        shared: dict[Any, Any] = {}
        frozen = 0
        for m in (services.previous_month(month), month):
            for scheme in services.list_schemes(session, actor=system):
                frozen += services.freeze(
                    session, scheme.code, m, actor=system, shared=shared
                ).snapshot.rows
        seconds = time.perf_counter() - started
        print(f"freeze 2 months x every scheme (the seed's work): {frozen} rows {seconds:.2f} s")
        started = time.perf_counter()
        board = services.scores(session, actor=system, scheme_code="worker_monthly", month=month)
        seconds = time.perf_counter() - started
        print(f"frozen worker board read: {len(board.rows)} rows {seconds * 1000:.0f} ms")
    finally:
        session.rollback()
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
