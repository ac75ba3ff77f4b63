"""Fixtures of the assessment tests: a district of their own with a small case history, field
work (patrols, visits, tasks), the analytics rollups and the assessment seed (default schemes,
the last two months frozen), for tests that compute exactly or change cases."""

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
WITH_WORK = (
    "regions",
    "organisations",
    "accounts",
    "events",
    "history",
    "patrol",
    "visits",
    "tasks",
    "analytics",
    "assessment",
)
HISTORY_EVENTS = 4_000


@pytest.fixture(scope="session")
def assessed_district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    url = databases.new_url()
    settings = make_settings(tmp_path_factory.mktemp("assessment"), url)
    engine = make_engine(url)
    seed_database(
        engine,
        settings,
        tier=Tier.DISTRICT,
        seed=11,
        reset=False,
        progress=lambda *_: None,
        only=WITH_WORK,
        history_events=HISTORY_EVENTS,
    )
    with TestClient(create_app(settings, engine)) as client:
        yield client, Auth(client), engine
    engine.dispose()
