from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from gridgov.audit import services
from gridgov.audit.schemas import AuditEntryOut
from gridgov.http import ActorDep, SessionDep
from gridgov.kit.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit", response_model=Page[AuditEntryOut], summary="审计日志")
def list_audit(
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[PageParams, Depends(page_params)],
    action: Annotated[str | None, Query(max_length=60)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[AuditEntryOut]:
    rows, total = services.list_entries(
        session, actor=actor, action=action, object_type=object_type, page=page
    )
    return Page.of([AuditEntryOut.model_validate(r) for r in rows], total, page)
