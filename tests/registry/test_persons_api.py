from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.kit import idcard
from gridgov.kit.crypto import FieldCipher
from gridgov.registry.models import House, Person
from tests.conftest import Auth

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")


@pytest.fixture(scope="module")
def cipher(demo_settings: Settings) -> FieldCipher:
    return FieldCipher(demo_settings.effective_data_key())


def _someone_in(db: Session, grid: str) -> Person:
    person = db.scalars(
        select(Person)
        .where(Person.region_path.endswith(f"/{grid}/"), Person.phone_cipher.is_not(None))
        .where(Person.id_type == "居民身份证")
        .order_by(Person.id)
    ).first()
    assert person is not None, f"the demo seeds residents with phones in {grid}"
    return person


def test_community_staff_see_their_residents_masked(client: TestClient, auth: Auth) -> None:
    body = client.get(
        "/api/v1/persons", params={"page_size": 200}, headers=auth("comm_370811002001")
    ).json()
    assert body["total"] > 100
    for person in body["items"]:
        assert person["grid_code"].startswith("370811002001")
        if person["id_type"] == "居民身份证":
            assert MASKED_ID.match(person["id_number"]), person["id_number"]
        if person["phone"]:
            assert MASKED_PHONE.match(person["phone"]), person["phone"]
        if person["address"] and "单元" in person["address"]:
            assert person["address"].endswith("单元****")


def test_find_by_exact_id_number_and_phone(
    client: TestClient, auth: Auth, db: Session, cipher: FieldCipher
) -> None:
    person = _someone_in(db, "370811002001001")
    plain_id = cipher.decrypt(person.id_number_cipher)
    assert person.phone_cipher is not None
    plain_phone = cipher.decrypt(person.phone_cipher)
    headers = auth("comm_370811002001")
    by_id = client.get("/api/v1/persons", params={"id_number": plain_id}, headers=headers).json()
    assert [p["id"] for p in by_id["items"]] == [person.id]
    by_phone = client.get("/api/v1/persons", params={"phone": plain_phone}, headers=headers).json()
    assert person.id in [p["id"] for p in by_phone["items"]]
    # The same number searched from another street finds nobody.
    other = client.get(
        "/api/v1/persons", params={"id_number": plain_id}, headers=auth("street_yutun")
    )
    assert other.json()["total"] == 0


def test_profile_has_household_and_house(client: TestClient, auth: Auth, db: Session) -> None:
    person = _someone_in(db, "370811002001001")
    detail = client.get(f"/api/v1/persons/{person.id}", headers=auth("leader")).json()
    assert detail["id"] == person.id
    if person.house_id:
        assert detail["house"]["id"] == person.house_id
    household = client.get(
        f"/api/v1/households/{person.household_id}", headers=auth("leader")
    ).json()
    assert sum(1 for m in household["members"] if m["relation_to_head"] == "户主") == 1
    assert len(detail["household_members"]) == len(household["members"]) - 1


def test_reveal_needs_permission_and_reason_and_is_audited(
    client: TestClient, auth: Auth, db: Session, cipher: FieldCipher
) -> None:
    person = _someone_in(db, "370811002001001")
    url = f"/api/v1/persons/{person.id}/reveal"
    denied = client.post(url, json={"reason": "想看看完整号码"}, headers=auth("leader"))
    assert denied.status_code == 403
    no_reason = client.post(url, json={}, headers=auth("gw_370811002001001"))
    assert no_reason.status_code == 422
    reason = "入户走访核对身份信息"
    shown = client.post(url, json={"reason": reason}, headers=auth("gw_370811002001001"))
    assert shown.status_code == 200, shown.text
    assert shown.json()["id_number"] == cipher.decrypt(person.id_number_cipher)
    audit = client.get(
        "/api/v1/audit", params={"action": "person.reveal"}, headers=auth("admin")
    ).json()
    entry = next(e for e in audit["items"] if e["object_id"] == str(person.id))
    assert entry["actor_username"] == "gw_370811002001001"
    assert entry["details"]["reason"] == reason
    # Another grid's worker may not reveal this person at all.
    elsewhere = client.post(url, json={"reason": reason}, headers=auth("gw_370811002001002"))
    assert elsewhere.status_code == 404


def test_register_a_person_with_validation(
    fresh_registry: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, engine = fresh_registry
    with Session(engine) as session:
        house = session.scalars(
            select(House).where(House.region_path.endswith("/370811002001001/")).limit(1)
        ).one()
    headers = auth("gw_370811002001001")
    number = idcard.make("370811", date(1988, 5, 17), 991)
    payload = {
        "name": "新居民",
        "id_number": number,
        "phone": "13912345678",
        "residence_type": "流动",
        "house_id": house.id,
        "relation_to_head": "户主",
    }
    created = client.post("/api/v1/persons", json=payload, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["birth_date"] == "1988-05-17" and body["gender"] == "男"
    assert body["id_number"] == f"370811********{number[-4:]}"
    assert body["phone"] == "139****5678"
    again = client.post("/api/v1/persons", json=payload, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "id_number_taken"
    broken = number[:-1] + ("0" if number[-1] != "0" else "1")
    bad = client.post("/api/v1/persons", json={**payload, "id_number": broken}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_id_number"
    mismatch = client.post(
        "/api/v1/persons",
        json={
            **payload,
            "id_number": idcard.make("370811", date(1990, 1, 1), 993),
            "birth_date": "1991-01-01",
        },
        headers=headers,
    )
    assert mismatch.json()["error"]["code"] == "birth_date_mismatch"
    # A worker cannot register someone into a house of another grid.
    foreign = client.post(
        "/api/v1/persons",
        json={**payload, "id_number": idcard.make("370811", date(1990, 1, 1), 995)},
        headers=auth("gw_370811002001002"),
    )
    assert foreign.status_code == 422 and foreign.json()["error"]["code"] == "house_not_found"
