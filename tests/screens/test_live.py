"""Publish after commit: a message queued in a transaction goes out on the pub/sub when it
commits and never when it rolls back; every new case from intake is queued that way."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.db import make_engine, session_factory
from gridgov.events import services as events
from gridgov.events.schemas import EventIn
from gridgov.kit import live, pubsub
from gridgov.regions.models import Region
from gridgov.screens import live as screens_live
from tests.calls.conftest import user_id
from tests.conftest import Auth

GRID = "370811002001001"


@pytest.fixture
def engine(fresh_events: tuple[TestClient, Auth, Engine]) -> Iterator[Engine]:
    """An engine of its own on a district with cases (its categories and workflow), so
    attaching a pub/sub to it leaves the app's alone."""
    own = make_engine(str(fresh_events[2].url.render_as_string(hide_password=False)))
    yield own
    live.detach(own)
    own.dispose()


def _inside(session: Session) -> dict[str, float]:
    region = session.scalars(select(Region).where(Region.code == GRID)).one()
    point = shapely.geometry.shape(__import__("json").loads(region.geometry))
    inner = point.representative_point()
    return {"lon": inner.x, "lat": inner.y}


async def _published(engine: Engine, work: Any, wait: float = 1.0) -> list[dict[str, Any]]:
    bus = pubsub.LocalPubSub()
    live.attach(engine, lambda: bus)
    got: list[dict[str, Any]] = []
    async with await bus.subscribe([live.SCREENS]) as subscription:
        work()
        while True:
            try:
                _, message = await subscription.get(timeout=wait)
            except TimeoutError:
                return got
            got.append(message)


def test_published_after_commit_only(engine: Engine) -> None:
    def commit() -> None:
        with session_factory(engine)() as session:
            screens_live.publish_after_commit(session, {"type": "test", "n": 1})
            assert live.pending(session) == [("screens", {"type": "test", "n": 1})]
            session.commit()

    def roll_back() -> None:
        with session_factory(engine)() as session:
            screens_live.publish_after_commit(session, {"type": "test", "n": 2})
            session.rollback()
            session.commit()  # a later commit of the same session does not revive it

    def abandon() -> None:
        with session_factory(engine)() as session:
            screens_live.publish_after_commit(session, {"type": "test", "n": 3})
            session.close()  # closed without commit

    assert asyncio.run(_published(engine, commit)) == [{"type": "test", "n": 1}]
    assert asyncio.run(_published(engine, roll_back, wait=0.3)) == []
    assert asyncio.run(_published(engine, abandon, wait=0.3)) == []


def test_every_new_case_is_published_with_what_the_screens_show(engine: Engine) -> None:
    created: dict[str, Any] = {}

    def report() -> None:
        with session_factory(engine)() as session:
            actor = accounts.actor_for(
                session, accounts.user_for_token(session, user_id(session, "operator"))
            )
            data = EventIn.model_validate(
                {
                    "title": "大屏推送测试：路灯不亮",
                    "source": "hotline",
                    "location": _inside(session),
                }
            )
            event, new = events.intake(session, data, actor=actor)
            assert new
            assert live.pending(session)[-1][1]["id"] == event.id
            session.commit()
            created.update(id=event.id, code=event.code, path=event.region_path)

    messages = asyncio.run(_published(engine, report))
    assert len(messages) == 1
    message = messages[0]
    assert message["type"] == "event"
    assert (message["id"], message["code"]) == (created["id"], created["code"])
    assert message["title"] == "大屏推送测试：路灯不亮"
    assert message["source"] == "hotline" and message["region_path"] == created["path"]
    assert message["region_path"].endswith(f"{GRID}/")
    assert {"category_code", "lon", "lat", "created_at"} <= set(message)
