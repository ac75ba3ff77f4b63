"""Per-process copies of reference rows (kit.refcache): any change to a watched table, by
any writer, is seen by the next request, because database triggers move the revision in the
writing transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from gridgov.accounts.actor import Actor
from gridgov.db import unit_of_work
from gridgov.events import services as events
from gridgov.kit import refcache
from gridgov.seed.territory import build_district
from tests.conftest import Auth


def _revision(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT revision FROM reference_revision")).scalar_one())


def _write(engine: Engine, sql: str, **params: object) -> None:
    """A change made outside the app, as another process or a database tool would make it."""
    with engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.fixture
def district(fresh: tuple[TestClient, Auth, Engine]) -> tuple[TestClient, Auth, Engine]:
    """A district of its own with the default categories and workflow."""
    with unit_of_work(fresh[2]) as session:
        events.install_defaults(session, actor=Actor.system("test"))
    return fresh


def test_every_watched_table_moves_the_revision_in_the_writing_transaction(
    district: tuple[TestClient, Auth, Engine],
) -> None:
    _client, _auth, engine = district
    changes = {
        "users": "UPDATE users SET display_name = display_name || '改' WHERE username = 'operator'",
        "grid_assignments": "DELETE FROM grid_assignments WHERE id = "
        "(SELECT min(id) FROM grid_assignments)",
        "event_categories": "UPDATE event_categories SET name = name || '改' WHERE code = '0101'",
        "workflow_bindings": "INSERT INTO workflow_bindings "
        "(subject_type, category_code, level, workflow_code, updated_at, updated_by) "
        "VALUES ('event', '0101', '', 'event_default', CURRENT_TIMESTAMP, 'test')",
        "workflow_definitions": "UPDATE workflow_definitions SET name = name || '改'",
    }
    assert set(changes) == set(refcache.WATCHED_TABLES)
    for table, sql in changes.items():
        before = _revision(engine)
        _write(engine, sql)
        assert _revision(engine) > before, table

    before = _revision(engine)
    with engine.connect() as connection:  # a change rolled back leaves the revision alone
        transaction = connection.begin()
        connection.execute(text("UPDATE users SET is_active = FALSE"))
        transaction.rollback()
    assert _revision(engine) == before
    _write(engine, "UPDATE regions SET name = name WHERE id = 1")  # not a watched table
    assert _revision(engine) == before


def test_requests_see_a_change_made_outside_the_app(
    district: tuple[TestClient, Auth, Engine],
) -> None:
    client, auth, engine = district
    operator = auth("operator")
    spot = next(r for r in build_district(42).regions if r.level == "grid")
    point = spot.polygon.representative_point()
    body = {
        "title": "垃圾堆放",
        "category_code": "0101",
        "source": "grid_worker",
        "location": {"lon": point.x, "lat": point.y},
    }

    first = client.post("/api/v1/events", json=body, headers=operator)
    assert first.status_code == 201, first.text
    assert first.json()["category_name"] == "垃圾堆放"
    again = client.post("/api/v1/events", json=body, headers=operator)  # from the copies
    assert again.json()["category_name"] == "垃圾堆放"

    _write(engine, "UPDATE event_categories SET name = '生活垃圾堆放' WHERE code = '0101'")
    renamed = client.post("/api/v1/events", json=body, headers=operator)
    assert renamed.json()["category_name"] == "生活垃圾堆放"

    _write(engine, "UPDATE event_categories SET is_active = FALSE WHERE code = '0101'")
    refused = client.post("/api/v1/events", json=body, headers=operator)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_category"

    assert client.get("/api/v1/auth/me", headers=operator).status_code == 200
    _write(engine, "UPDATE users SET is_active = FALSE WHERE username = 'operator'")
    gone = client.get("/api/v1/auth/me", headers=operator)
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "invalid_token"
    _write(engine, "UPDATE users SET is_active = TRUE WHERE username = 'operator'")
    assert client.get("/api/v1/auth/me", headers=operator).status_code == 200
