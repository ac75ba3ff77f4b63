"""A district with territory, organisations, accounts and the demo networks, per test module,
for tests that import networks or edit grids (the shared demo district stays as seeded)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select

from gridgov.db import session_factory
from gridgov.kit.geojson import loads
from gridgov.regions.models import Region
from tests.conftest import Auth, Databases, district_client

WITH_NETWORKS = ("regions", "organisations", "accounts", "networks")


@pytest.fixture(scope="module")
def district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Auth, Engine]]:
    yield from district_client(databases, tmp_path_factory.mktemp("networks"), WITH_NETWORKS)


def grid_shapes(engine: Engine) -> dict[str, BaseGeometry]:
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Region.code, Region.geometry).where(Region.level == "grid")
        ).all()
    return {code: loads(geometry) for code, geometry in rows}


def feature_collection(units: list[BaseGeometry], prefix: str = "T") -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(unit),
                "properties": {
                    "unit_code": f"{prefix}{n:03d}",
                    "name": f"测试单元{n}",
                    "officer_name": f"民警{n}",
                    "officer_phone": f"1390000{n:04d}",
                    "beat_type": "街面",
                },
            }
            for n, unit in enumerate(units, start=1)
        ],
    }


def outline(engine: Engine) -> BaseGeometry:
    return shapely.union_all(list(grid_shapes(engine).values()))
