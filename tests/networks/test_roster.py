"""一格多员: the roster derived from the overlay and the grid assignments, manual entries that
override it, the reads routing will use, and the pages."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.networks import services
from gridgov.regions import services as regions
from gridgov.regions.models import Region
from tests.conftest import Auth

OWN_GRID = "370811002001001"  # 许庄街道
FOREIGN_GRID = "370811006001001"  # 南张街道


def _roster(
    client: TestClient, auth: Auth, who: str, grid: str = OWN_GRID
) -> dict[str, list[dict[str, Any]]]:
    response = client.get(f"/api/v1/grids/{grid}/roster", headers=auth(who))
    assert response.status_code == 200, response.text
    lines: dict[str, list[dict[str, Any]]] = {}
    for line in response.json()["lines"]:
        lines.setdefault(line["role_code"], []).append(line)
    return lines


def test_every_grid_has_a_full_roster(db: Session) -> None:
    roles = {r.code for r in services.list_roster_roles(db, actor=_system())}
    assert {"grid_chief", "full_time", "part_time", "police", "legal_adviser"} <= roles
    grids = [r.code for r in _grids(db)]
    assert len(grids) == 225
    for code in grids:
        roster = services.roster_for_grid(db, code)
        assert {line.role_code for line in roster.lines} == roles, code


def test_derived_lines_name_the_unit_covering_most_of_the_grid(
    client: TestClient, auth: Auth, db: Session
) -> None:
    lines = _roster(client, auth, "admin")
    overlay = client.get(
        "/api/v1/networks/police/overlay", params={"grid_code": OWN_GRID}, headers=auth("admin")
    ).json()["items"]
    largest = max(overlay, key=lambda row: row["share"])
    police = lines["police"]
    assert len(police) == 1 and police[0]["source"] == "overlay"
    assert police[0]["unit_code"] == largest["unit_code"]
    assert police[0]["phone"].count("*") == 4
    assert lines["full_time"][0]["source"] == "assignment"
    assert lines["grid_chief"][0]["source"] == "manual"
    unit = services.responsible_unit(db, OWN_GRID, "police")
    assert unit is not None and unit.unit_code == largest["unit_code"]
    found = services.responsible_unit_for_category(db, OWN_GRID, "0401")
    assert found is not None and found[0].code == "fire"
    assert services.responsible_unit_for_category(db, OWN_GRID, "0501") is None
    assert services.responsible_unit(db, OWN_GRID, "nonexistent") is None


def test_a_manual_entry_overrides_the_derived_one(client: TestClient, auth: Auth) -> None:
    staff = auth("street_xuzhuang")
    added = client.post(
        f"/api/v1/grids/{OWN_GRID}/roster",
        json={"role_code": "police", "person_name": "驻格民警", "phone": "13912345678"},
        headers=staff,
    )
    assert added.status_code == 201, added.text
    police = _roster(client, auth, "street_xuzhuang")["police"]
    assert [(p["source"], p["person_name"], p["phone"]) for p in police] == [
        ("manual", "驻格民警", "139****5678")
    ]
    deleted = client.delete(
        f"/api/v1/grids/{OWN_GRID}/roster/{police[0]['entry_id']}", headers=staff
    )
    assert deleted.status_code == 204
    assert _roster(client, auth, "admin")["police"][0]["source"] == "overlay"


def test_roster_is_edited_only_inside_ones_area(client: TestClient, auth: Auth) -> None:
    body = {"role_code": "police", "person_name": "越权"}
    foreign = client.post(
        f"/api/v1/grids/{FOREIGN_GRID}/roster", json=body, headers=auth("street_xuzhuang")
    )
    assert foreign.status_code == 404
    worker = client.post(
        f"/api/v1/grids/{OWN_GRID}/roster", json=body, headers=auth(f"gw_{OWN_GRID}")
    )
    assert worker.status_code == 403
    unknown = client.post(
        f"/api/v1/grids/{OWN_GRID}/roster",
        json={"role_code": "no_such_role", "person_name": "某人"},
        headers=auth("street_xuzhuang"),
    )
    assert unknown.status_code == 422
    assert (
        client.get(
            f"/api/v1/grids/{FOREIGN_GRID}/roster", headers=auth("street_xuzhuang")
        ).status_code
        == 404
    )


def test_admin_defines_a_roster_role(client: TestClient, auth: Auth) -> None:
    created = client.post(
        "/api/v1/roster-roles",
        json={"code": "t_volunteer", "name": "志愿者队长", "sort_order": 90},
        headers=auth("admin"),
    )
    assert created.status_code == 201, created.text
    again = client.post(
        "/api/v1/roster-roles",
        json={"code": "t_volunteer", "name": "志愿者队长"},
        headers=auth("admin"),
    )
    assert again.status_code == 409
    refused = client.post(
        "/api/v1/roster-roles",
        json={"code": "t_other", "name": "其他"},
        headers=auth("street_xuzhuang"),
    )
    assert refused.status_code == 403


def test_pages(client: TestClient, auth: Auth) -> None:
    admin = auth("admin")
    listing = client.get("/networks", headers=admin)
    assert listing.status_code == 200 and "公安警格" in listing.text
    detail = client.get("/networks/urban", headers=admin)
    assert detail.status_code == 200 and "空白区" in detail.text
    roster = client.get(f"/grids/{OWN_GRID}/roster", headers=admin)
    assert roster.status_code == 200 and "网格长" in roster.text and "叠加推导" in roster.text
    region = client.get(f"/regions/{OWN_GRID}", headers=admin)
    assert f"/grids/{OWN_GRID}/roster" in region.text


def _system() -> Actor:
    return Actor.system("test")


def _grids(db: Session) -> list[Region]:
    return regions.regions_for_map(
        db, actor=_system(), levels=["grid"], parent_code=None, bbox=None
    )
