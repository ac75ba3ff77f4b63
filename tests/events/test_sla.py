from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gridgov.events.models import Event, EventCategory
from gridgov.events.services import classify, sla_flag

CREATED = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def _event(status: str = "handling", closed: datetime | None = None) -> Event:
    return Event(
        created_at=CREATED,
        deadline_at=CREATED + timedelta(hours=10),
        status=status,
        closed_at=closed,
    )


def test_green_yellow_red_done() -> None:
    assert sla_flag(_event(), CREATED + timedelta(hours=5)) == "green"
    assert sla_flag(_event(), CREATED + timedelta(hours=8, minutes=30)) == "yellow"
    assert sla_flag(_event(), CREATED + timedelta(hours=11)) == "red"
    assert sla_flag(_event("closed", CREATED), CREATED + timedelta(hours=11)) == "done"


def test_keyword_rules_pick_the_best_leaf() -> None:
    categories = [
        EventCategory(code="03", name="公用设施", parent_code=None, keywords=[], is_active=True),
        EventCategory(
            code="0301", name="井盖", parent_code="03", keywords=["井盖"], is_active=True
        ),
        EventCategory(
            code="0402",
            name="电动车",
            parent_code="04",
            keywords=["电动车", "飞线充电"],
            is_active=True,
        ),
    ]
    assert classify(categories, "楼道里有人飞线充电给电动车充电").code == "0402"  # type: ignore[union-attr]
    assert classify(categories, "小区门口井盖丢失") is not None
    assert classify(categories, "天气很好") is None
