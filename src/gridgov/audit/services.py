"""Writing and reading the audit log. Every write service calls :func:`record`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import repository
from gridgov.audit.models import AuditEntry
from gridgov.kit.pagination import PageParams


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    summary: str,
    region_path: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id,
        actor_username=actor.username,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_path=region_path,
        summary=summary,
        details={**(details or {}), **({"ip": actor.client_ip} if actor.client_ip else {})},
    )
    session.add(entry)
    return entry


def list_entries(
    session: Session,
    *,
    actor: Actor,
    action: str | None,
    object_type: str | None,
    page: PageParams,
) -> tuple[list[AuditEntry], int]:
    actor.require(Perm.AUDIT_READ)
    return repository.list_entries(
        session, actor.scope, action=action, object_type=object_type, page=page
    )


def object_history(
    session: Session, object_type: str, object_id: str | int, *, actor: Actor, limit: int = 50
) -> list[AuditEntry]:
    """The changes to one object, newest first, for its page. Whoever may see the object may
    see its history; the caller has already fetched the object through its scope."""
    return repository.list_for_object(
        session, actor.scope, object_type=object_type, object_id=str(object_id), limit=limit
    )
