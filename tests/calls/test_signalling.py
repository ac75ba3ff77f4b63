"""Video call signalling over /ws/calls without a browser: who may connect, who may call
whom, that offer/answer/ice go only between the two parties, and what is recorded."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.audit.models import AuditEntry
from gridgov.calls.models import Call
from gridgov.config import Settings
from tests.calls.conftest import (
    NANZHANG,
    XUZHUANG,
    XUZHUANG_WORKER,
    Closed,
    Peer,
    call_row,
    close_code,
    connect,
    user_id,
    worker_of,
)
from tests.conftest import DEMO_PASSWORD, Auth

SDP = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"}


def new_id() -> str:
    return uuid.uuid4().hex


def test_a_socket_without_an_account_or_permission_is_closed(
    client: TestClient, auth: Auth
) -> None:
    assert close_code(client, "/ws/calls") == 4401
    assert close_code(client, "/ws/calls?token=not-a-token") == 4401
    # Citizens and department handlers have no calls.make.
    for username in ("citizen1", "dept_cg"):
        token = auth(username)["Authorization"][7:]
        assert close_code(client, f"/ws/calls?token={token}") == 4403


def test_the_page_session_cookie_authenticates_only_from_our_own_pages(
    client: TestClient,
) -> None:
    browser = TestClient(client.app)
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    browser.post(
        "/login",
        data={"username": "operator", "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    with browser.websocket_connect("/ws/calls", headers={"origin": "http://testserver"}) as ws:
        hello = Peer(ws).expect("hello")
        assert hello["can_call_center"] is False
    # Another site's page opening our socket with the visitor's cookie gets nothing.
    foreign = {"origin": "http://attacker.example"}
    assert close_code(browser, "/ws/calls", headers=foreign) == 4401


def test_operator_calls_a_worker_who_answers_and_the_call_is_recorded(
    client: TestClient, auth: Auth, db: Session
) -> None:
    call_id = new_id()
    with (
        connect(client, auth, "operator") as operator,
        connect(client, auth, XUZHUANG_WORKER) as worker,
        connect(client, auth, XUZHUANG_WORKER) as worker_tab,
        connect(client, auth, "operator2") as bystander,
    ):
        worker_id = worker.hello["user_id"]
        operator.send(type="invite", call_id=call_id, to=worker_id)
        calling = operator.expect("calling")
        assert calling["callee_id"] == worker_id and calling["rung"] == 1
        invite = worker.expect("invite")
        assert invite["call_id"] == call_id and invite["from"] == operator.hello["user_id"]
        assert invite["grid_code"] == "370811002001001"
        assert worker_tab.expect("invite")["call_id"] == call_id  # every tab rings
        worker.send(type="ringing", call_id=call_id)
        assert operator.expect("ringing")["call_id"] == call_id

        worker.send(type="accept", call_id=call_id)
        assert worker.expect("accepted")["peer_id"] == operator.hello["user_id"]
        assert operator.expect("accept")["from"] == worker_id
        assert worker_tab.expect("taken")["call_id"] == call_id

        operator.send(type="offer", call_id=call_id, sdp=SDP)
        offer = worker.expect("offer")
        assert offer["sdp"] == SDP and offer["from"] == operator.hello["user_id"]
        assert "conn" not in offer
        worker.send(type="answer", call_id=call_id, sdp={**SDP, "type": "answer"})
        assert operator.expect("answer")["sdp"]["type"] == "answer"
        candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0"}
        worker.send(type="ice", call_id=call_id, candidate=candidate)
        assert operator.expect("ice")["candidate"] == candidate

        # Nobody else hears the call, nor may they speak in it.
        bystander.send(type="offer", call_id=call_id, sdp=SDP)
        assert bystander.expect("error")["code"] == "not_in_call"
        worker_tab.send(type="ice", call_id=call_id, candidate=candidate)
        assert worker_tab.expect("error")["code"] == "not_in_call"
        assert operator.silent() == [] and worker.silent() == []
        assert bystander.silent() == [] and worker_tab.silent() == []

        operator.send(type="hangup", call_id=call_id)
        ended = operator.expect("ended")
        assert ended["status"] == "ended" and ended["reason"] == "hangup"
        assert worker.expect("ended")["status"] == "ended"

    call = call_row(db, call_id)
    assert call.status == "ended" and call.end_reason == "hangup"
    assert call.caller_id == user_id(db, "operator") and call.callee_id == worker_id
    assert call.answered_at is not None and call.ended_at is not None
    assert call.region_path.endswith("/370811002001001/")
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == call_id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["call.start", "call.answer", "call.end"]

    history = client.get("/api/v1/calls", headers=auth("operator")).json()["items"]
    mine = [c for c in history if c["call_id"] == call_id]
    assert mine and mine[0]["status_label"] == "已结束" and mine[0]["duration_s"] is not None
    own = client.get("/api/v1/calls", headers=auth(XUZHUANG_WORKER)).json()["items"]
    assert call_id in {c["call_id"] for c in own}
    other_street = client.get("/api/v1/calls", headers=auth("street_nanzhang")).json()
    assert call_id not in {c["call_id"] for c in other_street["items"]}


def test_street_staff_cannot_call_a_worker_of_another_street(
    client: TestClient, auth: Auth, db: Session
) -> None:
    outsider = worker_of(db, NANZHANG)
    call_id = new_id()
    with (
        connect(client, auth, "street_xuzhuang") as street,
        connect(client, auth, outsider) as worker,
    ):
        street.send(type="invite", call_id=call_id, to=worker.hello["user_id"])
        refused = street.expect("error")
        assert refused["code"] == "callee_not_found"
        assert worker.silent() == []
        # Nor someone who is not a worker, nor "the center" (that is the workers' button).
        street.send(type="invite", call_id=call_id, to=user_id(db, "operator"))
        assert street.expect("error")["code"] in ("callee_not_found", "callee_not_worker")
        street.send(type="invite", call_id=call_id, to="center")
        assert street.expect("error")["code"] == "center_for_workers"
    db.rollback()
    assert db.scalars(select(Call).where(Call.call_key == call_id)).first() is None


def test_a_worker_calls_the_center_and_the_first_to_accept_takes_it(
    client: TestClient, auth: Auth, db: Session
) -> None:
    call_id = new_id()
    with (
        connect(client, auth, XUZHUANG_WORKER) as worker,
        connect(client, auth, "street_xuzhuang") as street,
        connect(client, auth, "operator") as operator,
        connect(client, auth, "street_nanzhang") as other_street,
    ):
        assert worker.hello["can_call_center"] is True
        worker.send(type="invite", call_id=call_id, to="center")
        assert worker.expect("calling")["rung"] == 2
        assert street.expect("invite")["call_id"] == call_id
        assert operator.expect("invite")["call_id"] == call_id
        assert other_street.silent() == []  # not their grid

        street.send(type="accept", call_id=call_id)
        assert street.expect("accepted")["call_id"] == call_id
        assert worker.expect("accept")["from"] == street.hello["user_id"]
        assert operator.expect("taken")["call_id"] == call_id
        operator.send(type="accept", call_id=call_id)  # too late
        assert operator.expect("error")["code"] == "call_not_found"

        worker.send(type="hangup", call_id=call_id)
        assert worker.expect("ended")["status"] == "ended"
        assert street.expect("ended")["status"] == "ended"
        assert operator.silent() == []
    call = call_row(db, call_id)
    assert call.kind == "to_center" and call.callee_id == user_id(db, "street_xuzhuang")
    assert call.status == "ended" and call.answered_at is not None


def test_calls_that_nobody_answers(
    client: TestClient,
    auth: Auth,
    db: Session,
    demo_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker_id = user_id(db, XUZHUANG_WORKER)
    offline, rejected, unanswered = new_id(), new_id(), new_id()
    with connect(client, auth, "operator") as operator:
        # The worker has no connection: missed at once.
        operator.send(type="invite", call_id=offline, to=worker_id)
        ended = operator.expect("ended")
        assert ended["status"] == "missed" and ended["reason"] == "offline"
        with connect(client, auth, XUZHUANG_WORKER) as worker:
            operator.send(type="invite", call_id=rejected, to=worker_id)
            operator.expect("calling")
            worker.expect("invite")
            worker.send(type="reject", call_id=rejected)
            assert worker.expect("ended")["status"] == "rejected"
            assert operator.expect("ended")["reason"] == "rejected"

            monkeypatch.setattr(demo_settings, "call_ring_seconds", 1)
            operator.send(type="invite", call_id=unanswered, to=worker_id)
            operator.expect("calling")
            worker.expect("invite")
            ended = operator.expect("ended", timeout=5)
            assert ended["status"] == "missed" and ended["reason"] == "no_answer"
            assert worker.expect("ended")["call_id"] == unanswered
    assert call_row(db, offline).end_reason == "offline"
    assert call_row(db, rejected).status == "rejected"
    assert call_row(db, unanswered).status == "missed"
    assert call_row(db, unanswered).answered_at is None


def test_a_dropped_connection_ends_its_call_for_the_other_party(
    client: TestClient, auth: Auth, db: Session
) -> None:
    call_id = new_id()
    with connect(client, auth, "operator") as operator:
        with connect(client, auth, XUZHUANG_WORKER) as worker:
            operator.send(type="invite", call_id=call_id, to=worker.hello["user_id"])
            operator.expect("calling")
            worker.expect("invite")
            worker.send(type="accept", call_id=call_id)
            worker.expect("accepted")
            operator.expect("accept")
        ended = operator.expect("ended")
        assert ended["status"] == "ended" and ended["reason"] == "disconnected"
    assert call_row(db, call_id).end_reason == "disconnected"


def test_bad_messages_are_refused(client: TestClient, auth: Auth) -> None:
    with connect(client, auth, "operator") as operator:
        operator.send(type="dance", call_id=new_id())
        assert operator.expect("error")["code"] == "bad_message"
        operator.send(type="invite", call_id="../../etc", to=1)
        assert operator.expect("error")["code"] == "bad_message"
        operator.send(type="ping")
        operator.expect("pong")
        operator.send(type="offer", call_id=new_id(), sdp={"sdp": "x" * 70_000})
        with pytest.raises(Closed) as closed:
            operator.receive()
        assert closed.value.code == 1009


def test_config_contacts_and_the_page(
    client: TestClient, auth: Auth, demo_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = '[{"urls": "stun:stun.example.internal:3478"}]'
    monkeypatch.setattr(demo_settings, "webrtc_ice_servers", servers)
    config = client.get("/api/v1/calls/config", headers=auth("operator")).json()
    assert config["ice_servers"] == [{"urls": "stun:stun.example.internal:3478"}]
    assert client.get("/api/v1/calls/config", headers=auth("citizen1")).status_code == 403

    with connect(client, auth, XUZHUANG_WORKER) as worker:
        contacts = client.get(
            "/api/v1/calls/contacts", params={"online": "true"}, headers=auth("street_xuzhuang")
        ).json()
        assert [c["user_id"] for c in contacts["items"]] == [worker.hello["user_id"]]
        assert contacts["items"][0]["grid_codes"] == ["370811002001001"]
        everyone = client.get("/api/v1/calls/contacts", headers=auth("street_xuzhuang")).json()
        assert everyone["total"] > 1
        assert all(
            c["grid_codes"][0].startswith(XUZHUANG) and c["role"] == "grid_worker"
            for c in everyone["items"]
        )
        assert (
            client.get(
                "/api/v1/calls/contacts",
                params={"online": "true"},
                headers=auth("street_nanzhang"),
            ).json()["items"]
            == []
        )
        with connect(client, auth, "street_xuzhuang") as street:
            seen = client.get("/api/v1/calls/contacts", headers=auth(XUZHUANG_WORKER)).json()
            assert [c["user_id"] for c in seen["items"]] == [street.hello["user_id"]]


def test_a_malformed_ice_server_list_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="WEBRTC_ICE_SERVERS"):
        Settings(webrtc_ice_servers='{"urls": "stun:x"}')
    with pytest.raises(ValueError):
        Settings(webrtc_ice_servers="not json")
