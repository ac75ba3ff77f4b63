"""大屏 API: one JSON payload per screen, and the live stream (Server-Sent Events) that brings
new cases and alerts to the screens without a reload."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from gridgov.http import ActorDep, SessionDep
from gridgov.kit import live
from gridgov.kit.pubsub import SubscriptionClosed, SubscriptionOverflow
from gridgov.screens import services
from gridgov.screens.schemas import ScreenOut, ScreenRef

router = APIRouter(prefix="/api/v1/screens", tags=["screens"])
log = logging.getLogger("gridgov.screens")

HEARTBEAT_S = 15.0  # a comment line this often keeps proxies from closing an idle stream
RETRY_MS = 3_000  # how soon the browser reconnects after the stream drops


@router.get("", response_model=list[ScreenRef], summary="大屏列表")
def list_screens(actor: ActorDep) -> list[ScreenRef]:
    services.may_watch(actor)
    return services.list_screens()


@router.get(
    "/stream",
    include_in_schema=False,  # an endless text/event-stream; documented in the README
    response_class=StreamingResponse,
)
async def stream(request: Request, actor: ActorDep) -> StreamingResponse:
    """Server-Sent Events: each message of the ``screens`` channel the reader may see (their
    area), as ``event: <type>`` with the JSON message as data; a comment every 15 s."""
    services.may_watch(actor)
    subscription = await request.app.state.realtime.pubsub.subscribe([live.SCREENS])

    async def body() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n: connected\n\n"
            while True:
                try:
                    _, message = await subscription.get(timeout=HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": ping\n\n"
                    continue
                if not services.visible(actor, message):
                    continue
                kind = str(message.get("type", "message")).replace("\n", " ")
                data = json.dumps(message, ensure_ascii=False)
                yield f"event: {kind}\ndata: {data}\n\n"
        except (SubscriptionClosed, SubscriptionOverflow):
            log.info("screens stream ended: subscription closed or too far behind")
        except asyncio.CancelledError:
            raise
        finally:
            await subscription.close()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{screen}", response_model=ScreenOut, summary="一块大屏的全部面板与地图数据")
def get_screen(
    screen: str,
    session: SessionDep,
    actor: ActorDep,
    region_code: Annotated[
        str | None, Query(max_length=40, description="区域编码；默认为本人管辖范围")
    ] = None,
    start: Annotated[date | None, Query(description="开始日期（含），默认本月1日")] = None,
    end: Annotated[date | None, Query(description="结束日期（含），默认今天")] = None,
) -> ScreenOut:
    return services.screen(
        session, screen, actor=actor, region_code=region_code, start=start, end=end
    )
