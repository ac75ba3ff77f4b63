"""Fixtures of the analytics tests: a district of their own with a small case history (every
branch of the loop: 自办结, 返工, 升级, ratings, late closings), its rollups built by the seed,
for tests that count exactly or change cases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.app import create_app
from gridgov.db import make_engine
from gridgov.seed.context import Tier
from gridgov.seed.runner import seed_database
from tests.conftest import Auth, Databases, make_settings

Fresh = tuple[TestClient, Auth, Engine]
WITH_HISTORY = ("regions", "organisations", "accounts", "events", "history", "analytics")
HISTORY_EVENTS = 4_000


@pytest.fixture(scope="session")
def history_district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    url = databases.new_url()
    settings = make_settings(tmp_path_factory.mktemp("analytics"), url)
    engine = make_engine(url)
    seed_database(
        engine,
        settings,
        tier=Tier.DISTRICT,
        seed=7,
        reset=False,
        progress=lambda *_: None,
        only=WITH_HISTORY,
        history_events=HISTORY_EVENTS,
    )
    with TestClient(create_app(settings, engine)) as client:
        yield client, Auth(client), engine
    engine.dispose()
