"""Fixtures of the worker app's tests: a district of their own (territory, organisations,
accounts, the default workflow and recent cases; no residents), since the browser tests add
cases, and the worker whose phone the tests hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import WITH_EVENTS, Auth, Databases, district_client

Fresh = tuple[TestClient, Auth, Engine]
WORKER = "gw_370811002001001"  # 许庄街道, community 370811002001
GRID = "370811002001001"


@pytest.fixture(scope="package")
def worker_district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    yield from district_client(databases, tmp_path_factory.mktemp("worker_app"), WITH_EVENTS)
