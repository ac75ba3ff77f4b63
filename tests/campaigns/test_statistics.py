"""The epidemic template's statistics per grid and per community, checked against figures
computed here from the responses the test posted (corrections counted once, as corrected)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.campaigns import catalog
from gridgov.kit.clock import now, to_local
from gridgov.registry.models import Household
from tests.conftest import Auth

COMMUNITY = "370811002002"
PREFIX = f"370811/370811002/{COMMUNITY}/"
FILLER = f"comm_{COMMUNITY}"
SYMPTOMS = {"fever", "cough", "other"}


def draw_values(rnd: random.Random, screened: date) -> dict[str, Any]:
    if rnd.random() < 0.2:
        return {"at_home": False}
    values: dict[str, Any] = {
        "at_home": True,
        "residents_present": rnd.randint(0, 6),
        "has_outsiders": rnd.random() < 0.6,
        "household_symptoms": rnd.random() < 0.2,
    }
    if values["has_outsiders"]:
        values["outsiders"] = [
            {
                "surname": rnd.choice("王李张刘陈"),
                "relation": rnd.choice(["relative", "tenant", "visitor"]),
                "origin_province": rnd.choice(["河南省", "江苏省", "北京市", "境外"]),
                # 0..30 days before the screening day: both sides of the 14-day line.
                "arrival_date": (screened - timedelta(days=rnd.randint(0, 30))).isoformat(),
                "health_status": rnd.choice(["healthy", "healthy", "fever", "cough"]),
                "vaccine_doses": rnd.randint(0, 4),
                "under_monitoring": rnd.random() < 0.3,
            }
            for _ in range(rnd.randint(1, 3))
        ]
    return values


def expected_figures(answers: list[tuple[dict[str, Any], date]]) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "at_home": 0,
        "residents_present": 0,
        "households_with_symptoms": 0,
        "outsiders": 0,
        "outsiders_recent": 0,
        "outsiders_symptomatic": 0,
        "outsiders_unvaccinated": 0,
        "outsiders_monitored": 0,
    }
    provinces: Counter[str] = Counter()
    doses: Counter[str] = Counter({str(d): 0 for d in range(5)})
    for values, screened in answers:
        figures["at_home"] += values["at_home"]
        figures["residents_present"] += values.get("residents_present", 0)
        figures["households_with_symptoms"] += values.get("household_symptoms", False)
        for person in values.get("outsiders", []):
            figures["outsiders"] += 1
            waited = (screened - date.fromisoformat(person["arrival_date"])).days
            figures["outsiders_recent"] += 0 <= waited <= 13
            figures["outsiders_symptomatic"] += person["health_status"] in SYMPTOMS
            figures["outsiders_unvaccinated"] += person["vaccine_doses"] == 0
            figures["outsiders_monitored"] += person["under_monitoring"]
            provinces[person["origin_province"]] += 1
            doses[str(person["vaccine_doses"])] += 1
    figures["by_province"] = dict(provinces)
    figures["doses"] = dict(doses)
    return figures


def test_epidemic_statistics_per_grid_and_community(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    client.post("/api/v1/campaign-forms/install-templates", headers=auth("admin"))
    forms = client.get("/api/v1/campaign-forms", headers=auth("admin")).json()
    form_id = next(f["id"] for f in forms if f["code"] == catalog.EPIDEMIC_CODE)
    local_today = to_local(now()).date()
    launched = client.post(
        "/api/v1/campaigns",
        json={
            "title": "统计核对",
            "form_id": form_id,
            "region_codes": [COMMUNITY],
            "starts_on": (local_today - timedelta(days=3)).isoformat(),
            "ends_on": (local_today + timedelta(days=3)).isoformat(),
        },
        headers=auth("street_xuzhuang"),
    )
    assert launched.status_code == 201, launched.text
    campaign_id = launched.json()["id"]
    with Session(demo_engine) as session:
        grid_of = {
            h: path
            for h, path in session.execute(
                select(Household.id, Household.region_path).where(
                    Household.region_path.startswith(PREFIX)
                )
            )
        }
    targeted = Counter(grid_of.values())
    rnd = random.Random(7)
    chosen = rnd.sample(sorted(grid_of), 40)
    final: dict[int, tuple[dict[str, Any], date]] = {}
    for n, household in enumerate(chosen + chosen[:6]):  # the last six are corrections
        filled_at: datetime = now() - timedelta(hours=rnd.randint(0, 60))
        screened = to_local(filled_at).date()
        values = draw_values(rnd, screened)
        response = client.post(
            f"/api/v1/campaigns/{campaign_id}/responses",
            json={
                "client_id": f"stat-{n}",
                "household_id": household,
                "values": values,
                "filled_at": filled_at.isoformat(),
            },
            headers=auth(FILLER),
        )
        assert response.status_code == 201, response.text
        final[household] = (values, screened)

    by_grid: dict[str, list[tuple[dict[str, Any], date]]] = defaultdict(list)
    for household, answer in final.items():
        by_grid[grid_of[household]].append(answer)

    stats = client.get(
        f"/api/v1/campaigns/{campaign_id}/statistics",
        params={"level": "grid"},
        headers=auth("street_xuzhuang"),
    ).json()
    rows = {r["code"]: r for r in stats["rows"]}
    assert set(rows) == {path.rstrip("/").split("/")[-1] for path in targeted}
    for path, count in targeted.items():
        row = rows[path.rstrip("/").split("/")[-1]]
        assert row["targeted"] == count
        assert row["done"] == len(by_grid[path])
        assert row["epidemic"] == expected_figures(by_grid[path])
    everything = expected_figures(list(final.values()))
    assert stats["total"]["done"] == len(chosen)
    assert stats["total"]["epidemic"] == everything
    assert everything["outsiders_recent"] not in (0, everything["outsiders"])  # both sides

    per_community = client.get(
        f"/api/v1/campaigns/{campaign_id}/statistics",
        params={"level": "community"},
        headers=auth(FILLER),
    ).json()
    assert [(r["code"], r["targeted"], r["done"]) for r in per_community["rows"]] == [
        (COMMUNITY, len(grid_of), len(chosen))
    ]
    assert per_community["rows"][0]["epidemic"] == everything

    # The generic counts of select and boolean fields, over the same responses.
    fields = {f["key"]: f for f in stats["fields"]}
    at_home = {c["value"]: c["count"] for c in fields["at_home"]["counts"]}
    assert at_home == {
        "true": sum(v["at_home"] for v, _ in final.values()),
        "false": sum(not v["at_home"] for v, _ in final.values()),
    }
    health = {c["value"]: c["count"] for c in fields["outsiders.health_status"]["counts"]}
    people = [p for v, _ in final.values() for p in v.get("outsiders", [])]
    assert health == {
        value: sum(p["health_status"] == value for p in people)
        for value, _ in catalog.HEALTH_STATUSES
    }
    assert fields["outsiders.health_status"]["answered"] == len(people)

    # A grid worker of one grid sees that grid only.
    grid = sorted(targeted)[0]
    worker = f"gw_{grid.rstrip('/').split('/')[-1]}"
    own = client.get(f"/api/v1/campaigns/{campaign_id}/statistics", headers=auth(worker)).json()
    assert [r["code"] for r in own["rows"]] == [grid.rstrip("/").split("/")[-1]]
    assert own["total"]["epidemic"] == expected_figures(by_grid[grid])
