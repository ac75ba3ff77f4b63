"""Video calls: the signalling WebSocket, the ICE configuration, contacts and call history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, WebSocket

from gridgov.accounts.permissions import Perm
from gridgov.calls import services, signalling
from gridgov.calls.models import CallStatus
from gridgov.calls.schemas import CallOut, CallsConfigOut, ContactOut
from gridgov.config import Settings
from gridgov.http import ActorDep, SessionDep, SettingsDep
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1", tags=["calls"])
ws_router = APIRouter(include_in_schema=False)


@ws_router.websocket("/ws/calls")
async def calls_socket(websocket: WebSocket) -> None:
    """Signalling (see calls/signalling.py). Authenticated by the page session cookie or a
    ``?token=`` bearer token; closes 4401 without one, 4403 without ``calls.make``."""
    await signalling.serve(websocket)


@router.get("/calls/config", response_model=CallsConfigOut, summary="视频通话配置（ICE 服务器）")
def calls_config(actor: ActorDep, settings: SettingsDep) -> CallsConfigOut:
    actor.require(Perm.CALLS_MAKE)
    return CallsConfigOut(
        ice_servers=Settings.ice_servers(settings.webrtc_ice_servers),
        ring_seconds=settings.call_ring_seconds,
        user_id=actor.id,
        can_call_center=services.is_worker(actor),
    )


@router.get("/calls/contacts", response_model=Page[ContactOut], summary="可呼叫的人（含在线状态）")
def calls_contacts(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[str | None, Query(max_length=50)] = None,
    online: Annotated[bool, Query(description="只列在线的人")] = False,
) -> Page[ContactOut]:
    present = signalling.online_user_ids(request.app.state.realtime.presence)
    rows, total = services.contacts(
        session, actor=actor, online=present, query=q, online_only=online, page=page
    )
    return Page.of(rows, total, page)


@router.get("/calls", response_model=Page[CallOut], summary="通话记录")
def list_calls(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    status: CallStatus | None = None,
    user_id: Annotated[int | None, Query(description="主叫或被叫")] = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
) -> Page[CallOut]:
    calls, total = services.list_calls(
        session,
        actor=actor,
        status=status,
        user_id=user_id,
        started_from=started_from,
        started_to=started_to,
        page=page,
    )
    return Page.of([services.call_out(c) for c in calls], total, page, cap=services.LIST_COUNT_CAP)
