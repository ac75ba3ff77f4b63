"""Campaigns through the API on the demo district: forms and their versions, launching over a
region (targets = its households), filling (exactly once per client id, corrections versioned),
scope, closing, tasks per grid, and the XLSX export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.audit.models import AuditEntry
from gridgov.campaigns import catalog
from gridgov.campaigns.models import CampaignResponse
from gridgov.kit.clock import now, to_local
from gridgov.registry.models import Household
from gridgov.tasks.models import Task
from tests.conftest import Auth

STREET = "370811002"
COMMUNITY = "370811002001"
GRID_A = "370811002001001"
GRID_B = "370811002001002"
STAFF = "street_xuzhuang"


def today() -> Any:
    return to_local(now()).date()


def households(engine: Engine, path: str) -> list[int]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Household.id)
                .where(Household.region_path.startswith(path))
                .order_by(Household.id)
            )
        )


def grid_path(grid: str) -> str:
    return f"370811/{STREET}/{grid[:12]}/{grid}/"


@pytest.fixture(scope="module")
def epidemic_form(client: TestClient, auth: Auth) -> int:
    response = client.post("/api/v1/campaign-forms/install-templates", headers=auth("admin"))
    assert response.status_code == 200
    forms = client.get("/api/v1/campaign-forms", headers=auth(STAFF)).json()
    return int(next(f["id"] for f in forms if f["code"] == catalog.EPIDEMIC_CODE))


def launch(client: TestClient, auth: Auth, form_id: int, **body: Any) -> Any:
    user = body.pop("as_", STAFF)
    payload = {
        "title": "测试排查",
        "form_id": form_id,
        "starts_on": (today() - timedelta(days=1)).isoformat(),
        "ends_on": (today() + timedelta(days=10)).isoformat(),
        **body,
    }
    return client.post("/api/v1/campaigns", json=payload, headers=auth(user))


@pytest.fixture(scope="module")
def campaign(client: TestClient, auth: Auth, epidemic_form: int) -> dict[str, Any]:
    response = launch(client, auth, epidemic_form, region_codes=[COMMUNITY])
    assert response.status_code == 201, response.text
    return dict(response.json())


AWAY = {"at_home": False}


def test_templates_install_once(client: TestClient, auth: Auth, epidemic_form: int) -> None:
    again = client.post("/api/v1/campaign-forms/install-templates", headers=auth("admin"))
    assert again.json() == {"installed": []}
    form = client.get(f"/api/v1/campaign-forms/{epidemic_form}", headers=auth(STAFF)).json()
    keys = [f["key"] for f in form["definition"]["fields"]]
    assert keys[:4] == ["at_home", "residents_present", "has_outsiders", "outsiders"]


def test_launch_targets_every_household_of_the_region(
    client: TestClient, auth: Auth, demo_engine: Engine, campaign: dict[str, Any]
) -> None:
    expected = households(demo_engine, f"370811/{STREET}/{COMMUNITY}/")
    assert campaign["target_count"] == len(expected) == campaign["targeted"]
    assert campaign["done"] == 0 and campaign["phase"] == "running"
    assert [r["code"] for r in campaign["target_regions"]] == [COMMUNITY]
    in_grid = households(demo_engine, grid_path(GRID_A))
    listed = client.get(
        f"/api/v1/campaigns/{campaign['id']}/households",
        params={"grid": GRID_A, "page_size": 500},
        headers=auth(f"gw_{GRID_A}"),
    ).json()
    assert listed["total"] == len(in_grid)
    assert sorted(i["household_id"] for i in listed["items"]) == in_grid
    assert {i["status"] for i in listed["items"]} == {"pending"}
    assert all("*" in i["address"] for i in listed["items"] if i["address"])
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(STAFF)).json()
    assert sum(c["targeted"] for c in detail["by_community"]) == len(expected)


def test_launch_is_refused_outside_scope_and_without_targets(
    client: TestClient, auth: Auth, epidemic_form: int
) -> None:
    foreign = launch(client, auth, epidemic_form, region_codes=["370811006"])
    assert foreign.status_code in (403, 422)
    assert foreign.json()["error"]["code"] == "region_not_found"
    both = launch(client, auth, epidemic_form, region_codes=[COMMUNITY], household_ids=[1])
    assert both.status_code == 422 and both.json()["error"]["code"] == "targets_required"
    backwards = launch(client, auth, epidemic_form, region_codes=[COMMUNITY], ends_on="2000-01-01")
    assert backwards.json()["error"]["code"] == "bad_dates"
    community = launch(client, auth, epidemic_form, region_codes=[GRID_A], as_=f"comm_{COMMUNITY}")
    assert community.status_code == 403


def post(client: TestClient, auth: Auth, user: str, campaign_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/campaigns/{campaign_id}/responses", json=body, headers=auth(user))


def test_fill_is_applied_once_and_a_second_fill_is_a_correction(
    client: TestClient, auth: Auth, demo_engine: Engine, campaign: dict[str, Any]
) -> None:
    household = households(demo_engine, grid_path(GRID_A))[0]
    worker = f"gw_{GRID_A}"
    values = {"at_home": True, "residents_present": 3, "has_outsiders": False}
    first = post(
        client, auth, worker, campaign["id"], client_id="c-1", household_id=household, values=values
    )
    assert first.status_code == 201, first.text
    again = post(
        client,
        auth,
        worker,
        campaign["id"],
        client_id="c-1",
        household_id=household,
        values={"at_home": False},
    )
    assert again.status_code == 200 and again.json() == first.json()
    with Session(demo_engine) as session:
        stored = session.scalar(
            select(func.count()).where(
                CampaignResponse.campaign_id == campaign["id"],
                CampaignResponse.household_id == household,
            )
        )
    assert stored == 1
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(STAFF)).json()
    assert detail["done"] == 1
    fixed = post(
        client,
        auth,
        worker,
        campaign["id"],
        client_id="c-2",
        household_id=household,
        values={**values, "residents_present": 4},
    )
    assert fixed.status_code == 201 and fixed.json()["version"] == 2
    versions = client.get(
        f"/api/v1/campaigns/{campaign['id']}/responses",
        params={"household_id": household, "all_versions": True},
        headers=auth(STAFF),
    ).json()["items"]
    assert [(v["version"], v["replaced_by"]) for v in versions] == [
        (2, None),
        (1, fixed.json()["id"]),
    ]
    current = client.get(
        f"/api/v1/campaigns/{campaign['id']}/responses",
        params={"household_id": household},
        headers=auth(STAFF),
    ).json()["items"]
    assert [c["values"]["residents_present"] for c in current] == [4]
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(STAFF)).json()
    assert detail["done"] == 1
    target = client.get(
        f"/api/v1/campaigns/{campaign['id']}/households",
        params={"grid": GRID_A, "status": "done"},
        headers=auth(STAFF),
    ).json()["items"]
    assert [(t["household_id"], t["versions"]) for t in target] == [(household, 2)]


def test_a_household_outside_the_fillers_scope_is_refused(
    client: TestClient, auth: Auth, demo_engine: Engine, campaign: dict[str, Any]
) -> None:
    household = households(demo_engine, grid_path(GRID_A))[1]
    other_grid = post(
        client,
        auth,
        f"gw_{GRID_B}",
        campaign["id"],
        client_id="x-1",
        household_id=household,
        values=AWAY,
    )
    assert other_grid.status_code == 422
    assert other_grid.json()["error"]["code"] == "household_not_targeted"
    other_street = post(
        client,
        auth,
        "gw_370811006001001",
        campaign["id"],
        client_id="x-2",
        household_id=household,
        values=AWAY,
    )
    assert other_street.status_code == 404
    outside_campaign = households(demo_engine, f"370811/{STREET}/370811002002/")[0]
    staff = post(
        client,
        auth,
        f"comm_{COMMUNITY}",
        campaign["id"],
        client_id="x-3",
        household_id=outside_campaign,
        values=AWAY,
    )
    assert staff.status_code == 422
    detail = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=auth(STAFF)).json()
    assert detail["done"] <= 1  # nothing recorded by the refused ones


def test_values_are_checked_against_the_form(
    client: TestClient, auth: Auth, demo_engine: Engine, campaign: dict[str, Any]
) -> None:
    household = households(demo_engine, grid_path(GRID_A))[2]
    bad = post(
        client,
        auth,
        f"gw_{GRID_A}",
        campaign["id"],
        client_id="bad-1",
        household_id=household,
        values={
            "at_home": True,
            "has_outsiders": True,
            "outsiders": [{"surname": "王", "origin_province": "火星", "vaccine_doses": 5}],
            "colour": "red",
        },
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_values"
    assert {f["path"] for f in error["details"]["fields"]} == {
        "colour",
        "residents_present",
        "outsiders[0].relation",
        "outsiders[0].origin_province",
        "outsiders[0].arrival_date",
        "outsiders[0].health_status",
        "outsiders[0].vaccine_doses",
        "outsiders[0].under_monitoring",
    }
    listed = client.get(
        f"/api/v1/campaigns/{campaign['id']}/responses",
        params={"household_id": household},
        headers=auth(STAFF),
    ).json()
    assert listed["total"] == 0


def test_another_street_and_community_cannot_see_it(
    client: TestClient, auth: Auth, demo_engine: Engine, campaign: dict[str, Any]
) -> None:
    url = f"/api/v1/campaigns/{campaign['id']}"
    assert client.get(url, headers=auth("street_nanzhang")).status_code == 404
    assert client.get(url, headers=auth("comm_370811002003")).status_code == 404
    listed = client.get("/api/v1/campaigns", headers=auth("street_nanzhang")).json()
    assert campaign["id"] not in {c["id"] for c in listed["items"]}
    mine = client.get(url, headers=auth(f"gw_{GRID_B}")).json()
    assert mine["targeted"] == len(households(demo_engine, grid_path(GRID_B)))


def test_closing_stops_filling(
    client: TestClient, auth: Auth, demo_engine: Engine, epidemic_form: int
) -> None:
    chosen = households(demo_engine, grid_path(GRID_B))[:2]
    launched = launch(client, auth, epidemic_form, household_ids=chosen)
    assert launched.status_code == 201, launched.text
    body = launched.json()
    assert body["target_kind"] == "households" and body["targeted"] == 2
    assert (
        client.post(
            f"/api/v1/campaigns/{body['id']}/close", headers=auth(f"comm_{COMMUNITY}")
        ).status_code
        == 403
    )
    closed = client.post(f"/api/v1/campaigns/{body['id']}/close", headers=auth(STAFF))
    assert closed.status_code == 200 and closed.json()["phase"] == "ended"
    refused = post(
        client,
        auth,
        f"gw_{GRID_B}",
        body["id"],
        client_id="late-1",
        household_id=chosen[0],
        values=AWAY,
    )
    assert refused.json()["error"]["code"] == "campaign_closed"
    again = client.post(f"/api/v1/campaigns/{body['id']}/close", headers=auth(STAFF))
    assert again.status_code == 409


def test_launching_with_tasks_sends_one_per_grid(
    client: TestClient, auth: Auth, demo_engine: Engine, epidemic_form: int
) -> None:
    launched = launch(client, auth, epidemic_form, region_codes=[GRID_A, GRID_B], create_tasks=True)
    assert launched.status_code == 201, launched.text
    body = launched.json()
    assert body["tasks_created"] == 2
    with Session(demo_engine) as session:
        kinds = list(session.scalars(select(Task.kind).where(Task.campaign_id == body["id"])))
    assert kinds == ["campaign_screening", "campaign_screening"]


def test_the_export_opens_and_holds_the_rows(
    client: TestClient, auth: Auth, demo_engine: Engine, epidemic_form: int
) -> None:
    grid = "370811002001003"
    chosen = households(demo_engine, grid_path(grid))[:3]
    launched = launch(client, auth, epidemic_form, household_ids=chosen).json()
    person = {
        "surname": "李",
        "relation": "tenant",
        "origin_province": "河南省",
        "arrival_date": today().isoformat(),
        "health_status": "healthy",
        "vaccine_doses": 3,
        "under_monitoring": False,
        "phone": "13912345678",
    }
    answers = [
        {
            "at_home": True,
            "residents_present": 2,
            "has_outsiders": True,
            "outsiders": [person, {**person, "surname": "赵", "phone": "0537-2345678"}],
            "notes": '=HYPERLINK("http://example.com")',
        },
        {"at_home": False},
    ]
    for n, values in enumerate(answers):
        response = post(
            client,
            auth,
            f"gw_{grid}",
            launched["id"],
            client_id=f"exp-{n}",
            household_id=chosen[n],
            values=values,
        )
        assert response.status_code == 201, response.text
        assert "13912345678" not in response.text
    with Session(demo_engine) as session:
        before = session.scalar(select(func.count()).where(AuditEntry.action == "campaigns.export"))
    exported = client.get(
        f"/api/v1/campaigns/{launched['id']}/export", params={"format": "xlsx"}, headers=auth(STAFF)
    )
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.content))
    main = list(book["排查结果"].iter_rows(values_only=True))
    assert main[0][:6] == ("户编号", "地址（脱敏）", "网格", "版本", "填报人", "填报时间")
    assert len(main) == 1 + 2
    header = main[0]
    first = dict(zip(header, main[1], strict=True))
    assert first["是否在家"] == "是" and first["在家居住人数"] == "2"
    assert first["备注"] == '\'=HYPERLINK("http://example.com")'
    outsiders = list(book["外来人员"].iter_rows(values_only=True))
    assert len(outsiders) == 1 + 2
    text = repr(main) + repr(outsiders)
    assert "13912345678" not in text and "139****5678" in text
    assert "0537-2345678" not in text
    with Session(demo_engine) as session:
        after = session.scalar(select(func.count()).where(AuditEntry.action == "campaigns.export"))
    assert after == (before or 0) + 1
