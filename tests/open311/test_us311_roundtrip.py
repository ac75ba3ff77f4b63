"""A round trip with real 311 requests: Boston's 2015 cases (../shared/data/us311/), moved into
the district, posted through Open311, closed through the API where Boston closed them, and read
back through GET requests with the right services and statuses."""

from __future__ import annotations

import csv
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from gridgov.citizen.api import PUBLIC_LIMITER as CITIZEN_LIMITER
from gridgov.open311.api import PUBLIC_LIMITER
from tests.conftest import Auth
from tests.open311.test_open311 import SHARED, assert_valid, make_key, needs_data, post

BOSTON = SHARED / "us311" / "boston_311_2015_sample.csv"
ROWS = 50
# Boston's request types and the service (leaf category) each becomes here, with the answer
# to the service's required question where it has one.
TYPE_TO_SERVICE: dict[str, tuple[str, dict[str, str]]] = {
    "Street Light Outages": ("0302", {}),
    "Pothole Repair (Internal)": ("0303", {}),
    "Sidewalk Repair (Make Safe)": ("0303", {}),
    "Graffiti Removal": ("0103", {}),
    "PWD Graffiti": ("0103", {}),
    "Empty Litter Basket": ("0102", {}),
    "Abandoned Vehicles": ("0202", {}),
    "Rodent Activity": ("0104", {}),
    "Unsafe Dangerous Conditions": ("0403", {}),
    "Building Inspection Request": ("0403", {}),
    "Illegal Dumping": ("0101", {"waste_kind": "household"}),
}
CITY_HALL = ("42.3594", "-71.0587")  # the city's default geocode: no real location
LOOP = ("accept", "dispatch", "receive", "feedback", "approve")


def boston_rows() -> list[dict[str, str]]:
    if not BOSTON.is_file():
        pytest.skip(f"Boston 311 sample not found at {BOSTON}")
    with BOSTON.open(encoding="utf-8") as handle:
        rows = [
            r
            for r in csv.DictReader(handle)
            if r["TYPE"] in TYPE_TO_SERVICE
            and r["LATITUDE"]
            and (r["LATITUDE"], r["LONGITUDE"]) != CITY_HALL
        ]
    # Every type in turn, so the sample holds all of them and both statuses.
    by_type: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_type.setdefault(row["TYPE"], []).append(row)
    picked: list[dict[str, str]] = []
    while len(picked) < ROWS * 2 and any(by_type.values()):
        for queue in by_type.values():
            if queue:
                picked.append(queue.pop(0))
    return picked


def mover(rows: list[dict[str, str]], bbox: list[float]) -> Any:
    """The affine map of the rows' bounding box onto the middle 80 % of the district's."""
    lats = [float(r["LATITUDE"]) for r in rows]
    lons = [float(r["LONGITUDE"]) for r in rows]
    min_lon, min_lat, max_lon, max_lat = bbox
    margin_lon, margin_lat = (max_lon - min_lon) * 0.1, (max_lat - min_lat) * 0.1

    def move(lon: float, lat: float) -> tuple[float, float]:
        x = (lon - min(lons)) / (max(lons) - min(lons))
        y = (lat - min(lats)) / (max(lats) - min(lats))
        return (
            min_lon + margin_lon + x * (max_lon - min_lon - 2 * margin_lon),
            min_lat + margin_lat + y * (max_lat - min_lat - 2 * margin_lat),
        )

    return move


def close_case(client: TestClient, auth: Auth, code: str) -> None:
    """The whole loop as the platform administrator (who holds every permission)."""
    admin = auth("admin")
    found = client.get("/api/v1/events", params={"q": code}, headers=admin).json()["items"]
    event = client.get(f"/api/v1/events/{found[0]['id']}", headers=admin).json()
    departments = client.get(
        "/api/v1/organisations", params={"kind": "department"}, headers=admin
    ).json()["items"]
    for action in LOOP:
        if action not in [a["action"] for a in event["actions"]]:
            continue  # routing may have accepted and dispatched it at intake
        body: dict[str, Any] = {"version": event["version"], "comment": "已处置完毕"}
        if action == "dispatch":
            body["department_id"] = departments[0]["id"]
        response = client.post(
            f"/api/v1/events/{event['id']}/actions/{action}", json=body, headers=admin
        )
        assert response.status_code == 200, response.text
        event = client.get(f"/api/v1/events/{event['id']}", headers=admin).json()
    assert event["status"] == "closed", event["status"]


@needs_data
def test_boston_requests_round_trip_through_open311(client: TestClient, auth: Auth) -> None:
    PUBLIC_LIMITER.reset()
    CITIZEN_LIMITER.reset()
    rows = boston_rows()
    outline = client.get("/api/v1/citizen/outline").json()
    district = shapely.geometry.shape(outline["geometry"])
    move = mover(rows, outline["bbox"])
    key = make_key(client, auth, "us311-roundtrip", per_minute=1000)
    posted: list[tuple[str, str, str]] = []  # (request id, service code, Boston status)
    for row in rows:
        lon, lat = move(float(row["LONGITUDE"]), float(row["LATITUDE"]))
        if not district.contains(shapely.Point(lon, lat)):
            continue  # the district is not a rectangle
        service, answers = TYPE_TO_SERVICE[row["TYPE"]]
        response = post(
            client,
            key,
            service_code=service,
            lat=lat,
            long=lon,
            address_string=row["LOCATION_STREET_NAME"],
            description=f"{row['CASE_TITLE']} ({row['TYPE']}, Boston {row['CASE_ENQUIRY_ID']})",
            **{f"attribute[{k}]": v for k, v in answers.items()},
        )
        assert response.status_code == 201, response.text
        posted.append((response.json()[0]["service_request_id"], service, row["CASE_STATUS"]))
        if len(posted) == ROWS:
            break
    assert len(posted) == ROWS, "too few Boston points fell inside the district"
    assert {status for *_, status in posted} == {"Open", "Closed"}
    closed = [code for code, _, status in posted if status == "Closed"][:15]
    for code in closed:
        close_case(client, auth, code)

    ids = ",".join(code for code, _, _ in posted)
    back = client.get(
        "/open311/v2/requests.json", params={"service_request_id": ids, "page_size": 100}
    ).json()
    assert_valid("requests.json", back)
    by_id = {r["service_request_id"]: r for r in back}
    assert set(by_id) == {code for code, _, _ in posted}
    for code, service, _ in posted:
        assert by_id[code]["service_code"] == service
        expected = "closed" if code in closed else "open"
        assert by_id[code]["status"] == expected, (code, by_id[code]["status_notes"])
    done = by_id[closed[0]]
    assert done["agency_responsible"] and done["status_notes"].startswith("核查通过")
    # The status filter agrees with the statuses.
    only_closed = client.get(
        "/open311/v2/requests.json",
        params={"service_request_id": ids, "status": "closed", "page_size": 100},
    ).json()
    assert only_closed  # the id list wins over other filters, as the specification says
    filtered = client.get(
        "/open311/v2/requests.json", params={"status": "closed", "page_size": 1000}
    ).json()
    assert set(closed) <= {r["service_request_id"] for r in filtered}
