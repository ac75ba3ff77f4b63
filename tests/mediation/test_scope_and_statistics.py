"""Region scope (another street's staff get 404 and lists leave foreign rows out) and the
statistics service against a count made by hand from the rows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.kit.clock import now
from gridgov.mediation.catalog import OPEN_STATES
from gridgov.mediation.models import Dispute, DisputeAlert
from tests.conftest import Auth
from tests.mediation.conftest import Fresh

OWN = "370811/370811002/"  # 许庄街道
FOREIGN = "370811/370811006/"  # 南张街道


def foreign_rows(engine: Engine) -> tuple[list[int], list[int]]:
    with Session(engine) as session:
        disputes = list(
            session.scalars(
                select(Dispute.id).where(Dispute.region_path.startswith(FOREIGN)).limit(5)
            )
        )
        alerts = list(
            session.scalars(
                select(DisputeAlert.id).where(DisputeAlert.region_path.startswith(FOREIGN)).limit(5)
            )
        )
    return disputes, alerts


def test_the_demo_seeds_disputes_and_alerts_in_every_street(demo_engine: Engine) -> None:
    disputes, alerts = foreign_rows(demo_engine)
    assert disputes and alerts
    with Session(demo_engine) as session:
        total = len(list(session.scalars(select(Dispute.id))))
        with_residents = session.scalar(
            select(Dispute.id).where(Dispute.status == "closed").limit(1)
        )
    assert total >= 3_000 and with_residents is not None


def test_another_streets_disputes_are_not_found(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    headers = auth("street_xuzhuang")
    disputes, alerts = foreign_rows(demo_engine)
    for dispute_id in disputes:
        assert client.get(f"/api/v1/disputes/{dispute_id}", headers=headers).status_code == 404
        pdf = client.get(f"/api/v1/disputes/{dispute_id}/agreement.pdf", headers=headers)
        assert pdf.status_code == 404
        moved = client.post(
            f"/api/v1/disputes/{dispute_id}/actions/accept", json={"version": 1}, headers=headers
        )
        assert moved.status_code == 404
    for alert_id in alerts:
        done = client.post(
            f"/api/v1/dispute-alerts/{alert_id}/acknowledge", json={}, headers=headers
        )
        assert done.status_code == 404
    listed = client.get("/api/v1/disputes", params={"page_size": 500}, headers=headers).json()
    assert listed["items"] and all(f"/{d['street_code']}/" in f"/{OWN}" for d in listed["items"])
    alerts_listed = client.get(
        "/api/v1/dispute-alerts", params={"page_size": 500}, headers=headers
    ).json()
    assert alerts_listed["items"]
    mine = {d["id"] for d in listed["items"]}
    assert not set(disputes) & mine
    # A filter on the other street is refused rather than answered.
    foreign = client.get("/api/v1/disputes", params={"region_code": "370811006"}, headers=headers)
    assert foreign.status_code == 404
    # A community's staff see their community only.
    community = client.get(
        "/api/v1/disputes", params={"page_size": 500}, headers=auth("comm_370811002001")
    ).json()
    assert all(d["community_code"] == "370811002001" for d in community["items"])


def test_registering_in_another_street_is_refused(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    headers = auth("street_xuzhuang")
    with Session(demo_engine) as session:
        grid = session.scalar(
            select(Dispute.region_path).where(Dispute.region_path.startswith(FOREIGN)).limit(1)
        )
    assert grid is not None
    code = grid.rstrip("/").split("/")[-1]
    refused = client.post(
        "/api/v1/disputes",
        json={
            "dispute_type": "other",
            "title": "越界登记",
            "grid_code": code,
            "parties": [{"name": "甲"}, {"name": "乙", "role": "respondent"}],
        },
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "grid_not_found"


def test_statistics_match_a_hand_count(fresh_mediation: Fresh) -> None:
    client, auth, engine = fresh_mediation
    moment = now()
    with Session(engine) as session:
        rows = list(session.scalars(select(Dispute).where(Dispute.region_path.startswith(OWN))))
        open_alerts = len(
            list(
                session.scalars(
                    select(DisputeAlert.id).where(
                        DisputeAlert.region_path.startswith(OWN), DisputeAlert.status != "closed"
                    )
                )
            )
        )
    assert len(rows) > 100
    stats = client.get("/api/v1/disputes/statistics", headers=auth("street_xuzhuang")).json()
    assert stats["total"] == len(rows)
    assert {c["key"]: c["count"] for c in stats["by_type"]} == Counter(d.dispute_type for d in rows)
    assert {c["key"]: c["count"] for c in stats["by_status"]} == Counter(d.status for d in rows)
    assert {c["key"]: c["count"] for c in stats["by_risk"]} == Counter(d.risk_grade for d in rows)
    assert {c["key"]: c["count"] for c in stats["by_region"]} == Counter(
        d.region_path.split("/")[2] for d in rows
    )
    assert all(c["label"] for c in stats["by_region"])
    reached = [d for d in rows if d.outcome]
    agreed = [d for d in reached if d.outcome in ("agreed", "partial")]
    assert stats["success_rate"] == round(len(agreed) / len(reached), 4)
    days = [(d.outcome_at - d.created_at).total_seconds() / 86_400 for d in reached if d.outcome_at]
    assert abs(stats["average_days"] - sum(days) / len(days)) < 0.01
    assert stats["pending"] == sum(d.status in OPEN_STATES for d in rows)
    assert stats["overdue"] == sum(d.status in OPEN_STATES and d.deadline_at < moment for d in rows)
    assert stats["open_alerts"] == open_alerts

    # A period and a region narrow it; the district sees every street.
    since = (moment - timedelta(days=365)).isoformat()
    recent = client.get(
        "/api/v1/disputes/statistics",
        params={"since": since, "region_code": "370811002001"},
        headers=auth("street_xuzhuang"),
    ).json()
    expected = [
        d
        for d in rows
        if d.region_path.startswith(f"{OWN}370811002001/")
        and d.created_at >= moment - timedelta(days=365)
    ]
    assert recent["total"] == len(expected)
    district = client.get("/api/v1/disputes/statistics", headers=auth("leader")).json()
    assert district["total"] > stats["total"]
    assert {c["key"] for c in district["by_region"]} >= {"370811002", "370811006"}
