"""The sensor/video alarm webhook: HMAC-signed requests become cases with source sensor;
unsigned, mis-signed or stale ones are refused; repeats land on the device's open case."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.app import create_app
from gridgov.audit.models import AuditEntry
from gridgov.events.alarms import sign
from gridgov.events.models import Event
from tests.conftest import Auth, make_settings

Fresh = tuple[TestClient, Auth, Engine]
SECRET = "test-webhook-secret-0123456789abcdef"
GRID = "370811002001001"
URL = "/api/v1/webhooks/alarms"


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


@pytest.fixture(scope="module")
def webhook(ctx: Fresh, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The same district served by an app that has a webhook secret."""
    _, _, engine = ctx
    url = engine.url.render_as_string(hide_password=False)
    settings = make_settings(tmp_path_factory.mktemp("alarms"), url, alarm_webhook_secret=SECRET)
    with TestClient(create_app(settings, engine)) as client:
        yield client


def _inside(client: TestClient, auth: Auth, grid: str = GRID) -> dict[str, float]:
    body = client.get(f"/api/v1/regions/{grid}", headers=auth("admin")).json()
    point = shapely.geometry.shape(body["geometry"]).representative_point()
    return {"lon": point.x, "lat": point.y}


def _alarm(alarm_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id,
        "device_id": "JG-0001",
        "alarm_type": "manhole_cover",
        "occurred_at": datetime.now(UTC).isoformat(),
        "description": "井盖倾角传感器检测到位移",
        "level": "normal",
        **fields,
    }


def _send(
    client: TestClient,
    alarm: dict[str, Any],
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signed: bool = True,
) -> Any:
    body = json.dumps(alarm, ensure_ascii=False).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {"Content-Type": "application/json", "X-Gridgov-Timestamp": stamp}
    if signed:
        headers["X-Gridgov-Signature"] = sign(secret, stamp, body)
    return client.post(URL, content=body, headers=headers)


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def test_a_signed_alarm_becomes_a_sensor_case_in_its_grid(ctx: Fresh, webhook: TestClient) -> None:
    client, auth, _ = ctx
    response = _send(
        webhook,
        _alarm(
            "AL-1",
            location=_inside(client, auth),
            snapshot_url="http://video.example/snap/1.jpg",
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["outcome"], body["source"], body["grid_code"], body["alarms"]) == (
        "created",
        "sensor",
        GRID,
        1,
    )
    event = client.get(f"/api/v1/events/{body['event_id']}", headers=auth("operator")).json()
    assert event["source"] == "sensor" and event["grid_code"] == GRID
    assert event["category_code"] == "0301" and event["urgency"] == "urgent"
    assert "JG-0001" in event["title"] and "snap/1.jpg" in event["description"]
    assert event["timeline"][0]["actor_username"] == "sensor-webhook"


def test_missing_or_wrong_signature_is_401_and_creates_nothing(
    ctx: Fresh, webhook: TestClient
) -> None:
    client, auth, engine = ctx
    before = _count(engine)
    alarm = _alarm("AL-SIG", location=_inside(client, auth))
    missing = _send(webhook, alarm, signed=False)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_signature"
    wrong = _send(webhook, alarm, secret="not-the-secret")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_signature"
    # A signature is over the exact bytes: another body under the same headers is refused.
    stamp = str(int(time.time()))
    signature = sign(SECRET, stamp, json.dumps(alarm).encode())
    tampered = webhook.post(
        URL,
        content=json.dumps({**alarm, "level": "critical"}).encode(),
        headers={"X-Gridgov-Timestamp": stamp, "X-Gridgov-Signature": signature},
    )
    assert tampered.status_code == 401 and tampered.json()["error"]["code"] == "bad_signature"
    # A user's login is no substitute for the signature.
    as_user = webhook.post(URL, json=alarm, headers=auth("admin"))
    assert as_user.status_code == 401
    assert _count(engine) == before


def test_a_stale_timestamp_is_refused_even_when_signed(ctx: Fresh, webhook: TestClient) -> None:
    client, auth, engine = ctx
    before = _count(engine)
    alarm = _alarm("AL-OLD", location=_inside(client, auth))
    stale = _send(webhook, alarm, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401 and stale.json()["error"]["code"] == "stale_timestamp"
    future = _send(webhook, alarm, timestamp=int(time.time()) + 3600)
    assert future.status_code == 401
    assert _count(engine) == before


def test_the_same_alarm_id_twice_is_one_case(ctx: Fresh, webhook: TestClient) -> None:
    client, auth, engine = ctx
    alarm = _alarm(
        "AL-TWICE", device_id="YG-0042", alarm_type="smoke", description="烟感探测器报警"
    )
    alarm["location"] = _inside(client, auth, "370811002001002")
    first = _send(webhook, alarm)
    assert first.status_code == 201, first.text
    count = _count(engine)
    again = _send(webhook, alarm)
    assert again.status_code == 200, again.text
    assert again.json()["outcome"] == "duplicate"
    assert again.json()["event_id"] == first.json()["event_id"]
    assert _count(engine) == count
    # Smoke has no category of its own in the default catalog: classified, and critical.
    event = client.get(f"/api/v1/events/{first.json()['event_id']}", headers=auth("operator"))
    assert event.json()["urgency"] == "critical"
    assert event.json()["classified_by"] in ("rules", "fallback")


def test_repeats_count_on_the_open_case_until_it_ends(ctx: Fresh, webhook: TestClient) -> None:
    client, auth, engine = ctx
    where = _inside(client, auth, "370811002001003")
    device = {"device_id": "CAM-0815", "alarm_type": "fire_passage_blocked", "location": where}
    first = _send(webhook, _alarm("AL-REP-1", **device))
    assert first.status_code == 201, first.text
    event_id = first.json()["event_id"]
    count = _count(engine)
    second = _send(webhook, _alarm("AL-REP-2", **device, level="critical"))
    third = _send(webhook, _alarm("AL-REP-3", **device))
    resent = _send(webhook, _alarm("AL-REP-2", **device))
    assert [r.status_code for r in (second, third, resent)] == [200, 200, 200]
    assert [r.json()["outcome"] for r in (second, third, resent)] == [
        "repeat",
        "repeat",
        "duplicate",
    ]
    assert {r.json()["event_id"] for r in (second, third, resent)} == {event_id}
    assert third.json()["alarms"] == 3
    assert _count(engine) == count
    with Session(engine) as session:
        info = session.get(Event, event_id).extra["alarm"]  # type: ignore[union-attr]
        assert (info["count"], info["level"]) == (3, "critical")
        assert info["alarm_ids"] == ["AL-REP-1", "AL-REP-2", "AL-REP-3"]
        repeats = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "event.alarm_repeat", AuditEntry.object_id == str(event_id))
        )
        assert repeats == 2
    # Another kind of alarm from the same device is another matter: a case of its own.
    other = _send(webhook, _alarm("AL-REP-4", **{**device, "alarm_type": "illegal_parking"}))
    assert other.status_code == 201 and other.json()["event_id"] != event_id
    # Once the case has ended, the device's next alarm opens a new one.
    case = client.get(f"/api/v1/events/{event_id}", headers=auth("operator")).json()
    voided = client.post(
        f"/api/v1/events/{event_id}/actions/void",
        json={"version": case["version"], "comment": "现场核实已清理"},
        headers=auth("operator"),
    )
    assert voided.status_code == 200, voided.text
    after = _send(webhook, _alarm("AL-REP-5", **device))
    assert after.status_code == 201 and after.json()["event_id"] != event_id


def test_outside_the_district_or_unknown_device_is_422(ctx: Fresh, webhook: TestClient) -> None:
    _, _, engine = ctx
    before = _count(engine)
    outside = _send(
        webhook, _alarm("AL-OUT", device_id="JG-0900", location={"lon": 118.0, "lat": 36.0})
    )
    assert outside.status_code == 422
    assert outside.json()["error"]["code"] == "outside_territory"
    unknown = _send(webhook, _alarm("AL-CAM", device_id="JG-0901", camera_code="NO-SUCH-CAMERA"))
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_device"
    nowhere = _send(webhook, _alarm("AL-NOWHERE", device_id="JG-0902"))
    assert nowhere.status_code == 422 and nowhere.json()["error"]["code"] == "invalid_input"
    assert _count(engine) == before


def test_unknown_alarm_types_are_classified_from_their_text(
    ctx: Fresh, webhook: TestClient
) -> None:
    client, auth, _ = ctx
    alarm = _alarm(
        "AL-NEW-TYPE",
        device_id="AI-77",
        alarm_type="ai_vendor_detection",
        description="视频识别：路边流动摊贩占道",
        location=_inside(client, auth),
    )
    response = _send(webhook, alarm)
    assert response.status_code == 201, response.text
    event = client.get(f"/api/v1/events/{response.json()['event_id']}", headers=auth("operator"))
    assert (event.json()["category_code"], event.json()["classified_by"]) == ("0201", "rules")


def test_chinese_alarm_type_names_map_like_their_codes(ctx: Fresh, webhook: TestClient) -> None:
    client, auth, _ = ctx
    alarm = _alarm("AL-CN", device_id="LJ-3", alarm_type="垃圾满溢", location=_inside(client, auth))
    response = _send(webhook, alarm)
    assert response.status_code == 201, response.text
    event = client.get(f"/api/v1/events/{response.json()['event_id']}", headers=auth("operator"))
    assert (event.json()["category_code"], event.json()["classified_by"]) == ("0102", "reporter")


def test_without_a_secret_the_webhook_is_disabled(ctx: Fresh) -> None:
    client, auth, _ = ctx
    response = _send(client, _alarm("AL-OFF", location=_inside(client, auth)))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "webhook_disabled"
