"""Every query on saved views."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.reports.models import SavedView

MAX_VIEWS = 500


def _visible(scope: Scope, user_id: int | None) -> Select[SavedView]:
    """Views in the reader's area that are shared or the reader's own."""
    stmt = apply_scope(select(SavedView), scope, region_path=SavedView.region_path)
    if user_id is None:
        return stmt.where(SavedView.shared.is_(True))
    return stmt.where(or_(SavedView.owner_id == user_id, SavedView.shared.is_(True)))


def get_view(session: Session, scope: Scope, user_id: int | None, view_id: int) -> SavedView | None:
    return session.scalars(_visible(scope, user_id).where(SavedView.id == view_id)).first()


def list_views(session: Session, scope: Scope, user_id: int | None) -> list[SavedView]:
    stmt = _visible(scope, user_id).order_by(SavedView.updated_at.desc(), SavedView.id.desc())
    return list(session.scalars(stmt.limit(MAX_VIEWS)))


@unscoped("a name is unique per owner: the check looks at the owner's own views only")
def by_owner_and_name(session: Session, owner_id: int, name: str) -> SavedView | None:
    stmt = select(SavedView).where(SavedView.owner_id == owner_id, SavedView.name == name)
    return session.scalars(stmt).first()


@unscoped("counts the owner's own views, to cap how many one account keeps")
def count_owned(session: Session, owner_id: int) -> int:
    stmt = select(func.count()).select_from(SavedView).where(SavedView.owner_id == owner_id)
    return int(session.scalar(stmt) or 0)


def add_view(session: Session, view: SavedView) -> None:
    session.add(view)
    session.flush()


def delete_view(session: Session, view: SavedView) -> None:
    session.delete(view)
    session.flush()
