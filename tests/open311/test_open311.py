"""Open311 GeoReport v2: every endpoint in JSON and XML, checked against the GeoReport v2 JSON
Schemas in ../shared/data/open311/, and our XML read the same way as the Code for America and
Helsinki fixtures there."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from sqlalchemy import Engine

from gridgov.citizen import catalog
from gridgov.open311 import services as open311_services
from gridgov.open311 import xml
from tests.conftest import Auth
from tests.media.test_media import inside

SHARED = Path(
    os.environ.get("GRIDGOV_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
DATA = SHARED / "open311"
SCHEMAS = DATA / "georeport_v2_json_schema"
FIXTURES = DATA / "codeforamerica_fixtures"
HELSINKI = DATA / "helsinki"
DISTRICT = "370811"
needs_data = pytest.mark.skipif(
    not SCHEMAS.is_dir(), reason=f"Open311 schemas and fixtures not found at {DATA}"
)


def validator(name: str) -> Draft7Validator:
    """A validator for one schema file; services.json and requests.json $ref their item
    schemas by file name, resolved in the same folder."""
    resources = [
        (
            path.name,
            Resource.from_contents(json.loads(path.read_text()), default_specification=_draft7()),
        )
        for path in SCHEMAS.glob("*.json")
        if path.name != "swagger.json"
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft7Validator(schema, registry=registry, format_checker=FormatChecker())


def _draft7() -> Any:
    from referencing.jsonschema import DRAFT7

    return DRAFT7


def assert_valid(name: str, body: Any) -> None:
    errors = sorted(validator(name).iter_errors(body), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def assert_swagger(definition: str, body: Any) -> None:
    """Responses with no schema file of their own (POST, tokens) against the definitions of
    the GeoReport v2 Swagger document in the same folder."""
    swagger = json.loads((SCHEMAS / "swagger.json").read_text())
    schema = {**swagger["definitions"][definition], "definitions": swagger["definitions"]}
    errors = list(Draft7Validator(schema).iter_errors(body))
    assert errors == [], [e.message for e in errors[:5]]


def as_strings(value: Any) -> Any:
    """JSON data as our XML reads back: every leaf a string, null empty, booleans lower case."""
    if isinstance(value, dict):
        return {k: as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_strings(v) for v in value] if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def both(client: TestClient, path: str, **params: Any) -> tuple[Any, Any]:
    """The JSON body and the XML document (root, data) of one endpoint."""
    as_json = client.get(f"/open311/v2/{path}.json", params=params)
    as_xml = client.get(f"/open311/v2/{path}.xml", params=params)
    assert as_json.status_code == 200, as_json.text
    assert as_xml.status_code == 200, as_xml.text
    assert as_xml.headers["content-type"].startswith("text/xml")
    return as_json.json(), xml.parse(as_xml.content)


def make_key(client: TestClient, auth: Auth, name: str, per_minute: int = 600) -> str:
    response = client.post(
        "/api/v1/open311/keys",
        json={"name": name, "contact": "测试", "requests_per_minute": per_minute},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["api_key"].startswith(response.json()["key_prefix"])
    return str(response.json()["api_key"])


def post(client: TestClient, key: str, fmt: str = "json", **fields: Any) -> Any:
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **fields})


@pytest.fixture(scope="module")
def key(client: TestClient, auth: Auth) -> str:
    return make_key(client, auth, "open311-test-main")


@pytest.fixture(scope="module")
def where(client: TestClient, auth: Auth) -> dict[str, float]:
    return inside(client, auth)


@needs_data
def test_discovery_and_services_in_both_formats(client: TestClient) -> None:
    found, (root, data) = both(client, "discovery")
    assert root == "discovery"
    assert found["endpoints"][0]["url"].endswith("/open311/v2")
    assert data == as_strings(found)

    services, (root, data) = both(client, "services", jurisdiction_id=DISTRICT)
    assert root == "services"
    assert_valid("services.json", services)
    assert data == as_strings(services)
    codes = {s["service_code"]: s for s in services}
    assert codes["0101"]["group"] == "市容环境" and codes["0101"]["metadata"] is True
    assert codes["0102"]["metadata"] is False
    assert "01" not in codes  # groups are not services

    # Helsinki's real service list has the same fields as ours and passes the same schema.
    helsinki = json.loads((HELSINKI / "services_en.json").read_text())
    assert_valid("services.json", helsinki)
    assert set(helsinki[0]) == set(services[0])
    _, helsinki_xml = xml.parse((HELSINKI / "services_en.xml").read_bytes())
    assert {tuple(sorted(s)) for s in helsinki_xml} == {tuple(sorted(services[0]))}
    # San Francisco's (Code for America fixture): the same element names, read the same way.
    root, sf = xml.parse((FIXTURES / "services.xml").read_bytes())
    assert root == "services" and len(sf) >= 29
    assert all(set(s) == set(services[0]) for s in sf)
    assert_valid("services.json", [_typed_service(s) for s in sf])


def _typed_service(service: dict[str, str]) -> dict[str, Any]:
    return {**service, "metadata": service["metadata"] == "true"}


@needs_data
def test_service_definition_in_both_formats(client: TestClient) -> None:
    definition, (root, data) = both(client, "services/0101", jurisdiction_id=DISTRICT)
    assert root == "service_definition"
    assert_valid("service-definition.json", definition)
    assert data == as_strings(definition)
    attribute = definition["attributes"][0]
    assert attribute["code"] == "waste_kind" and attribute["required"] is True
    assert {v["key"] for v in attribute["values"]} == {"household", "construction", "bulky"}
    # Code for America's definition: one attribute with the same fields and values.
    root, fixture = xml.parse((FIXTURES / "service_definition.xml").read_bytes())
    assert root == "service_definition"
    theirs = fixture["attribute"]
    assert set(theirs) == set(attribute)
    assert set(theirs["values"][0]) == {"key", "name"}
    # A service without questions has an empty list; an unknown one is 404 in both formats.
    assert client.get("/open311/v2/services/0102.json").json()["attributes"] == []
    for fmt in ("json", "xml"):
        missing = client.get(f"/open311/v2/services/0000.{fmt}")
        assert missing.status_code == 404
        assert_error(missing, fmt, 404)


def assert_error(response: Any, fmt: str, status: int) -> None:
    if fmt == "json":
        body = response.json()
        assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]
    else:
        root, errors = xml.parse(response.content)
        assert root == "errors" and errors[0]["code"] == str(status)
        # The same shape as Code for America's not-found fixture.
        _, fixture = xml.parse((FIXTURES / "get_service_request_not_found.xml").read_bytes())
        assert set(errors[0]) == set(fixture[0])


@needs_data
def test_post_then_read_back_by_id_token_and_list(
    client: TestClient, key: str, where: dict[str, float]
) -> None:
    created = post(
        client,
        key,
        service_code="0101",
        lat=where["lat"],
        long=where["lon"],
        description="路口有建筑垃圾堆放，联系电话 13812345678",
        **{"attribute[waste_kind]": "construction"},
        email="someone@example.org",
        jurisdiction_id=DISTRICT,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body[0]) == {"service_request_id", "token", "service_notice"}
    assert_swagger("RequestResponse", body[0])
    request_id, token = body[0]["service_request_id"], body[0]["token"]
    # Code for America's POST response: the same elements but account_id, which names the
    # poster's account (we keep no account for those who post through a key).
    _, fixture = xml.parse((FIXTURES / "post_service_request.xml").read_bytes())
    assert set(fixture[0]) - {"account_id"} <= set(body[0])
    as_xml = post(client, key, "xml", service_code="0102", lat=where["lat"], long=where["lon"])
    assert as_xml.status_code == 201
    root, posted = xml.parse(as_xml.content)
    assert root == "service_requests" and set(posted[0]) == set(body[0])

    single, (root, data) = both(client, f"requests/{request_id}")
    assert root == "service_requests"
    assert_valid("requests.json", single)
    assert data == as_strings(single)
    request = single[0]
    assert request["service_code"] == "0101" and request["status"] == "open"
    assert request["service_name"] == "垃圾堆放"
    assert "13812345678" not in json.dumps(single) and "［已隐去］" in request["description"]
    assert "建筑垃圾" in request["description"]  # the attribute answer, in words
    assert request["expected_datetime"] and request["requested_datetime"]
    assert abs(request["lat"] - where["lat"]) < 1e-6
    # Code for America's request has exactly our fields.
    _, theirs = xml.parse((FIXTURES / "get_service_request.xml").read_bytes())
    assert set(theirs[0]) == set(request)
    _, listed = xml.parse((FIXTURES / "service_requests.xml").read_bytes())
    assert len(listed) == 2 and all(set(r) == set(request) for r in listed)

    by_token, (root, data) = both(client, f"tokens/{token}")
    assert by_token == [{"service_request_id": request_id, "token": token}]
    assert_swagger("TokenResponse", by_token[0])
    _, fixture = xml.parse((FIXTURES / "request_id_from_token.xml").read_bytes())
    assert set(fixture[0]) == set(data[0])

    listing, (root, data) = both(client, "requests", service_code="0101", status="open")
    assert_valid("requests.json", listing)
    assert data == as_strings(listing)
    assert request_id in [r["service_request_id"] for r in listing]
    assert all(r["status"] == "open" and r["service_code"] == "0101" for r in listing)
    ids = client.get(
        "/open311/v2/requests.json", params={"service_request_id": f"{request_id},NOPE"}
    ).json()
    assert [r["service_request_id"] for r in ids] == [request_id]


@needs_data
def test_errors_use_the_open311_format_and_status_codes(
    client: TestClient, key: str, where: dict[str, float]
) -> None:
    for fmt in ("json", "xml"):
        bad_key = post(client, "not-a-key", fmt, service_code="0101", lat=1, long=1)
        assert bad_key.status_code == 403
        assert_error(bad_key, fmt, 403)
        no_service = post(client, key, fmt, lat=where["lat"], long=where["lon"])
        assert no_service.status_code == 400
        assert_error(no_service, fmt, 400)
        unknown = post(client, key, fmt, service_code="0000", lat=where["lat"], long=where["lon"])
        assert unknown.status_code == 404
        outside = post(client, key, fmt, service_code="0101", lat=39.9, long=116.4)
        assert outside.status_code == 400
        assert_error(outside, fmt, 400)
        missing_attribute = post(
            client, key, fmt, service_code="0101", lat=where["lat"], long=where["lon"]
        )
        assert missing_attribute.status_code == 400
        no_such = client.get(f"/open311/v2/requests/SJ000.{fmt}")
        assert no_such.status_code == 404
        assert_error(no_such, fmt, 404)
        assert client.get(f"/open311/v2/tokens/nope.{fmt}").status_code == 404
        assert client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=110101").status_code == 404
        bad_status = client.get(f"/open311/v2/requests.{fmt}", params={"status": "maybe"})
        assert bad_status.status_code == 400
        assert_error(bad_status, fmt, 400)
    assert client.get("/open311/v2/services.yaml").status_code == 400


@needs_data
def test_key_rate_limit_and_admin_only(
    client: TestClient, auth: Auth, where: dict[str, float]
) -> None:
    assert client.get("/api/v1/open311/keys", headers=auth("operator")).status_code == 403
    limited = make_key(client, auth, "open311-test-limited", per_minute=2)
    fields: dict[str, Any] = {"service_code": "0102", "lat": where["lat"], "long": where["lon"]}
    assert post(client, limited, **fields).status_code == 201
    assert post(client, limited, **fields).status_code == 201
    third = post(client, limited, "xml", **fields)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
    assert_error(third, "xml", 429)
    keys = client.get("/api/v1/open311/keys", headers=auth("admin")).json()
    mine = next(k for k in keys if k["name"] == "open311-test-limited")
    assert mine["last_used_at"] and "api_key" not in mine and "key_hash" not in mine
    revoked = client.delete(f"/api/v1/open311/keys/{mine['id']}", headers=auth("admin"))
    assert revoked.json()["is_active"] is False
    open311_services.KEY_LIMITER.reset()
    assert post(client, limited, **fields).status_code == 403


@needs_data
def test_sensitive_categories_are_redacted_and_blurred(
    client: TestClient, key: str, where: dict[str, float]
) -> None:
    created = post(
        client,
        key,
        service_code="0501",
        lat=where["lat"],
        long=where["lon"],
        address_string="某小区 3 号楼 2 单元 501 室",
        description="邻居王某某（身份证 370811199001011234）长期噪音，电话 13900001111",
    ).json()
    found = client.get(f"/open311/v2/requests/{created[0]['service_request_id']}.json").json()[0]
    assert found["description"] is None and found["address"] is None
    assert (found["long"], found["lat"]) == catalog.blur(where["lon"], where["lat"])
    assert found["service_name"] == "邻里纠纷"


@needs_data
def test_paging_extension_and_date_filters(client: TestClient) -> None:
    first = client.get("/open311/v2/requests.json", params={"page_size": 3}).json()
    second = client.get("/open311/v2/requests.json", params={"page_size": 3, "page": 2}).json()
    assert len(first) == 3 and len(second) == 3
    assert not {r["service_request_id"] for r in first} & {r["service_request_id"] for r in second}
    future = client.get(
        "/open311/v2/requests.json", params={"start_date": "2099-01-01T00:00:00Z"}
    ).json()
    assert future == []
    empty_xml = client.get(
        "/open311/v2/requests.xml", params={"start_date": "2099-01-01T00:00:00Z"}
    )
    root, data = xml.parse(empty_xml.content)
    fixture_root, fixture = xml.parse((FIXTURES / "service_requests_empty.xml").read_bytes())
    assert (root, data) == (fixture_root, fixture) == ("service_requests", [])
    closed = client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert closed and all(r["status"] == "closed" for r in closed)
    assert (
        client.get("/open311/v2/requests.json", params={"start_date": "2026-01-01"}).status_code
        == 400
    )  # no time zone


def test_public_reads_need_no_account(demo_engine: Engine, client: TestClient) -> None:
    # The shared client may hold a page session; a bare one shows the API is public.
    bare = TestClient(client.app)
    assert bare.get("/open311/v2/services.json").status_code == 200
    assert bare.get("/open311/v2/requests.json", params={"page_size": 1}).status_code == 200
