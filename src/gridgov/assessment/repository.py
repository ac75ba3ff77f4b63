"""Every query of the assessment: schemes (district-wide configuration), snapshots and their
frozen scores (read through the reader's scope)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.assessment.models import Scheme, Score, Snapshot

# --- schemes ---------------------------------------------------------------------------------


@unscoped("schemes are district-wide configuration: every reader may know how they are scored")
def current_schemes(session: Session, *, target_type: str | None = None) -> list[Scheme]:
    stmt = select(Scheme).where(Scheme.is_current.is_(True))
    if target_type:
        stmt = stmt.where(Scheme.target_type == target_type)
    return list(session.scalars(stmt.order_by(Scheme.target_type, Scheme.code)))


@unscoped("schemes are district-wide configuration")
def current_scheme(session: Session, code: str) -> Scheme | None:
    stmt = select(Scheme).where(Scheme.code == code, Scheme.is_current.is_(True))
    return session.scalars(stmt).first()


@unscoped("schemes are district-wide configuration")
def scheme_versions(session: Session, code: str) -> list[Scheme]:
    stmt = select(Scheme).where(Scheme.code == code).order_by(Scheme.version.desc())
    return list(session.scalars(stmt))


@unscoped("schemes are district-wide configuration")
def scheme_by_id(session: Session, scheme_id: int) -> Scheme | None:
    return session.get(Scheme, scheme_id)


def add_scheme(session: Session, scheme: Scheme) -> Scheme:
    session.add(scheme)
    session.flush()
    return scheme


def update_scheme_retired(session: Session, scheme_id: int) -> None:
    """A version superseded by a new one stays for its snapshots but is no longer current."""
    session.execute(update(Scheme).where(Scheme.id == scheme_id).values(is_current=False))


def delete_scheme_versions(session: Session, code: str) -> None:
    for scheme in session.scalars(select(Scheme).where(Scheme.code == code)):
        session.delete(scheme)
    session.flush()


# --- snapshots -------------------------------------------------------------------------------


@unscoped("whether a month is frozen is the same for every reader; its rows are read scoped")
def snapshot_for(session: Session, scheme_code: str, month: date) -> Snapshot | None:
    stmt = select(Snapshot).where(Snapshot.scheme_code == scheme_code, Snapshot.month == month)
    return session.scalars(stmt).first()


@unscoped("the list of frozen months (no figures) is district-wide configuration")
def snapshots(session: Session, scheme_code: str | None = None) -> list[Snapshot]:
    stmt = select(Snapshot)
    if scheme_code:
        stmt = stmt.where(Snapshot.scheme_code == scheme_code)
    return list(session.scalars(stmt.order_by(Snapshot.month.desc(), Snapshot.scheme_code)))


@unscoped("counts references to a scheme version, not rows of any area")
def snapshot_count(session: Session, scheme_ids: Sequence[int]) -> int:
    if not scheme_ids:
        return 0
    stmt = select(Snapshot.id).where(Snapshot.scheme_id.in_(list(scheme_ids)))
    return len(list(session.scalars(stmt)))


def add_snapshot(session: Session, snapshot: Snapshot, rows: Sequence[dict[str, Any]]) -> Snapshot:
    session.add(snapshot)
    session.flush()
    if rows:
        session.execute(insert(Score), [{**row, "snapshot_id": snapshot.id} for row in rows])
    return snapshot


def frozen_scores(
    session: Session, scope: Scope, snapshot_id: int, *, region_path: str | None = None
) -> list[Score]:
    """The frozen rows of a snapshot that the reader's scope covers (under ``region_path``),
    best first."""
    stmt = apply_scope(
        select(Score).where(Score.snapshot_id == snapshot_id),
        scope,
        region_path=Score.region_path,
        department_id=Score.department_id,
    )
    if region_path:
        stmt = stmt.where(
            or_(path_prefix(Score.region_path, region_path), Score.region_path == region_path)
        )
    return list(session.scalars(stmt.order_by(Score.rank, Score.target_key)))
