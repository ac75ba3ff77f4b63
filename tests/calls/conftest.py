"""What the call tests share: signalling connections with a time-out on every read, and the
demo accounts they use."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from gridgov.accounts.models import User
from gridgov.calls.models import Call
from tests.conftest import Auth

XUZHUANG_WORKER = "gw_370811002001001"
XUZHUANG = "370811002"
NANZHANG = "370811006"


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Peer:
    """One browser's signalling socket. Every read waits at most a few seconds, so a message
    that never comes fails the test instead of hanging it."""

    def __init__(self, ws: WebSocketTestSession) -> None:
        self.ws = ws
        self.hello: dict[str, Any] = {}

    def send(self, **message: Any) -> None:
        self.ws.send_text(json.dumps(message))

    def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        ws = self.ws

        async def get() -> Any:
            with anyio.fail_after(timeout):
                return await ws._send_rx.receive()

        message = ws.portal.call(get)
        if message["type"] == "websocket.close":
            raise Closed(message.get("code", 1000))
        data: dict[str, Any] = json.loads(message["text"])
        return data

    def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        message = self.receive(timeout)
        assert message["type"] == kind, message
        return message

    def silent(self, timeout: float = 0.4) -> list[dict[str, Any]]:
        """What arrives within ``timeout`` (nothing, when all is well)."""
        got = []
        while True:
            try:
                got.append(self.receive(timeout))
            except TimeoutError:
                return got


@contextmanager
def connect(client: TestClient, auth: Auth, username: str) -> Iterator[Peer]:
    token = auth(username)["Authorization"][7:]
    with client.websocket_connect(f"/ws/calls?token={token}") as ws:
        peer = Peer(ws)
        peer.hello = peer.expect("hello")
        yield peer


def close_code(client: TestClient, url: str, **kwargs: Any) -> int:
    """The close code a connection gets before any message."""
    with client.websocket_connect(url, **kwargs) as ws:
        try:
            message = ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code
    raise AssertionError(f"expected a close, got {message}")


def user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def worker_of(session: Session, street: str) -> str:
    """A full-time grid worker of a basic grid of ``street``."""
    return session.scalars(
        select(User.username)
        .where(User.username.like(f"gw\\_{street}%", escape="\\"), User.role == "grid_worker")
        .order_by(User.username)
        .limit(1)
    ).one()


def call_row(session: Session, call_id: str) -> Call:
    session.rollback()  # a fresh snapshot: the server committed in its own transaction
    return session.scalars(select(Call).where(Call.call_key == call_id)).one()
