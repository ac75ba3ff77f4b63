"""视频调度: whom the account may call (workers in scope, or for a worker the staff on duty over
their grid), who is online, and the call history. ``static/js/call.js`` does the calling."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from gridgov.accounts.permissions import Perm
from gridgov.calls import services as calls
from gridgov.calls import signalling
from gridgov.http import OptionalActorDep, SessionDep
from gridgov.kit.errors import PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.web.rendering import PAGE_SIZE, login_redirect, pager, render

router = APIRouter(include_in_schema=False)
HISTORY_SHOWN = 20


@router.get("/calls")
def calls_page(
    request: Request,
    session: SessionDep,
    actor: OptionalActorDep,
    q: Annotated[str | None, Query(max_length=50)] = None,
    online: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    if actor is None:
        return login_redirect(request)
    if not actor.can(Perm.CALLS_MAKE):
        raise PermissionDenied("没有视频通话权限", code="permission_denied")
    present = signalling.online_user_ids(request.app.state.realtime.presence)
    worker = calls.is_worker(actor)
    contacts, total = calls.contacts(
        session,
        actor=actor,
        online=present,
        query=q or None,
        online_only=online,
        page=PageParams(page=page, page_size=PAGE_SIZE),
    )
    history, _ = calls.list_calls(
        session, actor=actor, page=PageParams(page=1, page_size=HISTORY_SHOWN)
    )
    return render(
        request,
        "calls.html",
        actor=actor,
        worker=worker,
        contacts=contacts,
        q=q or "",
        online=online,
        history=[calls.call_out(c) for c in history],
        pager=pager(request, page, total),
    )
