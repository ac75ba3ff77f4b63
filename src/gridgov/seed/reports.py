"""Demo saved views (专题研判): each street's staff keep a shared 上月研判 of their street and a
private weekly one; the leader shares a district-wide monthly one. Plain inserts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from gridgov.accounts.models import User
from gridgov.kit.clock import now
from gridgov.regions.models import RegionLevel
from gridgov.reports.models import PANELS, SavedView
from gridgov.seed.accounts import street_username
from gridgov.seed.context import SeedContext


def generate(ctx: SeedContext) -> None:
    ctx.progress("专题研判", 0, 1)
    users = dict(ctx.session.execute(select(User.username, User.id)).all())
    names = dict(ctx.session.execute(select(User.username, User.display_name)).all())
    moment = now()
    rows: list[dict[str, Any]] = []

    def add(username: str, name: str, region: Any, preset: str, shared: bool, **extra: Any) -> None:
        if username not in users:
            return
        rows.append(
            {
                "owner_id": users[username],
                "owner_name": names.get(username) or username,
                "name": name,
                "description": extra.pop("description", ""),
                "shared": shared,
                "region_code": region.code,
                "region_path": region.path,
                "preset": preset,
                "start": None,
                "end": None,
                "category_code": extra.pop("category_code", None),
                "source": extra.pop("source", None),
                "department_id": None,
                "panels": list(PANELS),
                "indicators": [],
                "created_at": moment,
                "updated_at": moment,
            }
        )

    districts = ctx.regions_at(RegionLevel.DISTRICT)
    if districts:
        add("leader", "全区月度研判", districts[0], "last_month", True,
            description="上月全区案件办理情况，供领导例会使用")  # fmt: skip
    for street in ctx.regions_at(RegionLevel.STREET):
        username = street_username(street)
        add(username, f"{street.name}上月研判", street, "last_month", True)
        add(username, f"{street.name}本周热线诉求", street, "last_week", False, source="hotline")
    if rows:
        ctx.session.execute(insert(SavedView), rows)
    ctx.counts["analytics_saved_views"] = len(rows)
    ctx.progress("专题研判", 1, 1)
