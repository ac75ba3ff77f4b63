"""The rollups equal a direct GROUP BY of the cases, after the seed and after incremental runs
that see only the cases changed since the last one."""

from __future__ import annotations

from typing import Any

import pandas as pd
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov import jobs
from gridgov.analytics.models import CaseFact, DailyRollup, MonthlyRollup, TotalRollup
from gridgov.orgs.models import Organisation
from tests.analytics import reference
from tests.analytics.conftest import HISTORY_EVENTS, Fresh
from tests.conftest import Auth

GRID = "370811002001001"


def test_seeded_daily_rollup_equals_a_direct_group_by(history_district: Fresh) -> None:
    _, _, engine = history_district
    cases = reference.raw_cases(engine)
    assert len(cases) == HISTORY_EVENTS + 1000
    # The history holds every branch the counters ask about.
    assert cases["self_settle"].sum() > 50 and cases["rework"].sum() > 10
    assert cases["escalate"].sum() > 10 and cases["satisfaction"].notna().sum() > 100
    expected = reference.daily(cases)
    stored = reference.stored_daily(engine)
    assert len(stored) == len(expected)
    assert reference.same(expected, stored).empty


def test_monthly_rows_of_every_level_sum_the_daily_rows(history_district: Fresh) -> None:
    _check_monthly(history_district[2])


def test_node_rows_and_totals_sum_the_grid_rows(history_district: Fresh) -> None:
    engine = history_district[2]
    assert reference.node_differences(engine) == []
    with Session(engine) as session:
        district = session.scalars(
            select(TotalRollup).where(TotalRollup.grain == "month", TotalRollup.up == 3)
        ).all()
    # The district's month totals hold the whole history.
    assert sum(r.reported for r in district) == HISTORY_EVENTS + 1000


def _check_monthly(engine: Engine) -> None:
    with Session(engine) as session:
        days = pd.DataFrame(
            [
                {
                    "month": r.month,
                    "reported": r.reported,
                    "closed": r.closed,
                    "due_on_time": r.due_on_time,
                    "paths": [r.region_path, r.up1_path, r.up2_path, r.up3_path, r.up4_path],
                }
                for r in session.scalars(select(DailyRollup))
            ]
        )
        months = pd.DataFrame(
            [
                {
                    "month": r.month,
                    "node": r.region_path,
                    "up": r.up,
                    "reported": r.reported,
                    "closed": r.closed,
                    "due_on_time": r.due_on_time,
                }
                for r in session.scalars(select(MonthlyRollup))
            ]
        )
    for up in range(4):
        days["node"] = days["paths"].map(lambda p, up=up: p[up])
        expected = days.groupby(["month", "node"])[["reported", "closed", "due_on_time"]].sum()
        got = (
            months[months["up"] == up]
            .groupby(["month", "node"])[["reported", "closed", "due_on_time"]]
            .sum()
        )
        pd.testing.assert_frame_equal(expected.sort_index(), got.sort_index())


def _inside(client: TestClient, auth: Auth, grid: str) -> dict[str, float]:
    body = client.get(f"/api/v1/regions/{grid}", headers=auth("admin")).json()
    point = shapely.geometry.shape(body["geometry"]).representative_point()
    return {"lon": point.x, "lat": point.y}


def _do(client: TestClient, headers: dict[str, str], event: dict[str, Any], action: str,
        **extra: Any) -> dict[str, Any]:  # fmt: skip
    response = client.post(
        f"/api/v1/events/{event['id']}/actions/{action}",
        json={"version": event["version"], **extra},
        headers=headers,
    )
    assert response.status_code == 200, f"{action}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


def _handled(client: TestClient, auth: Auth, event: dict[str, Any], department: int) -> Any:
    operator, handler = auth("operator"), auth("dept_sw")
    event = _do(client, operator, event, "accept")
    event = _do(client, operator, event, "dispatch", department_id=department, comment="请处置")
    event = _do(client, handler, event, "receive")
    return _do(client, handler, event, "feedback", comment="已处置")


def test_incremental_runs_move_only_what_changed(history_district: Fresh) -> None:
    client, auth, engine = history_district
    with Session(engine) as session:
        sewer = session.scalars(select(Organisation.id).where(Organisation.code == "dept-sw")).one()
    jobs.analytics_rollup(engine)  # whatever the seed left newer than its watermark
    before = reference.stored_daily(engine)
    worker, operator = auth("gw_" + GRID), auth("operator")
    where = _inside(client, auth, GRID)
    grid_path = client.get(f"/api/v1/regions/{GRID}", headers=auth("admin")).json()["path"]

    def report(title: str) -> dict[str, Any]:
        body = {"title": title, "source": "grid_worker", "location": where}
        response = client.post("/api/v1/events", json=body, headers=worker)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    report("井盖丢失")  # intake only
    closed = _do(client, operator, _handled(client, auth, report("路灯不亮"), sewer), "approve")
    reworked = _handled(client, auth, report("道路破损"), sewer)
    reworked = _do(client, operator, reworked, "rework", comment="未处置到位")
    reworked = _do(client, auth("dept_sw"), reworked, "feedback", comment="已重新处置")
    reworked = _do(client, operator, reworked, "approve")

    run = jobs.analytics_rollup(engine)
    assert run.mode == "incremental" and run.cases >= 3
    after = reference.stored_daily(engine)
    # Equal to a recomputation from scratch …
    assert reference.same(reference.daily(reference.raw_cases(engine)), after).empty
    # … and only keys of the touched grid changed, with the counters a user would expect.
    changed = reference.same(before, after)
    assert set(changed["region_path"]) == {grid_path}
    day = pd.Timestamp(closed["closed_at"]).tz_convert("Asia/Shanghai").date()
    old, new = _totals(before, day, grid_path), _totals(after, day, grid_path)
    assert new["reported"] - old["reported"] == 3
    assert new["closed"] - old["closed"] == 2
    assert new["reworked"] - old["reworked"] == 1
    assert new["self_settled"] == old["self_settled"]

    # Reopening moves the case out of the closed counters of its closing day.
    _do(client, auth("admin"), closed, "reopen", comment="群众反映未修好")
    jobs.analytics_rollup(engine)
    again = _totals(reference.stored_daily(engine), day, grid_path)
    assert again["closed"] == new["closed"] - 1 and again["reported"] == new["reported"]
    recomputed = reference.daily(reference.raw_cases(engine))
    assert reference.same(recomputed, reference.stored_daily(engine)).empty
    _check_monthly(engine)
    assert reference.node_differences(engine) == []


def _totals(frame: pd.DataFrame, day: Any, grid: str) -> dict[str, int]:
    rows = frame[(frame["day"] == day) & (frame["region_path"] == grid)]
    return {n: int(rows[n].sum()) for n in ("reported", "closed", "reworked", "self_settled")}


def test_a_run_with_nothing_new_changes_nothing(history_district: Fresh) -> None:
    _, _, engine = history_district
    jobs.analytics_rollup(engine)
    before = reference.stored_daily(engine)
    jobs.analytics_rollup(engine)
    assert reference.same(before, reference.stored_daily(engine)).empty
    assert reference.node_differences(engine) == []


def test_a_voided_case_leaves_its_due_day_and_the_rows_it_alone_held(
    history_district: Fresh,
) -> None:
    client, auth, engine = history_district
    jobs.analytics_rollup(engine)
    worker, operator = auth("gw_" + GRID), auth("operator")
    body = {"title": "垃圾堆放", "source": "grid_worker", "location": _inside(client, auth, GRID)}
    response = client.post("/api/v1/events", json=body, headers=worker)
    assert response.status_code == 201, response.text
    event = _do(client, operator, response.json(), "accept")
    jobs.analytics_rollup(engine)
    due_day = pd.Timestamp(event["deadline_at"]).tz_convert("Asia/Shanghai").date()
    with Session(engine) as session:
        fact = session.get(CaseFact, event["id"])
        assert fact is not None and fact.due_day == due_day
        key = (
            DailyRollup.day == due_day,
            DailyRollup.region_path == fact.region_path,
            DailyRollup.category_code == fact.category_code,
            DailyRollup.source == fact.source,
            DailyRollup.department_id == fact.department_id,
        )
        # The new case is the only one falling due under its key that day.
        assert [r.due for r in session.scalars(select(DailyRollup).where(*key))] == [1]

    _do(client, operator, event, "void", comment="与已受理事件重复")
    jobs.analytics_rollup(engine)
    with Session(engine) as session:
        # Nothing is due of a voided case: the row it alone held is gone, not left at zero.
        assert session.scalars(select(DailyRollup).where(*key)).all() == []
    recomputed = reference.daily(reference.raw_cases(engine))
    assert reference.same(recomputed, reference.stored_daily(engine)).empty
    _check_monthly(engine)
    assert reference.node_differences(engine) == []
