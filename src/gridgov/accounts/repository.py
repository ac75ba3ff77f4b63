"""Every query on accounts, grid assignments and login failures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, LoginFailure, User
from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.kit.pagination import PageParams, fetch_page


def _scoped(scope: Scope) -> Select[User]:
    return apply_scope(
        select(User), scope, region_path=User.region_path, department_id=User.department_id
    )


def get_user(session: Session, scope: Scope, user_id: int) -> User | None:
    return session.scalars(_scoped(scope).where(User.id == user_id)).first()


def list_users(
    session: Session,
    scope: Scope,
    *,
    role: str | None,
    query: str | None,
    page: PageParams,
) -> tuple[list[User], int]:
    stmt = _scoped(scope)
    if role:
        stmt = stmt.where(User.role == role)
    if query:
        stmt = stmt.where(
            or_(
                User.username.contains(query, autoescape=True),
                User.display_name.contains(query, autoescape=True),
            )
        )
    return fetch_page(session, stmt, page, User.id)


@unscoped("login looks up the account before anyone is known")
def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


@unscoped("turns a verified token into its account; the token is the authority")
def get_for_token(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


@unscoped("the operator's CLI lists every account on the machine it runs on")
def list_all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def list_assignments(
    session: Session, scope: Scope, *, region_id: int
) -> list[tuple[GridAssignment, User]]:
    stmt = apply_scope(
        select(GridAssignment, User).join(User, User.id == GridAssignment.user_id),
        scope,
        region_path=GridAssignment.region_path,
    ).where(GridAssignment.region_id == region_id)
    return [(a, u) for a, u in session.execute(stmt.order_by(User.id))]


def get_assignment(
    session: Session, scope: Scope, *, user_id: int, region_id: int
) -> GridAssignment | None:
    stmt = apply_scope(select(GridAssignment), scope, region_path=GridAssignment.region_path).where(
        GridAssignment.user_id == user_id, GridAssignment.region_id == region_id
    )
    return session.scalars(stmt).first()


def add_assignment(
    session: Session, *, user_id: int, region_id: int, region_path: str, duty: str
) -> GridAssignment:
    assignment = GridAssignment(
        user_id=user_id, region_id=region_id, region_path=region_path, duty=duty
    )
    session.add(assignment)
    session.flush()
    return assignment


def delete_assignment(session: Session, assignment: GridAssignment) -> None:
    session.delete(assignment)
    session.flush()


@unscoped("an account's own assignments define its scope, so they cannot be read through it")
def assigned_paths(session: Session, user_id: int) -> list[str]:
    stmt = select(GridAssignment.region_path).where(GridAssignment.user_id == user_id)
    return list(session.scalars(stmt.order_by(GridAssignment.region_path)))


@unscoped("counts one name's failures for the throttle")
def count_failures_for_username(session: Session, *, username: str, since: datetime) -> int:
    stmt = select(func.count()).where(LoginFailure.at >= since, LoginFailure.username == username)
    return session.scalar(stmt) or 0


@unscoped("counts one address's failures for the throttle")
def count_failures_for_ip(session: Session, *, client_ip: str, since: datetime) -> int:
    stmt = select(func.count()).where(LoginFailure.at >= since, LoginFailure.client_ip == client_ip)
    return session.scalar(stmt) or 0


def add_failure(session: Session, *, username: str, client_ip: str, at: datetime) -> None:
    session.add(LoginFailure(username=username, client_ip=client_ip, at=at))


def clear_failures(session: Session, *, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def prune_failures(session: Session, *, before: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at < before))


@unscoped("the platform's own jobs address people by duty, not by what they may read")
def user_ids_for_duty(
    session: Session,
    *,
    department_id: int | None,
    grid_path: str | None,
    roles: Sequence[str],
) -> list[int]:
    conditions = []
    if department_id is not None:
        conditions.append(User.department_id == department_id)
    if grid_path:
        conditions.append(
            User.id.in_(
                select(GridAssignment.user_id).where(GridAssignment.region_path == grid_path)
            )
        )
    if roles:
        conditions.append(User.role.in_(roles))
    if not conditions:
        return []
    stmt = select(User.id).where(User.is_active.is_(True), or_(*conditions))
    return list(session.scalars(stmt.order_by(User.id)))
