"""The scan over a real database: injected anomalies are found with the numbers a user would
recompute from the cases, re-scans update rather than duplicate, recurrences are one group,
cases history says will be late are flagged and those it says will not are not, overdue visits
are one alert per community."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.alerts import services
from gridgov.alerts.models import Alert
from gridgov.analytics import services as analytics
from gridgov.events.models import Event
from gridgov.kit.clock import now
from gridgov.kit.pagination import PageParams
from gridgov.orgs.models import Organisation
from gridgov.regions.models import Region
from gridgov.visits import services as visits
from tests.alerts.conftest import Fresh, a_grid, a_leaf, add_case

SYSTEM = Actor.system("test-alerts")
ZONE = ZoneInfo("Asia/Shanghai")
METRE = 1 / 111_320


def _scan(session: Session, *kinds: str) -> services.ScanReport:
    analytics.rollup_incremental(session, actor=SYSTEM)
    report = services.scan(session, actor=SYSTEM, kinds=kinds or None)
    session.commit()
    return report


def _community(grid: Region) -> str:
    return "/".join(grid.path.split("/")[:3]) + "/"


def _reported(session: Session, path: str, category: str, first: datetime, last: datetime) -> int:
    """Reports of a category under a region between two local days, counted from the cases."""
    start = datetime.combine(first.date(), datetime.min.time(), ZONE)
    end = datetime.combine(last.date() + timedelta(days=1), datetime.min.time(), ZONE)
    return (
        session.scalar(
            select(func.count()).where(
                Event.region_path.startswith(path),
                Event.category_code.startswith(category),
                Event.created_at >= start,
                Event.created_at < end,
            )
        )
        or 0
    )


def test_an_injected_rise_is_found_with_the_numbers_of_the_cases(alerts_district: Fresh) -> None:
    _, _, engine = alerts_district
    with Session(engine) as session:
        grid = a_grid(session, 5)
        leaf = a_leaf(session, 3)
        moment = now()
        existing = set(session.scalars(select(Alert.id)))
        ids = [
            add_case(session, grid, leaf.code, moment - timedelta(minutes=5 + i)).id
            for i in range(25)
        ]
        session.flush()
        report = _scan(session, "abnormal_rise")
        assert report.found["abnormal_rise"] >= 1
        community = _community(grid)
        key = f"abnormal_rise:day:{leaf.code}:{community}"
        alerts = list(session.scalars(select(Alert).where(Alert.dedupe_key == key)))
        assert len(alerts) == 1
        alert = alerts[0]
        local = moment.astimezone(ZONE)
        expected = _reported(session, community, leaf.code, local, local)
        assert alert.details["count"] == expected >= 25
        history = [
            _reported(
                session,
                community,
                leaf.code,
                local - timedelta(weeks=k),
                local - timedelta(weeks=k),
            )
            for k in range(1, 9)
        ]
        assert alert.details["history"] == history
        mean = sum(history) / 8
        assert f"上报 {expected} 件" in alert.explanation
        assert f"过去8周同期均值 {mean:.1f} 件" in alert.explanation
        assert set(ids) <= set(alert.event_ids)
        assert alert.title.endswith("今日异常上升") and leaf.name in alert.title
        # The street above and the week are the same cause: not separate alerts.
        street = "/".join(grid.path.split("/")[:2]) + "/"
        raised = session.scalars(select(Alert).where(Alert.id.not_in(existing)))
        assert not [
            a
            for a in raised
            if a.dedupe_key
            in (
                f"abnormal_rise:day:{leaf.code}:{street}",
                f"abnormal_rise:week:{leaf.code}:{community}",
            )
        ]

        # Re-scanning changes nothing but the figures: no second alert for the same rise.
        before = session.scalar(select(func.count()).select_from(Alert))
        again = _scan(session, "abnormal_rise")
        assert sum(again.created.values()) == 0
        assert session.scalar(select(func.count()).select_from(Alert)) == before
        for i in range(5):
            add_case(session, grid, leaf.code, moment - timedelta(minutes=1 + i / 10))
        session.flush()
        _scan(session, "abnormal_rise")
        session.refresh(alert)
        assert alert.details["count"] == expected + 5
        assert len(list(session.scalars(select(Alert).where(Alert.dedupe_key == key)))) == 1


def test_reports_at_one_spot_are_one_root_cause_group(alerts_district: Fresh) -> None:
    _, _, engine = alerts_district
    with Session(engine) as session:
        grid = a_grid(session, 7)
        leaf = a_leaf(session, 5)
        lon, lat = grid.centroid_lon, grid.centroid_lat
        moment = now()
        ids = [
            add_case(
                session,
                grid,
                leaf.code,
                moment - timedelta(days=20 - 6 * i),
                lon=lon + 10 * i * METRE,
                lat=lat,
            ).id
            for i in range(3)
        ]
        far = add_case(
            session, grid, leaf.code, moment - timedelta(days=3), lon=lon + 300 * METRE, lat=lat
        )
        old = add_case(session, grid, leaf.code, moment - timedelta(days=45), lon=lon, lat=lat)
        session.flush()
        _scan(session, "recurrence")
        found = [
            a
            for a in session.scalars(select(Alert).where(Alert.kind == "recurrence"))
            if ids[0] in a.event_ids
        ]
        assert len(found) == 1
        alert = found[0]
        assert set(ids) <= set(alert.event_ids)
        assert far.id not in alert.event_ids and old.id not in alert.event_ids
        assert alert.category_code == leaf.code
        assert "3 次" in alert.explanation or f"{len(alert.event_ids)} 次" in alert.explanation
        codes = session.scalars(select(Event.code).where(Event.id.in_(ids)))
        assert all(code in alert.explanation for code in codes)

        # A new repeat joins the open group instead of starting another.
        fourth = add_case(
            session, grid, leaf.code, moment - timedelta(hours=2), lon=lon, lat=lat + 15 * METRE
        )
        session.flush()
        report = _scan(session, "recurrence")
        session.refresh(alert)
        assert fourth.id in alert.event_ids and set(ids) <= set(alert.event_ids)
        assert report.created["recurrence"] == 0 or all(
            fourth.id not in a.event_ids
            for a in session.scalars(select(Alert).where(Alert.kind == "recurrence"))
            if a.id != alert.id
        )

        # Closed: the group is handled; one more report there is not a recurrence yet.
        services.close_alert(session, alert.id, "已统一维修", actor=SYSTEM)
        session.commit()
        fifth = add_case(session, grid, leaf.code, moment - timedelta(hours=1), lon=lon, lat=lat)
        session.flush()
        _scan(session, "recurrence")
        assert not [
            a
            for a in session.scalars(select(Alert).where(Alert.kind == "recurrence"))
            if fifth.id in a.event_ids
        ]


def test_cases_history_says_will_be_late_are_flagged(alerts_district: Fresh) -> None:
    _, _, engine = alerts_district
    with Session(engine) as session:
        grid = a_grid(session, 9)
        late_leaf, early_leaf = a_leaf(session, 7), a_leaf(session, 8)
        departments = list(
            session.scalars(select(Organisation.id).order_by(Organisation.id).limit(2))
        )
        moment = now()
        # History: at the first department, this category closes late four times in five;
        # at the second, the other closes on time throughout its time limit.
        for i in range(30):
            created = moment - timedelta(days=10 + i)
            share = 1.2 + i / 100 if i % 5 else 0.3
            add_case(
                session,
                grid,
                late_leaf.code,
                created,
                closed_after=40 * share,
                level="district",
                department_id=departments[0],
            )
            add_case(
                session,
                grid,
                early_leaf.code,
                created,
                closed_after=40 * (0.1 + i / 35),
                level="district",
                department_id=departments[1],
            )
        # Open now, each half-way through its 40 hours.
        late = add_case(
            session,
            grid,
            late_leaf.code,
            moment - timedelta(hours=20),
            level="district",
            department_id=departments[0],
        )
        early = add_case(
            session,
            grid,
            early_leaf.code,
            moment - timedelta(hours=20),
            level="district",
            department_id=departments[1],
        )
        session.flush()
        _scan(session, "sla_risk")
        risks = services.sla_risk_cases(session, actor=SYSTEM, limit=500)
        by_event = {r.event_id: r for r in risks}
        assert late.id in by_event and early.id not in by_event
        flagged = by_event[late.id]
        assert flagged.probability >= 0.6
        assert flagged.code == late.code and flagged.deadline_at == late.deadline_at
        assert any("历史按期率" in r for r in flagged.reasons)
        assert any("已用时 50%" in r for r in flagged.reasons)
        assert any("当前积压" in r for r in flagged.reasons)

        # Once the case is closed, the scan closes its risk alert.
        late.status, late.closed_at = "closed", moment
        session.flush()
        report = _scan(session, "sla_risk")
        assert report.closed >= 1
        alert = session.get(Alert, flagged.alert_id)
        assert alert is not None and alert.status == "closed"


def test_overdue_visits_are_one_alert_per_community(alerts_district: Fresh) -> None:
    """The seed's scan raised them, over the demo's special groups and visits."""
    with Session(alerts_district[2]) as db:
        due = visits.due_members(db, actor=SYSTEM, page=PageParams(page=1, page_size=50_000))
        # The fixture seeds special groups and visits; an empty list would make this vacuous.
        assert due.items, "the demo district has no special-group member due for a visit"
        grids = {r.code: r.path for r in db.scalars(select(Region).where(Region.level == "grid"))}
        per_community = Counter(
            "/".join(grids[m.grid_code].split("/")[:3]) + "/" for m in due.items
        )
        alerts, total = services.list_alerts(
            db,
            actor=SYSTEM,
            page=PageParams(page=1, page_size=1000),
            kind="visit_overdue",
            status="all",
        )
        assert total == len(per_community)
        for alert in alerts:
            assert alert.details["count"] == per_community[alert.region_path]
            assert f"{per_community[alert.region_path]} 名特殊人群" in alert.title
            assert all("*" in m["name"] for m in alert.details["members"])


def test_a_steady_background_is_quiet_and_a_spike_on_it_is_found(alerts_district: Fresh) -> None:
    """Nine weeks of a steady Poisson background (6 reports a day) in one community and
    category, scanned as of ten days ago (before the demo's burst of recent cases)."""
    _, _, engine = alerts_district
    rng = np.random.default_rng(3)
    with Session(engine) as session:
        grid = a_grid(session, 11)
        leaf = a_leaf(session, 10)
        community, street = _community(grid), "/".join(grid.path.split("/")[:2]) + "/"
        day10 = (now() - timedelta(days=10)).astimezone(ZONE).date()
        local_midnight = datetime.combine(day10, datetime.min.time(), ZONE)
        moment = local_midnight + timedelta(hours=12)
        for back in range(63, -1, -1):
            day = local_midnight - timedelta(days=back) + timedelta(hours=9)
            for n in range(int(rng.poisson(6))):
                add_case(
                    session,
                    grid,
                    leaf.code,
                    day + timedelta(minutes=7 * n),
                    lon=grid.centroid_lon + n * 80 * METRE,
                )
        ours = {(k, path) for k in (leaf.code, leaf.parent_code) for path in (community, street)}

        def raised(report_ids: set[int]) -> list[Alert]:
            return [
                a
                for a in session.scalars(select(Alert).where(Alert.kind == "abnormal_rise"))
                if a.id not in report_ids and (a.category_code, a.region_path) in ours
            ]

        before = set(session.scalars(select(Alert.id)))
        analytics.rollup_incremental(session, actor=SYSTEM)
        services.scan(session, actor=SYSTEM, moment=moment, kinds=["abnormal_rise"])
        assert raised(before) == []

        for n in range(30):
            add_case(
                session,
                grid,
                leaf.code,
                moment - timedelta(minutes=30 + n),
                lon=grid.centroid_lon + n * 80 * METRE,
                lat=grid.centroid_lat + METRE * 90,
            )
        analytics.rollup_incremental(session, actor=SYSTEM)
        services.scan(session, actor=SYSTEM, moment=moment, kinds=["abnormal_rise"])
        found = raised(before)
        assert [(a.category_code, a.region_path) for a in found] == [(leaf.code, community)]
        assert found[0].details["window"] == "day" and found[0].details["count"] >= 30
        session.rollback()
