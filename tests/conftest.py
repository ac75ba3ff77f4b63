"""Shared fixtures: a real database (SQLite file or a throwaway PostgreSQL database), migrated
and seeded with the demo district once per run, and an HTTP client for the app.

``GRIDGOV_TEST_BACKEND=postgresql`` runs the suite on PostgreSQL; the admin URL used to create
and drop the throwaway database is ``GRIDGOV_TEST_PG_URL``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from gridgov.alerts.models import Alert
from gridgov.app import create_app
from gridgov.campaigns.models import Campaign
from gridgov.config import Settings
from gridgov.db import make_engine, session_factory
from gridgov.events.models import Event
from gridgov.mediation.models import Dispute, DisputeAlert
from gridgov.networks.models import RosterEntry
from gridgov.patrol.models import Patrol
from gridgov.registry.models import (
    Building,
    Camera,
    Component,
    House,
    Household,
    Person,
    Place,
    ResourceRecord,
    SpecialGroupMember,
)
from gridgov.reports.models import SavedView
from gridgov.seed.context import Tier
from gridgov.seed.runner import GENERATOR_NAMES, seed_database
from gridgov.tasks.models import Task
from gridgov.visits.models import Visit

BACKEND = os.environ.get("GRIDGOV_TEST_BACKEND", "sqlite")

# Path parameters naming rows that sit in a region: the scope and personal-data walkers fill
# them with real ids.
ROW_PARAMS: dict[str, Any] = {
    "person_id": Person,
    "household_id": Household,
    "building_id": Building,
    "house_id": House,
    "component_id": Component,
    "camera_id": Camera,
    "place_id": Place,
    "record_id": ResourceRecord,
    "member_id": SpecialGroupMember,
    "event_id": Event,
    "roster_entry_id": RosterEntry,
    "dispute_id": Dispute,
    "alert_id": DisputeAlert,
    "patrol_id": Patrol,
    "visit_id": Visit,
    "task_id": Task,
    "campaign_id": Campaign,
    # Early-warning alerts; their routes name them {alert_id} under /api/v1/alerts/ (the
    # cross-scope walker's path_value tells them from dispute alerts).
    "early_alert_id": Alert,
    "view_id": SavedView,
}
PG_ADMIN_URL = os.environ.get(
    "GRIDGOV_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DEMO_PASSWORD = "demo-pass-123"


def pytest_report_header() -> str:
    return f"gridgov database backend: {BACKEND}"


class Databases:
    """Creates databases for the chosen backend and removes them at the end of the run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._created: list[str] = []

    def new_url(self) -> str:
        name = f"gridgov_test_{uuid.uuid4().hex[:10]}"
        if BACKEND == "sqlite":
            return f"sqlite:///{self.root / (name + '.db')}"
        if BACKEND != "postgresql":
            raise RuntimeError(f"unknown GRIDGOV_TEST_BACKEND {BACKEND!r}")
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._created.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self._created:
            return
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


def make_settings(root: Path, url: str, **overrides: Any) -> Settings:
    return Settings(
        var_dir=root,
        database_url=url,
        secret_key="test-secret-key-test-secret-key-0123456789",
        demo_password=DEMO_PASSWORD,
        jobs="off",  # tests run jobs themselves, with a controlled clock
        **overrides,
    )


@pytest.fixture(scope="session")
def demo_settings(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("var"), databases.new_url())


@pytest.fixture(scope="session")
def demo_engine(demo_settings: Settings) -> Iterator[Engine]:
    """One demo district per run, shared by every test that only reads or adds its own rows."""
    engine = _seeded(demo_settings.effective_database_url, demo_settings)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(databases: Databases) -> Iterator[Engine]:
    """A database with nothing in it, not even the schema."""
    engine = make_engine(databases.new_url())
    yield engine
    engine.dispose()


@pytest.fixture
def db(demo_engine: Engine) -> Iterator[Session]:
    session = session_factory(demo_engine)()
    yield session
    session.rollback()
    session.close()


@pytest.fixture(scope="session")
def client(demo_settings: Settings, demo_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(demo_settings, demo_engine)) as test_client:
        yield test_client


class Auth:
    """Bearer headers for demo accounts, logging in once per account and run."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def __call__(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            response = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}


@pytest.fixture(scope="session")
def auth(client: TestClient) -> Auth:
    return Auth(client)


# The three-year history (300,000 cases) is never part of a fixture: tests/seed/test_history.py
# generates a small one of its own.
ALL_BUT_HISTORY = tuple(name for name in GENERATOR_NAMES if name != "history")
FOUNDATION_ONLY = ("regions", "organisations", "accounts")
WITH_EVENTS = ("regions", "organisations", "accounts", "events")


def _seeded(
    url: str,
    settings: Settings,
    only: tuple[str, ...] | None = None,
    *,
    seed: int = 42,
    history_events: int | None = None,
) -> Engine:
    engine = make_engine(url)
    seed_database(
        engine,
        settings,
        tier=Tier.DISTRICT,
        seed=seed,
        reset=False,
        progress=lambda *_: None,
        only=ALL_BUT_HISTORY if only is None else only,
        history_events=history_events,
    )
    return engine


def district_client(
    databases: Databases,
    var_dir: Path,
    only: tuple[str, ...] | None,
    *,
    seed: int = 42,
    history_events: int | None = None,
) -> Iterator[tuple[TestClient, Auth, Engine]]:
    """A demo district of its own, seeded with the ``only`` generators (all but the history
    when None), and a client of the app serving it."""
    url = databases.new_url()
    settings = make_settings(var_dir, url)
    engine = _seeded(url, settings, only=only, seed=seed, history_events=history_events)
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client, Auth(test_client), engine
    engine.dispose()


@pytest.fixture
def fresh(databases: Databases, tmp_path: Path) -> Iterator[tuple[TestClient, Auth, Engine]]:
    """A demo district of its own (territory, organisations, accounts; no residents), for tests
    that change things."""
    yield from district_client(databases, tmp_path, FOUNDATION_ONLY)


@pytest.fixture(scope="session")
def fresh_registry(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Auth, Engine]]:
    """A second full demo district, residents included, for tests that change base data, so the
    shared one stays as seeded. A full seed, made once: tests here add rows of their own."""
    yield from district_client(databases, tmp_path_factory.mktemp("registry"), None)


@pytest.fixture(scope="module")
def fresh_events(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Auth, Engine]]:
    """A district with accounts, the default workflow and a thousand recent cases (no residents),
    for one test module that moves cases."""
    yield from district_client(databases, tmp_path_factory.mktemp("events"), WITH_EVENTS)
