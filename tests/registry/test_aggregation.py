"""信息汇聚: the numbers per category, per child region, today's and this week's changes and the
monthly growth, recounted from the tables themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from gridgov.registry.models import Camera
from tests.conftest import Auth

ZONE = ZoneInfo("Asia/Shanghai")
TYPED = {
    "persons": "persons",
    "households": "households",
    "special_groups": "special_group_members",
    "buildings": "buildings",
    "houses": "houses",
    "components": "components",
    "cameras": "cameras",
}


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def _table_and_filter(engine: Engine, code: str) -> tuple[str, str, dict[str, Any]]:
    """Where a category's rows live, told from its code, the way an auditor would look."""
    if code in TYPED:
        return TYPED[code], "1 = 1", {}
    if code.startswith("places_"):
        return "places", "kind = :kind", {"kind": code.removeprefix("places_")}
    with engine.connect() as connection:
        category_id = connection.execute(
            text("SELECT id FROM resource_categories WHERE code = :code"), {"code": code}
        ).scalar_one()
    return "resource_records", "category_id = :category_id", {"category_id": category_id}


def _recount(engine: Engine, code: str, inside: str, since: datetime | None = None) -> int:
    table, where, params = _table_and_filter(engine, code)
    sql = f"SELECT count(*) FROM {table} WHERE {where} AND region_path LIKE :inside"
    if since is not None:
        sql += " AND created_at >= :since"
        # Stored as naive UTC on SQLite, as timestamptz on PostgreSQL.
        params["since"] = since.replace(tzinfo=None) if engine.dialect.name == "sqlite" else since
    return _count(engine, sql, inside=inside + "%", **params)


def _local_midnight(days_back: int = 0) -> datetime:
    local = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    return (local - timedelta(days=days_back)).astimezone(UTC)


def test_every_figure_equals_a_recount(fresh_registry: tuple[TestClient, Auth, Engine]) -> None:
    client, auth, engine = fresh_registry
    stats = client.get("/api/v1/registry/aggregation", headers=auth("leader")).json()
    assert len(stats["categories"]) == 76
    inside = "370811/"
    for category in stats["categories"]:
        code = category["code"]
        assert category["total"] == _recount(engine, code, inside), code
        week = _local_midnight(datetime.now(ZONE).weekday())
        assert category["added_this_week"] == _recount(engine, code, inside, week), code
        assert category["added_today"] == _recount(engine, code, inside, _local_midnight()), code
        in_children = sum(child["counts"][code] for child in stats["children"])
        assert in_children == category["total"], code
    assert stats["total_records"] == sum(c["total"] for c in stats["categories"])
    assert stats["total_records"] > 250_000
    # Growth: the district's last twelve months, each month's new rows of every category.
    months = [g["month"] for g in stats["growth"]]
    assert months == sorted(months) and len(months) <= 12
    first = datetime.strptime(months[0] + "-01", "%Y-%m-%d").replace(tzinfo=ZONE).astimezone(UTC)
    created_since = sum(_recount(engine, c["code"], inside, first) for c in stats["categories"])
    assert sum(g["added"] for g in stats["growth"]) == created_since


def test_a_change_shows_today_in_its_street_only(
    fresh_registry: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, engine = fresh_registry
    street = auth("street_xuzhuang")

    def cameras(headers: dict[str, str]) -> dict[str, Any]:
        stats = client.get("/api/v1/registry/aggregation", headers=headers).json()
        return next(c for c in stats["categories"] if c["code"] == "cameras")

    before, before_leader = cameras(street), cameras(auth("leader"))
    with Session(engine) as session:
        camera = session.scalars(
            select(Camera)
            .where(Camera.region_path.startswith("370811/370811002/"))
            .order_by(Camera.updated_at)
            .limit(1)
        ).one()
    changed = client.patch(f"/api/v1/cameras/{camera.id}", json={"status": "故障"}, headers=street)
    assert changed.status_code == 200, changed.text
    after = cameras(street)
    assert after["updated_today"] == before["updated_today"] + 1
    assert after["updated_this_week"] == before["updated_this_week"] + 1
    assert after["total"] == before["total"] == _recount(engine, "cameras", "370811/370811002/")
    assert datetime.fromisoformat(after["last_updated"]) >= datetime.now(UTC) - timedelta(minutes=5)
    leader = cameras(auth("leader"))
    assert leader["updated_today"] == before_leader["updated_today"] + 1
    assert leader["total"] > after["total"]
    other = client.get(
        "/api/v1/registry/aggregation",
        params={"region_code": "370811109"},
        headers=street,
    )
    assert other.status_code in (403, 404)
