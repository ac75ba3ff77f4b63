"""Importing 12345 hotline work orders (target: 10,000 rows well under a minute on SQLite).

Builds a work-order file from real citizen messages (the TipDM 2020 "群众留言" set in
`../shared/data/complaints/`, see its SOURCE.md; read in place, never copied into the
repository): subject → 标题, detail → 诉求内容, created_at → 来电时间, with GCJ-02 points
inside the demo district's grids, a phone per caller and a mix of urgencies; categories are
left empty so every row is classified. A few messages have no usable text and are reported as
bad rows (the runs use skip_invalid). Seeds a district (territory, accounts, workflow) into a
throwaway database, then times the real service path as the center operator: a dry run of
the CSV and of the same rows as XLSX, the import, and a re-import (every row already imported).
Wall and CPU seconds are both printed: on a shared machine the CPU time is the steadier figure.

    python bench/bench_hotline.py [--rows 10000] [--data DIR] [--database-url URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

import shapely
from openpyxl import Workbook

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.config import Settings
from gridgov.db import make_engine, unit_of_work
from gridgov.events import hotline
from gridgov.kit.crypto import FieldCipher
from gridgov.kit.geo import wgs84_to_gcj02
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database
from gridgov.seed.territory import build_district

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "complaints"
FILES = ("messages_with_votes.csv", "messages_with_replies.csv", "labeled_messages_raw.csv")
TARGET_SECONDS = 60.0
HEADERS = ["工单编号", "来电时间", "标题", "诉求内容", "经度", "纬度", "紧急程度", "来电人电话"]


def messages(folder: Path) -> list[tuple[str, str, str]]:
    """(subject, detail, created_at) of every message with some text."""
    found: list[tuple[str, str, str]] = []
    for name in FILES:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                detail = (row.get("detail") or row.get("text") or "").strip()
                if detail:
                    found.append(((row.get("subject") or "").strip(), detail, row["created_at"]))
    return found


def points_inside(count: int, seed: int) -> list[tuple[float, float]]:
    """Random WGS-84 points, each inside one of the district's basic grids."""
    rnd = random.Random(seed)
    grids = [r.polygon for r in build_district(42).regions if r.level == "grid"]
    points: list[tuple[float, float]] = []
    while len(points) < count:
        polygon = rnd.choice(grids)
        west, south, east, north = polygon.bounds
        lon, lat = rnd.uniform(west, east), rnd.uniform(south, north)
        if polygon.contains(shapely.Point(lon, lat)):
            points.append((lon, lat))
    return points


def work_orders(rows: int, folder: Path, seed: int) -> list[list[str]]:
    rnd = random.Random(seed)
    texts = messages(folder)
    points = points_inside(rows, seed)
    urgencies = ["一般"] * 8 + ["紧急"] * 2 + ["特急"]
    table = []
    for i in range(rows):
        subject, detail, created = texts[i % len(texts)]
        lon, lat = wgs84_to_gcj02(*points[i])
        table.append(
            [
                f"BENCH{i:07d}",
                created,
                subject[:200],
                detail[:5000],
                f"{lon:.7f}",
                f"{lat:.7f}",
                rnd.choice(urgencies),
                f"13{rnd.randrange(10**9):09d}",
            ]
        )
    return table


def as_csv(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(table)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(table: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(
    url: str, settings: Settings, content: bytes, name: str, *, dry_run: bool
) -> hotline.ImportReport:
    cipher = FieldCipher(settings.effective_data_key())
    with unit_of_work(make_engine(url)) as session:
        user = next(u for u in accounts.all_users_for_operator(session) if u.username == "operator")
        actor: Actor = accounts.actor_for(session, user)
        return hotline.import_workorders(
            session, content, name, actor=actor, cipher=cipher, dry_run=dry_run, skip_invalid=True
        )


def report_line(what: str, report: hotline.ImportReport, seconds: float, cpu: float) -> str:
    return (
        f"{what:<28} {seconds:6.1f} s  {report.rows / seconds:6.0f} rows/s  (CPU {cpu:5.1f} s; "
        f"created {report.created}, already imported {report.already_imported}, "
        f"invalid {report.invalid})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not all((args.data / name).exists() for name in FILES):
        print(
            f"skipped: the citizen-message data set is not at {args.data} "
            f"(needs {', '.join(FILES)}; see its SOURCE.md). Pass --data DIR."
        )
        sys.exit(0)
    table = work_orders(args.rows, args.data, 42)
    csv_bytes, xlsx_bytes = as_csv(table), as_xlsx(table)
    print(
        f"{args.rows:,} work orders from {args.data.name}: CSV {len(csv_bytes) / 1e6:.1f} MB, "
        f"XLSX {len(xlsx_bytes) / 1e6:.1f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(
            var_dir=Path(tmp), database_url=url, jobs="off", demo_password="bench-pass"
        )
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
        for what, content, name, dry_run in (
            ("dry run, CSV", csv_bytes, "bench.csv", True),
            ("dry run, XLSX", xlsx_bytes, "bench.xlsx", True),
            ("import, CSV", csv_bytes, "bench.csv", False),
            ("re-import (all known), CSV", csv_bytes, "bench.csv", False),
        ):
            started, cpu = time.perf_counter(), time.process_time()
            report = run(url, settings, content, name, dry_run=dry_run)
            seconds = time.perf_counter() - started
            print(report_line(what, report, seconds, time.process_time() - cpu))
            if what.startswith("import"):
                print(
                    f"{'':<28} {TARGET_SECONDS / seconds:.1f}x under the "
                    f"{TARGET_SECONDS:.0f} s target"
                )


if __name__ == "__main__":
    main()
