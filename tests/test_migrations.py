"""The schema comes from migrations only, and they match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from gridgov import schema
from gridgov.db import Base


def test_migrations_match_the_models(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    schema.import_all_models()
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": schema.include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
    assert schema.is_up_to_date(empty_engine)


def test_downgrade_removes_everything(empty_engine: Engine) -> None:
    schema.upgrade(empty_engine)
    schema.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    schema.upgrade(empty_engine)
    assert "regions" in inspect(empty_engine).get_table_names()


def test_sqlite_runs_in_wal_mode(empty_engine: Engine) -> None:
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("journal modes are a SQLite matter")
    with empty_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
