"""Multi-network fusion: departmental networks, their overlay on the basic grids, and the
roster of each grid (一格多员). Services take a session and an actor and never commit.

For routing (and the GIS popup), two reads need no account: :func:`responsible_unit` (which
unit of a network answers for a grid: the one covering the largest share of it) and
:func:`roster_for_grid` (everyone responsible for a grid, as the platform sees it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.kit.clock import now
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.kit.errors import Conflict, InvalidInput, NotFound
from gridgov.kit.geojson import CHINA_BOUNDS, dumps, loads
from gridgov.kit.pagination import PageParams
from gridgov.networks import overlay, repository
from gridgov.networks.models import (
    Network,
    NetworkOverlay,
    NetworkUnit,
    NetworkVersion,
    RosterEntry,
    RosterRole,
)
from gridgov.networks.schemas import (
    FeatureError,
    GapOut,
    NetworkCreate,
    NetworkImport,
    OverlapOut,
    RecomputeOut,
    ReportOut,
    RosterEntryIn,
    RosterLine,
    RosterOut,
    RosterRoleIn,
    SliverOut,
)
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.regions.models import Region

# Grid workers' duties (accounts' GridAssignment.duty) and the roster roles they fill.
DUTY_ROLES = {"专职网格员": "full_time", "兼职网格员": "part_time"}
UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
PHONE = re.compile(r"^[0-9+\- ]{5,20}$")
UNIT_FIELDS = frozenset({"unit_code", "name", "officer_name", "officer_phone"})
# Feature problems listed in one 422 answer: enough to fix a file, not a flood.
MAX_REPORTED_ERRORS = 50


# --- networks --------------------------------------------------------------------------------


def get_network(session: Session, code: str, *, actor: Actor) -> Network:
    actor.require(Perm.NETWORKS_READ)
    network = repository.get_network(session, code)
    if network is None:
        raise NotFound(f"专业网格 {code} 不存在", code="network_not_found")
    return network


def list_networks(session: Session, *, actor: Actor) -> list[tuple[Network, NetworkVersion | None]]:
    actor.require(Perm.NETWORKS_READ)
    return repository.list_networks(session)


def _check_roster_role(session: Session, code: str | None) -> None:
    if code is not None and code not in {r.code for r in repository.list_roster_roles(session)}:
        raise InvalidInput(f"网格职责 {code} 不存在", code="unknown_roster_role")


def create_network(session: Session, data: NetworkCreate, *, actor: Actor) -> Network:
    actor.require(Perm.NETWORKS_WRITE)
    if repository.get_network(session, data.code) is not None:
        raise Conflict(f"专业网格编码 {data.code} 已存在", code="network_code_taken")
    if data.department_id is not None:
        department = orgs.get_organisation(session, data.department_id, actor=actor)
        if not orgs.is_department(department):
            raise InvalidInput("department_id 必须是区直部门", code="not_a_department")
    _check_roster_role(session, data.roster_role)
    network = repository.add_network(
        session,
        Network(
            code=data.code,
            name=data.name,
            department_id=data.department_id,
            roster_role=data.roster_role,
            category_prefixes=list(data.category_prefixes),
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="network.create",
        object_type="network",
        object_id=network.code,
        summary=f"新建专业网格“{network.name}”",
    )
    return network


def list_versions(session: Session, code: str, *, actor: Actor) -> list[NetworkVersion]:
    network = get_network(session, code, actor=actor)
    return repository.list_versions(session, network.id)


# --- import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedUnit:
    unit_code: str
    name: str
    officer_name: str
    officer_phone: str | None
    properties: dict[str, Any]
    polygon: BaseGeometry


def _parse_geometry(raw: Any) -> tuple[BaseGeometry | None, str, str]:
    """The feature's polygon, or (None, error code, Chinese reason)."""
    if not isinstance(raw, dict):
        return None, "invalid_geometry", "缺少几何（geometry）"
    try:
        geom = shape(raw)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return None, "invalid_geometry", f"不是合法的 GeoJSON 几何：{exc}"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None, "invalid_geometry", f"必须是 Polygon 或 MultiPolygon（收到 {geom.geom_type}）"
    if geom.is_empty or geom.area == 0:
        return None, "invalid_geometry", "面积为零"
    if not geom.is_valid:
        return None, "invalid_geometry", f"几何无效：{shapely.is_valid_reason(geom)}"
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    lo_lon, lo_lat, hi_lon, hi_lat = CHINA_BOUNDS
    if min_lon < lo_lon or max_lon > hi_lon or min_lat < lo_lat or max_lat > hi_lat:
        return None, "invalid_geometry", "坐标超出范围，应为 WGS-84 经纬度（经度在前）"
    return geom, "", ""


def _check_feature(
    index: int, feature: Any, seen: dict[str, int], territory: BaseGeometry
) -> ParsedUnit | FeatureError:
    props = feature.get("properties") if isinstance(feature, dict) else None
    props = props if isinstance(props, dict) else {}
    raw_code = props.get("unit_code")
    code = str(raw_code).strip() if raw_code is not None else None

    def fail(error_code: str, message: str) -> FeatureError:
        return FeatureError(index=index, unit_code=code, code=error_code, message=message)

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return fail("not_a_feature", "不是 GeoJSON Feature")
    if not code or not UNIT_CODE.match(code):
        return fail("invalid_unit_code", "unit_code 缺失或格式不对（字母数字，最多 40 位）")
    if code in seen:
        return fail("duplicate_unit_code", f"unit_code {code} 与第 {seen[code]} 个要素重复")
    seen[code] = index
    name = str(props.get("name") or "").strip()
    if not name or len(name) > 100:
        return fail("invalid_name", "name 缺失或超过 100 字")
    phone = props.get("officer_phone")
    phone = str(phone).strip() if phone not in (None, "") else None
    if phone is not None and not PHONE.match(phone):
        return fail("invalid_phone", "officer_phone 格式不对")
    geom, error_code, reason = _parse_geometry(feature.get("geometry"))
    if geom is None:
        return fail(error_code, reason)
    if not geom.intersects(territory) or shapely.intersection(geom, territory).area == 0:
        return fail("outside_district", "与本辖区没有重叠")
    extra = {k: v for k, v in props.items() if k not in UNIT_FIELDS}
    officer = str(props.get("officer_name") or "").strip()[:64]
    return ParsedUnit(code, name, officer, phone, extra, geom)


def parse_features(
    data: NetworkImport, territory: BaseGeometry
) -> tuple[list[ParsedUnit], list[FeatureError]]:
    """Check every feature; the problems are listed with the feature's index (from 0)."""
    units: list[ParsedUnit] = []
    errors: list[FeatureError] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(data.features):
        checked = _check_feature(index, feature, seen, territory)
        if isinstance(checked, FeatureError):
            errors.append(checked)
        else:
            units.append(checked)
    return units, errors


def _grids(session: Session, actor: Actor) -> list[Region]:
    return regions.regions_for_map(
        session, actor=actor, levels=["grid"], parent_code=None, bbox=None
    )


def _territory(grids: Sequence[Region]) -> BaseGeometry:
    return shapely.union_all([loads(g.geometry) for g in grids])


def _phone_columns(cipher: FieldCipher, phone: str | None) -> dict[str, str | None]:
    if not phone:
        return {"officer_phone_cipher": None, "officer_phone_masked": None}
    return {
        "officer_phone_cipher": cipher.encrypt(phone),
        "officer_phone_masked": mask_phone(phone),
    }


def import_version(
    session: Session, code: str, data: NetworkImport, *, actor: Actor, cipher: FieldCipher
) -> NetworkVersion:
    """Load a new version of a network from GeoJSON; it becomes current (older versions are
    kept) and its overlay on the basic grids is computed in the same transaction."""
    actor.require(Perm.NETWORKS_WRITE)
    network = get_network(session, code, actor=actor)
    grids = _grids(session, actor)
    if not grids:
        raise InvalidInput("尚无基础网格，无法叠加专业网格", code="no_grids")
    units, errors = parse_features(data, _territory(grids))
    if errors:
        first = errors[0]
        raise InvalidInput(
            f"第 {first.index} 个要素（{first.unit_code or '无编码'}）：{first.message}"
            + (f"；另有 {len(errors) - 1} 处问题" if len(errors) > 1 else ""),
            code="invalid_features",
            errors=[e.model_dump() for e in errors[:MAX_REPORTED_ERRORS]],
            error_count=len(errors),
        )
    version = repository.add_version(
        session,
        NetworkVersion(
            network_id=network.id,
            version=repository.last_version_number(session, network.id) + 1,
            unit_count=len(units),
            note=data.note,
            imported_by=actor.username,
            created_at=now(),
        ),
    )
    repository.add_units(
        session,
        [
            {
                "version_id": version.id,
                "unit_code": u.unit_code,
                "name": u.name,
                "officer_name": u.officer_name,
                **_phone_columns(cipher, u.officer_phone),
                "properties": u.properties,
                "geometry": dumps(u.polygon),
                "area_m2": overlay.area_m2(u.polygon),
            }
            for u in units
        ],
    )
    network.current_version_id = version.id
    rows = _compute_overlay(session, version, grids)
    audit.record(
        session,
        actor=actor,
        action="network.import",
        object_type="network",
        object_id=network.code,
        summary=f"导入专业网格“{network.name}”第 {version.version} 版（{len(units)} 个单元）",
        details={"version": version.version, "units": len(units), "overlay_rows": rows},
    )
    return version


# --- overlay ---------------------------------------------------------------------------------


def _compute_overlay(
    session: Session, version: NetworkVersion, grids: Sequence[Region], *, partial: bool = False
) -> int:
    """Overlay rows of ``version`` for ``grids``: all of them, or (``partial``) only these."""
    units = repository.all_units(session, version.id)
    covers = overlay.covers([loads(g.geometry) for g in grids], [loads(u.geometry) for u in units])
    repository.clear_overlay(
        session, version.id, grid_codes=[g.code for g in grids] if partial else None
    )
    rows = [
        {
            "version_id": version.id,
            "unit_id": units[c.unit].id,
            "grid_code": grids[c.grid].code,
            "region_path": grids[c.grid].path,
            "share": c.share,
            "area_m2": c.area_m2,
        }
        for c in covers
    ]
    repository.add_overlay_rows(session, rows)
    version.overlay_at = now()
    return len(rows)


def recompute_overlay(
    session: Session, *, actor: Actor, network_code: str | None = None
) -> list[RecomputeOut]:
    """Recompute the overlay of one network's current version, or of every network's (after the
    basic grids changed)."""
    actor.require(Perm.NETWORKS_WRITE)
    if network_code is not None:
        targets = [get_network(session, network_code, actor=actor)]
    else:
        targets = [n for n, _ in repository.list_networks(session)]
    grids = _grids(session, actor)
    done: list[RecomputeOut] = []
    for network in targets:
        if network.current_version_id is None:
            continue
        version = repository.get_version(session, network.current_version_id)
        if version is None:
            continue
        rows = _compute_overlay(session, version, grids)
        done.append(RecomputeOut(network_code=network.code, version=version.version, rows=rows))
    audit.record(
        session,
        actor=actor,
        action="network.overlay",
        object_type="network",
        object_id=network_code or "*",
        summary="重算专业网格与基础网格的叠加关系",
        details={"networks": [d.model_dump() for d in done]},
    )
    return done


def recompute_grids(session: Session, grid_codes: Sequence[str], *, actor: Actor) -> int:
    """Recompute the overlay of every network for these grids only (after they were edited)."""
    actor.require(Perm.NETWORKS_WRITE)
    grids = regions.regions_by_codes(session, list(grid_codes), actor=actor)
    rows = 0
    for _, version in repository.list_networks(session):
        if version is not None:
            rows += _compute_overlay(session, version, grids, partial=True)
    audit.record(
        session,
        actor=actor,
        action="network.overlay",
        object_type="network",
        object_id="*",
        summary=f"基础网格变更，重算 {len(grids)} 个网格的专业网格叠加关系",
        details={"grids": sorted(g.code for g in grids), "rows": rows},
    )
    return rows


def _current_version(network: Network) -> int:
    if network.current_version_id is None:
        raise NotFound(f"专业网格 {network.code} 尚未导入任何版本", code="network_empty")
    return network.current_version_id


def list_units(
    session: Session, code: str, *, actor: Actor, page: PageParams
) -> tuple[list[NetworkUnit], int]:
    network = get_network(session, code, actor=actor)
    return repository.list_units(session, actor.scope, _current_version(network), page)


def list_overlay(
    session: Session, code: str, *, actor: Actor, grid_code: str | None, page: PageParams
) -> tuple[list[tuple[NetworkOverlay, NetworkUnit]], int]:
    network = get_network(session, code, actor=actor)
    return repository.list_overlay(
        session, actor.scope, _current_version(network), grid_code=grid_code, page=page
    )


def report(session: Session, code: str, *, actor: Actor, sliver_share: float) -> ReportOut:
    """Gaps (parts of the actor's area no unit covers), overlaps between units of the network,
    and slivers (grid–unit pairs below ``sliver_share`` of the grid), inside the actor's scope."""
    network = get_network(session, code, actor=actor)
    grids = _grids(session, actor)
    version = (
        repository.get_version(session, network.current_version_id)
        if network.current_version_id is not None
        else None
    )
    if version is None:
        return ReportOut(
            network_code=network.code,
            version=None,
            sliver_share=sliver_share,
            grid_count=len(grids),
            covered_grids=0,
            fully_covered_grids=0,
            gap_area_m2=sum(g.area_km2 for g in grids) * 1e6,
            gaps=[],
            overlaps=[],
            slivers=[],
        )
    grid_shapes = [loads(g.geometry) for g in grids]
    territory = shapely.union_all(grid_shapes) if grid_shapes else shapely.Polygon()
    units = repository.units_in_scope(session, actor.scope, version.id)
    unit_shapes = [loads(u.geometry) for u in units]
    tree = shapely.STRtree(grid_shapes) if grid_shapes else None
    gap_out = []
    for gap in overlay.gaps(territory, unit_shapes):
        touched = tree.query(gap.geometry, predicate="intersects") if tree is not None else []
        gap_out.append(
            GapOut(
                geometry=mapping(gap.geometry),
                area_m2=round(gap.area_m2, 1),
                grid_codes=sorted(grids[i].code for i in touched),
            )
        )
    overlap_out = [
        OverlapOut(
            unit_codes=[units[o.first].unit_code, units[o.second].unit_code],
            area_m2=round(o.area_m2, 1),
            geometry=mapping(o.geometry),
        )
        for o in overlay.overlaps(unit_shapes, within=territory)
    ]
    sums = repository.grid_share_sums(session, actor.scope, version.id)
    slivers = repository.list_slivers(session, actor.scope, version.id, sliver_share)
    return ReportOut(
        network_code=network.code,
        version=version.version,
        sliver_share=sliver_share,
        grid_count=len(grids),
        covered_grids=len(sums),
        fully_covered_grids=sum(1 for total in sums.values() if total >= 1 - 1e-6),
        gap_area_m2=round(sum(g.area_m2 for g in gap_out), 1),
        gaps=gap_out,
        overlaps=overlap_out,
        slivers=[
            SliverOut(
                grid_code=o.grid_code, unit_code=u.unit_code, share=o.share, area_m2=o.area_m2
            )
            for o, u in slivers
        ],
    )


# --- routing reads ---------------------------------------------------------------------------


def responsible_unit(session: Session, grid_code: str, network_code: str) -> NetworkUnit | None:
    """The unit of ``network_code`` (current version) that answers for a grid: the one covering
    the largest share of it. For routing, on the platform's behalf (no account)."""
    network = repository.get_network(session, network_code)
    if network is None or network.current_version_id is None:
        return None
    return repository.largest_cover(session, grid_code, network.current_version_id)


def responsible_unit_for_category(
    session: Session, grid_code: str, category_code: str
) -> tuple[Network, NetworkUnit] | None:
    """A case of ``category_code`` in a grid → the network answering for that category (the
    longest matching prefix) and its unit covering the grid."""
    best: tuple[int, Network] | None = None
    for network, _ in repository.list_networks(session):
        for prefix in network.category_prefixes or []:
            if category_code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), network)
    if best is None:
        return None
    unit = responsible_unit(session, grid_code, best[1].code)
    return (best[1], unit) if unit is not None else None


# --- roster ----------------------------------------------------------------------------------


def list_roster_roles(session: Session, *, actor: Actor) -> list[RosterRole]:
    actor.require(Perm.NETWORKS_READ)
    return repository.list_roster_roles(session)


def add_roster_role(session: Session, data: RosterRoleIn, *, actor: Actor) -> RosterRole:
    actor.require(Perm.NETWORKS_WRITE)
    if any(r.code == data.code for r in repository.list_roster_roles(session)):
        raise Conflict(f"网格职责 {data.code} 已存在", code="roster_role_taken")
    role = repository.add_roster_role(
        session,
        RosterRole(code=data.code, name=data.name, sort_order=data.sort_order, is_builtin=False),
    )
    audit.record(
        session,
        actor=actor,
        action="roster.role.create",
        object_type="roster_role",
        object_id=role.code,
        summary=f"新增网格职责“{role.name}”",
    )
    return role


def _grid(session: Session, grid_code: str, actor: Actor) -> Region:
    region = regions.get_region(session, grid_code, actor=actor)
    if region.level != "grid":
        raise NotFound(f"基础网格 {grid_code} 不存在", code="grid_not_found")
    return region


def get_roster(session: Session, grid_code: str, *, actor: Actor) -> RosterOut:
    """Everyone responsible for a grid. Per role: entries made by hand when there are any;
    otherwise the grid workers assigned to it (full- and part-time), or the officer of the unit
    covering the largest share of the grid in the network that fills the role."""
    actor.require(Perm.NETWORKS_READ)
    grid = _grid(session, grid_code, actor)
    roles = repository.list_roster_roles(session)
    derived: dict[str, list[RosterLine]] = defaultdict(list)
    for assignment, user in accounts.grid_workers(session, grid, actor=actor):
        role_code = DUTY_ROLES.get(assignment.duty)
        if role_code is not None:
            derived[role_code].append(
                RosterLine(
                    role_code=role_code,
                    role_name="",
                    source="assignment",
                    person_name=user.display_name,
                    user_id=user.id,
                )
            )
    networks = [n for n, _ in repository.list_networks(session) if n.roster_role]
    by_version = {n.current_version_id: n for n in networks if n.current_version_id}
    best: dict[int, tuple[NetworkOverlay, NetworkUnit]] = {}
    for row, unit in repository.overlay_for_grid(session, actor.scope, grid.code, list(by_version)):
        if row.version_id not in best or row.share > best[row.version_id][0].share:
            best[row.version_id] = (row, unit)
    for version_id, (row, unit) in best.items():
        network = by_version[version_id]
        assert network.roster_role is not None
        derived[network.roster_role].append(
            RosterLine(
                role_code=network.roster_role,
                role_name="",
                source="overlay",
                person_name=unit.officer_name or unit.name,
                phone=unit.officer_phone_masked,
                network_code=network.code,
                unit_code=unit.unit_code,
                unit_name=unit.name,
                share=round(row.share, 4),
            )
        )
    manual: dict[str, list[RosterLine]] = defaultdict(list)
    for entry in repository.list_entries(session, actor.scope, grid.code):
        manual[entry.role_code].append(
            RosterLine(
                role_code=entry.role_code,
                role_name="",
                source="manual",
                person_name=entry.person_name,
                phone=entry.phone_masked,
                entry_id=entry.id,
                user_id=entry.user_id,
            )
        )
    lines: list[RosterLine] = []
    for role in roles:
        for line in manual.get(role.code) or derived.get(role.code, []):
            lines.append(line.model_copy(update={"role_name": role.name}))
    return RosterOut(grid_code=grid.code, grid_name=grid.name, lines=lines)


def roster_for_grid(session: Session, grid_code: str) -> RosterOut:
    """The roster as the platform sees it, for routing and the GIS popup (no account)."""
    return get_roster(session, grid_code, actor=Actor.system("roster"))


def add_roster_entry(
    session: Session, grid_code: str, data: RosterEntryIn, *, actor: Actor, cipher: FieldCipher
) -> RosterEntry:
    actor.require(Perm.ROSTER_WRITE)
    grid = _grid(session, grid_code, actor)
    actor.require_path(grid.path)
    _check_roster_role(session, data.role_code)
    if data.user_id is not None:
        accounts.get_user(session, data.user_id, actor=actor)
    entry = repository.add_entry(
        session,
        RosterEntry(
            grid_code=grid.code,
            region_path=grid.path,
            role_code=data.role_code,
            person_name=data.person_name,
            phone_cipher=cipher.encrypt(data.phone) if data.phone else None,
            phone_masked=mask_phone(data.phone) if data.phone else None,
            user_id=data.user_id,
            note=data.note,
            updated_by=actor.username,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="roster.add",
        object_type="region",
        object_id=grid.code,
        region_path=grid.path,
        summary=f"{grid.name} 名单：{data.role_code} 设为 {data.person_name}",
        details={"entry_id": entry.id, "role": data.role_code},
    )
    return entry


def delete_roster_entry(session: Session, grid_code: str, entry_id: int, *, actor: Actor) -> None:
    actor.require(Perm.ROSTER_WRITE)
    grid = _grid(session, grid_code, actor)
    entry = repository.get_entry(session, actor.scope, entry_id)
    if entry is None or entry.grid_code != grid.code:
        raise NotFound("该网格没有这条名单记录", code="roster_entry_not_found")
    repository.delete_entry(session, entry)
    audit.record(
        session,
        actor=actor,
        action="roster.delete",
        object_type="region",
        object_id=grid.code,
        region_path=grid.path,
        summary=f"{grid.name} 名单：删除 {entry.role_code} {entry.person_name}",
        details={"entry_id": entry_id, "role": entry.role_code},
    )


# --- keeping the overlay in step with the grids ---------------------------------------------
# ``regions`` sits below this package and cannot call it, so a change to a basic grid's polygon
# is noticed here, from the session: the flush that writes it notes the grid, and the commit
# recomputes those grids' overlay in every network first, in the same transaction.
_GRIDS_CHANGED = "gridgov.networks.grids_changed"


def _grid_geometry_changed(obj: object, is_new: bool) -> bool:
    if not isinstance(obj, Region) or obj.level != "grid":
        return False
    return is_new or inspect(obj).attrs.geometry.history.has_changes()


@event.listens_for(Session, "before_flush")
def _note_grid_edits(session: Session, _context: Any, _instances: Any) -> None:
    changed = [o.code for o in session.new if _grid_geometry_changed(o, True)] + [
        o.code for o in session.dirty if _grid_geometry_changed(o, False)
    ]
    if changed:
        session.info.setdefault(_GRIDS_CHANGED, set()).update(changed)


@event.listens_for(Session, "before_commit")
def _refresh_overlay(session: Session) -> None:
    session.flush()
    changed = session.info.pop(_GRIDS_CHANGED, None)
    if changed and repository.list_networks(session):
        recompute_grids(session, sorted(changed), actor=Actor.system("network-overlay"))


@event.listens_for(Session, "after_rollback")
def _forget_grid_edits(session: Session) -> None:
    session.info.pop(_GRIDS_CHANGED, None)
