"""Importing 129,000 residents from CSV (target: under 30 s), on a freshly seeded district.

Seeds the demo district into a throwaway database, writes a CSV of 129,000 new residents living
in the seeded houses, then times three runs of the real import path: a dry run, the insert,
and a re-import of the same file (every row an update).

    python bench/bench_import.py [--rows 129000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from gridgov.accounts.actor import Actor
from gridgov.config import Settings
from gridgov.db import make_engine, session_factory, unit_of_work
from gridgov.kit import idcard
from gridgov.kit.crypto import FieldCipher
from gridgov.registry import services
from gridgov.registry.models import House
from gridgov.seed.context import Tier
from gridgov.seed.runner import GENERATOR_NAMES, seed_database

TARGET_SECONDS = 30.0


def make_csv(house_codes: list[str], rows: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "手机", "人口类型", "房屋编码", "户编号", "与户主关系"])
    start = date(1940, 1, 1)
    for i in range(rows):
        # Area 370883 is used by no seeded resident, so every number here is new.
        birth = start + timedelta(days=i // 400)
        number = idcard.make("370883", birth, (i % 400) * 2 + 1)
        house = house_codes[i // 3 % len(house_codes)]
        writer.writerow(
            [
                f"导入{i}",
                number,
                f"13{rnd.randrange(10**9):09d}",
                "流动",
                house,
                f"BENCH-{i // 3:06d}",
                "户主" if i % 3 == 0 else "家属",
            ]
        )
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=129_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(var_dir=Path(tmp), database_url=url)
        engine = make_engine(url)
        started = time.perf_counter()
        seed_database(
            engine,
            settings,
            tier=Tier.DISTRICT,
            seed=42,
            reset=True,
            progress=lambda *_: None,
            # The import needs the district's houses, not its three years of cases.
            only=[name for name in GENERATOR_NAMES if name != "history"],
        )
        print(f"seeded the district in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
        with session_factory(engine)() as session:
            houses = list(session.scalars(select(House.code).order_by(House.id)))
        content = make_csv(houses, args.rows, 42)
        print(f"CSV: {args.rows:,} rows, {len(content) / 1e6:.1f} MB")
        cipher = FieldCipher(settings.effective_data_key())
        actor = Actor.system("bench")
        for label, dry_run in (("dry run", True), ("insert", False), ("re-import (update)", False)):
            started = time.perf_counter()
            with unit_of_work(engine) as session:
                report = services.import_file(
                    session,
                    "persons",
                    content,
                    "people.csv",
                    actor=actor,
                    cipher=cipher,
                    dry_run=dry_run,
                )
            seconds = time.perf_counter() - started
            print(
                f"{label:<18} {seconds:6.2f} s  {args.rows / seconds:9,.0f} rows/s  "
                f"inserted {report.inserted:,} updated {report.updated:,} "
                f"errors {len(report.errors)}"
                f"  ({TARGET_SECONDS / seconds:.1f}x under the {TARGET_SECONDS:.0f} s target)"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
