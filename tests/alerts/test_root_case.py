"""合并为根源案件: a recurrence alert becomes one root-cause case, made through the real intake at
the group's spot in its category; the open repeats end merged into it, the closed (and those in
handling) linked, both ways; the alert records it. Later repeats found by the scan are merged
while the root case is open and, once it has closed, bring the alert back with the warning
that the fix did not hold. Refusals (twice, another kind, another area, an account that may not
merge) and a failing merge leave nothing written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.alerts import services
from gridgov.alerts.models import Alert
from gridgov.audit.models import AuditEntry
from gridgov.events import services as events
from gridgov.events.models import Event, EventCategory, Source
from gridgov.events.schemas import ActionIn, EventIn, Location
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.regions.models import Region
from gridgov.workflow.models import WorkflowStep
from tests.alerts.conftest import Fresh, a_leaf, add_case
from tests.web.test_pages import _logged_in

SYSTEM = Actor.system("test-root-case")
XUZHUANG = "370811002/"
NANZHANG = "370811006/"
METRE = 1 / 111_320
STREET = "street_xuzhuang"


def _grid(session: Session, street: str, index: int) -> Region:
    """A basic grid of the street, counted from its last one (the alert API tests use the
    street's first community)."""
    grids = list(
        session.scalars(
            select(Region)
            .where(Region.level == "grid", Region.path.like(f"370811/{street}%"))
            .order_by(Region.code.desc())
        )
    )
    return grids[index]


def _report(session: Session, grid: Region, category: EventCategory, east_m: float) -> Event:
    """A case reported through the real intake a few metres east of the grid's centre."""
    event, _ = events.intake(
        session,
        EventIn(
            title=f"{category.name}又坏了",
            category_code=category.code,
            location=Location(lon=grid.centroid_lon + east_m * METRE, lat=grid.centroid_lat),
            source=Source.GRID_WORKER,
        ),
        actor=SYSTEM,
    )
    return event


def _act(session: Session, event: Event, action: str, **fields: Any) -> None:
    version = events.case_view(session, event, actor=SYSTEM).instance.version
    events.act(session, event.id, action, ActionIn(version=version, **fields), actor=SYSTEM)


def _recurrence(session: Session, ids: list[int]) -> Alert:
    services.scan(session, actor=SYSTEM, kinds=["recurrence"])
    session.commit()
    found = [
        a
        for a in session.scalars(select(Alert).where(Alert.kind == "recurrence"))
        if set(ids) <= set(a.event_ids)
    ]
    assert len(found) == 1, [a.event_ids for a in found]
    return found[0]


def _merge_steps(session: Session, event: Event) -> list[WorkflowStep]:
    return list(
        session.scalars(
            select(WorkflowStep)
            .where(
                WorkflowStep.instance_id == event.workflow_instance_id,
                WorkflowStep.action == "merge",
            )
            .order_by(WorkflowStep.id)
        )
    )


def test_a_recurrence_becomes_one_root_case_and_later_repeats_follow_it(
    alerts_district: Fresh,
) -> None:
    client, auth, engine = alerts_district
    # The cases stay readable (codes, ids) once this session is gone.
    with Session(engine, expire_on_commit=False) as session:
        grid = _grid(session, XUZHUANG, 0)
        # Leaves 20–22 here: the scan tests' abnormal rises use others (a real burst of one
        # leaf today in one community would be an abnormal rise their scans pick up).
        leaf = a_leaf(session, 20)
        department = session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.DEPARTMENT.value)
        ).first()
        assert department is not None
        reported = _report(session, grid, leaf, 0)
        accepted = _report(session, grid, leaf, 8)
        _act(session, accepted, "accept")
        dispatched = _report(session, grid, leaf, 16)
        _act(session, dispatched, "accept")
        _act(session, dispatched, "dispatch", department_id=department.id)
        closed = add_case(
            session,
            grid,
            leaf.code,
            now() - timedelta(days=10),
            lon=grid.centroid_lon + 4 * METRE,
            lat=grid.centroid_lat,
            closed_after=6,
        )
        session.commit()
        ids = [reported.id, accepted.id, dispatched.id, closed.id]
        alert = _recurrence(session, ids)
        alert_id, spot, count = alert.id, (alert.lon, alert.lat), len(alert.event_ids)
        assert alert.status == "open" and alert.root_event_id is None
        events_before = _events(session)

    headers = auth(STREET)
    made = client.post(f"/api/v1/alerts/{alert_id}/root-case", json={}, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["alert"]["root_event_id"] == body["root_event_id"]
    assert body["alert"]["status"] == "acknowledged"
    assert body["alert"]["acknowledged_by"] == STREET
    assert set(body["merged"]) >= {reported.code, accepted.code}
    assert {dispatched.code, closed.code} <= set(body["linked"])
    assert not {dispatched.code, closed.code} & set(body["merged"])

    with Session(engine) as session:
        assert _events(session) == events_before + 1
        root = session.get(Event, body["root_event_id"])
        assert root is not None and root.code == body["root_event_code"]
        # Made by the intake: in the group's category, at its spot, located, timed, in the loop.
        assert root.category_code == leaf.code
        assert (root.lon, root.lat) == pytest.approx(spot)
        assert root.region_path == reported.region_path
        assert root.status == "reported" and root.workflow_instance_id is not None
        assert root.deadline_at > root.created_at
        assert root.source == "street" and root.level == "street"
        assert root.title.startswith("根源问题：") and f"反复发生{count}次" in root.title
        assert all(code in root.description for code in (reported.code, closed.code))
        # The open repeats the workflow lets merge are merged (voided into it) by the operator.
        for case in (_fresh(session, reported), _fresh(session, accepted)):
            assert case.status == "voided"
            assert case.extra["merged_into"] == root.code
            assert case.extra["root_case"] == {"id": root.id, "code": root.code}
            steps = _merge_steps(session, case)
            assert len(steps) == 1 and steps[0].actor_username == STREET
            assert steps[0].data["target_code"] == root.code
        # The one with a department and the closed one are linked and otherwise untouched.
        dispatched, closed = _fresh(session, dispatched), _fresh(session, closed)
        assert dispatched.status == "dispatched" and closed.status == "closed"
        assert dispatched.extra["root_case"]["code"] == closed.extra["root_case"]["code"]
        assert closed.extra["root_case"]["code"] == root.code
        linked = {r["code"]: r["merged"] for r in root.extra["root_of"]}
        assert linked[reported.code] and linked[accepted.code]
        assert linked[dispatched.code] is False and linked[closed.code] is False
        alert = _stored(session, alert_id)
        assert (alert.root_event_id, alert.root_event_code) == (root.id, root.code)
        assert f"合并为根源案件 {root.code}" in alert.explanation
        audits = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "alert.root_case",
                    AuditEntry.object_id == str(alert_id),
                )
            )
        )
        assert len(audits) == 1 and audits[0].actor_username == STREET
        assert audits[0].details["root_event_code"] == root.code
        root_id, root_code = root.id, root.code

    twice = client.post(f"/api/v1/alerts/{alert_id}/root-case", json={}, headers=headers)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "root_case_exists"

    # The pages: the alert links its root case (no second button); both cases link each other.
    settings = client.app.state.settings  # type: ignore[attr-defined]
    browser = _logged_in(settings, engine, STREET)
    page = browser.get(f"/alerts/{alert_id}").text
    assert f'href="/events/{root_id}"' in page and root_code in page
    assert f"/api/v1/alerts/{alert_id}/root-case" not in page
    repeat_page = browser.get(f"/events/{dispatched.id}").text
    assert "根源案件" in repeat_page and f'href="/events/{root_id}"' in repeat_page
    root_page = browser.get(f"/events/{root_id}").text
    assert "关联的反复上报" in root_page
    assert all(f'href="/events/{i}"' in root_page for i in ids)

    # A new repeat at the spot, found by the next scan, is merged into the open root case by
    # the scan's platform actor.
    with Session(engine, expire_on_commit=False) as session:
        later = _report(session, grid, leaf, 12)
        session.commit()
        report = services.scan(session, actor=SYSTEM, kinds=["recurrence"])
        session.commit()
        assert report.root_merged >= 1
        session.refresh(later)
        assert later.status == "voided" and later.extra["merged_into"] == root_code
        assert _merge_steps(session, later)[0].actor_username == SYSTEM.username
        alert = _stored(session, alert_id)
        assert later.id in alert.event_ids
        assert "自动合并到根源案件" in alert.explanation and later.code in alert.explanation
        root = session.get(Event, root_id)
        assert root is not None and later.code in {r["code"] for r in root.extra["root_of"]}
        # Not a second alert for the same spot: the root case is not one more report there.
        assert not [
            a
            for a in session.scalars(select(Alert).where(Alert.kind == "recurrence"))
            if a.id != alert_id and (root_id in a.event_ids or later.id in a.event_ids)
        ]

        # The root case closes; the problem comes back. The repeat is not merged into the
        # closed case and does not reopen it; the alert is 待处理 again and says why.
        closed_at = now() - timedelta(minutes=1)
        root.status, root.closed_at = "closed", closed_at
        session.commit()
        again = _report(session, grid, leaf, 6)
        session.commit()
        services.scan(session, actor=SYSTEM, kinds=["recurrence"])
        session.commit()
        session.refresh(again)
        session.refresh(root)
        assert again.status == "reported" and "merged_into" not in again.extra
        assert root.status == "closed" and root.closed_at == closed_at
        alert = _stored(session, alert_id)
        assert again.id in alert.event_ids
        assert alert.status == "open"
        assert "根源问题可能没有解决" in alert.explanation and again.code in alert.explanation
        assert alert.details["root"]["after_close"] == [again.code]


def _events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Event)) or 0


def _stored(session: Session, alert_id: int) -> Alert:
    found = session.get(Alert, alert_id)
    assert found is not None
    return found


def _fresh(session: Session, event: Event) -> Event:
    found = session.get(Event, event.id)
    assert found is not None
    return found


def _plain_alert(session: Session, street: str, kind: str, title: str) -> Alert:
    grid = _grid(session, street, 3)
    alert = Alert(
        kind=kind,
        status="open",
        dedupe_key=f"{kind}:test-root:{title}",
        title=title,
        explanation=title,
        region_path=grid.path,
        category_code=a_leaf(session, 21).code,
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        score=99.0,  # first in the lists
        event_ids=[],
        details={},
        detected_at=now(),
        updated_at=now(),
        note="",
    )
    session.add(alert)
    session.commit()
    return alert


def test_refusals_write_nothing(alerts_district: Fresh) -> None:
    client, auth, engine = alerts_district
    with Session(engine) as session:
        risk = _plain_alert(session, XUZHUANG, "sla_risk", "根源测试：超期风险")
        theirs = _plain_alert(session, NANZHANG, "recurrence", "根源测试：南张反复发生")
        mine = _plain_alert(session, XUZHUANG, "recurrence", "根源测试：许庄反复发生")
        risk_id, theirs_id, mine_id = risk.id, theirs.id, mine.id
        community = f"comm_{mine.region_path.split('/')[2]}"
        before = _events(session)
    street = auth(STREET)

    not_recurrence = client.post(f"/api/v1/alerts/{risk_id}/root-case", headers=street)
    assert not_recurrence.status_code == 422
    assert not_recurrence.json()["error"]["code"] == "not_recurrence"
    other_area = client.post(f"/api/v1/alerts/{theirs_id}/root-case", json={}, headers=street)
    assert other_area.status_code == 404
    # Community staff and leaders handle alerts but may not merge cases (no events.dispatch).
    for username in (community, "leader"):
        refused = client.post(
            f"/api/v1/alerts/{mine_id}/root-case", json={}, headers=auth(username)
        )
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "root_case_not_allowed"
    # Those who only read alerts see no button either.
    settings = client.app.state.settings  # type: ignore[attr-defined]
    staff = _logged_in(settings, engine, community)
    listing = staff.get("/alerts", params={"kind": "recurrence"}).text
    assert "根源测试：许庄反复发生" in listing and "合并为根源案件</button>" not in listing
    street_list = _logged_in(settings, engine, STREET).get("/alerts", params={"kind": "recurrence"})
    assert f"/api/v1/alerts/{mine_id}/root-case" in street_list.text

    with Session(engine) as session:
        assert _events(session) == before
        for alert_id in (risk_id, theirs_id, mine_id):
            alert = _stored(session, alert_id)
            assert alert.root_event_id is None and alert.status == "open"
        assert not list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "alert.root_case",
                    AuditEntry.object_id.in_([str(risk_id), str(theirs_id), str(mine_id)]),
                )
            )
        )


def test_a_failing_merge_leaves_nothing_written(
    alerts_district: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, auth, engine = alerts_district
    with Session(engine, expire_on_commit=False) as session:
        grid = _grid(session, XUZHUANG, 1)
        leaf = a_leaf(session, 22)
        cases = [_report(session, grid, leaf, 7 * i) for i in range(3)]
        session.commit()
        alert = _recurrence(session, [c.id for c in cases])
        alert_id = alert.id
        before = _events(session)

    real_act: Callable[..., Event] = events.act
    calls: list[int] = []

    def second_merge_fails(session: Session, event_id: int, *args: Any, **kwargs: Any) -> Event:
        calls.append(event_id)
        if len(calls) == 2:
            raise Conflict("该案件已被他人处理，请刷新后重试", code="stale_version")
        return real_act(session, event_id, *args, **kwargs)

    monkeypatch.setattr(events, "act", second_merge_fails)
    failed = client.post(f"/api/v1/alerts/{alert_id}/root-case", json={}, headers=auth(STREET))
    assert failed.status_code == 409 and failed.json()["error"]["code"] == "stale_version"
    assert len(calls) == 2  # the first merge had gone through before the second failed

    with Session(engine) as session:
        assert _events(session) == before
        assert not session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.title.like("根源问题：%"))
            .where(Event.region_path == grid.path)
        )
        for case in cases:
            fresh = session.get(Event, case.id)
            assert fresh is not None and fresh.status == "reported"
            assert "root_case" not in fresh.extra and "merged_into" not in fresh.extra
            assert not _merge_steps(session, fresh)
        alert = _stored(session, alert_id)
        assert alert.root_event_id is None and alert.status == "open"
        assert not list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "alert.root_case", AuditEntry.object_id == str(alert_id)
                )
            )
        )

    # Once the merges go through, the same action succeeds.
    monkeypatch.setattr(events, "act", real_act)
    done = client.post(f"/api/v1/alerts/{alert_id}/root-case", json={}, headers=auth(STREET))
    assert done.status_code == 201, done.text
    assert set(done.json()["merged"]) >= {c.code for c in cases}
