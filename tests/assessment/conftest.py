"""Fixtures of the assessment tests: a district of their own with a small case history, field
work (patrols, visits, tasks), the analytics rollups and the assessment seed (default schemes,
the last two months frozen), for tests that compute exactly or change cases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import Auth, Databases, district_client

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
    yield from district_client(
        databases,
        tmp_path_factory.mktemp("assessment"),
        WITH_WORK,
        seed=11,
        history_events=HISTORY_EVENTS,
    )
