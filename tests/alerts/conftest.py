"""Fixtures of the early-warning tests: a district of their own with a small case history and
its rollups (the seed's scan has run over it), and a helper that writes cases directly, for
injecting anomalies."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.events.models import Event, EventCategory
from gridgov.regions.models import Region
from tests.conftest import Auth, Databases, district_client

Fresh = tuple[TestClient, Auth, Engine]
WITH_HISTORY = (
    "regions",
    "organisations",
    "accounts",
    "registry",
    "events",
    "history",
    "visits",
    "analytics",
    "alerts",
)
HISTORY_EVENTS = 3_000
_serial = itertools.count(1)


@pytest.fixture(scope="session")
def alerts_district(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fresh]:
    yield from district_client(
        databases,
        tmp_path_factory.mktemp("alerts"),
        WITH_HISTORY,
        seed=11,
        history_events=HISTORY_EVENTS,
    )


def a_grid(session: Session, community_index: int = 0) -> Region:
    """The first basic grid of the n-th community (by code)."""
    communities = list(
        session.scalars(select(Region).where(Region.level == "community").order_by(Region.code))
    )
    community = communities[community_index]
    return session.scalars(
        select(Region)
        .where(Region.level == "grid", Region.path.startswith(community.path))
        .order_by(Region.code)
    ).first()  # type: ignore[return-value]


def a_leaf(session: Session, index: int = 0) -> EventCategory:
    return list(
        session.scalars(
            select(EventCategory)
            .where(EventCategory.parent_code.is_not(None))
            .order_by(EventCategory.code)
        )
    )[index]


def add_case(
    session: Session,
    grid: Region,
    category: str,
    created_at: datetime,
    *,
    lon: float | None = None,
    lat: float | None = None,
    hours: float = 40,
    closed_after: float | None = None,
    status: str | None = None,
    level: str = "grid",
    department_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Event:
    """A case written directly (an injected anomaly), with its deadline ``hours`` after it
    was reported and, with ``closed_after``, closed that many hours after."""
    n = next(_serial)
    closed = created_at + timedelta(hours=closed_after) if closed_after is not None else None
    event = Event(
        code=f"YJ{n:08d}",
        title=f"预警测试案件 {n}",
        description="",
        category_code=category,
        source="grid_worker",
        urgency="normal",
        lon=grid.centroid_lon if lon is None else lon,
        lat=grid.centroid_lat if lat is None else lat,
        address=f"测试地址 {n}",
        region_path=grid.path,
        special_grids=[],
        status=status or ("closed" if closed else "handling"),
        level=level,
        department_id=department_id,
        reporter_key=f"test-alerts-{n}",
        deadline_at=created_at + timedelta(hours=hours),
        warn_at=created_at + timedelta(hours=hours * 0.8),
        sla_stage=0,
        created_at=created_at,
        updated_at=max(created_at, closed or created_at),
        closed_at=closed,
        extra=extra or {},
    )
    session.add(event)
    session.flush()
    return event
