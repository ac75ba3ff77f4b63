"""Fixtures of the analytics tests: a district of their own with a small case history (every
branch of the loop: 自办结, 返工, 升级, ratings, late closings), its rollups built by the seed,
for tests that count exactly or change cases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Auth, Databases, district_client

Fresh = tuple[TestClient, Auth, Engine]
WITH_HISTORY = ("regions", "organisations", "accounts", "events", "history", "analytics")
HISTORY_EVENTS = 4_000


@pytest.fixture(scope="session")
def history_district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    yield from district_client(
        databases,
        tmp_path_factory.mktemp("analytics"),
        WITH_HISTORY,
        seed=7,
        history_events=HISTORY_EVENTS,
    )
