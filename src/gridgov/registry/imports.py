"""Importing base data from a table: column mapping, row-by-row validation with a complete
report, then an all-or-nothing or valid-rows-only write that upserts by natural key.

Each target (persons, components, or a generic category) knows its fields, how to check a row
and how to write checked rows. Lookups a row needs (houses, grids, existing keys) are loaded
once for the whole file, so a row costs no query.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

import numpy as np
from shapely.geometry import box, shape
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.kit import creditcode, geo, idcard
from gridgov.kit.crypto import FieldCipher, mask_id_number, mask_phone
from gridgov.kit.errors import InvalidInput
from gridgov.kit.geojson import dumps
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.regions.locator import get_locator
from gridgov.registry import repository
from gridgov.registry.attributes import attribute_errors
from gridgov.registry.catalog import COMPONENT_CLASSES, MAJOR_CLASSES
from gridgov.registry.models import (
    Building,
    Camera,
    CameraStatus,
    Component,
    ComponentStatus,
    Household,
    IdType,
    Person,
    Place,
    PlaceKind,
    ResidenceType,
    ResourceCategory,
    ResourceRecord,
)
from gridgov.registry.tabular import Table

Mode = Literal["all_or_nothing", "valid_only"]
Progress = Callable[[int, int], None]
MAX_REPORTED_ERRORS = 10_000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    code: str
    message: str


@dataclass
class ImportReport:
    target: str
    dry_run: bool
    mode: str
    total_rows: int = 0
    valid_rows: int = 0
    inserted: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0


class RowProblem(Exception):
    def __init__(self, column: str, code: str, message: str) -> None:
        super().__init__(message)
        self.column, self.code, self.message = column, code, message


# Chinese headers people actually use, mapped to field names.
ALIASES = {
    "姓名": "name",
    "名称": "name",
    "证件类型": "id_type",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "电话": "phone",
    "手机": "phone",
    "联系电话": "phone",
    "手机号": "phone",
    "人口类型": "residence_type",
    "户籍类型": "residence_type",
    "房屋编码": "house_code",
    "网格编码": "grid_code",
    "户编号": "household_code",
    "与户主关系": "relation_to_head",
    "标签": "tags",
    "性别": "gender",
    "出生日期": "birth_date",
    "编码": "code",
    "部件编码": "code",
    "小类代码": "minor_code",
    "经度": "lon",
    "纬度": "lat",
    "状态": "status",
    "地址": "address",
    "维护单位": "maintainer_code",
    "视频流": "stream_url",
    "朝向": "direction_deg",
    "种类": "kind",
    "统一社会信用代码": "credit_code",
    "行业": "industry",
    "从业人数": "employees",
    "层数": "floors",
    "单元数": "units",
    "用途": "use",
    "类型": "kind",
}


def resolve_mapping(columns: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
    """Field → source column. Explicit mapping first, then same-named or aliased columns."""
    resolved: dict[str, str] = {}
    for column in columns:
        target = ALIASES.get(column, column)
        resolved.setdefault(target, column)
    for target, column in (mapping or {}).items():
        if column not in columns:
            raise InvalidInput(f"映射的列“{column}”不在文件中", code="unknown_column", field=target)
        resolved[target] = column
    return resolved


class Target(Protocol):
    """What an import target does: load lookups, check one row, write the checked rows."""

    name: str

    def prepare(self, session: Session, actor: Actor, rows: list[dict[str, str]]) -> None: ...

    def check(
        self, number: int, values: dict[str, str], geometry: dict[str, Any] | None
    ) -> Any: ...

    def conflicts(
        self, session: Session, actor: Actor, checked: list[Any], numbers: list[int]
    ) -> list[RowError]: ...

    def write(self, session: Session, actor: Actor, checked: list[Any]) -> tuple[int, int]: ...


def _required(values: dict[str, str], fields: tuple[str, ...]) -> None:
    for name in fields:
        if not values.get(name):
            raise RowProblem(name, "missing_required", f"缺少必填项 {name}")


class _Located:
    """Shared by targets with a point: converts, locates and scope-checks coordinates."""

    def __init__(self, crs: geo.Crs) -> None:
        self.crs = crs

    def locate_all(
        self, session: Session, actor: Actor, points: list[tuple[float, float] | None]
    ) -> list[str | RowProblem]:
        converted = [geo.to_wgs84(p[0], p[1], self.crs) if p else (np.nan, np.nan) for p in points]
        lons = np.array([p[0] for p in converted])
        lats = np.array([p[1] for p in converted])
        locator = get_locator(session)
        index = locator.basic_index_many(lons, lats)
        results: list[str | RowProblem] = []
        for i, point in enumerate(points):
            if point is None:
                results.append(RowProblem("lon", "missing_required", "缺少坐标"))
            elif index[i] < 0:
                results.append(RowProblem("lon", "outside_territory", "坐标不在本辖区范围内"))
            else:
                path = locator.basic_refs[int(index[i])].path
                if actor.scope.covers_path(path):
                    results.append(path)
                else:
                    results.append(RowProblem("lon", "out_of_scope", "坐标不在您的管辖范围内"))
        self.converted = converted
        return results


def _point(values: dict[str, str], geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    if values.get("lon") and values.get("lat"):
        try:
            return float(values["lon"]), float(values["lat"])
        except ValueError as exc:
            raise RowProblem("lon", "bad_number", "经纬度必须是数字") from exc
    if geometry and geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return float(lon), float(lat)
    return None


# ---------------------------------------------------------------- persons


@dataclass
class _PersonRow:
    number: int
    values: dict[str, Any]
    key: str
    household_code: str | None


class PersonsTarget:
    name = "persons"
    required = ("name", "id_number", "residence_type")

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher
        self.seen: dict[str, int] = {}

    def prepare(self, session: Session, actor: Actor, rows: list[dict[str, str]]) -> None:
        actor.require(Perm.PERSONS_WRITE)
        self.houses = repository.house_codes(
            session, actor.scope, [r["house_code"] for r in rows if r.get("house_code")]
        )
        grid_codes = sorted({r["grid_code"] for r in rows if r.get("grid_code")})
        self.grids = {
            region.code: region.path
            for region in regions.regions_by_codes(session, grid_codes, actor=actor)
            if region.level == "grid"
        }
        self.households = repository.household_codes(
            session, actor.scope, [r["household_code"] for r in rows if r.get("household_code")]
        )
        self.actor = actor

    def check(self, number: int, values: dict[str, str], geometry: dict[str, Any] | None) -> Any:
        _required(values, self.required)
        id_type = values.get("id_type") or IdType.RESIDENT_CARD.value
        if id_type not in {t.value for t in IdType}:
            raise RowProblem(
                "id_type", "bad_value", f"证件类型应为 {'、'.join(t.value for t in IdType)}"
            )
        id_number = values["id_number"].upper()
        if id_type == IdType.RESIDENT_CARD:
            problem = idcard.problem(id_number)
            if problem:
                raise RowProblem("id_number", "invalid_id_number", problem)
            birth, gender = idcard.birth_date(id_number), idcard.gender(id_number)
        else:
            try:
                birth = date.fromisoformat(values.get("birth_date", ""))
            except ValueError as exc:
                raise RowProblem(
                    "birth_date", "bad_date", "非身份证人员须填写出生日期（YYYY-MM-DD）"
                ) from exc
            gender = values.get("gender", "")
            if gender not in ("男", "女"):
                raise RowProblem("gender", "bad_value", "性别应为 男 或 女")
        if values["residence_type"] not in {t.value for t in ResidenceType}:
            raise RowProblem("residence_type", "bad_value", "人口类型应为 户籍、流动 或 境外")
        phone = values.get("phone", "")
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            raise RowProblem("phone", "bad_phone", "电话号码格式不正确")
        house_id, path = None, None
        if values.get("house_code"):
            found = self.houses.get(values["house_code"])
            if found is None:
                raise RowProblem(
                    "house_code", "unknown_house", "房屋编码不存在或不在您的管辖范围内"
                )
            house_id, path = found
        elif values.get("grid_code"):
            path = self.grids.get(values["grid_code"])
            if path is None:
                raise RowProblem("grid_code", "unknown_grid", "网格编码不存在或不在您的管辖范围内")
        else:
            raise RowProblem("house_code", "missing_required", "须填写房屋编码或网格编码")
        key = self.cipher.search_hash(id_number)
        if key in self.seen:
            raise RowProblem(
                "id_number", "duplicate_key", f"与第 {self.seen[key]} 行的证件号码重复"
            )
        self.seen[key] = number
        tags = [
            t for t in values.get("tags", "").replace("，", ",").replace("、", ",").split(",") if t
        ]
        return _PersonRow(
            number,
            {
                "name": values["name"],
                "gender": gender,
                "birth_date": birth,
                "id_type": id_type,
                "id_number_cipher": self.cipher.encrypt(id_number),
                "id_number_hash": key,
                "id_number_masked": mask_id_number(id_number),
                "phone_cipher": self.cipher.encrypt(phone) if phone else None,
                "phone_hash": self.cipher.search_hash(phone) if phone else None,
                "phone_masked": mask_phone(phone) if phone else None,
                "residence_type": values["residence_type"],
                "relation_to_head": values.get("relation_to_head") or "户主",
                "house_id": house_id,
                "tags": tags,
                "region_path": path,
                "updated_by": self.actor.username,
            },
            key,
            values.get("household_code") or None,
        )

    def write(self, session: Session, actor: Actor, checked: list[Any]) -> tuple[int, int]:
        rows: list[_PersonRow] = checked
        new_households = sorted(
            {
                r.household_code
                for r in rows
                if r.household_code and r.household_code not in self.households
            }
        )
        first_home = {r.household_code: r.values for r in reversed(rows) if r.household_code}
        repository.add_rows(
            session,
            Household,
            [
                {
                    "code": code,
                    "house_id": first_home[code]["house_id"],
                    "region_path": first_home[code]["region_path"],
                    "updated_by": actor.username,
                }
                for code in new_households
            ],
        )
        households = {
            **self.households,
            **repository.household_codes(session, actor.scope, new_households),
        }
        existing = repository.existing_by_key(
            session, Person, Person.id_number_hash, [r.key for r in rows]
        )
        inserts, updates = [], []
        for row in rows:
            values = {**row.values, "household_id": households.get(row.household_code or "")}
            if row.key in existing:
                updates.append({"row_id": existing[row.key][0], **values})
            else:
                inserts.append(values)
        repository.add_rows(session, Person, inserts)
        repository.update_rows(session, Person, updates)
        return len(inserts), len(updates)

    def conflicts(
        self, session: Session, actor: Actor, checked: list[Any], numbers: list[int]
    ) -> list[RowError]:
        """Rows that would update a person registered outside the importer's scope."""
        existing = repository.existing_by_key(
            session, Person, Person.id_number_hash, [r.key for r in checked]
        )
        return [
            RowError(r.number, "id_number", "out_of_scope", "该证件号码已在您的管辖范围之外登记")
            for r in checked
            if r.key in existing and not actor.scope.covers_path(existing[r.key][1])
        ]


# ---------------------------------------------------------------- components and records


_CLASSES = {minor: (name, maintainer) for minor, name, _share, maintainer in COMPONENT_CLASSES}


class PlacedTarget(_Located):
    """Rows with a natural ``code`` and a place on the map (a point, or a shape's centre)."""

    name: str
    model: Any
    required: tuple[str, ...] = ("code",)
    where: tuple[Any, ...] = ()

    def __init__(self, crs: geo.Crs) -> None:
        _Located.__init__(self, crs)
        self.seen: dict[str, int] = {}

    def prepare(self, session: Session, actor: Actor, rows: list[dict[str, str]]) -> None:
        actor.require(Perm.REGISTRY_WRITE)
        self.actor = actor
        self.rows = rows

    def locate(self, session: Session, geometries: list[dict[str, Any] | None]) -> None:
        points: list[tuple[float, float] | None] = []
        for row, geometry in zip(self.rows, geometries, strict=True):
            try:
                points.append(_point(row, geometry) or _centre(geometry))
            except RowProblem:
                points.append(None)
        self.paths = self.locate_all(session, self.actor, points)

    def check(self, number: int, values: dict[str, str], geometry: dict[str, Any] | None) -> Any:
        _required(values, self.required)
        _point(values, geometry)  # a malformed number is reported against its column
        located = self.paths[number - 2]
        if isinstance(located, RowProblem):
            raise located
        if values["code"] in self.seen:
            raise RowProblem(
                "code", "duplicate_key", f"与第 {self.seen[values['code']]} 行的编码重复"
            )
        lon, lat = self.converted[number - 2]
        row = self.build(values, geometry, round(lon, 7), round(lat, 7))
        self.seen[values["code"]] = number
        return {
            **row,
            "code": values["code"],
            "region_path": located,
            "updated_by": self.actor.username,
        }

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        """The row's own columns, after the shared checks; raises RowProblem when bad."""
        return {}

    def write(self, session: Session, actor: Actor, checked: list[Any]) -> tuple[int, int]:
        return _upsert_by_code(session, self.model, self.model.code, checked, self.where)

    def conflicts(
        self, session: Session, actor: Actor, checked: list[Any], numbers: list[int]
    ) -> list[RowError]:
        return _foreign_keys(
            session, actor, self.model, self.model.code, checked, numbers, self.where
        )


def _choice(values: dict[str, str], column: str, allowed: list[str], default: str) -> str:
    value = values.get(column) or default
    if value not in allowed:
        raise RowProblem(column, "bad_value", f"{column} 应为 {'、'.join(allowed)}")
    return value


def _integer(values: dict[str, str], column: str, default: int, low: int, high: int) -> int:
    text = values.get(column, "")
    if not text:
        return default
    try:
        number = int(float(text))
    except ValueError as exc:
        raise RowProblem(column, "bad_number", f"{column} 必须是整数") from exc
    if not low <= number <= high:
        raise RowProblem(column, "bad_number", f"{column} 应在 {low} 到 {high} 之间")
    return number


class ComponentsTarget(PlacedTarget):
    name = "components"
    model = Component
    required = ("code", "minor_code")

    def prepare(self, session: Session, actor: Actor, rows: list[dict[str, str]]) -> None:
        super().prepare(session, actor, rows)
        codes = {r.get("maintainer_code", "") for r in rows} | {m for _n, m in _CLASSES.values()}
        self.orgs = orgs.ids_for_codes(session, sorted(c for c in codes if c), actor=actor)

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        minor = values["minor_code"]
        if minor not in _CLASSES:
            raise RowProblem("minor_code", "unknown_class", f"未知的部件小类代码 {minor}")
        status = _choice(values, "status", [s.value for s in ComponentStatus], "完好")
        maintainer_code = values.get("maintainer_code") or _CLASSES[minor][1]
        if maintainer_code not in self.orgs:
            raise RowProblem(
                "maintainer_code", "unknown_organisation", f"未知的单位编码 {maintainer_code}"
            )
        return {
            "major_code": minor[:2],
            "major_name": MAJOR_CLASSES.get(minor[:2], "其他设施"),
            "minor_code": minor,
            "minor_name": _CLASSES[minor][0],
            "lon": lon,
            "lat": lat,
            "address": values.get("address", ""),
            "status": status,
            "owner_department_id": self.orgs[maintainer_code],
            "maintainer_department_id": self.orgs[maintainer_code],
            "photo_url": None,
        }


class CamerasTarget(PlacedTarget):
    name = "cameras"
    model = Camera
    required = ("code", "name", "stream_url")

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        return {
            "name": values["name"],
            "lon": lon,
            "lat": lat,
            "direction_deg": _integer(values, "direction_deg", 0, 0, 359),
            "stream_url": values["stream_url"],
            "status": _choice(values, "status", [s.value for s in CameraStatus], "在线"),
        }


class PlacesTarget(PlacedTarget):
    name = "places"
    model = Place
    required = ("code", "name", "kind")

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        credit = values.get("credit_code", "").upper() or None
        if credit:
            problem = creditcode.problem(credit)
            if problem:
                raise RowProblem("credit_code", "invalid_credit_code", problem)
        return {
            "kind": _choice(values, "kind", [k.value for k in PlaceKind], "poi"),
            "name": values["name"],
            "credit_code": credit,
            "industry": values.get("industry", ""),
            "address": values.get("address", ""),
            "lon": lon,
            "lat": lat,
            "employees": _integer(values, "employees", 0, 0, 1_000_000),
        }


class BuildingsTarget(PlacedTarget):
    name = "buildings"
    model = Building
    required = ("code", "name", "address", "floors")

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        floors = _integer(values, "floors", 1, 1, 200)
        if geometry and geometry.get("type") == "Polygon":
            footprint = _shape(geometry)
            if not footprint.is_valid:
                raise RowProblem("geometry", "bad_geometry", "楼栋轮廓几何无效")
            centre = footprint.representative_point()
            lon, lat = round(centre.x, 7), round(centre.y, 7)
        else:
            # A point only: a nominal 12 m square until the real outline is surveyed.
            half_lon, half_lat = 6 / (111_320 * math.cos(math.radians(lat))), 6 / 110_574
            footprint = box(lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
        return {
            "name": values["name"],
            "address": values["address"],
            "kind": _choice(values, "kind", ["楼栋", "平房"], "楼栋" if floors > 2 else "平房"),
            "use": values.get("use") or "住宅",
            "floors": floors,
            "height_m": floors * 3.0,
            "units": _integer(values, "units", 1, 1, 50),
            "footprint": dumps(footprint),
            "lon": lon,
            "lat": lat,
        }


class RecordsTarget(PlacedTarget):
    model = ResourceRecord
    required = ("code", "name")

    def __init__(self, category: ResourceCategory, crs: geo.Crs) -> None:
        super().__init__(crs)
        self.category = category
        self.name = category.code
        self.properties: dict[str, Any] = category.attribute_schema.get("properties", {})
        # Codes are unique within a category, not across the table.
        self.where = (ResourceRecord.category_id == category.id,)

    def build(
        self, values: dict[str, str], geometry: dict[str, Any] | None, lon: float, lat: float
    ) -> dict[str, Any]:
        attributes = {
            key: _coerce(key, values[key], rule)
            for key, rule in self.properties.items()
            if values.get(key, "") != ""
        }
        errors = attribute_errors(self.category, attributes)
        if errors:
            raise RowProblem(errors[0].split(":")[0], "invalid_attributes", "；".join(errors))
        outline = geometry if geometry and geometry.get("type") != "Point" else None
        return {
            "category_id": self.category.id,
            "name": values["name"],
            "lon": lon,
            "lat": lat,
            "geometry": dumps(_shape(outline)) if outline else None,
            "attributes": attributes,
        }


def _centre(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    if not geometry:
        return None
    point = _shape(geometry).representative_point()
    return point.x, point.y


def _shape(geometry: dict[str, Any]) -> Any:
    try:
        return shape(geometry)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RowProblem("geometry", "bad_geometry", f"几何无效：{exc}") from exc


def _coerce(key: str, text: str, rule: dict[str, Any]) -> Any:
    kind = rule.get("type")
    try:
        if kind == "integer":
            return int(float(text))
        if kind == "number":
            return float(text)
    except ValueError as exc:
        raise RowProblem(key, "bad_number", f"{key} 必须是数字") from exc
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("是", "true", "1", "yes", "y"):
            return True
        if lowered in ("否", "false", "0", "no", "n"):
            return False
        raise RowProblem(key, "bad_boolean", f"{key} 应为 是 或 否")
    if kind == "array":
        return [part for part in text.replace("、", ",").replace("，", ",").split(",") if part]
    if "enum" in rule and all(isinstance(v, int) for v in rule["enum"]):
        try:
            return int(text)
        except ValueError as exc:
            raise RowProblem(key, "bad_value", f"{key} 取值不正确") from exc
    return text


def _upsert_by_code(
    session: Session, model: Any, key: Any, checked: list[dict[str, Any]], where: tuple[Any, ...]
) -> tuple[int, int]:
    existing = repository.existing_by_key(session, model, key, [r["code"] for r in checked], where)
    inserts = [r for r in checked if r["code"] not in existing]
    updates = [{"row_id": existing[r["code"]][0], **r} for r in checked if r["code"] in existing]
    repository.add_rows(session, model, inserts)
    repository.update_rows(session, model, updates)
    return len(inserts), len(updates)


def _foreign_keys(
    session: Session,
    actor: Actor,
    model: Any,
    key: Any,
    checked: list[dict[str, Any]],
    numbers: list[int],
    where: tuple[Any, ...],
) -> list[RowError]:
    """Rows whose code already belongs to a row outside the importer's scope."""
    existing = repository.existing_by_key(session, model, key, [r["code"] for r in checked], where)
    return [
        RowError(number, "code", "out_of_scope", f"编码 {row['code']} 已在您的管辖范围之外登记")
        for row, number in zip(checked, numbers, strict=True)
        if row["code"] in existing and not actor.scope.covers_path(existing[row["code"]][1])
    ]


# ---------------------------------------------------------------- the run


def run_import(
    session: Session,
    target: Target,
    table: Table,
    *,
    actor: Actor,
    mapping: dict[str, str] | None,
    mode: Mode,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, report every problem, then write all, the valid rows, or nothing.

    Never commits: the caller's transaction decides. An all-or-nothing import with any bad row
    writes nothing and returns the report, which the caller turns into a refusal."""
    started = time.perf_counter()
    fields = resolve_mapping(table.columns, mapping)
    rows = [{name: raw.get(column, "") for name, column in fields.items()} for raw in table.rows]
    report = ImportReport(target=target.name, dry_run=dry_run, mode=mode, total_rows=len(rows))
    target.prepare(session, actor, rows)
    if isinstance(target, PlacedTarget):
        target.locate(session, table.geometries)
    checked: list[Any] = []
    numbers: list[int] = []
    for index, (values, geometry) in enumerate(zip(rows, table.geometries, strict=True)):
        number = index + 2  # row 1 is the header, as a spreadsheet numbers it
        try:
            checked.append(target.check(number, values, geometry))
            numbers.append(number)
        except RowProblem as problem:
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(
                    RowError(number, problem.column, problem.code, problem.message)
                )
        if progress and index % 5_000 == 0:
            progress(index, len(rows))
    conflicts = target.conflicts(session, actor, checked, numbers)
    if conflicts:
        bad = {e.row for e in conflicts}
        report.errors.extend(conflicts)
        keep = [i for i, number in enumerate(numbers) if number not in bad]
        checked = [checked[i] for i in keep]
    report.errors.sort(key=lambda e: (e.row, e.column))
    report.valid_rows = len(checked)
    if not dry_run and not (mode == "all_or_nothing" and report.errors):
        report.inserted, report.updated = target.write(session, actor, checked)
        audit.record(
            session,
            actor=actor,
            action="registry.import",
            object_type=target.name,
            object_id=target.name,
            summary=f"导入{target.name}：新增 {report.inserted}，更新 {report.updated}",
            details={"rows": report.total_rows, "errors": len(report.errors), "mode": mode},
        )
    if progress:
        progress(len(rows), len(rows))
    report.seconds = round(time.perf_counter() - started, 3)
    return report
