"""Report generation (专题研判) at district tier: seeds the territory, accounts and the
three-year case history with its rollups into a throwaway database, then times the weekly,
monthly and twelve-month reports — figures (build), PDF and XLSX — for the district's leader,
a street and a community. Target: under 3 s per report at district tier.

    python bench/bench_reports.py [--events 300000] [--database-url URL] [--keep PATH]
                                  [--reuse] [--out DIR]

``--keep PATH`` seeds a SQLite file that ``--reuse`` reads again without seeding (upgrading
the schema and rebuilding the rollups); ``--out``
writes one PDF and one XLSX of each kind there, to look at.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from gridgov import schema
from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.analytics import services as analytics
from gridgov.config import Settings, get_settings
from gridgov.db import make_engine, session_factory, unit_of_work
from gridgov.mediation.pdf import find_font
from gridgov.reports import pdf, services, xlsx
from gridgov.seed import history
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database

TARGET_SECONDS = 3.0
READERS = ("leader", "street_xuzhuang", "comm_370811002001")
ROUNDS = 3


def _actor(engine: Engine, username: str) -> Actor:
    with session_factory(engine)() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
        return accounts.actor_for(session, accounts.user_for_token(session, user_id))


def _time(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=history.HISTORY_EVENTS[Tier.DISTRICT])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", default="", help="a SQLite file to seed and keep")
    parser.add_argument("--reuse", action="store_true", help="read --keep without seeding")
    parser.add_argument("--out", default="", help="write sample reports to this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or (
            f"sqlite:///{args.keep}" if args.keep else f"sqlite:///{Path(tmp) / 'bench.db'}"
        )
        settings = Settings(var_dir=Path(tmp), database_url=url, jobs="off")
        engine = make_engine(url)
        if not args.reuse:
            started = time.perf_counter()
            seed_database(
                engine,
                settings,
                tier=Tier.DISTRICT,
                seed=42,
                reset=True,
                progress=lambda *_: None,
                only=("regions", "organisations", "accounts", "history", "analytics"),
                history_events=args.events,
            )
            print(f"seeded {args.events:,} cases in {time.perf_counter() - started:.0f} s")
        else:
            # The kept cases again, with the current schema and rollups built by today's code.
            schema.upgrade(engine)
            with unit_of_work(engine) as session:
                rebuilt = analytics.rollup_full(session, actor=Actor.system("bench"))
            print(f"rollups rebuilt over {rebuilt.cases:,} cases in {rebuilt.seconds:.0f} s")
        font = find_font(get_settings().pdf_font)
        zone = get_settings().timezone
        today = services.report_period("week").last + timedelta(days=7)
        kinds: dict[str, dict[str, Any]] = {
            "week": {"kind": "week"},
            "month": {"kind": "month"},
            "12m": {"start": today.replace(day=1, year=today.year - 1), "end": today},
        }
        cache = Path(tmp) / "fonts"
        took, _ = _time(lambda: pdf.prepare_font(font, cache))
        print(f"font cut down to the report characters once per process: {took:.1f} s")
        out = Path(args.out) if args.out else None
        if out:
            out.mkdir(parents=True, exist_ok=True)
        print(f"database: {engine.dialect.name}; rounds: {ROUNDS} (median, max)")
        print(f"{'reader':<20}{'report':<7}{'build':>14}{'PDF':>14}{'XLSX':>14}{'total':>14}")
        worst = 0.0
        for username in READERS:
            actor = _actor(engine, username)
            for label, params in kinds.items():
                builds, pdfs, books = [], [], []
                for _ in range(ROUNDS):
                    with session_factory(engine)() as session:
                        took, built = _time(
                            lambda: services.build_report(session, actor=actor, **params)  # noqa: B023
                        )
                        report = built
                        assert isinstance(report, services.Report)
                        builds.append(took)
                        took, pdf_body = _time(lambda: pdf.report_pdf(report, font, zone, cache))  # noqa: B023
                        pdfs.append(took)
                        took, xlsx_body = _time(lambda: xlsx.report_xlsx(report, zone))  # noqa: B023
                        books.append(took)
                totals = [a + b + c for a, b, c in zip(builds, pdfs, books, strict=True)]
                worst = max(worst, max(totals))

                def fmt(values: list[float]) -> str:
                    return f"{statistics.median(values):.2f}/{max(values):.2f} s"

                print(
                    f"{username:<20}{label:<7}{fmt(builds):>14}{fmt(pdfs):>14}{fmt(books):>14}"
                    f"{fmt(totals):>14}"
                )
                if out:
                    stem = f"{username}-{label}"
                    assert isinstance(pdf_body, bytes) and isinstance(xlsx_body, bytes)
                    (out / f"{stem}.pdf").write_bytes(pdf_body)
                    (out / f"{stem}.xlsx").write_bytes(xlsx_body)
        print(f"slowest report: {worst:.2f} s; target {TARGET_SECONDS:.0f} s: "
              f"{worst / TARGET_SECONDS:.2f}× of it")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
