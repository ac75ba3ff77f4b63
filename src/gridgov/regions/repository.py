"""Every query on regions and base layers."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.db import transaction_info_key
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.regions.models import BaseLayer, Region, RegionLevel, TerritoryRevision


def _scoped(scope: Scope) -> Select[Region]:
    return apply_scope(select(Region), scope, region_path=Region.path)


def get_by_code(session: Session, scope: Scope, code: str) -> Region | None:
    return session.scalars(_scoped(scope).where(Region.code == code)).first()


def get_many_by_code(session: Session, scope: Scope, codes: Sequence[str]) -> list[Region]:
    if not codes:
        return []
    return list(session.scalars(_scoped(scope).where(Region.code.in_(codes))))


def list_regions(
    session: Session,
    scope: Scope,
    *,
    level: str | None,
    parent_code: str | None,
    kind: str | None,
    query: str | None,
    page: PageParams,
) -> tuple[list[Region], int]:
    stmt = _scoped(scope)
    if level:
        stmt = stmt.where(Region.level == level)
    if kind:
        stmt = stmt.where(Region.kind == kind)
    if parent_code:
        parent = id_for_code(session, parent_code)
        stmt = stmt.where(Region.parent_id == parent)
    if query:
        stmt = stmt.where(
            Region.name.contains(query, autoescape=True)
            | Region.code.startswith(query, autoescape=True)
        )
    return fetch_page(session, stmt, page, Region.code)


def list_for_map(
    session: Session,
    scope: Scope,
    *,
    levels: Sequence[str],
    parent_code: str | None,
    bbox: tuple[float, float, float, float] | None,
    limit: int,
) -> list[Region]:
    stmt = _scoped(scope).where(Region.level.in_(levels))
    if parent_code:
        stmt = stmt.where(Region.parent_id == id_for_code(session, parent_code))
    if bbox:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(
            Region.max_lon >= min_lon,
            Region.min_lon <= max_lon,
            Region.max_lat >= min_lat,
            Region.min_lat <= max_lat,
        )
    return list(session.scalars(stmt.order_by(Region.code).limit(limit)))


@unscoped("resolves a code to an id inside a query whose own rows are already scoped")
def id_for_code(session: Session, code: str) -> int:
    found = session.scalar(select(Region.id).where(Region.code == code))
    return found if found is not None else -1


def count_children_by_level(session: Session, scope: Scope, region_id: int) -> dict[str, int]:
    stmt = apply_scope(
        select(Region.level, func.count()).where(Region.parent_id == region_id),
        scope,
        region_path=Region.path,
    ).group_by(Region.level)
    return {level: count for level, count in session.execute(stmt)}


def list_overlapping_grids(
    session: Session,
    scope: Scope,
    bounds: tuple[float, float, float, float],
    exclude_id: int | None,
) -> list[Region]:
    min_lon, min_lat, max_lon, max_lat = bounds
    stmt = _scoped(scope).where(
        Region.level == RegionLevel.GRID,
        Region.max_lon >= min_lon,
        Region.min_lon <= max_lon,
        Region.max_lat >= min_lat,
        Region.min_lat <= max_lat,
    )
    if exclude_id is not None:
        stmt = stmt.where(Region.id != exclude_id)
    return list(session.scalars(stmt))


@unscoped("code uniqueness is global: a code taken outside your scope is still taken")
def code_exists(session: Session, code: str) -> bool:
    return session.scalar(select(func.count()).where(Region.code == code)) != 0


@unscoped("the point locator must know every grid to tell where a point is")
def list_locator_rows(session: Session) -> list[tuple[str, str, str, str, str]]:
    stmt = select(Region.code, Region.name, Region.level, Region.path, Region.geometry).where(
        Region.level.in_([RegionLevel.GRID, RegionLevel.SPECIAL_GRID])
    )
    return [tuple(row) for row in session.execute(stmt)]  # type: ignore[misc]


@unscoped("maps codes on a locator hit to names; the hit itself was scope-checked")
def names_and_levels(session: Session, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    stmt = select(Region.code, Region.name, Region.level).where(Region.code.in_(codes))
    return {code: (name, level) for code, name, level in session.execute(stmt)}


@unscoped("the base map (lake, rivers, roads) is public geography, not data of any region")
def list_base_layers(session: Session) -> list[BaseLayer]:
    return list(session.scalars(select(BaseLayer).order_by(BaseLayer.kind, BaseLayer.id)))


# The territory revision as this transaction has read it: every report locates its point, and
# a batch of reports sharing a transaction (db.GroupCommit) need not read it once each.
_SEEN_REVISION = transaction_info_key("gridgov.regions.territory_revision")


@unscoped("one counter for the whole territory")
def get_revision(session: Session) -> int:
    seen: int | None = session.info.get(_SEEN_REVISION)
    if seen is None:
        query = select(TerritoryRevision.revision).where(TerritoryRevision.id == 1)
        seen = session.info[_SEEN_REVISION] = session.scalar(query) or 0
    return seen


def bump_revision(session: Session) -> None:
    session.info.pop(_SEEN_REVISION, None)
    changed = session.execute(
        update(TerritoryRevision)
        .where(TerritoryRevision.id == 1)
        .values(revision=TerritoryRevision.revision + 1)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(TerritoryRevision(id=1, revision=1))


@unscoped("called only for actors without a region restriction, who see every root")
def list_roots(session: Session) -> list[Region]:
    return list(
        session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.code))
    )
