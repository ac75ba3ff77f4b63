"""Buildings, houses, components, cameras and places through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.orgs.models import Organisation
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Place,
    SpecialGroupMember,
)
from tests.conftest import Auth


def test_buildings_filter_by_region_and_bbox(client: TestClient, auth: Auth, db: Session) -> None:
    headers = auth("leader")
    in_street = client.get(
        "/api/v1/buildings", params={"region_code": "370811109", "page_size": 100}, headers=headers
    ).json()
    assert in_street["total"] > 0
    assert all(b["grid_code"].startswith("370811109") for b in in_street["items"])
    sample = in_street["items"][0]
    lon, lat = sample["lon"], sample["lat"]
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    near = client.get("/api/v1/buildings", params={"bbox": box}, headers=headers).json()
    assert sample["id"] in [b["id"] for b in near["items"]]
    bad = client.get("/api/v1/buildings", params={"bbox": "1,2,3"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_bbox"


def test_building_and_house_pages_show_residents_masked(
    client: TestClient, auth: Auth, db: Session
) -> None:
    building = db.scalars(
        select(Building).where(Building.kind == "楼栋").order_by(Building.id).limit(1)
    ).one()
    detail = client.get(f"/api/v1/buildings/{building.id}", headers=auth("leader")).json()
    assert detail["footprint"]["type"] == "Polygon"
    assert detail["house_count"] == len(detail["houses"]) > 1
    lived_in = next(h for h in detail["houses"] if h["resident_count"] > 0)
    house = client.get(f"/api/v1/houses/{lived_in['id']}", headers=auth("leader")).json()
    assert len(house["residents"]) == lived_in["resident_count"]
    assert all("*" in r["id_number"] for r in house["residents"] if r["id_type"] == "居民身份证")
    # Departments see buildings but never the people in them.
    as_department = client.get(f"/api/v1/houses/{lived_in['id']}", headers=auth("dept_zj")).json()
    assert as_department["residents"] == []
    assert client.get("/api/v1/persons", headers=auth("dept_zj")).status_code == 403


def test_department_sees_only_components_it_maintains(
    client: TestClient, auth: Auth, db: Session
) -> None:
    department = db.scalars(select(Organisation).where(Organisation.code == "dept-cg")).one()
    body = client.get(
        "/api/v1/components", params={"page_size": 200}, headers=auth("dept_cg")
    ).json()
    assert body["total"] > 0
    assert all(c["maintainer_department_id"] == department.id for c in body["items"])
    everyone = client.get("/api/v1/components", headers=auth("leader")).json()
    assert everyone["total"] > body["total"]


def test_update_component_status_is_audited(client: TestClient, auth: Auth, db: Session) -> None:
    component = db.scalars(
        select(Component)
        .where(Component.region_path.startswith("370811/370811006/"), Component.status == "完好")
        .order_by(Component.id)
        .limit(1)
    ).one()
    url = f"/api/v1/components/{component.id}"
    refused = client.patch(url, json={"status": "损坏"}, headers=auth("street_xuzhuang"))
    assert refused.status_code == 404
    done = client.patch(url, json={"status": "损坏"}, headers=auth("street_nanzhang"))
    assert done.status_code == 200 and done.json()["status"] == "损坏"
    client.patch(url, json={"status": "完好"}, headers=auth("street_nanzhang"))
    audit = client.get(
        "/api/v1/audit", params={"action": "component.update"}, headers=auth("admin")
    ).json()
    assert sum(1 for e in audit["items"] if e["object_id"] == str(component.id)) == 2


def test_cameras_and_places(client: TestClient, auth: Auth) -> None:
    cameras = client.get("/api/v1/cameras", headers=auth("operator")).json()
    assert cameras["total"] > 500
    camera = client.get(f"/api/v1/cameras/{cameras['items'][0]['id']}", headers=auth("operator"))
    assert camera.json()["stream_url"]
    enterprises = client.get(
        "/api/v1/places", params={"kind": "enterprise"}, headers=auth("operator")
    ).json()
    assert enterprises["total"] > 500
    assert all(p["kind"] == "enterprise" for p in enterprises["items"])


def test_edit_cameras_places_houses_and_record_a_visit(
    fresh_registry: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, engine = fresh_registry
    worker = auth("gw_370811002001001")
    with Session(engine) as session:
        camera = session.scalars(
            select(Camera).where(Camera.region_path.startswith("370811/370811002/")).limit(1)
        ).one()
        place = session.scalars(
            select(Place).where(Place.region_path.startswith("370811/370811002/")).limit(1)
        ).one()
        house = session.scalars(
            select(House).where(House.region_path.endswith("/370811002001001/")).limit(1)
        ).one()
        member = session.scalars(
            select(SpecialGroupMember)
            .where(SpecialGroupMember.region_path.endswith("/370811002001001/"))
            .limit(1)
        ).one()
    street = auth("street_xuzhuang")
    changed = client.patch(f"/api/v1/cameras/{camera.id}", json={"status": "故障"}, headers=street)
    assert changed.status_code == 200 and changed.json()["status"] == "故障"
    bad = client.patch(
        f"/api/v1/places/{place.id}", json={"credit_code": "91370811ABCDEFGH12"}, headers=street
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_credit_code"
    rented = client.patch(f"/api/v1/houses/{house.id}", json={"use": "出租"}, headers=worker)
    assert rented.status_code == 200 and rented.json()["use"] == "出租"
    visited = client.patch(
        f"/api/v1/special-groups/{member.id}",
        json={"visited_now": True, "risk_level": "高"},
        headers=worker,
    )
    assert visited.status_code == 200, visited.text
    assert visited.json()["visit_due"] is False and visited.json()["risk_level"] == "高"
    not_worker = client.patch(
        f"/api/v1/special-groups/{member.id}",
        json={"responsible_user_id": client.get("/api/v1/auth/me", headers=street).json()["id"]},
        headers=street,
    )
    assert not_worker.json()["error"]["code"] == "not_a_grid_worker"
    history = client.get(
        "/api/v1/audit", params={"object_type": "special_group"}, headers=auth("admin")
    ).json()
    assert any(e["object_id"] == str(member.id) for e in history["items"])
    foreign = client.patch(
        f"/api/v1/houses/{house.id}", json={"use": "空置"}, headers=auth("street_yutun")
    )
    assert foreign.status_code == 404
