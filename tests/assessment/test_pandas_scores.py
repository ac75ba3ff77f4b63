"""结案率, 按期结案率 and 自办结率 per community and per worker recomputed with pandas from the
raw case rows, then turned into points, weighted scores and ranks with the scheme's rules
written out here again: the board must equal it exactly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment
from gridgov.assessment import services
from gridgov.events.models import Event
from tests.analytics import reference
from tests.assessment.conftest import Fresh

ITEMS: list[dict[str, Any]] = [
    {"indicator": "closure_rate", "weight": 40, "rule": "linear", "floor": 60, "target": 100},
    {"indicator": "on_time_rate", "weight": 35, "rule": "linear", "floor": 40, "target": 90},
    {"indicator": "self_settle_rate", "weight": 25, "rule": "rank"},
]


def _month() -> tuple[date, date]:
    first = services.previous_month()
    return first, services.next_month(first) - timedelta(days=1)


def _in(cases: pd.DataFrame, column: str, first: date, last: date) -> pd.Series:
    day = cases[column].dt.tz_convert(reference.ZONE).dt.date
    inside: pd.Series = cases[column].notna() & (day >= first) & (day <= last)
    return inside


def _figures(cases: pd.DataFrame, key: str, first: date, last: date) -> pd.DataFrame:
    """(numerator, denominator) of the three rates per key, from the raw rows."""
    due = cases[(cases["status"] != "voided") & _in(cases, "deadline_at", first, last)]
    closed_due = due[due["closed_at"].notna()]
    on_time = closed_due[closed_due["closed_at"] <= closed_due["deadline_at"]]
    closed = cases[_in(cases, "closed_at", first, last)]
    frame = pd.DataFrame(
        {
            "due": due.groupby(key).size(),
            "due_closed": closed_due.groupby(key).size(),
            "due_on_time": on_time.groupby(key).size(),
            "closed": closed.groupby(key).size(),
            "self_settled": closed.groupby(key)["self_settle"].sum(),
        }
    )
    return frame.fillna(0).astype(int)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 2) if denominator else None


def _expected(figures: pd.DataFrame, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Values, points, score and rank per key, by the rules of ITEMS."""
    values: dict[str, dict[str, float | None]] = {}
    for key in keys:
        row = figures.loc[key] if key in figures.index else None

        def get(name: str, row: Any = row) -> int:
            return int(row[name]) if row is not None else 0

        values[key] = {
            "closure_rate": _rate(get("due_closed"), get("due")),
            "on_time_rate": _rate(get("due_on_time"), get("due")),
            "self_settle_rate": _rate(get("self_settled"), get("closed")),
        }
    # Rank points of 自办结率: competition ranks among keys with a value, 100 → 0.
    present = sorted(
        (v["self_settle_rate"], k) for k, v in values.items() if v["self_settle_rate"] is not None
    )
    present.sort(key=lambda t: -t[0])
    ranks: dict[str, int] = {}
    for n, (rate, key) in enumerate(present, start=1):
        ranks[key] = ranks[present[n - 2][1]] if n > 1 and present[n - 2][0] == rate else n
    count = len(ranks)
    result: dict[str, dict[str, Any]] = {}
    for key, v in values.items():
        points: list[tuple[float, float | None]] = []
        for item in ITEMS:
            value = v[item["indicator"]]
            if value is None:
                points.append((item["weight"], None))
            elif item["rule"] == "rank":
                rank = ranks[key]
                share = 1.0 if count == 1 else (count - rank) / (count - 1)
                points.append((item["weight"], round(100 * share, 2)))
            else:
                share = (value - item["floor"]) / (item["target"] - item["floor"])
                points.append((item["weight"], round(100 * min(1.0, max(0.0, share)), 2)))
        scored = [(w, p) for w, p in points if p is not None]
        weight = sum(w for w, _ in scored)
        score = round(sum(w * p for w, p in scored) / weight, 2) if weight else 0.0
        result[key] = {"values": v, "points": [p for _, p in points], "score": score}
    ordered = sorted(result, key=lambda k: (-result[k]["score"], k))
    previous: float | None = None
    for n, key in enumerate(ordered, start=1):
        score = result[key]["score"]
        result[key]["rank"] = result[ordered[n - 2]]["rank"] if previous == score else n
        previous = score
    return result


def _scheme(client: Any, admin: dict[str, str], code: str, target_type: str) -> None:
    response = client.post(
        "/api/v1/assessment/schemes",
        json={"code": code, "name": f"核对{target_type}", "target_type": target_type,
              "items": ITEMS},
        headers=admin,
    )  # fmt: skip
    assert response.status_code == 201, response.text


def _check(board: dict[str, Any], expected: dict[str, dict[str, Any]]) -> int:
    assert {r["target_key"] for r in board["rows"]} == set(expected)
    scored = 0
    for row in board["rows"]:
        want = expected[row["target_key"]]
        got_values = {p["indicator"]: p["value"] for p in row["parts"]}
        assert got_values == want["values"], row["target_key"]
        assert [p["points"] for p in row["parts"]] == want["points"], row["target_key"]
        assert row["score"] == want["score"] and row["rank"] == want["rank"], row["target_key"]
        scored += want["values"]["closure_rate"] is not None
    return scored


def test_community_scores_equal_pandas(assessed_district: Fresh) -> None:
    client, auth, engine = assessed_district
    _scheme(client, auth("admin"), "pandas_community", "community")
    first, last = _month()
    cases = reference.raw_cases(engine)
    cases["community"] = cases["region_path"].str.split("/").str[2]
    figures = _figures(cases, "community", first, last)
    board = client.get(
        "/api/v1/assessment/scores",
        params={"scheme": "pandas_community", "month": f"{first:%Y-%m}"},
        headers=auth("leader"),
    ).json()
    assert board["frozen"] is False
    keys = [r["target_key"] for r in board["rows"]]
    assert len(keys) > 10
    assert _check(board, _expected(figures, keys)) >= 5


def test_worker_scores_equal_pandas(assessed_district: Fresh) -> None:
    """A worker's case indicators are over the cases that worker reported."""
    client, auth, engine = assessed_district
    _scheme(client, auth("admin"), "pandas_worker", "worker")
    first, last = _month()
    cases = reference.raw_cases(engine)
    with Session(engine) as session:
        reporters = dict(session.execute(select(Event.id, Event.reporter_id)).all())
        workers = set(session.scalars(select(GridAssignment.user_id)))
    cases["reporter"] = cases["id"].map(reporters)
    cases = cases[cases["reporter"].isin(workers)]
    cases["reporter"] = cases["reporter"].astype(int).astype(str)
    figures = _figures(cases, "reporter", first, last)
    board = client.get(
        "/api/v1/assessment/scores",
        params={"scheme": "pandas_worker", "month": f"{first:%Y-%m}"},
        headers=auth("leader"),
    ).json()
    keys = [r["target_key"] for r in board["rows"]]
    assert {str(w) for w in workers} == set(keys)
    assert _check(board, _expected(figures, keys)) >= 5
