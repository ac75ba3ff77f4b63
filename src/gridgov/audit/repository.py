from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope
from gridgov.audit.models import AuditEntry
from gridgov.kit.pagination import PageParams, fetch_page


def list_entries(
    session: Session,
    scope: Scope,
    *,
    action: str | None,
    object_type: str | None,
    page: PageParams,
) -> tuple[list[AuditEntry], int]:
    stmt = apply_scope(select(AuditEntry), scope, region_path=AuditEntry.region_path)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    return fetch_page(session, stmt, page, AuditEntry.id.desc())


def list_for_object(
    session: Session, scope: Scope, *, object_type: str, object_id: str, limit: int
) -> list[AuditEntry]:
    stmt = apply_scope(select(AuditEntry), scope, region_path=AuditEntry.region_path).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id
    )
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
