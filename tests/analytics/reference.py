"""An independent recomputation of the rollups with pandas, from the raw case rows and their
timelines: what the analytics tables must equal."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.analytics.models import DailyRollup, NodeDailyRollup, TotalRollup
from gridgov.events.models import Event
from gridgov.workflow.models import WorkflowStep

ZONE = "Asia/Shanghai"
KEYS = ["day", "region_path", "category_code", "source", "department_id"]


def raw_cases(engine: Engine) -> pd.DataFrame:
    """One row per case with the timeline facts the indicators need."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                Event.id,
                Event.region_path,
                Event.category_code,
                Event.source,
                Event.department_id,
                Event.status,
                Event.level,
                Event.created_at,
                Event.deadline_at,
                Event.closed_at,
                Event.extra,
                Event.workflow_instance_id,
            )
        ).all()
        steps = session.execute(
            select(WorkflowStep.instance_id, WorkflowStep.action).where(
                WorkflowStep.action.in_(("self_settle", "rework", "escalate"))
            )
        ).all()
    frame = pd.DataFrame([r._asdict() for r in rows])
    for column in ("created_at", "deadline_at", "closed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["satisfaction"] = frame["extra"].map(lambda e: (e or {}).get("satisfaction"))
    actions = pd.DataFrame(steps, columns=["workflow_instance_id", "action"])
    for action in ("self_settle", "rework", "escalate"):
        having = set(actions.loc[actions["action"] == action, "workflow_instance_id"])
        frame[action] = frame["workflow_instance_id"].isin(having)
    frame["department_id"] = frame["department_id"].fillna(0).astype(int)
    return frame


def _local_day(column: pd.Series) -> pd.Series:
    local: pd.Series = column.dt.tz_convert(ZONE).dt.date
    return local


def daily(cases: pd.DataFrame) -> pd.DataFrame:
    """The daily counters, anchor by anchor, summed per key."""
    c = cases.copy()
    voided = c["status"] == "voided"
    closed = c["closed_at"].notna()
    on_time = closed & (c["closed_at"] <= c["deadline_at"])
    settled_states = c["status"].isin(["reported", "voided", "suspended"])
    sat = c["satisfaction"]
    parts = []

    report = c.assign(
        day=_local_day(c["created_at"]),
        reported=1,
        accepted=(~c["status"].isin(["reported", "voided"])).astype(int),
        voided=voided.astype(int),
        st_pending=(c["status"] == "reported").astype(int),
        st_in_progress=(~closed & ~settled_states).astype(int),
        st_suspended=(c["status"] == "suspended").astype(int),
        st_closed=(closed & ~settled_states).astype(int),
    )
    parts.append(report)
    due = c[~voided]
    due = due.assign(
        day=_local_day(due["deadline_at"]),
        due=1,
        due_closed=closed[~voided].astype(int),
        due_on_time=on_time[~voided].astype(int),
        due_open=(~closed[~voided]).astype(int),
    )
    parts.append(due)
    done = c[closed]
    rated = sat[closed].notna()
    done = done.assign(
        day=_local_day(done["closed_at"]),
        closed=1,
        closed_on_time=on_time[closed].astype(int),
        self_settled=done["self_settle"].astype(int),
        reworked=done["rework"].astype(int),
        escalated=done["escalate"].astype(int),
        settled_grid=(done["level"] == "grid").astype(int),
        settled_community=(done["level"] == "community").astype(int),
        settled_street=(done["level"] == "street").astype(int),
        settled_district=(done["level"] == "district").astype(int),
        handling_seconds=(done["closed_at"] - done["created_at"])
        .dt.total_seconds()
        .astype("int64"),
        rated=rated.astype(int),
        satisfaction_sum=sat[closed].fillna(0).astype(int),
        satisfied=(sat[closed].fillna(0) >= 4).astype(int),
        dissatisfied=(rated & (sat[closed].fillna(9) <= 2)).astype(int),
    )
    parts.append(done)
    counters = [c.name for c in DailyRollup.__table__.columns if c.name not in _NOT_COUNTERS]
    frames = [p.reindex(columns=KEYS + counters).fillna(0) for p in parts]
    summed = pd.concat(frames).groupby(KEYS, as_index=False)[counters].sum()
    return summed.astype({name: "int64" for name in counters})


_NOT_COUNTERS = {*KEYS, "month", "up1_path", "up2_path", "up3_path", "up4_path"}


def stored_daily(engine: Engine) -> pd.DataFrame:
    with Session(engine) as session:
        rows = session.scalars(select(DailyRollup)).all()
        columns = [c.name for c in DailyRollup.__table__.columns if c.name not in _NOT_COUNTERS]
        data: list[dict[str, Any]] = [{k: getattr(r, k) for k in KEYS + columns} for r in rows]
    frame = pd.DataFrame(data)
    return frame.astype({name: "int64" for name in columns})


def same(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Rows where the two tables differ (empty when equal)."""
    merged = a.merge(b, on=KEYS, how="outer", suffixes=("_a", "_b"), indicator=True)
    counters = [c for c in a.columns if c not in KEYS]
    differs = merged["_merge"] != "both"
    for name in counters:
        differs |= merged[f"{name}_a"] != merged[f"{name}_b"]
    return merged[differs]


def _grid_rows(engine: Engine) -> pd.DataFrame:
    """The grid daily rows with every ancestor, all counters."""
    with Session(engine) as session:
        rows = session.scalars(select(DailyRollup)).all()
        columns = [c.name for c in DailyRollup.__table__.columns]
        frame = pd.DataFrame([{k: getattr(r, k) for k in columns} for r in rows])
    return frame


def _rows(engine: Engine, model: Any) -> pd.DataFrame:
    with Session(engine) as session:
        rows = session.scalars(select(model)).all()
        columns = [c.name for c in model.__table__.columns]
        return pd.DataFrame([{k: getattr(r, k) for k in columns} for r in rows])


def node_differences(engine: Engine) -> list[str]:
    """Where the nodes' daily rows and the totals differ from sums of the grid daily rows:
    every node's (day, category, source) rows, every node's day and month totals (empty
    when all equal)."""
    grids = _grid_rows(engine)
    counters = [c for c in grids.columns if c not in _NOT_COUNTERS]
    nodes = _rows(engine, NodeDailyRollup)
    totals = _rows(engine, TotalRollup)
    problems: list[str] = []

    def compare(name: str, expected: pd.DataFrame, got: pd.DataFrame, keys: list[str]) -> None:
        expected = expected.groupby(keys)[counters].sum().astype("int64").sort_index()
        got = got.set_index(keys)[counters].astype("int64").sort_index()
        if not expected.index.equals(got.index):
            problems.append(f"{name}: keys differ ({len(expected)} expected, {len(got)} stored)")
        elif not expected.equals(got):
            problems.append(f"{name}: counters differ")

    for up, column in enumerate(["region_path", "up1_path", "up2_path", "up3_path", "up4_path"]):
        mine = grids[grids[column].notna()].copy()
        mine["node"] = mine[column]
        if up > 0:
            stored = nodes[nodes["up"] == up].rename(columns={"region_path": "node"})
            compare(f"node daily up={up}", mine, stored, ["node", "day", "category_code", "source"])
            parents = {
                n: _text(p) for n, p in zip(stored["node"], stored["parent_path"], strict=True)
            }
            above = mine[f"up{up + 1}_path"] if up < 4 else mine["node"].map(lambda _: None)
            if parents != {n: _text(p) for n, p in zip(mine["node"], above, strict=True)}:
                problems.append(f"node daily up={up}: parent paths differ")
        for grain, key in (("day", "day"), ("month", "month")):
            stored = totals[(totals["grain"] == grain) & (totals["up"] == up)]
            stored = stored.drop(columns=["month"]).rename(
                columns={"region_path": "node", "first_day": key}
            )
            compare(f"totals {grain} up={up}", mine, stored, ["node", key])
    return problems


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
