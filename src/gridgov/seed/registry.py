"""Base data for the demo territory: buildings and houses, households and residents, special
groups, city components, cameras, places, and the 76 resource categories with their records.

Everything is placed consistently: residents live in houses, houses stand in buildings,
buildings stand in basic grids (never in the lake), components follow the roads. Rows go to
the database in batches through Core inserts; residents are generated and written a batch of
houses at a time, so the city tier's ten million people never sit in memory at once.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Table, bindparam, func, insert, select, update

from gridgov.accounts.models import GridAssignment, User
from gridgov.kit import creditcode, idcard
from gridgov.kit.clock import now
from gridgov.kit.crypto import FieldCipher, mask_id_number, mask_phone
from gridgov.kit.geojson import dumps
from gridgov.regions.locator import GridLocator, GridRef
from gridgov.regions.models import Region, RegionLevel
from gridgov.registry.catalog import (
    COMPONENT_CLASSES,
    GENERIC_CATEGORIES,
    MAJOR_CLASSES,
    OWNER_OVERRIDES,
    TYPED_CATEGORIES,
)
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Household,
    Person,
    Place,
    ResourceCategory,
    ResourceRecord,
    SpecialGroupMember,
)
from gridgov.seed.context import SeedContext, Tier
from gridgov.seed.names import GIVEN_FEMALE, GIVEN_MALE, SURNAMES

FloatArray = npt.NDArray[np.float64]
BATCH = 20_000
METRES_PER_DEGREE_LAT = 110_574.0


@dataclass(frozen=True)
class RegistrySize:
    buildings: int
    houses: int
    persons: int
    components: int
    cameras: int
    enterprises: int
    shops: int
    pois: int
    generic_scale: float


SIZES: dict[Tier, RegistrySize] = {
    Tier.DISTRICT: RegistrySize(6_600, 45_000, 129_500, 46_500, 1_200, 2_000, 3_000, 1_500, 1.0),
    Tier.CITY: RegistrySize(
        500_000, 3_500_000, 10_000_000, 3_000_000, 60_000, 150_000, 230_000, 110_000, 60.0
    ),
}

URBAN_STREETS = frozenset({"370811002", "370811006"})
FLOATING_AREAS = ("370830", "370826", "370828", "371102", "410102", "320102", "340102", "130102")
ESTATE_SUFFIXES = ("花园", "小区", "家园", "华府", "名苑", "新村", "雅居", "嘉园")
SHOP_INDUSTRIES = (
    "餐饮",
    "零售",
    "美容美发",
    "维修",
    "药店",
    "烟酒",
    "服装",
    "五金",
    "快递",
    "教育培训",
)
ENTERPRISE_INDUSTRIES = (
    "制造业",
    "建筑业",
    "批发零售",
    "信息技术",
    "物流运输",
    "食品加工",
    "新材料",
    "商务服务",
)
POI_KINDS = ("学校", "医院", "公园", "广场", "银行", "加油站", "酒店", "超市", "停车场", "车站")


@dataclass
class Grids:
    """The basic grids with what the generator needs to place things in them."""

    refs: list[GridRef]
    polygons: list[shapely.Geometry]
    urban: npt.NDArray[np.bool_]
    names: list[str]  # "street community" label for addresses
    community_names: list[str]
    street_names: list[str]
    locator: GridLocator
    lake: shapely.Geometry | None
    roads: list[tuple[str, shapely.LineString]]


@dataclass
class Clock:
    """Creation and update times spread over three years, so growth charts have a shape."""

    moment: datetime
    rng: np.random.Generator

    def stamps(self, n: int) -> tuple[list[datetime], list[datetime]]:
        created_days = self.rng.triangular(0, 1095, 1095, n)  # more recent than old
        age_days = self.rng.uniform(0, 1, n) * created_days
        # A few rows changed this week, some today, as in any live register.
        recent = self.rng.random(n)
        age_days = np.where(recent < 0.01, self.rng.uniform(0, 0.3, n), age_days)
        age_days = np.where((recent >= 0.01) & (recent < 0.04), self.rng.uniform(0, 6, n), age_days)
        created = [self.moment - timedelta(days=float(d)) for d in 1095 - created_days]
        updated = [
            max(c, self.moment - timedelta(days=float(a)))
            for c, a in zip(created, age_days, strict=True)
        ]
        return created, updated


@dataclass
class Written:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def generate(ctx: SeedContext) -> None:
    size = SIZES[ctx.tier]
    rng = np.random.default_rng([ctx.seed, 101])
    clock = Clock(now(), np.random.default_rng([ctx.seed, 102]))
    cipher = FieldCipher(ctx.settings.effective_data_key())
    grids = _grids(ctx)
    workers = _grid_workers(ctx)
    buildings = _buildings(ctx, grids, size, rng, clock)
    houses = _houses(ctx, buildings, rng, clock)
    _people(ctx, grids, houses, size, rng, clock, cipher, workers)
    _components(ctx, grids, size, rng, clock)
    _cameras(ctx, grids, size, rng, clock)
    _places(ctx, grids, size, rng, clock)
    _categories(ctx, grids, size, rng, clock)
    _roll_up_counts(ctx)
    ctx.counts["records_total"] = sum(
        ctx.counts[name]
        for name in (
            "persons",
            "households",
            "special_group_members",
            "buildings",
            "houses",
            "components",
            "cameras",
            "places",
            "resource_records",
        )
    )


# ---------------------------------------------------------------- territory helpers


def _grids(ctx: SeedContext) -> Grids:
    assert ctx.territory is not None, "the regions generator runs first"
    by_code = {r.code: r for r in ctx.regions}
    names = {r.code: r.name for r in ctx.regions}
    refs, polygons, urban, labels, communities, streets = [], [], [], [], [], []
    for spec in ctx.territory.regions:
        if spec.level != RegionLevel.GRID:
            continue
        region = by_code[spec.code]
        parts = [p for p in region.path.split("/") if p]
        street, community = parts[-3], parts[-2]
        refs.append(GridRef(code=region.code, name=region.name, path=region.path))
        polygons.append(spec.polygon)
        urban.append(
            street in URBAN_STREETS or (ctx.tier == Tier.CITY and names[street].endswith("街道"))
        )
        labels.append(f"{names[street]}{names[community]}")
        communities.append(names[community])
        streets.append(names[street])
    lake = next((layer.geometry for layer in ctx.territory.layers if layer.kind == "lake"), None)
    roads = [(layer.name, layer.geometry) for layer in ctx.territory.layers if layer.kind == "road"]
    locator = GridLocator(list(zip(refs, polygons, strict=True)), [], revision=0)
    return Grids(
        refs, polygons, np.array(urban), labels, communities, streets, locator, lake, roads
    )


def _grid_workers(ctx: SeedContext) -> dict[str, int]:
    stmt = (
        select(GridAssignment.region_path, User.id)
        .join(User, User.id == GridAssignment.user_id)
        .where(GridAssignment.duty == "专职网格员")
        .order_by(User.id)
    )
    workers: dict[str, int] = {}
    for path, user_id in ctx.session.execute(stmt):
        workers.setdefault(path, user_id)
    return workers


def _points_in(
    polygon: shapely.Geometry, n: int, rng: np.random.Generator, avoid: shapely.Geometry | None
) -> FloatArray:
    """n uniform random points inside a polygon (rejection sampling in its bounding box)."""
    min_x, min_y, max_x, max_y = polygon.bounds
    found: list[FloatArray] = []
    have = 0
    while have < n:
        xs = rng.uniform(min_x, max_x, n * 3 + 10)
        ys = rng.uniform(min_y, max_y, n * 3 + 10)
        keep = shapely.contains_xy(polygon, xs, ys)
        if avoid is not None:
            keep &= ~shapely.contains_xy(avoid, xs, ys)
        batch = np.column_stack([xs[keep], ys[keep]])
        found.append(batch)
        have += len(batch)
        if not keep.any() and have == 0:
            break
    points = np.concatenate(found) if found else np.zeros((0, 2))
    return points[:n]


def _allocate(weights: FloatArray, total: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Split ``total`` among grids in proportion to weights (integers summing to total)."""
    shares = weights / weights.sum() * total
    counts = np.floor(shares).astype(np.int64)
    remainder = total - counts.sum()
    if remainder:
        extra = rng.choice(len(weights), size=remainder, replace=True, p=weights / weights.sum())
        np.add.at(counts, extra, 1)
    result: npt.NDArray[np.int64] = counts
    return result


def _metres_to_deg(lat: float) -> tuple[float, float]:
    return 1 / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))), 1 / METRES_PER_DEGREE_LAT


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _insert(ctx: SeedContext, model: Any, rows: list[dict[str, Any]], stage: str) -> None:
    for start in range(0, len(rows), BATCH):
        # Core, not ORM: one executemany per batch, with no per-row bookkeeping.
        ctx.session.connection().execute(insert(_table(model)), rows[start : start + BATCH])
        ctx.progress(stage, min(start + BATCH, len(rows)), len(rows))
    ctx.counts[model.__tablename__] = ctx.counts.get(model.__tablename__, 0) + len(rows)


def _stamped(clock: Clock, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    created, updated = clock.stamps(len(rows))
    for row, c, u in zip(rows, created, updated, strict=True):
        row["created_at"], row["updated_at"] = c, u
    return rows


# ---------------------------------------------------------------- buildings and houses


@dataclass
class BuiltBuildings:
    ids: npt.NDArray[np.int64]
    grid: npt.NDArray[np.int64]
    kind: list[str]
    floors: npt.NDArray[np.int64]
    units: npt.NDArray[np.int64]
    address: list[str]


def _buildings(
    ctx: SeedContext, grids: Grids, size: RegistrySize, rng: np.random.Generator, clock: Clock
) -> BuiltBuildings:
    areas = np.array([p.area for p in grids.polygons])
    weights = areas * np.where(grids.urban, 2.5, 1.0)
    per_grid = _allocate(weights, size.buildings, rng)
    rows: list[dict[str, Any]] = []
    grid_of: list[int] = []
    kinds: list[str] = []
    floors_of: list[int] = []
    units_of: list[int] = []
    addresses: list[str] = []
    serial = 0
    for g, count in enumerate(per_grid.tolist()):
        if count == 0:
            continue
        points = _points_in(grids.polygons[g], count, rng, grids.lake)
        stem = grids.community_names[g].removesuffix("社区").removesuffix("村")
        estate = f"{stem}{ESTATE_SUFFIXES[g % len(ESTATE_SUFFIXES)]}"
        dx, dy = _metres_to_deg(float(points[0, 1]) if len(points) else 35.0)
        for i, (lon, lat) in enumerate(points.tolist()):
            serial += 1
            tower = rng.random() < (0.30 if grids.urban[g] else 0.05)
            if tower:
                floors = int(rng.choice([6, 6, 7, 11, 11, 18, 26, 33]))
                units = int(rng.choice([1, 2, 2, 3]))
                width, depth = 18.0 * units, 14.0
                name = f"{estate}{i + 1}号楼"
                address = f"{grids.names[g]}{name}"
                use = str(rng.choice(["住宅"] * 8 + ["商业", "办公", "混合"]))
            else:
                floors, units = int(rng.choice([1, 1, 1, 2])), 1
                width, depth = 12.0, 10.0
                name = f"{grids.community_names[g]}{i + 1}号"
                address = f"{grids.names[g]}{i + 1}号"
                use = str(rng.choice(["住宅"] * 9 + ["商业"]))
            angle = float(rng.uniform(0, math.pi))
            footprint = _rectangle(lon, lat, width, depth, angle, dx, dy)
            rows.append(
                {
                    "code": f"{grids.refs[g].code}B{i + 1:04d}",
                    "name": name,
                    "address": address,
                    "kind": "楼栋" if tower else "平房",
                    "use": use,
                    "floors": floors,
                    "height_m": floors * 3.0,
                    "units": units,
                    "footprint": dumps(footprint),
                    "lon": lon,
                    "lat": lat,
                    "region_path": grids.refs[g].path,
                    "updated_by": "seed",
                }
            )
            grid_of.append(g)
            kinds.append("楼栋" if tower else "平房")
            floors_of.append(floors)
            units_of.append(units)
            addresses.append(address)
    # Scale tower heights so that the houses they hold, with the bungalows, come near the
    # tier's house count (one house a bungalow, two a floor per tower unit).
    towers = [i for i, kind in enumerate(kinds) if kind == "楼栋"]
    raw = sum(units_of[i] * floors_of[i] * 2 for i in towers)
    if raw:
        factor = max(size.houses - (len(rows) - len(towers)), 0) / raw
        for i in towers:
            floors_of[i] = int(np.clip(round(floors_of[i] * factor), 3, 33))
            rows[i]["floors"], rows[i]["height_m"] = floors_of[i], floors_of[i] * 3.0
    _insert(ctx, Building, _stamped(clock, rows), "楼栋")
    ids = np.array(
        ctx.session.scalars(select(Building.id).order_by(Building.id)).all()[-len(rows) :],
        dtype=np.int64,
    )
    return BuiltBuildings(
        ids, np.array(grid_of), kinds, np.array(floors_of), np.array(units_of), addresses
    )


def _rectangle(
    lon: float, lat: float, width: float, depth: float, angle: float, dx: float, dy: float
) -> shapely.Polygon:
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [width / 2, depth / 2]
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    turned = corners @ rotation.T
    return shapely.Polygon(
        np.round(np.column_stack([lon + turned[:, 0] * dx, lat + turned[:, 1] * dy]), 7)
    )


@dataclass
class BuiltHouses:
    ids: npt.NDArray[np.int64]
    building: npt.NDArray[np.int64]  # index into BuiltBuildings
    use: list[str]


def _houses(
    ctx: SeedContext, built: BuiltBuildings, rng: np.random.Generator, clock: Clock
) -> BuiltHouses:
    rows: list[dict[str, Any]] = []
    building_of: list[int] = []
    uses: list[str] = []
    use_choices = np.array(["自住", "出租", "空置", "商用"])
    use_p = [0.75, 0.12, 0.08, 0.05]
    for b in range(len(built.ids)):
        if built.kind[b] == "平房":
            layout = [(1, 1, "1")]
        else:
            layout = [
                (unit, floor, f"{floor:02d}{room:02d}")
                for unit in range(1, int(built.units[b]) + 1)
                for floor in range(1, int(built.floors[b]) + 1)
                for room in (1, 2)
            ]
        chosen = rng.choice(use_choices, size=len(layout), p=use_p)
        for (unit, floor, number), use in zip(layout, chosen.tolist(), strict=True):
            rows.append(
                {
                    "code": f"H{int(built.ids[b])}-{unit}-{number}",
                    "building_id": int(built.ids[b]),
                    "unit": unit,
                    "floor": floor,
                    "number": number,
                    "area_m2": float(
                        round(
                            rng.uniform(60, 140)
                            if built.kind[b] == "楼栋"
                            else rng.uniform(80, 220),
                            1,
                        )
                    ),
                    "use": use,
                    "region_path": "",
                    "updated_by": "seed",
                }
            )
            building_of.append(b)
            uses.append(use)
    paths = ctx.session.execute(select(Building.id, Building.region_path)).all()
    path_of = dict(paths)
    for row in rows:
        row["region_path"] = path_of[row["building_id"]]
    _insert(ctx, House, _stamped(clock, rows), "房屋")
    ids = np.array(
        ctx.session.scalars(select(House.id).order_by(House.id)).all()[-len(rows) :], dtype=np.int64
    )
    return BuiltHouses(ids, np.array(building_of), uses)


# ---------------------------------------------------------------- households and residents


HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (0.14, 0.25, 0.29, 0.18, 0.09, 0.05)


@dataclass
class PeopleState:
    cipher: FieldCipher
    py: random.Random
    today: date
    sequences: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))
    passport: int = 0


def _people(
    ctx: SeedContext,
    grids: Grids,
    houses: BuiltHouses,
    size: RegistrySize,
    rng: np.random.Generator,
    clock: Clock,
    cipher: FieldCipher,
    workers: dict[str, int],
) -> None:
    occupied = [i for i, use in enumerate(houses.use) if use in ("自住", "出租")]
    # Average household of about three; rented houses sometimes hold two households. Add
    # second households until the tier's head count is reached.
    plan: list[int] = list(occupied)
    expected = len(plan) * 2.95
    extra_pool = [i for i in occupied if houses.use[i] == "出租"] or occupied
    while expected < size.persons * 1.05:
        plan.append(int(rng.choice(extra_pool)))
        expected += 2.95
    rng.shuffle(plan)
    state = PeopleState(cipher=cipher, py=random.Random(ctx.seed * 7 + 1), today=now().date())
    building_paths = dict(ctx.session.execute(select(Building.id, Building.region_path)).all())
    house_building = dict(ctx.session.execute(select(House.id, House.building_id)).all())
    owners: dict[int, int] = {}
    household_serial = 0
    total_persons = 0
    for start in range(0, len(plan), 5_000):
        if total_persons >= size.persons:
            break
        household_rows: list[dict[str, Any]] = []
        members_of: list[list[dict[str, Any]]] = []
        for h in plan[start : start + 5_000]:
            if total_persons >= size.persons:
                break
            household_serial += 1
            house_id = int(houses.ids[h])
            row: dict[str, Any] = {
                "code": f"HH{household_serial:08d}",
                "house_id": house_id,
                "region_path": building_paths[house_building[house_id]],
                "updated_by": "seed",
            }
            members = _household_members(state, row, houses.use[h] == "出租")
            household_rows.append(row)
            members_of.append(members)
            total_persons += len(members)
        _stamped(clock, household_rows)
        ctx.session.connection().execute(insert(_table(Household)), household_rows)
        ids = dict(
            ctx.session.execute(
                select(Household.code, Household.id).where(
                    Household.code.in_([r["code"] for r in household_rows])
                )
            ).all()
        )
        person_rows = []
        for row, members in zip(household_rows, members_of, strict=True):
            for member in members:
                member["household_id"] = ids[row["code"]]
                person_rows.append(member)
        _stamped(clock, person_rows)
        ctx.session.connection().execute(insert(_table(Person)), person_rows)
        ctx.counts["households"] = ctx.counts.get("households", 0) + len(household_rows)
        ctx.progress("人口", total_persons, int(size.persons))
    ctx.counts["persons"] = total_persons
    # Owners: the head of the first household of each owner-occupied house.
    heads = ctx.session.execute(
        select(Person.house_id, Person.id)
        .where(Person.relation_to_head == "户主")
        .order_by(Person.id)
    ).all()
    for home, person_id in heads:
        if home is not None:
            owners.setdefault(home, person_id)
    owner_rows = [
        {"house_id": int(houses.ids[i]), "owner": owners[int(houses.ids[i])]}
        for i, use in enumerate(houses.use)
        if use == "自住" and int(houses.ids[i]) in owners
    ]
    if owner_rows:
        # Core, not ORM: an executemany UPDATE keyed by our own bind names.
        houses_table = _table(House)
        ctx.session.connection().execute(
            update(houses_table)
            .where(houses_table.c.id == bindparam("house_id"))
            .values(owner_person_id=bindparam("owner")),
            owner_rows,
        )
    _special_groups(ctx, rng, clock, workers)


def _household_members(
    state: PeopleState, household: dict[str, Any], rented: bool
) -> list[dict[str, Any]]:
    # Python's Random, not numpy's, for the many scalar draws here: ten times cheaper a call.
    rnd = state.py
    size = rnd.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0]
    roll = rnd.random()
    residence = "境外" if roll < 0.02 else "流动" if roll < (0.45 if rented else 0.14) else "户籍"
    surname = rnd.choice(SURNAMES)
    head_age = rnd.randint(24, 85) if size > 1 else rnd.randint(20, 91)
    head_male = rnd.random() < 0.7
    members: list[tuple[str, int, bool]] = [("户主", head_age, head_male)]
    if size >= 2:
        members.append(("配偶", max(20, head_age + rnd.randint(-5, 3)), not head_male))
    for _ in range(size - len(members)):
        kind = rnd.random()
        male = rnd.random() < 0.5
        if kind < 0.75 and head_age >= 40:
            members.append(("子女", max(0, head_age - rnd.randint(22, 35)), male))
        elif kind < 0.9 and head_age < 55:
            members.append(("父母", min(99, head_age + rnd.randint(22, 31)), male))
        elif head_age >= 55:
            members.append(("孙子女", rnd.randint(0, 14), male))
        else:
            members.append(("子女", max(0, head_age - rnd.randint(20, 29)), male))
    area = "370811" if residence == "户籍" else rnd.choice(FLOATING_AREAS)
    rows = []
    for relation, age, male in members:
        birth = state.today - timedelta(days=int(age * 365.25) + rnd.randint(0, 364))
        family = surname if relation in ("户主", "子女", "孙子女") else rnd.choice(SURNAMES)
        pool = GIVEN_MALE if male else GIVEN_FEMALE
        name = family + "".join(rnd.choices(pool, k=1 if rnd.random() < 0.3 else 2))
        if residence == "境外":
            state.passport += 1
            number, id_type = f"E{30_000_000 + state.passport:08d}", "护照"
        else:
            key = (area, birth)
            state.sequences[key] += 1
            seq = state.sequences[key] * 2 - (1 if male else 0)  # odd for men, even for women
            number, id_type = idcard.make(area, birth, seq), "居民身份证"
        phone = (
            f"1{rnd.choice('35789')}{rnd.randrange(10**9):09d}"
            if age >= 16 and rnd.random() < 0.9
            else None
        )
        tags = []
        if age >= 18 and rnd.random() < 0.06:
            tags.append("党员")
        if age >= 25 and male and rnd.random() < 0.03:
            tags.append("退役军人")
        if 18 <= age <= 70 and rnd.random() < 0.03:
            tags.append("志愿者")
        if residence == "流动" and rnd.random() < 0.1:
            tags.append("新市民")
        rows.append(
            {
                "name": name,
                "gender": "男" if male else "女",
                "birth_date": birth,
                "id_type": id_type,
                "id_number_cipher": state.cipher.encrypt(number),
                "id_number_hash": state.cipher.search_hash(number),
                "id_number_masked": mask_id_number(number),
                "phone_cipher": state.cipher.encrypt(phone) if phone else None,
                "phone_hash": state.cipher.search_hash(phone) if phone else None,
                "phone_masked": mask_phone(phone) if phone else None,
                "residence_type": residence,
                "relation_to_head": relation,
                "house_id": household["house_id"],
                "tags": tags,
                "region_path": household["region_path"],
                "updated_by": "seed",
            }
        )
    return rows


# (type, risk weights 高/中/低, visit every n days, share, who qualifies)
GROUP_RULES: tuple[tuple[str, tuple[float, float, float], int, float, str], ...] = (
    ("独居老人", (0.1, 0.3, 0.6), 7, 0.60, "alone_elderly"),
    ("低保", (0.05, 0.25, 0.7), 90, 0.012, "head"),
    ("残疾", (0.05, 0.25, 0.7), 30, 0.012, "anyone"),
    ("留守儿童", (0.1, 0.4, 0.5), 30, 0.03, "child"),
    ("严重精神障碍", (0.4, 0.4, 0.2), 14, 0.002, "adult"),
    ("重点青少年", (0.2, 0.5, 0.3), 15, 0.006, "youth"),
    ("重点信访", (0.3, 0.5, 0.2), 15, 0.0008, "adult"),
    ("刑满释放", (0.2, 0.5, 0.3), 30, 0.001, "adult"),
    ("社区矫正", (0.5, 0.4, 0.1), 7, 0.0005, "adult"),
    ("戒毒康复", (0.5, 0.4, 0.1), 14, 0.0004, "adult"),
)


def _special_groups(
    ctx: SeedContext, rng: np.random.Generator, clock: Clock, workers: dict[str, int]
) -> None:
    people = ctx.session.execute(
        select(
            Person.id,
            Person.birth_date,
            Person.household_id,
            Person.relation_to_head,
            Person.region_path,
        )
    ).all()
    household_size: dict[int | None, int] = defaultdict(int)
    for _pid, _birth, household, _rel, _path in people:
        household_size[household] += 1
    today = now().date()
    rows: list[dict[str, Any]] = []
    moment = now()
    for pid, birth, household, relation, path in people:
        age = (today - birth).days // 365
        qualifies = {
            "alone_elderly": age >= 65 and household_size[household] == 1,
            "head": relation == "户主",
            "anyone": True,
            "child": age < 16,
            "adult": age >= 18,
            "youth": 14 <= age <= 25,
        }
        for group, risks, every, share, rule in GROUP_RULES:
            if qualifies[rule] and rng.random() < share:
                last = moment - timedelta(days=float(rng.uniform(0, every * 1.6)))
                rows.append(
                    {
                        "person_id": pid,
                        "group_type": group,
                        "risk_level": str(rng.choice(["高", "中", "低"], p=risks)),
                        "responsible_user_id": workers.get(path),
                        "visit_every_days": every,
                        "last_visit_at": last if rng.random() > 0.03 else None,
                        "note": "",
                        "region_path": path,
                        "updated_by": "seed",
                    }
                )
    _insert(ctx, SpecialGroupMember, _stamped(clock, rows), "特殊人群")


# ---------------------------------------------------------------- components, cameras, places


def _road_points(
    grids: Grids, n: int, rng: np.random.Generator, offset_m: tuple[float, float]
) -> FloatArray:
    """Points beside the roads, a few metres off the centre line."""
    if not grids.roads or n == 0:
        return np.zeros((0, 2))
    lengths = np.array([line.length for _, line in grids.roads])
    which = rng.choice(len(grids.roads), size=n, p=lengths / lengths.sum())
    along = rng.random(n)
    points = np.array(
        [
            shapely.get_coordinates(grids.roads[w][1].interpolate(a, normalized=True))[0]
            for w, a in zip(which.tolist(), along.tolist(), strict=True)
        ]
    )
    dx, dy = _metres_to_deg(float(points[:, 1].mean()))
    side = rng.choice([-1.0, 1.0], size=n) * rng.uniform(*offset_m, size=n)
    angle = rng.uniform(0, 2 * math.pi, n)
    points[:, 0] += np.cos(angle) * side * dx
    points[:, 1] += np.sin(angle) * side * dy
    return points


def _urban_points(
    grids: Grids, n: int, rng: np.random.Generator, urban_weight: float
) -> FloatArray:
    areas = np.array([p.area for p in grids.polygons])
    per_grid = _allocate(areas * np.where(grids.urban, urban_weight, 1.0), n, rng)
    chunks = [
        _points_in(grids.polygons[g], count, rng, grids.lake)
        for g, count in enumerate(per_grid.tolist())
        if count
    ]
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def _located(grids: Grids, points: FloatArray) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Keep the points that fall in a basic grid (and not in the lake), with their grid."""
    index = grids.locator.basic_index_many(points[:, 0], points[:, 1])
    keep = index >= 0
    if grids.lake is not None:
        keep &= ~shapely.contains_xy(grids.lake, points[:, 0], points[:, 1])
    locator_to_grid = {ref.code: i for i, ref in enumerate(grids.refs)}
    grid = np.array(
        [locator_to_grid[grids.locator.basic_refs[i].code] for i in index[keep]], dtype=np.int64
    )
    return points[keep], grid


def _components(
    ctx: SeedContext, grids: Grids, size: RegistrySize, rng: np.random.Generator, clock: Clock
) -> None:
    shares = np.array([c[2] for c in COMPONENT_CLASSES])
    shares = shares / shares.sum()
    written = 0
    serials: dict[str, int] = defaultdict(int)
    while written < size.components:
        want = min(100_000, size.components - written)
        raw = np.concatenate(
            [
                _road_points(grids, int(want * 0.75) + 50, rng, (3.0, 25.0)),
                _urban_points(grids, int(want * 0.3) + 50, rng, 4.0),
            ]
        )
        points, grid = _located(grids, raw)
        points, grid = points[:want], grid[:want]
        classes = rng.choice(len(COMPONENT_CLASSES), size=len(points), p=shares)
        statuses = rng.choice(
            ["完好", "损坏", "丢失", "占用"], size=len(points), p=[0.92, 0.05, 0.01, 0.02]
        )
        rows = []
        for (lon, lat), g, c, status in zip(
            points.tolist(), grid.tolist(), classes.tolist(), statuses.tolist(), strict=True
        ):
            minor, name, _share, maintainer = COMPONENT_CLASSES[c]
            serials[minor] += 1
            owner_code: str = OWNER_OVERRIDES.get(maintainer) or maintainer
            rows.append(
                {
                    "code": f"370811{minor}{serials[minor]:06d}",
                    "major_code": minor[:2],
                    "major_name": MAJOR_CLASSES[minor[:2]],
                    "minor_code": minor,
                    "minor_name": name,
                    "lon": round(lon, 7),
                    "lat": round(lat, 7),
                    "address": f"{grids.names[g]}{name}",
                    "status": status,
                    "owner_department_id": ctx.org_ids.get(owner_code),
                    "maintainer_department_id": ctx.org_ids.get(maintainer),
                    "photo_url": None,
                    "region_path": grids.refs[g].path,
                    "updated_by": "seed",
                }
            )
        _stamped(clock, rows)
        for start in range(0, len(rows), BATCH):
            ctx.session.connection().execute(insert(_table(Component)), rows[start : start + BATCH])
        written += len(rows)
        ctx.progress("城市部件", written, size.components)
    ctx.counts["components"] = written


def _cameras(
    ctx: SeedContext, grids: Grids, size: RegistrySize, rng: np.random.Generator, clock: Clock
) -> None:
    raw = np.concatenate(
        [
            _road_points(grids, int(size.cameras * 0.8) + 50, rng, (2.0, 10.0)),
            _urban_points(grids, int(size.cameras * 0.4) + 50, rng, 5.0),
        ]
    )
    points, grid = _located(grids, raw)
    points, grid = points[: size.cameras], grid[: size.cameras]
    rows = [
        {
            "code": f"370811CAM{i + 1:06d}",
            "name": f"{grids.community_names[g]}{i + 1}号监控",
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "direction_deg": int(rng.integers(0, 360)),
            "stream_url": f"rtsp://video.gridgov.local/370811CAM{i + 1:06d}",
            "status": str(rng.choice(["在线", "离线", "故障"], p=[0.9, 0.07, 0.03])),
            "region_path": grids.refs[g].path,
            "updated_by": "seed",
        }
        for i, ((lon, lat), g) in enumerate(zip(points.tolist(), grid.tolist(), strict=True))
    ]
    _insert(ctx, Camera, _stamped(clock, rows), "视频监控")


def credit_code(rng: np.random.Generator) -> str:
    return creditcode.make("370811", "".join(str(d) for d in rng.integers(0, 10, size=8)))


def _places(
    ctx: SeedContext, grids: Grids, size: RegistrySize, rng: np.random.Generator, clock: Clock
) -> None:
    rows: list[dict[str, Any]] = []
    for kind, count, weight in (
        ("enterprise", size.enterprises, 1.5),
        ("shop", size.shops, 6.0),
        ("poi", size.pois, 3.0),
    ):
        points, grid = _located(grids, _urban_points(grids, int(count * 1.1) + 20, rng, weight))
        for i, ((lon, lat), g) in enumerate(
            zip(points[:count].tolist(), grid[:count].tolist(), strict=True)
        ):
            place = grids.community_names[g].removesuffix("社区").removesuffix("村")
            if kind == "enterprise":
                industry = str(rng.choice(ENTERPRISE_INDUSTRIES))
                name = (
                    f"济宁{place}{industry[:2]}有限公司{i + 1}号"
                    if i % 7 == 0
                    else f"济宁市{place}{industry[:2]}{i + 1}有限公司"
                )
                code_value: str | None = credit_code(rng)
                employees = int(rng.lognormal(3, 1))
            elif kind == "shop":
                industry = str(rng.choice(SHOP_INDUSTRIES))
                name = f"{place}{industry}店{i + 1}"
                code_value, employees = None, int(rng.integers(1, 12))
            else:
                industry = str(rng.choice(POI_KINDS))
                name = f"{place}{industry}{i + 1}"
                code_value, employees = None, 0
            rows.append(
                {
                    "code": f"370811{kind[:1].upper()}{i + 1:06d}",
                    "kind": kind,
                    "name": name,
                    "credit_code": code_value,
                    "industry": industry,
                    "address": f"{grids.names[g]}{i + 1}号",
                    "lon": round(lon, 7),
                    "lat": round(lat, 7),
                    "employees": employees,
                    "region_path": grids.refs[g].path,
                    "updated_by": "seed",
                }
            )
    _insert(ctx, Place, _stamped(clock, rows), "企业商铺")


# ---------------------------------------------------------------- categories and records


def _categories(
    ctx: SeedContext, grids: Grids, size: RegistrySize, rng: np.random.Generator, clock: Clock
) -> None:
    rows = [
        {
            "code": code,
            "name": name,
            "group_name": group,
            "geometry_type": geometry,
            "attribute_schema": {},
            "typed_table": table,
            "description": f"核心类别，数据在 {table} 表",
        }
        for code, name, group, geometry, table in TYPED_CATEGORIES
    ] + [
        {
            "code": code,
            "name": name,
            "group_name": group,
            "geometry_type": geometry,
            "attribute_schema": schema,
            "typed_table": None,
            "description": f"{name}（{group}类资源）",
        }
        for code, name, group, geometry, schema, _count in GENERIC_CATEGORIES
    ]
    ctx.session.connection().execute(insert(_table(ResourceCategory)), rows)
    ctx.counts["resource_categories"] = len(rows)
    ids = dict(ctx.session.execute(select(ResourceCategory.code, ResourceCategory.id)).all())
    records: list[dict[str, Any]] = []
    for code, name, _group, geometry, schema, count in GENERIC_CATEGORIES:
        n = max(1, int(count * size.generic_scale))
        points, grid = _located(grids, _urban_points(grids, int(n * 1.2) + 5, rng, 2.0))
        for i, ((lon, lat), g) in enumerate(
            zip(points[:n].tolist(), grid[:n].tolist(), strict=True)
        ):
            shape_text = None
            if geometry == "polygon":
                dx, dy = _metres_to_deg(lat)
                side = float(rng.uniform(60, 250))
                shape_text = dumps(
                    _rectangle(lon, lat, side, side * 0.7, float(rng.uniform(0, 3)), dx, dy)
                )
            elif geometry == "line":
                dx, dy = _metres_to_deg(lat)
                line = shapely.LineString([(lon, lat), (lon + 300 * dx, lat + 80 * dy)])
                shape_text = dumps(line)
            records.append(
                {
                    "category_id": ids[code],
                    "code": f"{code.upper()}-{i + 1:05d}",
                    "name": f"{grids.community_names[g]}{name}{i + 1}",
                    "lon": round(lon, 7),
                    "lat": round(lat, 7),
                    "geometry": shape_text,
                    "attributes": _attributes(schema, rng),
                    "region_path": grids.refs[g].path,
                    "updated_by": "seed",
                }
            )
    _insert(ctx, ResourceRecord, _stamped(clock, records), "资源记录")


def _attributes(schema: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Values that satisfy the category's schema (every property filled)."""
    values: dict[str, Any] = {}
    for key, rule in schema.get("properties", {}).items():
        if "enum" in rule:
            values[key] = rule["enum"][int(rng.integers(len(rule["enum"])))]
        elif rule.get("type") == "integer":
            low = int(rule.get("minimum", 0))
            values[key] = int(rng.integers(low, min(int(rule.get("maximum", 500)), 500) + 1))
        elif rule.get("type") == "number":
            values[key] = round(float(rng.uniform(1, 5000)), 1)
        elif rule.get("type") == "boolean":
            values[key] = bool(rng.random() < 0.6)
        elif rule.get("type") == "array":
            values[key] = [
                f"{key}-{int(rng.integers(1, 99))}" for _ in range(int(rng.integers(1, 4)))
            ]
        elif rule.get("format") == "date":
            values[key] = (
                date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 1000)))
            ).isoformat()
        elif "pattern" in rule:
            values[key] = f"0537-{int(rng.integers(2_000_000, 3_999_999))}"
        else:
            values[key] = f"{key}-{int(rng.integers(1, 999))}"
    return values


# ---------------------------------------------------------------- region counts


def _roll_up_counts(ctx: SeedContext) -> None:
    """Households and residents per grid, summed up the tree to the root."""
    households = dict(
        ctx.session.execute(
            select(Household.region_path, func.count()).group_by(Household.region_path)
        ).all()
    )
    persons = dict(
        ctx.session.execute(
            select(Person.region_path, func.count()).group_by(Person.region_path)
        ).all()
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path in set(households) | set(persons):
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth]) + "/"
            totals[key][0] += households.get(path, 0)
            totals[key][1] += persons.get(path, 0)
    rows = [{"p": path, "h": h, "n": n} for path, (h, n) in totals.items()]
    if rows:
        regions_table = _table(Region)
        ctx.session.connection().execute(
            update(regions_table)
            .where(regions_table.c.path == bindparam("p"))
            .values(household_count=bindparam("h"), population_count=bindparam("n")),
            rows,
        )
