"""No plain ID number or phone of any seeded resident appears in any API response to an account
without the reveal permission. The walk covers every GET operation of the OpenAPI schema, with
real ids filled in, plus the pages."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.accounts.permissions import ROLE_PERMISSIONS, Perm, Role
from gridgov.config import Settings
from gridgov.kit.crypto import FieldCipher
from gridgov.registry.models import (
    Person,
)
from tests.conftest import ROW_PARAMS, Auth

VIEWERS = ["leader", "operator", "comm_370811002001"]
NUMBERS = re.compile(r"[0-9A-Za-z]{6,}")


def _plain_values(db: Session, cipher: FieldCipher) -> set[str]:
    values: set[str] = set()
    for id_cipher, phone_cipher in db.execute(select(Person.id_number_cipher, Person.phone_cipher)):
        values.add(cipher.decrypt(id_cipher))
        if phone_cipher:
            values.add(cipher.decrypt(phone_cipher))
    return values


def test_no_plain_id_or_phone_in_any_response(
    client: TestClient, auth: Auth, db: Session, demo_settings: Settings
) -> None:
    assert Perm.PERSONS_REVEAL in ROLE_PERMISSIONS[Role.COMMUNITY_STAFF]
    plain = _plain_values(db, FieldCipher(demo_settings.effective_data_key()))
    assert len(plain) > 150_000
    spec = client.get("/openapi.json").json()
    ids = {
        name: list(
            db.scalars(
                select(model.id)
                .where(model.region_path.startswith("370811/370811002/370811002001/"))
                .order_by(model.id)
                .limit(5)
            )
        )
        for name, model in ROW_PARAMS.items()
    }
    responses: list[str] = []
    for viewer in VIEWERS:
        headers = auth(viewer)
        for path, methods in spec["paths"].items():
            if "get" not in methods:
                continue
            urls = [path]
            for name, values in ids.items():
                if "{" + name + "}" in path:
                    urls = [u.replace("{" + name + "}", str(v)) for u in urls for v in values]
            if "{code}" in path:
                urls = [u.replace("{code}", "370811002001") for u in urls]
                if "resource-categories" in path:
                    urls = [u.replace("370811002001", "public_toilet") for u in urls]
            if "{target}" in path:
                urls = [u.replace("{target}", t) for u in urls for t in ("persons", "buildings")]
            for url in urls:
                if "{" in url:
                    continue
                params: dict[str, Any] = {"page_size": 500}
                if "/exports/" in url:
                    params["region_code"] = (
                        "370811002001"  # a community: the export walk stays quick
                    )
                response = client.get(url, params=params, headers=headers)
                responses.append(response.text)
        for page in ("/", "/regions", "/users", "/organisations", "/audit"):
            responses.append(client.get(page, headers=headers).text)
    assert len(responses) > 50
    leaked = {token for text in responses for token in NUMBERS.findall(text) if token in plain}
    assert leaked == set()


def test_revealing_account_only_sees_plain_values_through_reveal(
    client: TestClient, auth: Auth, db: Session, demo_settings: Settings
) -> None:
    cipher = FieldCipher(demo_settings.effective_data_key())
    listing = client.get(
        "/api/v1/persons", params={"page_size": 500}, headers=auth("comm_370811002001")
    ).text
    ours = db.scalars(
        select(Person.id_number_cipher)
        .where(Person.region_path.startswith("370811/370811002/370811002001/"))
        .limit(200)
    )
    assert not any(cipher.decrypt(value) in listing for value in ours)
