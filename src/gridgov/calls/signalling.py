"""WebRTC signalling over ``/ws/calls``, relayed through the pub/sub.

Each open WebSocket is one :class:`Connection`. It subscribes to two channels: its user's
(``calls.user.<id>``: invitations ring every tab of the account) and its own
(``calls.conn.<id>``: once a call is taken, offer/answer/ice go between exactly the two
connections in it). With ``GRIDGOV_REDIS_URL`` the channels are Redis's, so the two parties
may be connected to different app processes.

Only this server publishes on these channels, so what a connection hears there is trusted:
the caller's connection learns the callee's connection from the server's ``accept``, and from
then on relays its browser's offer/answer/ice to that connection alone. Browsers never name
a connection; anything they send is checked against this connection's own state and, for every
change of a call's state, against the database through `calls.services` (who may call whom,
one conditional UPDATE per change, an audit row each).

Messages (JSON, each with ``type`` and ``call_id``):
browser → server ``invite`` (``to``: a user id, or ``"center"`` from a worker), ``ringing``,
``accept``, ``reject``, ``offer``/``answer`` (``sdp``), ``ice`` (``candidate``), ``hangup``,
``ping``; server → browser ``hello``, ``calling`` (your invite rings), ``invite``,
``ringing``, ``accept``, ``taken`` (another took it), ``offer``/``answer``/``ice``,
``ended`` (with ``status`` and ``reason``), ``error`` (``code``, ``message``), ``pong``.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
from fastapi import WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.accounts.security import read_token
from gridgov.calls import services
from gridgov.calls.models import CallStatus, EndReason
from gridgov.calls.schemas import SignalIn
from gridgov.config import Settings
from gridgov.db import unit_of_work
from gridgov.kit.errors import AppError, NotAuthenticated
from gridgov.kit.pubsub import Presence, Realtime, Subscription

log = logging.getLogger("gridgov.calls")

PRESENCE_GROUP = "calls.online"
PRESENCE_TTL_S = 60.0
HEARTBEAT_S = 20.0
MAX_MESSAGE_BYTES = 64 * 1024
# A call's signalling is a few dozen messages; this many in a window means a broken or
# hostile client.
MAX_MESSAGES = 300
WINDOW_S = 10.0

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008

T = TypeVar("T")


def user_channel(user_id: int) -> str:
    return f"calls.user.{user_id}"


def conn_channel(conn_id: str) -> str:
    return f"calls.conn.{conn_id}"


def online_user_ids(presence: Presence) -> set[int]:
    """Accounts with at least one open calls connection (members are ``<user>:<conn>``)."""
    ids = set()
    for member in presence.members(PRESENCE_GROUP):
        user, _, _conn = member.partition(":")
        if user.isdigit():
            ids.add(int(user))
    return ids


def _same_origin(websocket: WebSocket) -> bool:
    """A cookie rides along on a WebSocket opened by any page; only our own pages may use it
    (cross-site WebSocket hijacking). Programs without an Origin use a token anyway."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _user_id(websocket: WebSocket, settings: Settings) -> int | None:
    token = websocket.query_params.get("token")
    if token:
        return read_token(token, settings.effective_secret_key())
    if "session" not in websocket.scope or not _same_origin(websocket):
        return None
    user_id = websocket.session.get("user_id")
    return int(user_id) if user_id is not None else None


def _actor(session: Session, user_id: int, client_ip: str) -> Actor:
    user = accounts.user_for_token(session, user_id)  # NotAuthenticated when inactive
    return accounts.actor_for(session, user, client_ip=client_ip)


@dataclass
class Snapshot:
    """A call's state as read inside the transaction, for use after it."""

    call_id: str
    status: str
    reason: str | None
    caller_id: int
    caller_name: str
    callee_id: int | None
    callee_name: str
    kind: str
    grid_code: str
    notify: list[int] = field(default_factory=list)
    changed: bool = True

    @classmethod
    def of(cls, change: services.CallChange) -> Snapshot:
        call = change.call
        return cls(
            call_id=call.call_key,
            status=call.status,
            reason=call.end_reason,
            caller_id=call.caller_id,
            caller_name=call.caller_name,
            callee_id=call.callee_id,
            callee_name=call.callee_name,
            kind=call.kind,
            grid_code=call.region_path.rstrip("/").split("/")[-1],
            notify=list(change.notify),
            changed=change.changed,
        )


class Connection:
    def __init__(
        self, websocket: WebSocket, engine: Engine, realtime: Realtime, settings: Settings
    ) -> None:
        self.ws = websocket
        self.engine = engine
        self.realtime = realtime
        self.settings = settings
        self.conn_id = secrets.token_hex(8)
        self.client_ip = websocket.client.host if websocket.client else ""
        self.user_id = 0
        self.name = ""
        self._send_lock = anyio.Lock()
        # call_id → the other connection and its user, for calls taken on this connection.
        self.peers: dict[str, tuple[str, int]] = {}
        # call_id → (caller's connection, caller) for invitations shown on this connection.
        self.invites: dict[str, tuple[str, int]] = {}
        # Calls placed here and still ringing: call_id → its ring timer.
        self.placed: dict[str, anyio.CancelScope] = {}
        self._task_group: anyio.abc.TaskGroup | None = None
        self._window_start = 0.0
        self._window_count = 0

    @property
    def member(self) -> str:
        return f"{self.user_id}:{self.conn_id}"

    # -- plumbing --------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(json.dumps(message, ensure_ascii=False))

    async def error(self, code: str, message: str, call_id: str | None = None) -> None:
        await self.send({"type": "error", "code": code, "message": message, "call_id": call_id})

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self.realtime.pubsub.publish(
            channel, {**message, "from": self.user_id, "conn": self.conn_id}
        )

    async def db(self, work: Callable[[Session, Actor], T]) -> T:
        """Run ``work`` in a worker thread in its own transaction, as this account (resolved
        afresh, so a deactivated account or a changed role counts at once)."""

        def run() -> T:
            with unit_of_work(self.engine) as session:
                return work(session, _actor(session, self.user_id, self.client_ip))

        return await anyio.to_thread.run_sync(run)

    async def online(self) -> set[int]:
        return await anyio.to_thread.run_sync(online_user_ids, self.realtime.presence)

    # -- lifecycle -------------------------------------------------------------------------

    async def serve(self) -> None:
        await self.ws.accept()
        user_id = _user_id(self.ws, self.settings)
        if user_id is None:
            await self.ws.close(CLOSE_UNAUTHENTICATED, "请先登录")
            return
        try:
            actor = await anyio.to_thread.run_sync(self._resolve, user_id)
        except NotAuthenticated:
            await self.ws.close(CLOSE_UNAUTHENTICATED, "登录已失效")
            return
        if not actor.can(Perm.CALLS_MAKE):
            await self.ws.close(CLOSE_FORBIDDEN, "没有视频通话权限")
            return
        self.user_id = user_id
        self.name = actor.display_name or actor.username
        subscription = await self.realtime.pubsub.subscribe(
            [user_channel(user_id), conn_channel(self.conn_id)]
        )
        try:
            await anyio.to_thread.run_sync(self._touch)
            await self.send(
                {
                    "type": "hello",
                    "user_id": user_id,
                    "name": self.name,
                    "can_call_center": services.is_worker(actor),
                }
            )
            async with anyio.create_task_group() as group:
                self._task_group = group
                group.start_soon(self._forward, subscription)
                group.start_soon(self._heartbeat)
                await self._read()
                group.cancel_scope.cancel()
        finally:
            self._task_group = None
            with anyio.CancelScope(shield=True):
                await subscription.close()
                await anyio.to_thread.run_sync(self._leave)
                await self._hang_up_all()

    def _resolve(self, user_id: int) -> Actor:
        with unit_of_work(self.engine) as session:
            return _actor(session, user_id, self.client_ip)

    def _touch(self) -> None:
        self.realtime.presence.touch(PRESENCE_GROUP, self.member, PRESENCE_TTL_S)

    def _leave(self) -> None:
        self.realtime.presence.leave(PRESENCE_GROUP, self.member)

    async def _heartbeat(self) -> None:
        while True:
            await anyio.sleep(HEARTBEAT_S)
            await anyio.to_thread.run_sync(self._touch)

    async def _read(self) -> None:
        while True:
            try:
                text = await self.ws.receive_text()
            except WebSocketDisconnect:
                return
            if len(text.encode()) > MAX_MESSAGE_BYTES:
                await self.ws.close(CLOSE_TOO_BIG, "消息过大")
                return
            if not self._within_rate():
                await self.ws.close(CLOSE_POLICY, "消息过于频繁")
                return
            try:
                message = SignalIn.model_validate_json(text)
            except ValidationError:
                await self.error("bad_message", "消息格式不正确")
                continue
            try:
                await self._handle(message)
            except NotAuthenticated:
                await self.ws.close(CLOSE_UNAUTHENTICATED, "登录已失效")
                return
            except AppError as refused:
                await self.error(refused.code, refused.message, message.call_id)
            except IntegrityError:
                await self.error("call_exists", "该通话标识已被使用", message.call_id)

    def _within_rate(self) -> bool:
        moment = anyio.current_time()
        if moment - self._window_start > WINDOW_S:
            self._window_start, self._window_count = moment, 0
        self._window_count += 1
        return self._window_count <= MAX_MESSAGES

    async def _forward(self, subscription: Subscription) -> None:
        async for _channel, message in subscription:
            if message.get("conn") == self.conn_id:
                continue  # our own note to the account's other tabs
            await self._heard(message)

    # -- what the browser says -------------------------------------------------------------

    async def _handle(self, message: SignalIn) -> None:
        kind = message.type
        if kind == "ping":
            await self.send({"type": "pong"})
            return
        call_id = message.call_id
        if call_id is None:
            await self.error("bad_message", "缺少 call_id")
            return
        if kind == "invite":
            await self._invite(call_id, message.to)
        elif kind == "ringing":
            invite = self.invites.get(call_id)
            if invite is not None:
                await self.publish(conn_channel(invite[0]), {"type": "ringing", "call_id": call_id})
        elif kind == "accept":
            await self._accept(call_id)
        elif kind in ("reject", "hangup"):
            await self._end(call_id, EndReason.HANGUP)
        else:  # offer, answer, ice: only within a call taken on this connection
            peer = self.peers.get(call_id)
            if peer is None:
                await self.error("not_in_call", "该通话未在此连接接通", call_id)
                return
            payload: dict[str, Any] = {"type": kind, "call_id": call_id}
            if kind == "ice":
                payload["candidate"] = message.candidate
            else:
                payload["sdp"] = message.sdp
            await self.publish(conn_channel(peer[0]), payload)

    async def _invite(self, call_id: str, to: int | str | None) -> None:
        if to is None:
            await self.error("bad_message", "缺少被叫（to）", call_id)
            return
        online = await self.online()
        snap = await self.db(
            lambda s, a: Snapshot.of(services.start_call(s, call_id, to, actor=a, online=online))
        )
        if not snap.changed:  # nobody to ring: recorded as missed
            await self.send(self._ended(snap))
            return
        scope = anyio.CancelScope()
        self.placed[call_id] = scope
        if self._task_group is not None:
            self._task_group.start_soon(self._ring_timer, call_id, scope)
        await self.send(
            {
                "type": "calling",
                "call_id": call_id,
                "callee_id": snap.callee_id,
                "callee_name": snap.callee_name,
                "rung": len(snap.notify),
            }
        )
        for user_id in snap.notify:
            await self.publish(
                user_channel(user_id),
                {
                    "type": "invite",
                    "call_id": call_id,
                    "from_name": self.name,
                    "kind": snap.kind,
                    "grid_code": snap.grid_code,
                    "ring_seconds": self.settings.call_ring_seconds,
                },
            )

    async def _ring_timer(self, call_id: str, scope: anyio.CancelScope) -> None:
        with scope:
            await anyio.sleep(self.settings.call_ring_seconds)
            self.placed.pop(call_id, None)
            await self._end(call_id, EndReason.NO_ANSWER)

    async def _accept(self, call_id: str) -> None:
        invite = self.invites.get(call_id)
        if invite is None:
            await self.error("call_not_found", "没有这条来电", call_id)
            return
        snap = await self.db(lambda s, a: Snapshot.of(services.answer_call(s, call_id, actor=a)))
        self.invites.pop(call_id, None)
        caller_conn, caller_id = invite
        self.peers[call_id] = (caller_conn, caller_id)
        await self.publish(
            conn_channel(caller_conn),
            {"type": "accept", "call_id": call_id, "from_name": self.name},
        )
        # Every other tab and every other staff member rung: it is taken.
        for user_id in {self.user_id, *snap.notify} - {caller_id}:
            await self.publish(user_channel(user_id), {"type": "taken", "call_id": call_id})
        await self.send({"type": "accepted", "call_id": call_id, "peer_id": caller_id})

    async def _end(self, call_id: str, reason: EndReason) -> None:
        snap = await self.db(
            lambda s, a: Snapshot.of(services.end_call(s, call_id, actor=a, reason=reason))
        )
        peer = self.peers.pop(call_id, None)
        invite = self.invites.pop(call_id, None)
        timer = self.placed.pop(call_id, None)
        if timer is not None and reason != EndReason.NO_ANSWER:
            timer.cancel()
        if not snap.changed and snap.status == CallStatus.ANSWERED.value:
            return  # the call goes on (the ring timer lost the race with the answer)
        ended = self._ended(snap)
        if snap.changed:
            note = {k: v for k, v in ended.items() if k != "from"}
            if peer is not None:
                await self.publish(conn_channel(peer[0]), note)
            elif invite is not None:
                await self.publish(conn_channel(invite[0]), note)
            for user_id in set(snap.notify) - {peer[1] if peer else 0, self.user_id}:
                if invite is not None and user_id == invite[1]:
                    continue
                await self.publish(user_channel(user_id), note)
            # The account's other tabs stop ringing too.
            await self.publish(user_channel(self.user_id), note)
        elif snap.status == CallStatus.RINGING.value:
            ended = {**ended, "status": "declined", "status_label": "已拒接（其他人仍可接听）"}
        await self.send(ended)

    @staticmethod
    def _ended(snap: Snapshot) -> dict[str, Any]:
        from gridgov.calls.models import END_REASON_LABELS, STATUS_LABELS

        status = CallStatus(snap.status)
        reason = EndReason(snap.reason) if snap.reason else None
        return {
            "type": "ended",
            "call_id": snap.call_id,
            "status": status.value,
            "status_label": STATUS_LABELS[status],
            "reason": reason.value if reason else None,
            "reason_label": END_REASON_LABELS[reason] if reason else None,
        }

    async def _hang_up_all(self) -> None:
        """The connection is gone: its calls end (answered ones for the other party too)."""
        for call_id in [*self.peers, *self.placed]:
            try:
                await self._end_quietly(call_id)
            except Exception:
                log.exception("could not end call %s after a disconnect", call_id)

    async def _end_quietly(self, call_id: str) -> None:
        snap = await self.db(
            lambda s, a: Snapshot.of(
                services.end_call(s, call_id, actor=a, reason=EndReason.DISCONNECTED)
            )
        )
        peer = self.peers.pop(call_id, None)
        self.placed.pop(call_id, None)
        if not snap.changed:
            return
        note = {k: v for k, v in self._ended(snap).items() if k != "from"}
        if peer is not None:
            await self.publish(conn_channel(peer[0]), note)
        for user_id in set(snap.notify) - {peer[1] if peer else 0, self.user_id}:
            await self.publish(user_channel(user_id), note)

    # -- what the other side says ----------------------------------------------------------

    async def _heard(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        call_id = str(message.get("call_id", ""))
        sender_conn = str(message.get("conn", ""))
        sender = int(message.get("from", 0))
        if kind == "invite":
            self.invites[call_id] = (sender_conn, sender)
        elif kind == "accept":
            if call_id not in self.placed:
                return  # not ours (any more)
            self.placed.pop(call_id).cancel()
            self.peers[call_id] = (sender_conn, sender)
        elif kind == "taken":
            if self.invites.pop(call_id, None) is None:
                return
        elif kind == "ended":
            self.peers.pop(call_id, None)
            self.invites.pop(call_id, None)
            timer = self.placed.pop(call_id, None)
            if timer is not None:
                timer.cancel()
        elif kind in ("offer", "answer", "ice"):
            peer = self.peers.get(call_id)
            if peer is None or peer[0] != sender_conn:
                return  # only the connection that took the call may speak in it
        outgoing = {k: v for k, v in message.items() if k != "conn"}
        await self.send(outgoing)


async def serve(websocket: WebSocket) -> None:
    state = websocket.app.state
    connection = Connection(websocket, state.engine, state.realtime, state.settings)
    await connection.serve()
