"""Every query on networks, their versions, units, overlay and the grid rosters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.networks.models import (
    Network,
    NetworkOverlay,
    NetworkUnit,
    NetworkVersion,
    RosterEntry,
    RosterRole,
)

# --- networks and versions: district-wide configuration ---------------------------------


@unscoped("departmental networks are district-wide configuration, like event categories")
def get_network(session: Session, code: str) -> Network | None:
    return session.scalars(select(Network).where(Network.code == code)).first()


@unscoped("departmental networks are district-wide configuration, like event categories")
def list_networks(session: Session) -> list[tuple[Network, NetworkVersion | None]]:
    stmt = (
        select(Network, NetworkVersion)
        .outerjoin(NetworkVersion, NetworkVersion.id == Network.current_version_id)
        .order_by(Network.code)
    )
    return [(n, v) for n, v in session.execute(stmt)]


def add_network(session: Session, network: Network) -> Network:
    session.add(network)
    session.flush()
    return network


@unscoped("a version is configuration; its rows that sit in regions are read through scope")
def get_version(session: Session, version_id: int) -> NetworkVersion | None:
    return session.get(NetworkVersion, version_id)


@unscoped("a version is configuration; its rows that sit in regions are read through scope")
def list_versions(session: Session, network_id: int) -> list[NetworkVersion]:
    stmt = (
        select(NetworkVersion)
        .where(NetworkVersion.network_id == network_id)
        .order_by(NetworkVersion.version.desc())
    )
    return list(session.scalars(stmt))


@unscoped("numbering versions needs every version of the network")
def last_version_number(session: Session, network_id: int) -> int:
    stmt = select(func.max(NetworkVersion.version)).where(NetworkVersion.network_id == network_id)
    return session.scalar(stmt) or 0


def add_version(session: Session, version: NetworkVersion) -> NetworkVersion:
    session.add(version)
    session.flush()
    return version


def add_units(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(NetworkUnit), list(rows))


@unscoped("the overlay is computed from every unit of a version, by the platform")
def all_units(session: Session, version_id: int) -> list[NetworkUnit]:
    stmt = select(NetworkUnit).where(NetworkUnit.version_id == version_id)
    return list(session.scalars(stmt.order_by(NetworkUnit.unit_code)))


def _units_in_scope(scope: Scope, version_id: int) -> Any:
    """Units of a version that cover a grid inside ``scope``; every unit when unrestricted."""
    stmt = select(NetworkUnit).where(NetworkUnit.version_id == version_id)
    if scope.is_unrestricted:
        return stmt
    covering = apply_scope(
        select(NetworkOverlay.unit_id).where(NetworkOverlay.version_id == version_id),
        scope,
        region_path=NetworkOverlay.region_path,
    )
    return stmt.where(NetworkUnit.id.in_(covering))


def list_units(
    session: Session, scope: Scope, version_id: int, page: PageParams
) -> tuple[list[NetworkUnit], int]:
    return fetch_page(session, _units_in_scope(scope, version_id), page, NetworkUnit.unit_code)


def units_in_scope(session: Session, scope: Scope, version_id: int) -> list[NetworkUnit]:
    stmt = _units_in_scope(scope, version_id).order_by(NetworkUnit.unit_code)
    return list(session.scalars(stmt))


# --- the overlay ---------------------------------------------------------------------------


def clear_overlay(
    session: Session, version_id: int, *, grid_codes: Sequence[str] | None = None
) -> None:
    stmt = delete(NetworkOverlay).where(NetworkOverlay.version_id == version_id)
    if grid_codes is not None:
        stmt = stmt.where(NetworkOverlay.grid_code.in_(grid_codes))
    session.execute(stmt)


def add_overlay_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(NetworkOverlay), list(rows[start : start + 5000]))


def _overlay(scope: Scope) -> Any:
    return apply_scope(
        select(NetworkOverlay, NetworkUnit).join(
            NetworkUnit, NetworkUnit.id == NetworkOverlay.unit_id
        ),
        scope,
        region_path=NetworkOverlay.region_path,
    )


def list_overlay(
    session: Session,
    scope: Scope,
    version_id: int,
    *,
    grid_code: str | None,
    page: PageParams,
) -> tuple[list[tuple[NetworkOverlay, NetworkUnit]], int]:
    stmt = _overlay(scope).where(NetworkOverlay.version_id == version_id)
    if grid_code:
        stmt = stmt.where(NetworkOverlay.grid_code == grid_code)
    overlays, total = fetch_page(
        session, stmt, page, NetworkOverlay.grid_code, NetworkOverlay.share.desc()
    )
    # fetch_page reads the first entity only; the page's units come in one more query.
    unit_ids = {o.unit_id for o in overlays}
    units = {
        u.id: u for u in session.scalars(select(NetworkUnit).where(NetworkUnit.id.in_(unit_ids)))
    }
    return [(o, units[o.unit_id]) for o in overlays], total


def list_slivers(
    session: Session, scope: Scope, version_id: int, below: float
) -> list[tuple[NetworkOverlay, NetworkUnit]]:
    stmt = _overlay(scope).where(
        NetworkOverlay.version_id == version_id, NetworkOverlay.share < below
    )
    return [(o, u) for o, u in session.execute(stmt.order_by(NetworkOverlay.share))]


def grid_share_sums(session: Session, scope: Scope, version_id: int) -> dict[str, float]:
    """Sum of unit shares per grid inside ``scope`` (1 where the network covers the grid)."""
    stmt = apply_scope(
        select(NetworkOverlay.grid_code, func.sum(NetworkOverlay.share))
        .where(NetworkOverlay.version_id == version_id)
        .group_by(NetworkOverlay.grid_code),
        scope,
        region_path=NetworkOverlay.region_path,
    )
    return {code: float(total) for code, total in session.execute(stmt)}


def overlay_for_grid(
    session: Session, scope: Scope, grid_code: str, version_ids: Sequence[int]
) -> list[tuple[NetworkOverlay, NetworkUnit]]:
    if not version_ids:
        return []
    stmt = _overlay(scope).where(
        NetworkOverlay.grid_code == grid_code, NetworkOverlay.version_id.in_(version_ids)
    )
    return [(o, u) for o, u in session.execute(stmt.order_by(NetworkOverlay.share.desc()))]


@unscoped("routing asks, on the platform's behalf, which unit answers for a grid")
def largest_cover(session: Session, grid_code: str, version_id: int) -> NetworkUnit | None:
    stmt = (
        select(NetworkUnit)
        .join(NetworkOverlay, NetworkOverlay.unit_id == NetworkUnit.id)
        .where(NetworkOverlay.grid_code == grid_code, NetworkOverlay.version_id == version_id)
        .order_by(NetworkOverlay.share.desc(), NetworkUnit.unit_code)
    )
    return session.scalars(stmt.limit(1)).first()


# --- the roster ------------------------------------------------------------------------------


@unscoped("the list of roster duties is district-wide configuration")
def list_roster_roles(session: Session) -> list[RosterRole]:
    stmt = select(RosterRole).order_by(RosterRole.sort_order, RosterRole.code)
    return list(session.scalars(stmt))


def add_roster_role(session: Session, role: RosterRole) -> RosterRole:
    session.add(role)
    session.flush()
    return role


def list_entries(session: Session, scope: Scope, grid_code: str) -> list[RosterEntry]:
    stmt = apply_scope(
        select(RosterEntry).where(RosterEntry.grid_code == grid_code),
        scope,
        region_path=RosterEntry.region_path,
    )
    return list(session.scalars(stmt.order_by(RosterEntry.role_code, RosterEntry.id)))


def get_entry(session: Session, scope: Scope, entry_id: int) -> RosterEntry | None:
    stmt = apply_scope(
        select(RosterEntry).where(RosterEntry.id == entry_id),
        scope,
        region_path=RosterEntry.region_path,
    )
    return session.scalars(stmt).first()


def add_entry(session: Session, entry: RosterEntry) -> RosterEntry:
    session.add(entry)
    session.flush()
    return entry


def delete_entry(session: Session, entry: RosterEntry) -> None:
    session.delete(entry)
    session.flush()
