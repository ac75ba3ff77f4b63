from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from gridgov.calls.models import CallKind, CallStatus

# What a browser may send over /ws/calls. The server fills ``from`` itself.
MessageType = Literal[
    "invite", "ringing", "accept", "reject", "offer", "answer", "ice", "hangup", "ping"
]
CALL_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class SignalIn(BaseModel):
    """One signalling message from a browser. ``sdp`` (offer/answer) and ``candidate`` (ice)
    are passed to the other party as they are; the server reads only the envelope."""

    model_config = {"extra": "ignore"}

    type: MessageType
    call_id: str | None = Field(default=None, pattern=CALL_KEY_PATTERN)
    to: int | Literal["center"] | None = None
    sdp: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    reason: str | None = Field(default=None, max_length=40)


class CallOut(BaseModel):
    id: int
    call_id: str = Field(description="the signalling id")
    kind: CallKind
    kind_label: str
    caller_id: int
    caller_name: str
    callee_id: int | None
    callee_name: str
    grid_code: str
    status: CallStatus
    status_label: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    end_reason_label: str | None
    duration_s: int | None = Field(description="answered → ended, in seconds")


class CallsConfigOut(BaseModel):
    ice_servers: list[dict[str, Any]] = Field(
        description="RTCIceServer objects (GRIDGOV_WEBRTC_ICE_SERVERS); empty on a LAN"
    )
    ring_seconds: int
    websocket_path: str = "/ws/calls"
    user_id: int | None = Field(description="the signed-in account")
    can_call_center: bool = Field(description="a grid worker may call the center")


class ContactOut(BaseModel):
    user_id: int
    name: str
    username: str
    role: str
    role_label: str
    grid_codes: list[str]
    online: bool
