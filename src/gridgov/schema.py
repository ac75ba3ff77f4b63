"""Creating, upgrading and resetting the schema, always through Alembic."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

FEATURE_MODELS = (
    "gridgov.regions.models",
    "gridgov.orgs.models",
    "gridgov.accounts.models",
    "gridgov.audit.models",
    "gridgov.registry.models",
    "gridgov.workflow.models",
    "gridgov.events.models",
    "gridgov.notifications.models",
    "gridgov.media.models",
    "gridgov.mediation.models",
    "gridgov.networks.models",
    "gridgov.routing.models",
    "gridgov.gis.models",
    "gridgov.citizen.models",
    "gridgov.open311.models",
    "gridgov.visits.models",
    "gridgov.tasks.models",
    "gridgov.patrol.models",
    "gridgov.calls.models",
    "gridgov.campaigns.models",
    "gridgov.analytics.models",
    "gridgov.assessment.models",
    "gridgov.alerts.models",
    "gridgov.reports.models",
    "gridgov.kit.refcache",
)


# Schema objects made by migrations on purpose without a model: the 2-D point indexes (the
# SQLite R*Tree virtual table with its shadow tables, the PostgreSQL GiST expression index) and
# the free-text case index (the SQLite FTS5 table, the PostgreSQL GIN expression index).
# Autogenerate and the migrations-equal-models test skip them by name.
UNMODELLED_PREFIXES = (
    "components_rtree",
    "ix_components_point",
    "events_fts",
    "ix_events_search_terms",
)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    return not (name or "").startswith(UNMODELLED_PREFIXES)


def import_all_models() -> None:
    for module in FEATURE_MODELS:
        importlib.import_module(module)


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_up_to_date(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new migration from the difference between models and database."""
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
