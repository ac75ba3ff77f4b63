"""Demo accounts for every role, and grid workers assigned to grids."""

from __future__ import annotations

from sqlalchemy import insert, select

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.accounts.security import hash_password
from gridgov.regions.models import RegionLevel
from gridgov.seed.context import SeedContext, SeededRegion
from gridgov.seed.names import person_name
from gridgov.seed.orgs import DEPARTMENTS

STREET_LOGINS = {
    "370811002": "xuzhuang",
    "370811006": "nanzhang",
    "370811109": "shiqiao",
    "370811111": "yutun",
}

CITIZENS = 5
FULL_TIME = "专职网格员"
PART_TIME = "兼职网格员"


def street_username(street: SeededRegion) -> str:
    return f"street_{STREET_LOGINS.get(street.code, street.code)}"


def generate(ctx: SeedContext) -> None:
    # Every demo account shares the one demo password, so one hash serves them all: hashing
    # 10,000 city-tier accounts one by one would cost minutes and protect nothing more.
    password_hash = hash_password(ctx.settings.demo_password)
    root = ctx.regions[0]  # the generator lists parents first: the city or the district
    rows: list[dict[str, object]] = []

    def add(
        username: str,
        display_name: str,
        role: Role,
        *,
        scope: SeededRegion | None,
        home: SeededRegion,
        org_code: str | None = None,
        department_code: str | None = None,
    ) -> None:
        rows.append(
            {
                "username": username,
                "display_name": display_name,
                "password_hash": password_hash,
                "role": role.value,
                "organisation_id": ctx.org_ids.get(org_code) if org_code else None,
                "scope_region_id": scope.id if scope else None,
                "scope_path": scope.path if scope else None,
                "region_path": home.path,
                "department_id": ctx.org_ids[department_code] if department_code else None,
                "is_demo": True,
            }
        )

    rng = ctx.rng
    add("admin", "系统管理员", Role.ADMIN, scope=None, home=root, org_code="center")
    add("leader", f"{person_name(rng)}（分管领导）", Role.LEADER, scope=root, home=root)
    for n in (1, 2, 3):
        username = "operator" if n == 1 else f"operator{n}"
        add(
            username,
            person_name(rng),
            Role.CENTER_OPERATOR,
            scope=root,
            home=root,
            org_code="center",
        )
    for short, _name, _label in DEPARTMENTS:
        code = f"dept-{short}"
        add(
            f"dept_{short}",
            person_name(rng),
            Role.DEPARTMENT_HANDLER,
            scope=None,
            home=root,
            org_code=code,
            department_code=code,
        )
    for street in ctx.regions_at(RegionLevel.STREET):
        add(
            street_username(street),
            person_name(rng),
            Role.STREET_STAFF,
            scope=street,
            home=street,
            org_code=f"office-{street.code}",
        )
    for community in ctx.regions_at(RegionLevel.COMMUNITY):
        add(
            f"comm_{community.code}",
            person_name(rng),
            Role.COMMUNITY_STAFF,
            scope=community,
            home=community,
            org_code=f"committee-{community.code}",
        )
    for n in range(1, CITIZENS + 1):
        add(f"citizen{n}", person_name(rng), Role.CITIZEN, scope=None, home=root)

    workers = _grid_workers(ctx)
    worker_rows_start = len(rows)
    for grid, duty in workers:
        prefix = "gw" if duty == FULL_TIME else "gw2"
        add(f"{prefix}_{grid.code}", person_name(rng), Role.GRID_WORKER, scope=grid, home=grid)
    ctx.progress("账号", 0, len(rows))
    ctx.session.execute(insert(User), rows)
    ids = dict(ctx.session.execute(select(User.username, User.id)).all())
    assignments = [
        {
            "user_id": ids[str(rows[worker_rows_start + i]["username"])],
            "region_id": grid.id,
            "region_path": grid.path,
            "duty": duty,
        }
        for i, (grid, duty) in enumerate(workers)
    ]
    ctx.session.execute(insert(GridAssignment), assignments)
    ctx.counts["users"] = len(rows)
    ctx.counts["grid_workers"] = len(workers)
    ctx.progress("账号", len(rows), len(rows))


def _grid_workers(ctx: SeedContext) -> list[tuple[SeededRegion, str]]:
    """One full-time worker per grid while the tier's head count lasts, extras to big grids."""
    basic = ctx.regions_at(RegionLevel.GRID)
    special = ctx.regions_at(RegionLevel.SPECIAL_GRID)
    budget = ctx.size.workers
    candidates = basic + special
    if budget < len(candidates):
        # Spread a short head count evenly over the territory rather than filling it in order.
        return [(candidates[i * len(candidates) // budget], FULL_TIME) for i in range(budget)]
    chosen = [(grid, FULL_TIME) for grid in candidates]
    extra = sorted(basic, key=lambda g: -g.area_km2)[: budget - len(chosen)]
    return chosen + [(grid, PART_TIME) for grid in extra]
