"""Early-warning scan at the district tier: seed territory, accounts, 1,000 recent cases, the
300,000-case history and its rollups into a scratch database (kept between runs), then time
the scan twice (the first raises the alerts, the second finds them again and only updates).

    python bench/bench_alerts.py [--database-url URL] [--history N]

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from gridgov.accounts.actor import Actor
from gridgov.alerts import services as alerts
from gridgov.config import Settings
from gridgov.db import make_engine, unit_of_work
from gridgov.seed.context import Tier
from gridgov.seed.runner import is_seeded, seed_database

ONLY = ("regions", "organisations", "accounts", "events", "history", "analytics")


def main() -> None:
    parser = argparse.ArgumentParser()
    default = Path(tempfile.gettempdir()) / "gridgov_bench_alerts.db"
    parser.add_argument("--database-url", default=f"sqlite:///{default}")
    parser.add_argument("--history", type=int, default=300_000)
    args = parser.parse_args()
    settings = Settings(
        var_dir=Path(tempfile.gettempdir()) / "gridgov_bench_alerts_var",
        database_url=args.database_url,
        secret_key="bench-secret-key-bench-secret-key-0123456789",
        jobs="off",
    )
    engine = make_engine(args.database_url)
    if not is_seeded(engine):
        started = time.perf_counter()
        seed_database(
            engine,
            settings,
            tier=Tier.DISTRICT,
            seed=42,
            reset=False,
            progress=lambda *_: None,
            only=ONLY,
            history_events=args.history,
        )
        print(f"seeded {args.history:,} history cases in {time.perf_counter() - started:.0f} s")
    for run in ("first scan", "second scan"):
        with unit_of_work(engine) as session:
            report = alerts.scan(session, actor=Actor.system("bench"))
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in report.step_seconds.items())
        print(f"{run}: {report.seconds:.2f} s ({steps})")
        print(f"  {report.summary()}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
