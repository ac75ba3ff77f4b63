"""The citizen channel through its API: anonymous devices, phone verification, reporting with
photos, my reports, rating and reopening, the public copy, and the abuse limits."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import ExifTags, Image
from sqlalchemy import Engine, select

from gridgov.citizen import catalog, services, sms
from gridgov.citizen.api import PUBLIC_LIMITER
from gridgov.citizen.models import CitizenPhone
from gridgov.db import session_factory
from gridgov.kit.crypto import FieldCipher
from tests.conftest import Auth
from tests.media.test_media import inside

LOOP = ("accept", "dispatch", "receive", "feedback", "approve")


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_text(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))

    def code_for(self, phone: str) -> str:
        text = next(t for p, t in reversed(self.sent) if p == phone)
        found = re.search(r"\d{6}", text)
        assert found
        return found.group(0)


@pytest.fixture
def texts() -> Iterator[Recorder]:
    recorder = Recorder()
    before = sms.SENDER[0]
    sms.SENDER[0] = recorder
    yield recorder
    sms.SENDER[0] = before


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    PUBLIC_LIMITER.reset()
    saved = services.Limits(**vars(services.LIMITS))
    yield
    for name, value in vars(saved).items():
        setattr(services.LIMITS, name, value)


class App:
    """One phone's browser: its own cookies, the page's CSRF token, the device token."""

    def __init__(self, client: TestClient) -> None:
        self.http = TestClient(client.app)
        page = self.http.get("/m/citizen/")
        assert page.status_code == 200
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert found
        self.csrf = found.group(1)
        self.device: str | None = None

    def headers(self) -> dict[str, str]:
        out = {"X-CSRF-Token": self.csrf}
        if self.device:
            out["X-Device-Token"] = self.device
        return out

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.http.post(path, headers=self.headers(), **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.http.get(path, headers=self.headers(), **kwargs)

    def signed_in(self, response: Any) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.csrf = body["csrf_token"]
        if body.get("device_token"):
            self.device = body["device_token"]
        return body

    def anonymous(self) -> dict[str, Any]:
        return self.signed_in(self.post("/api/v1/citizen/device"))


def gps_jpeg() -> bytes:
    """A photo whose EXIF holds the camera and a GPS position, as phones write them."""
    image = Image.new("RGB", (640, 480), (30, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 24.0, 10.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 35.0, 20.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module")
def where(client: TestClient, auth: Auth) -> dict[str, float]:
    return inside(client, auth)


def report(app: App, where: dict[str, float], **extra: Any) -> Any:
    body = {
        "category_code": "0102",
        "description": "小区门口垃圾桶满了，没人清理",
        "location": where,
        **extra,
    }
    return app.post("/api/v1/citizen/reports", json=body)


def close_case(client: TestClient, auth: Auth, event_id: int) -> None:
    admin = auth("admin")
    event = client.get(f"/api/v1/events/{event_id}", headers=admin).json()
    department = client.get(
        "/api/v1/organisations", params={"kind": "department"}, headers=admin
    ).json()["items"][0]
    for action in LOOP:
        if action not in [a["action"] for a in event["actions"]]:
            continue
        body = {
            "version": event["version"],
            "comment": "已清运完毕",
            "department_id": department["id"],
        }
        if action != "dispatch":
            body.pop("department_id")
        moved = client.post(f"/api/v1/events/{event_id}/actions/{action}", json=body, headers=admin)
        assert moved.status_code == 200, moved.text
        event = client.get(f"/api/v1/events/{event_id}", headers=admin).json()
    assert event["status"] == "closed"


def test_categories_carry_guidance_and_questions(client: TestClient) -> None:
    found = client.get("/api/v1/citizen/categories").json()
    by_code = {c["code"]: c for c in found}
    assert by_code["0101"]["group_name"] == "市容环境" and by_code["0101"]["include"]
    assert by_code["0101"]["attributes"][0]["code"] == "waste_kind"
    assert by_code["0501"]["sensitive"] is True and by_code["0101"]["sensitive"] is False
    assert "110" in by_code["0404"]["not_here"]
    assert all(len(code) == 4 for code in by_code)


def test_anonymous_report_with_photo_my_reports_and_the_public_copy(
    client: TestClient, auth: Auth, where: dict[str, float]
) -> None:
    app = App(client)
    # Without the page's token nobody starts a session (no login CSRF).
    assert app.http.post("/api/v1/citizen/device").status_code == 403
    me = app.anonymous()
    assert me["kind"] == "anonymous" and me["phone_masked"] is None
    photo = app.post("/api/v1/citizen/media", files={"file": ("p.jpg", gps_jpeg(), "image/jpeg")})
    assert photo.status_code == 201, photo.text
    missing = report(app, where, category_code="0101", media_ids=[photo.json()["id"]])
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "bad_attributes"
    made = report(
        app,
        where,
        category_code="0101",
        description="<script>alert(1)</script> 路边有人倾倒建筑垃圾，电话 13812345678",
        attributes={"waste_kind": "construction"},
        media_ids=[photo.json()["id"]],
    )
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["status"] in ("reported", "accepted", "dispatched")
    assert "垃圾类型：建筑垃圾" in case["description"]
    assert case["photos"] and case["timeline"][0]["label"]

    mine = app.get("/api/v1/citizen/reports").json()
    assert [r["code"] for r in mine["items"]] == [case["code"]]
    assert app.get(f"/api/v1/citizen/reports/{case['id']}").json()["code"] == case["code"]
    other = App(client)
    other.anonymous()
    assert other.get("/api/v1/citizen/reports").json()["items"] == []
    assert other.get(f"/api/v1/citizen/reports/{case['id']}").status_code == 404

    # The public copy: no reporter, no phone number, the title redacted, an EXIF-free photo.
    box = {
        "min_lon": where["lon"] - 0.01,
        "min_lat": where["lat"] - 0.01,
        "max_lon": where["lon"] + 0.01,
        "max_lat": where["lat"] + 0.01,
    }
    public = TestClient(client.app).get("/api/v1/citizen/public/reports", params=box).json()
    shown = next(i for i in public["items"] if i["code"] == case["code"])
    assert "13812345678" not in str(public) and not shown["blurred"]
    assert set(shown) == {
        "code", "title", "category_code", "category_name", "status", "status_label",
        "reported_on", "lon", "lat", "blurred", "thumbnail_url",
    }  # fmt: skip
    thumbnail = TestClient(client.app).get(shown["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    served = Image.open(io.BytesIO(thumbnail.content))
    assert not served.getexif() and max(served.size) <= 320
    # The original stays private: the public gets 404 for it.
    assert TestClient(client.app).get(f"/api/v1/media/{photo.json()['id']}").status_code == 401

    # Device token on a new browser: the same account and its reports.
    again = App(client)
    again.signed_in(again.post("/api/v1/citizen/device/resume", json={"token": app.device}))
    assert [r["code"] for r in again.get("/api/v1/citizen/reports").json()["items"]] == [
        case["code"]
    ]
    bad = App(client).post("/api/v1/citizen/device/resume", json={"token": "x" * 40})
    assert bad.status_code == 403

    # Closed by the center and the department, then rated by the reporter.
    close_case(client, auth, case["id"])
    closed = app.get(f"/api/v1/citizen/reports/{case['id']}").json()
    assert closed["can_rate"] and closed["feedback"] == "已清运完毕"
    rated = app.post(
        f"/api/v1/citizen/reports/{case['id']}/rate",
        json={"version": closed["version"], "satisfaction": 5, "comment": "很快"},
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "rated" and rated.json()["satisfaction"] == 5
    assert not rated.json()["can_rate"]


def test_sensitive_reports_are_blurred_in_public_and_reopen_works(
    client: TestClient, auth: Auth, where: dict[str, float]
) -> None:
    app = App(client)
    app.anonymous()
    photo = app.post("/api/v1/citizen/media", files={"file": ("p.jpg", gps_jpeg(), "image/jpeg")})
    made = report(
        app,
        where,
        category_code="0501",
        description="楼上邻居张某深夜吵闹，多次沟通无果",
        media_ids=[photo.json()["id"]],
    ).json()
    box = {
        "min_lon": where["lon"] - 0.02,
        "min_lat": where["lat"] - 0.02,
        "max_lon": where["lon"] + 0.02,
        "max_lat": where["lat"] + 0.02,
    }
    public = client.get("/api/v1/citizen/public/reports", params=box).json()["items"]
    shown = next(i for i in public if i["code"] == made["code"])
    assert shown["title"] == "邻里纠纷" and shown["blurred"] and shown["thumbnail_url"] is None
    assert (shown["lon"], shown["lat"]) == catalog.blur(where["lon"], where["lat"])
    assert "张某" not in str(public)
    assert (
        client.get(f"/api/v1/citizen/public/media/{photo.json()['id']}/thumbnail").status_code
        == 404
    )

    close_case(client, auth, made["id"])
    closed = app.get(f"/api/v1/citizen/reports/{made['id']}").json()
    reopened = app.post(
        f"/api/v1/citizen/reports/{made['id']}/reopen",
        json={"version": closed["version"], "comment": "还是很吵"},
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "handling"
    assert any(step["note"] == "还是很吵" for step in reopened.json()["timeline"])


def test_phone_verification_binds_the_device_account(
    client: TestClient, demo_engine: Engine, texts: Recorder, where: dict[str, float]
) -> None:
    app = App(client)
    anonymous = app.anonymous()
    made = report(app, where).json()
    phone = "13700001234"
    sent = app.post("/api/v1/citizen/phone/code", json={"phone": phone})
    assert sent.status_code == 200 and sent.json()["demo"] is False  # the recorder, not the log
    again = app.post("/api/v1/citizen/phone/code", json={"phone": phone})
    assert again.status_code == 429 and again.headers["Retry-After"]
    wrong = app.post("/api/v1/citizen/phone/verify", json={"phone": phone, "code": "000000"})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_code"
    code = texts.code_for(phone)
    me = app.signed_in(
        app.post("/api/v1/citizen/phone/verify", json={"phone": phone, "code": code})
    )
    assert me["kind"] == "phone" and me["phone_masked"] == "137****1234"
    assert me["user_id"] == anonymous["user_id"]  # the device's account, its reports kept
    assert [r["id"] for r in app.get("/api/v1/citizen/reports").json()["items"]] == [made["id"]]
    # The code is used once.
    used = app.post("/api/v1/citizen/phone/verify", json={"phone": phone, "code": code})
    assert used.status_code == 422
    # Stored like registry phones: cipher, keyed hash, mask; never in plain.
    with session_factory(demo_engine)() as session:
        row = session.scalars(
            select(CitizenPhone).where(CitizenPhone.user_id == me["user_id"])
        ).one()
        settings = client.app.state.settings  # type: ignore[attr-defined]
        cipher = FieldCipher(settings.effective_data_key())
        assert phone not in row.phone_cipher and cipher.decrypt(row.phone_cipher) == phone
        assert row.phone_hash == cipher.search_hash(phone)
    # Another phone (a new browser): the same number logs into the same account.
    other = App(client)
    services.LIMITS.code_interval_seconds = 0
    assert other.post("/api/v1/citizen/phone/code", json={"phone": phone}).status_code == 200
    logged = other.signed_in(
        other.post(
            "/api/v1/citizen/phone/verify", json={"phone": phone, "code": texts.code_for(phone)}
        )
    )
    assert logged["user_id"] == me["user_id"]


def test_wrong_codes_lock_the_code(client: TestClient, texts: Recorder) -> None:
    app = App(client)
    phone = "13600005678"
    assert app.post("/api/v1/citizen/phone/code", json={"phone": phone}).status_code == 200
    for _ in range(services.LIMITS.code_attempts):
        wrong = app.post("/api/v1/citizen/phone/verify", json={"phone": phone, "code": "000000"})
        assert wrong.status_code == 422
    right = app.post(
        "/api/v1/citizen/phone/verify", json={"phone": phone, "code": texts.code_for(phone)}
    )
    assert right.status_code == 429 and right.json()["error"]["code"] == "code_locked"
    assert app.post("/api/v1/citizen/phone/code", json={"phone": "12345"}).status_code == 422


def test_limits_and_refusals(client: TestClient, auth: Auth, where: dict[str, float]) -> None:
    app = App(client)
    app.anonymous()
    services.LIMITS.reports_per_hour_account = 1
    assert report(app, where).status_code == 201
    limited = report(app, where)
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
    services.LIMITS.reports_per_hour_account = 5
    services.LIMITS.reports_per_hour_device = 1  # counted per device token
    assert report(app, where).status_code == 429
    services.LIMITS.reports_per_hour_device = 10
    too_long = report(app, where, description="很" * 1001)
    assert too_long.status_code == 422
    outside = report(app, where, location={"lon": 116.4, "lat": 39.9})
    assert outside.status_code == 422
    # Staff accounts report through their own pages, not the public app.
    staff = client.post(
        "/api/v1/citizen/reports",
        json={"category_code": "0102", "description": "测试测试测试", "location": where},
        headers=auth("operator"),
    )
    assert staff.status_code == 403 and staff.json()["error"]["code"] == "citizens_only"
    # A demo citizen account works as it always did, in the app too.
    demo = client.get("/api/v1/citizen/reports", headers=auth("citizen1"))
    assert demo.status_code == 200
    services.LIMITS.devices_per_hour_ip = 0
    assert App(client).post("/api/v1/citizen/device").status_code == 429
    PUBLIC_LIMITER.reset()
    bad_box = client.get(
        "/api/v1/citizen/public/reports",
        params={"min_lon": 100, "min_lat": 30, "max_lon": 110, "max_lat": 40},
    )
    assert bad_box.status_code == 422


def test_public_reads_are_limited_per_address(client: TestClient) -> None:
    bare = TestClient(client.app)
    statuses = [bare.get("/api/v1/citizen/categories").status_code for _ in range(310)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_keys_page_escapes_what_admins_type(client: TestClient) -> None:
    browser = TestClient(client.app)
    login = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token
    browser.post(
        "/login",
        data={"username": "admin", "password": "demo-pass-123", "csrf_token": token.group(1)},
    )
    page = browser.get("/admin/open311")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    made = browser.post(
        "/admin/open311/keys",
        data={"csrf_token": token.group(1), "name": "<b>x</b>系统", "requests_per_minute": "30"},
    )
    assert made.status_code == 200 and "o311_" in made.text
    assert "<b>x</b>" not in made.text and "&lt;b&gt;x&lt;/b&gt;系统" in made.text


def test_photo_uploads_are_checked_and_limited(client: TestClient, auth: Auth) -> None:
    app = App(client)
    app.anonymous()
    fake = app.post(
        "/api/v1/citizen/media",
        files={"file": ("p.jpg", b"<html>not a photo</html>" * 20, "image/jpeg")},
    )
    assert fake.status_code == 415
    services.LIMITS.photos_per_hour_account = 1
    assert (
        app.post(
            "/api/v1/citizen/media", files={"file": ("p.jpg", gps_jpeg(), "image/jpeg")}
        ).status_code
        == 201
    )
    again = app.post("/api/v1/citizen/media", files={"file": ("p.jpg", gps_jpeg(), "image/jpeg")})
    assert again.status_code == 429
    staff = client.post(
        "/api/v1/citizen/media",
        files={"file": ("p.jpg", gps_jpeg(), "image/jpeg")},
        headers=auth("operator"),
    )
    assert staff.status_code == 403


def test_the_app_is_installable(client: TestClient) -> None:
    manifest = client.get("/m/citizen/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "/m/citizen/"
    worker = client.get("/m/citizen/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.headers["content-type"]
    page = client.get("/m/citizen/")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for asset in re.findall(r'"(/static/[^"]+)"', worker.text + page.text):
        assert client.get(asset).status_code == 200, asset
