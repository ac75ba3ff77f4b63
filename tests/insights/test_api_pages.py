"""Hotspots, frequent persons and the forecast through the API and the page, on a district of
their own with cases injected into a quiet stretch of the past (2021), and on the demo district
(disputes, rollups)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.analytics import services as analytics
from gridgov.config import Settings
from gridgov.db import session_factory
from gridgov.events.models import Event
from gridgov.insights.hotspots import cell_of
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.mediation.models import DisputeParty
from gridgov.regions.models import Region
from tests.conftest import Auth

Fresh = tuple[TestClient, Auth, Engine]
PERIOD = (date(2021, 3, 1), date(2021, 3, 7))  # a Monday to Sunday; baseline: 8 weeks before
CALLER = "13912345678"


@dataclass
class Injected:
    cluster_cell: str
    cluster_ids: list[int]
    citizen_ids: list[int]
    hotline_ids: list[int]
    anonymous_ids: list[int]
    single_id: int
    xuzhuang: str  # 许庄街道's path: the cluster lies outside it


def _at(day: date, hour: int) -> datetime:
    # Noon-ish local time (UTC+8) of the day, stored in UTC.
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture(scope="module")
def injected(fresh_events: Fresh) -> Iterator[tuple[TestClient, Auth, Injected]]:
    client, auth, engine = fresh_events
    rnd = random.Random(10)
    with session_factory(engine)() as session:
        xuzhuang = session.scalar(select(Region.path).where(Region.name.like("许庄%")))
        assert xuzhuang
        cases = list(session.scalars(select(Event).order_by(Event.id)))
        template = next(e for e in cases if not e.region_path.startswith(xuzhuang))
        citizen = session.scalar(select(User).where(User.username == "citizen1"))
        assert citizen is not None
        serial = [0]

        def add(
            day: date,
            *,
            like: Event,
            jitter: float = 0.0,
            source: str = "grid_worker",
            reporter_id: int | None = None,
            reporter_key: str = "system:test",
            extra: dict[str, object] | None = None,
        ) -> Event:
            serial[0] += 1
            created = _at(day, rnd.randint(1, 10))
            event = Event(
                code=f"INS{serial[0]:07d}",
                title="注入的测试案件",
                category_code=like.category_code,
                source=source,
                lon=like.lon + rnd.uniform(-jitter, jitter),
                lat=like.lat + rnd.uniform(-jitter, jitter),
                region_path=like.region_path,
                status="closed",
                reporter_id=reporter_id,
                reporter_key=reporter_key,
                deadline_at=created + timedelta(days=3),
                warn_at=created + timedelta(days=2),
                created_at=created,
                updated_at=created,
                extra=extra or {},
            )
            session.add(event)
            return event

        # Background: around the district's own case points, 60 a week over nine weeks. The
        # seed puts every case of a grid on one point, so copies are scattered ~150 m around
        # it, as real reports are: piled on 225 points, the background itself makes chance
        # hotspots (one at p = 0.018 once), which is not the thin background this test means.
        first = PERIOD[0] - timedelta(weeks=8)
        for week in range(9):
            for _ in range(60):
                add(
                    first + timedelta(days=7 * week + rnd.randrange(7)),
                    like=rnd.choice(cases),
                    jitter=0.0015,
                )
        cluster = [add(PERIOD[0] + timedelta(days=i % 7), like=template, jitter=0.0002)
                   for i in range(30)]  # fmt: skip
        citizen_cases = [
            add(PERIOD[0] + timedelta(days=i), like=rnd.choice(cases), source="citizen",
                reporter_id=citizen.id, reporter_key=f"user:{citizen.id}")
            for i in range(4)
        ]  # fmt: skip
        cipher = FieldCipher(b"0123456789abcdef0123456789abcdef")
        hotline = {
            "order_no": "X",
            "caller_phone_cipher": cipher.encrypt(CALLER),
            "caller_phone_hash": cipher.search_hash(CALLER),
            "caller_phone_masked": mask_phone(CALLER),
        }
        hotline_cases = [
            add(PERIOD[0] + timedelta(days=i), like=rnd.choice(cases), source="hotline",
                reporter_key="user:1", reporter_id=1, extra={"hotline": dict(hotline)})
            for i in range(3)
        ]  # fmt: skip
        anonymous = [
            add(PERIOD[0] + timedelta(days=i), like=rnd.choice(cases), source="citizen",
                reporter_key="app:0123456789abcdef")
            for i in range(2)
        ]  # fmt: skip
        single = add(PERIOD[0], like=rnd.choice(cases), source="citizen",
                     reporter_key="app:fedcba9876543210")  # fmt: skip
        session.commit()
        facts = Injected(
            cell_of(template.lon, template.lat, 8),
            [e.id for e in cluster],
            [e.id for e in citizen_cases],
            [e.id for e in hotline_cases],
            [e.id for e in anonymous],
            single.id,
            xuzhuang,
        )
    yield client, auth, facts


def _period(start: date = PERIOD[0], end: date = PERIOD[1]) -> dict[str, str]:
    return {"start": start.isoformat(), "end": end.isoformat()}


def test_the_injected_cluster_is_the_hotspot(
    injected: tuple[TestClient, Auth, Injected],
) -> None:
    client, auth, facts = injected
    response = client.get(
        "/api/v1/analytics/hotspots", params={**_period(), "boundary": "true"},
        headers=auth("leader"),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["baseline_periods"] == 8
    assert body["baseline_start"] == (PERIOD[0] - timedelta(weeks=8)).isoformat()
    cells = {c["cell"]: c for c in body["items"]}
    assert facts.cluster_cell in cells
    hot = cells[facts.cluster_cell]
    assert hot["count"] >= 25  # a few jittered copies may fall over the edge
    assert hot["z"] > 3
    assert set(hot["event_ids"]) <= set(facts.cluster_ids) | set(range(1, facts.cluster_ids[0]))
    assert len(hot["boundary"]) == 6
    # The whole answer is about this cell: the background is spread too thin to stand out.
    assert list(cells) == [facts.cluster_cell]
    # A coarser cell still holds it.
    coarse = client.get(
        "/api/v1/analytics/hotspots", params={**_period(), "resolution": 7},
        headers=auth("leader"),
    ).json()  # fmt: skip
    assert [c["cell"] for c in coarse["items"]] == [cell_of(hot["lon"], hot["lat"], 7)]


def test_no_hotspot_on_the_background_alone(
    injected: tuple[TestClient, Auth, Injected],
) -> None:
    client, auth, _ = injected
    week_before = _period(PERIOD[0] - timedelta(days=7), PERIOD[1] - timedelta(days=7))
    body = client.get(
        "/api/v1/analytics/hotspots", params=week_before, headers=auth("leader")
    ).json()
    assert body["total"] == 60
    assert body["items"] == []


def test_hotspots_stay_in_the_readers_area(injected: tuple[TestClient, Auth, Injected]) -> None:
    client, auth, facts = injected
    body = client.get(
        "/api/v1/analytics/hotspots", params=_period(), headers=auth("street_xuzhuang")
    ).json()
    assert facts.cluster_cell not in {c["cell"] for c in body["items"]}
    assert body["total"] < 60 + 30


def test_bad_hotspot_input_is_a_clear_4xx(injected: tuple[TestClient, Auth, Injected]) -> None:
    client, auth, _ = injected
    leader = auth("leader")
    assert client.get(
        "/api/v1/analytics/hotspots", params={"resolution": 6}, headers=leader
    ).status_code == 422  # fmt: skip
    too_long = client.get(
        "/api/v1/analytics/hotspots",
        params={"start": "2020-01-01", "end": "2021-01-01", "baseline_periods": 8},
        headers=leader,
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"] == "period_too_long"


def test_frequent_reporters_are_counted_and_masked(
    injected: tuple[TestClient, Auth, Injected],
) -> None:
    client, auth, facts = injected
    response = client.get(
        "/api/v1/analytics/frequent-persons",
        params={**_period(), "kind": "reporters"},
        headers=auth("leader"),
    )
    assert response.status_code == 200, response.text
    assert CALLER not in response.text
    items = response.json()["items"]
    by_channel = {i["channel"]: i for i in items}
    assert [i["count"] for i in items] == [4, 3, 2]
    citizen = by_channel["citizen"]
    assert citizen["count"] == 4
    assert sorted(citizen["case_ids"]) == facts.citizen_ids
    assert citizen["label"].startswith("市民 ") and "*" in citizen["label"]
    caller = by_channel["hotline"]
    assert caller["label"] == "来电 139****5678"
    assert sorted(caller["case_ids"]) == facts.hotline_ids
    anonymous = by_channel["anonymous"]
    assert sorted(anonymous["case_ids"]) == facts.anonymous_ids
    assert "0123456789abcdef" not in response.text  # keys are opaque digests
    assert all(facts.single_id not in i["case_ids"] for i in items)
    assert citizen["last_at"].startswith((PERIOD[0] + timedelta(days=3)).isoformat()) or citizen[
        "last_at"
    ].startswith((PERIOD[0] + timedelta(days=2)).isoformat())
    # The same person has the same key in another request.
    again = client.get(
        "/api/v1/analytics/frequent-persons", params={**_period(), "limit": 1},
        headers=auth("leader"),
    ).json()["items"]  # fmt: skip
    assert [i["key"] for i in again] == [citizen["key"]]


def test_forecast_of_an_area_without_rollups_is_clear(
    injected: tuple[TestClient, Auth, Injected],
) -> None:
    # This district's rollups were never built: the history is empty, and it says so.
    client, auth, _ = injected
    for horizon in (7, 30):
        response = client.get(
            "/api/v1/analytics/forecast", params={"horizon": horizon}, headers=auth("leader")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["points"]) == horizon
        assert all(p["value"] == 0 for p in body["points"])
        assert body["note"]
        assert body["mape_backtest"] is None
        assert len(body["history"]) == 182
    assert client.get(
        "/api/v1/analytics/forecast", params={"horizon": 8}, headers=auth("leader")
    ).status_code == 422  # fmt: skip


def test_page_shows_hotspots_reporters_and_forecast(
    injected: tuple[TestClient, Auth, Injected],
) -> None:
    client, auth, facts = injected
    page = client.get(
        "/analytics/insights", params={**_period(), "horizon": 7}, headers=auth("leader")
    )
    assert page.status_code == 200, page.text
    text = page.text
    assert "热点与预测" in text
    assert facts.cluster_cell in text
    assert "来电 139****5678" in text
    assert CALLER not in text
    assert 'id="chart-forecast"' in text
    assert "/analytics/insights" in client.get("/analytics", headers=auth("leader")).text


def test_forecast_follows_the_rollups(injected: tuple[TestClient, Auth, Injected]) -> None:
    # Built now: the injected weeks become a history with about 9 cases a day.
    client, auth, _ = injected
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with session_factory(engine)() as session:
        analytics.rollup_full(session, actor=Actor.system("test"))
        session.commit()
    history = {"start": (PERIOD[0] - timedelta(weeks=8)).isoformat(), "end": PERIOD[1].isoformat()}
    body = client.get(
        "/api/v1/analytics/forecast", params={**history, "horizon": 30}, headers=auth("leader")
    ).json()
    assert len(body["history"]) == 63
    total = sum(p["value"] for p in body["history"])
    assert total == 9 * 60 + 30 + 4 + 3 + 2 + 1
    assert body["method"] == "weekday_profile"
    assert body["points"][0]["day"] == (PERIOD[1] + timedelta(days=1)).isoformat()
    assert len(body["points"]) == 30
    mean = total / 63
    assert all(0.3 * mean < p["value"] < 3 * mean for p in body["points"])
    assert all(p["lower"] <= p["value"] <= p["upper"] for p in body["points"])


# --- the demo district: disputes with repeated parties, rollups of the recent cases ---------


def test_frequently_involved_parties_are_masked(
    client: TestClient, auth: Auth, db: Session, demo_settings: Settings
) -> None:
    response = client.get(
        "/api/v1/analytics/frequent-persons",
        params={
            "kind": "involved",
            "start": (date.today() - timedelta(days=3 * 365)).isoformat(),
            "limit": 50,
        },
        headers=auth("leader"),
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items and all(i["count"] >= 2 for i in items)
    assert all(i["case_type"] == "dispute" and i["channel"] == "dispute" for i in items)
    assert all("*" in i["label"] for i in items)
    counts = [i["count"] for i in items]
    assert counts == sorted(counts, reverse=True)
    cipher = FieldCipher(demo_settings.effective_data_key())
    plain: set[str] = set()
    names: set[str] = set()
    for id_cipher, phone_cipher, name in db.execute(
        select(DisputeParty.id_number_cipher, DisputeParty.phone_cipher, DisputeParty.name)
    ):
        plain |= {cipher.decrypt(v) for v in (id_cipher, phone_cipher) if v}
        names.add(name)
    assert not any(value in response.text for value in plain)
    assert not any(len(n) > 1 and f'"{n}' in response.text for n in names)
    # Each person's disputes are really theirs: the first one's parties share one key.
    top = items[0]
    keys = db.execute(
        select(DisputeParty.dispute_id, DisputeParty.party_key).where(
            DisputeParty.dispute_id.in_(top["case_ids"])
        )
    ).all()
    shared = set.intersection(
        *({k for d, k in keys if d == dispute} for dispute in top["case_ids"])
    )
    assert len(shared) >= 1


def test_involved_needs_the_disputes_permission(client: TestClient, auth: Auth) -> None:
    response = client.get(
        "/api/v1/analytics/frequent-persons",
        params={"kind": "involved"},
        headers=auth("dept_cg"),
    )
    assert response.status_code in (403, 404)
    citizen = client.get("/api/v1/analytics/forecast", headers=auth("citizen1"))
    assert citizen.status_code == 403


def test_forecast_on_the_demo_rollups(client: TestClient, auth: Auth) -> None:
    response = client.get(
        "/api/v1/analytics/forecast", params={"horizon": 30, "level": "0.95"},
        headers=auth("leader"),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == 0.95
    assert len(body["points"]) == 30
    assert len(body["history"]) == 182
    days = [p["day"] for p in body["points"]]
    assert days[0] == (date.fromisoformat(body["history"][-1]["day"]) + timedelta(1)).isoformat()
    assert all(p["lower"] <= p["value"] <= p["upper"] for p in body["points"])
    street = client.get(
        "/api/v1/analytics/forecast", params={"region_code": "370811002"},
        headers=auth("street_xuzhuang"),
    )  # fmt: skip
    assert street.status_code == 200
    assert sum(p["value"] for p in street.json()["history"]) <= sum(
        p["value"] for p in body["history"]
    )
