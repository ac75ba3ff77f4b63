"""Runs the generator modules in order inside one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from gridgov import schema
from gridgov.config import Settings
from gridgov.db import unit_of_work
from gridgov.regions.models import Region
from gridgov.seed import (
    accounts,
    alerts,
    analytics,
    assessment,
    campaigns,
    events,
    history,
    mediation,
    networks,
    orgs,
    patrol,
    regions,
    registry,
    reports,
    routing,
    tasks,
    visits,
)
from gridgov.seed.context import Progress, SeedContext, Tier

# Each feature adds its generator here, after the ones whose data it builds on.
GENERATORS: tuple[tuple[str, Callable[[SeedContext], None]], ...] = (
    ("regions", regions.generate),
    ("organisations", orgs.generate),
    ("accounts", accounts.generate),
    ("networks", networks.generate),
    ("registry", registry.generate),
    ("events", events.generate),
    ("routing", routing.generate),
    ("history", history.generate),
    ("mediation", mediation.generate),
    ("patrol", patrol.generate),
    ("campaigns", campaigns.generate),
    ("visits", visits.generate),
    ("tasks", tasks.generate),
    ("analytics", analytics.generate),
    ("reports", reports.generate),
    ("alerts", alerts.generate),
    ("assessment", assessment.generate),
)


GENERATOR_NAMES = tuple(name for name, _ in GENERATORS)


@dataclass(frozen=True)
class SeedReport:
    tier: Tier
    seed: int
    seconds: float
    counts: dict[str, int]


class AlreadySeeded(Exception):
    pass


def is_seeded(engine: Engine) -> bool:
    if not schema.has_schema(engine):
        return False
    with engine.connect() as connection:
        return (connection.scalar(select(func.count()).select_from(Region)) or 0) > 0


def seed_database(
    engine: Engine,
    settings: Settings,
    *,
    tier: Tier,
    seed: int,
    reset: bool,
    progress: Progress,
    only: Sequence[str] | None = None,
    history_events: int | None = None,
) -> SeedReport:
    """Build the demo data. ``only`` names the generators to run (tests that need no residents
    skip the slow ones); a generator's prerequisites must be among them. ``history_events``
    overrides the tier's number of historical cases."""
    started = time.perf_counter()
    if reset and schema.has_schema(engine):
        schema.downgrade(engine, "base")
    schema.upgrade(engine)
    if is_seeded(engine):
        raise AlreadySeeded("数据库中已有数据；如需重建请加 --reset（将清空全部数据）")
    with unit_of_work(engine) as session:
        ctx = SeedContext(
            session=session,
            settings=settings,
            tier=tier,
            seed=seed,
            progress=progress,
            history_events=history_events,
        )
        for name, generate in GENERATORS:
            if only is None or name in only:
                generate(ctx)
    return SeedReport(
        tier=tier, seed=seed, seconds=time.perf_counter() - started, counts=dict(ctx.counts)
    )
