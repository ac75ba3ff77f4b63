"""KPI indicators: recomputed with pandas from the raw case rows, drilled down to the same
number of cases, and read only within the reader's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from gridgov.analytics import services
from tests.analytics import reference
from tests.analytics.conftest import Fresh

STREET, OTHER_STREET = "370811002", "370811006"  # 许庄街道, 南张街道
COMMUNITY, GRID = "370811002001", "370811002001001"


def _periods() -> list[tuple[date, date]]:
    today = services.today()
    return [
        (today - timedelta(days=29), today),
        (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
        (date(today.year - 2, 3, 17), today - timedelta(days=40)),
    ]


def _in(cases: pd.DataFrame, column: str, first: date, last: date) -> pd.Series:
    day = cases[column].dt.tz_convert(reference.ZONE).dt.date
    inside: pd.Series = cases[column].notna() & (day >= first) & (day <= last)
    return inside


def _pandas_kpis(cases: pd.DataFrame, first: date, last: date) -> dict[str, tuple[int, int]]:
    """(numerator, denominator) of 结案率, 按期结案率 and 自办结率, from the raw rows."""
    due = cases[(cases["status"] != "voided") & _in(cases, "deadline_at", first, last)]
    closed_due = due[due["closed_at"].notna()]
    on_time = closed_due[closed_due["closed_at"] <= closed_due["deadline_at"]]
    closed = cases[_in(cases, "closed_at", first, last)]
    return {
        "closure_rate": (len(closed_due), len(due)),
        "on_time_rate": (len(on_time), len(due)),
        "self_settle_rate": (int(closed["self_settle"].sum()), len(closed)),
    }


@pytest.mark.parametrize("region", [None, STREET, COMMUNITY, GRID])
def test_closure_on_time_and_self_settle_rates_match_pandas(
    history_district: Fresh, region: str | None
) -> None:
    client, auth, engine = history_district
    cases = reference.raw_cases(engine)
    if region:
        cases = cases[cases["region_path"].str.contains(f"/{region}/")]
    checked = 0
    for first, last in _periods():
        expected = _pandas_kpis(cases, first, last)
        for code, (numerator, denominator) in expected.items():
            params: dict[str, Any] = {"start": str(first), "end": str(last)}
            if region:
                params["region_code"] = region
            got = client.get(
                f"/api/v1/analytics/indicators/{code}", params=params, headers=auth("leader")
            ).json()
            assert (got["numerator"], got["denominator"]) == (numerator, denominator), code
            value = round(100 * numerator / denominator, 2) if denominator else None
            assert got["value"] == value
            checked += denominator > 0
    assert checked >= 5


def test_every_figure_drills_down_to_as_many_cases(history_district: Fresh) -> None:
    client, auth, _ = history_district
    indicators = client.get("/api/v1/analytics/indicators", headers=auth("operator")).json()
    first, last = _periods()[1]
    for username, region in (("operator", None), ("street_xuzhuang", None), ("operator", GRID)):
        params: dict[str, Any] = {"start": str(first), "end": str(last)}
        if region:
            params["region_code"] = region
        for indicator in indicators:
            value = client.get(
                f"/api/v1/analytics/indicators/{indicator['code']}",
                params=params,
                headers=auth(username),
            ).json()
            for part in ("numerator", "denominator"):
                figure = value[part]
                if figure is None or (
                    indicator["code"] == "avg_handling_hours" and part == "numerator"
                ):
                    continue
                listed = client.get(value[f"{part}_cases"], headers=auth(username)).json()
                assert listed["total"] == figure, (username, indicator["code"], part)


def test_street_staff_read_their_street_only(history_district: Fresh) -> None:
    client, auth, _ = history_district
    first, last = _periods()[1]
    period = {"start": str(first), "end": str(last)}
    street = client.get("/api/v1/analytics/summary", params=period, headers=auth("street_xuzhuang"))
    assert street.status_code == 200
    assert street.json()["area"]["region_code"] == STREET
    by_region = client.get(
        "/api/v1/analytics/breakdown", params={**period, "by": "region"}, headers=auth("leader")
    ).json()
    row = next(r for r in by_region["rows"] if r["key"] == STREET)
    assert street.json()["counters"]["reported"] == row["counters"]["reported"] > 0
    assert street.json()["counters"]["due"] == row["counters"]["due"]
    # Another street is not theirs to ask for, and the case lists never leave their street.
    other = client.get(
        "/api/v1/analytics/summary",
        params={**period, "region_code": OTHER_STREET},
        headers=auth("street_xuzhuang"),
    )
    assert other.status_code == 404
    listed = client.get(
        "/api/v1/analytics/cases",
        params={**period, "counter": "reported", "page_size": 500},
        headers=auth("street_xuzhuang"),
    ).json()
    assert listed["total"] == row["counters"]["reported"]
    assert listed["items"] and all(i["grid_code"].startswith(STREET) for i in listed["items"])
    own_rows = client.get(
        "/api/v1/analytics/breakdown",
        params={**period, "by": "region"},
        headers=auth("street_xuzhuang"),
    ).json()["rows"]
    assert own_rows and all(r["key"].startswith(STREET) for r in own_rows)


def test_grid_workers_and_departments_read_their_own(history_district: Fresh) -> None:
    client, auth, engine = history_district
    cases = reference.raw_cases(engine)
    first, last = _periods()[1]
    period = {"start": str(first), "end": str(last)}
    mine = client.get("/api/v1/analytics/summary", params=period, headers=auth("gw_" + GRID))
    in_grid = cases[cases["region_path"].str.endswith(f"/{GRID}/")]
    assert mine.json()["counters"]["reported"] == int(_in(in_grid, "created_at", first, last).sum())
    department = client.get("/api/v1/analytics/summary", params=period, headers=auth("dept_cg"))
    assert department.status_code == 200
    handled = department.json()["counters"]
    by_department = client.get(
        "/api/v1/analytics/breakdown",
        params={**period, "by": "department"},
        headers=auth("dept_cg"),
    ).json()["rows"]
    assert (
        len(by_department) == 1 and by_department[0]["counters"]["reported"] == handled["reported"]
    )
    assert 0 < handled["reported"] < len(cases)


def test_personal_accounts_read_no_analytics(history_district: Fresh) -> None:
    client, auth, _ = history_district
    response = client.get("/api/v1/analytics/summary", headers=auth("citizen1"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "analytics_not_available"
