"""Every way the figures are read — the per-node totals (no category, source or department
asked), the nodes' daily rows by category and source, the grid rows (a department asked) —
counts the same cases as the raw rows, over a period with edge days on both sides."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.analytics import services
from tests.analytics import reference
from tests.analytics.conftest import Fresh

STREET, COMMUNITY, GRID = "370811002", "370811002001", "370811002001001"
DEPTH = {None: 1, STREET: 2, COMMUNITY: 3, GRID: 3}  # the path segment naming a child


def _period() -> tuple[date, date]:
    today = services.today()
    # Partial months at both ends and many whole months between (the history is thin per grid).
    first = today - timedelta(days=700)
    return first.replace(day=min(first.day, 27) + 1), today - timedelta(days=3)


def _counts(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.value_counts().items()}


@pytest.mark.parametrize("region", [None, STREET, COMMUNITY, GRID])
def test_every_read_path_counts_the_raw_cases(history_district: Fresh, region: str | None) -> None:
    _, _, engine = history_district
    cases = reference.raw_cases(engine)
    if region:
        cases = cases[cases["region_path"].str.contains(f"/{region}/")]
    first, last = _period()
    day = cases["created_at"].dt.tz_convert(reference.ZONE).dt.date
    reported = cases[(day >= first) & (day <= last)]
    assert len(reported) >= 3, "the history should fill the period"
    actor = Actor.system("test")
    q = services.Query(region, first, last)
    with Session(engine) as session:
        # Totals: the summary, the region breakdown, the trend by week (from the day rows).
        assert services.summary(session, q, actor=actor).counters["reported"] == len(reported)
        children = reported["region_path"].map(lambda p: p.split("/")[DEPTH[region]])
        rows = services.breakdown(session, q, "region", actor=actor)
        assert {r.key: r.counters["reported"] for r in rows if r.counters["reported"]} == (
            _counts(children)
        )
        points = services.trend(session, q, "week", actor=actor)  # day rows, like by day
        assert sum(p.counters["reported"] for p in points) == len(reported)
        # The nodes' daily rows (the grid rows for a grid): by source, and one source.
        rows = services.breakdown(session, q, "source", actor=actor)
        by_source = {r.key: r.counters["reported"] for r in rows if r.counters["reported"]}
        assert by_source == _counts(reported["source"])
        source = max(by_source, key=lambda k: by_source[k])
        one = services.Query(region, first, last, source=source)
        assert (
            services.summary(session, one, actor=actor).counters["reported"] == (by_source[source])
        )
        # The grid rows: by department.
        rows = services.breakdown(session, q, "department", actor=actor)
        by_department = {r.key: r.counters["reported"] for r in rows if r.counters["reported"]}
        assert by_department == _counts(reported["department_id"])
