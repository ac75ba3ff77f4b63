"""Every query on organisations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.orgs.models import Organisation, OrgKind


def _scoped(scope: Scope) -> Select[Organisation]:
    return apply_scope(
        select(Organisation),
        scope,
        region_path=Organisation.region_path,
        department_id=Organisation.id,
    )


def get_organisation(session: Session, scope: Scope, org_id: int) -> Organisation | None:
    return session.scalars(_scoped(scope).where(Organisation.id == org_id)).first()


def list_organisations(
    session: Session,
    scope: Scope,
    *,
    kind: str | None,
    query: str | None,
    page: PageParams,
) -> tuple[list[Organisation], int]:
    stmt = _scoped(scope)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if query:
        stmt = stmt.where(
            or_(
                Organisation.name.contains(query, autoescape=True),
                Organisation.code.startswith(query, autoescape=True),
            )
        )
    return fetch_page(session, stmt, page, Organisation.kind, Organisation.code)


@unscoped("code uniqueness is global: a code taken outside your scope is still taken")
def code_exists(session: Session, code: str) -> bool:
    return session.scalar(select(func.count()).where(Organisation.code == code)) != 0


@unscoped("organisation codes name departments district-wide, e.g. in an imported file")
def ids_for_codes(session: Session, codes: Sequence[str]) -> dict[str, int]:
    stmt = select(Organisation.code, Organisation.id).where(Organisation.code.in_(set(codes)))
    return dict(session.execute(stmt).all())


@unscoped("which department leads or assists a case is shown to everyone who may see the case")
def names_of(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(set(ids)))
    return dict(session.execute(stmt).all())


@unscoped("the district's departments are the targets every dispatch chooses from")
def department_directory(session: Session) -> list[tuple[int, str, str]]:
    stmt = (
        select(Organisation.id, Organisation.code, Organisation.name)
        .where(Organisation.kind == OrgKind.DEPARTMENT.value, Organisation.is_active.is_(True))
        .order_by(Organisation.code)
    )
    return [(i, code, name) for i, code, name in session.execute(stmt)]
