"""Fixtures of the mediation tests: a district of their own (territory, organisations, accounts
and the demo disputes, no residents) for tests that move time or count, and a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from gridgov.kit import clock
from gridgov.kit.clock import now
from tests.conftest import Auth, Databases, district_client

Fresh = tuple[TestClient, Auth, Engine]
MEDIATION_ONLY = ("regions", "organisations", "accounts", "mediation")


@pytest.fixture(scope="module")
def fresh_mediation(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    yield from district_client(databases, tmp_path_factory.mktemp("mediation"), MEDIATION_ONLY)


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    """now() returns the list's last element; append to move time."""
    moments = [now()]
    clock.set_clock(lambda: moments[-1])
    yield moments
    clock.reset_clock()
