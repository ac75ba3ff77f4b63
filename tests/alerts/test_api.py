"""Alerts over HTTP and as pages: the list of one's area, the detail with the cases behind it,
acknowledge and close (audited), refusal for other areas and for those who only read."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.alerts.models import Alert
from gridgov.audit.models import AuditEntry
from gridgov.events.models import Event
from gridgov.kit.clock import now
from tests.alerts.conftest import Fresh
from tests.web.test_pages import _logged_in

XUZHUANG = "370811/370811002/"
NANZHANG = "370811/370811006/"


def _alert(session: Session, street: str, title: str) -> Alert:
    """A recurrence alert over three real cases of the street's first community."""
    cases = list(
        session.scalars(
            select(Event).where(Event.region_path.startswith(street)).order_by(Event.id).limit(3)
        )
    )
    community = "/".join(cases[0].region_path.split("/")[:3]) + "/"
    alert = Alert(
        kind="recurrence",
        status="open",
        dedupe_key=f"recurrence:test:{title}",
        title=title,
        explanation=f"{title}：30日内 同一地点 上报 3 次",
        region_path=community,
        category_code=cases[0].category_code,
        lon=cases[0].lon,
        lat=cases[0].lat,
        score=3.0,
        event_ids=[c.id for c in cases],
        details={},
        detected_at=now(),
        updated_at=now(),
        note="",
    )
    session.add(alert)
    session.commit()
    return alert


def test_acknowledge_and_close_in_ones_own_area_only(alerts_district: Fresh) -> None:
    client, auth, engine = alerts_district
    with Session(engine) as session:
        mine = _alert(session, XUZHUANG, "许庄测试预警")
        theirs = _alert(session, NANZHANG, "南张测试预警")
        mine_id, theirs_id, mine_events = mine.id, theirs.id, list(mine.event_ids)
    street = auth("street_xuzhuang")

    listing = client.get(
        "/api/v1/alerts", params={"page_size": 200, "status": "all"}, headers=street
    )
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert mine_id in {a["id"] for a in items}
    assert all(a["region_path"].startswith(XUZHUANG) for a in items)
    assert "南张测试预警" not in listing.text

    detail = client.get(f"/api/v1/alerts/{mine_id}", headers=street).json()
    assert detail["kind_label"] == "反复发生" and detail["status_label"] == "待处理"
    assert [c["id"] for c in detail["cases"]] == mine_events

    # Another street's alert: not found, and nothing changes.
    assert client.get(f"/api/v1/alerts/{theirs_id}", headers=street).status_code == 404
    refused = client.post(
        f"/api/v1/alerts/{theirs_id}/acknowledge", json={"note": "越权"}, headers=street
    )
    assert refused.status_code == 404
    # Those who only read (grid workers) may not acknowledge.
    worker = client.post(
        f"/api/v1/alerts/{mine_id}/acknowledge",
        json={"note": ""},
        headers=auth("gw_370811002001001"),
    )
    assert worker.status_code in (403, 404)

    done = client.post(
        f"/api/v1/alerts/{mine_id}/acknowledge", json={"note": "已安排核查"}, headers=street
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "street_xuzhuang"
    twice = client.post(f"/api/v1/alerts/{mine_id}/acknowledge", json={}, headers=street)
    assert twice.status_code == 422 and twice.json()["error"]["code"] == "alert_not_open"
    no_note = client.post(f"/api/v1/alerts/{mine_id}/close", json={"note": " "}, headers=street)
    assert no_note.status_code == 422 and no_note.json()["error"]["code"] == "note_required"
    closed = client.post(
        f"/api/v1/alerts/{mine_id}/close", json={"note": "已合并处置，井盖更换"}, headers=street
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["note"] == "已合并处置，井盖更换"

    with Session(engine) as session:
        audits = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "alert", AuditEntry.object_id == str(mine_id))
                .order_by(AuditEntry.id)
            )
        )
        assert [a.action for a in audits] == ["alert.acknowledge", "alert.close"]
        assert all(a.actor_username == "street_xuzhuang" for a in audits)
        assert audits[0].region_path.startswith(XUZHUANG)
        other = session.get(Alert, theirs_id)
        assert other is not None and other.status == "open"

    counts = client.get("/api/v1/alerts/counts", headers=auth("leader")).json()["counts"]
    assert set(counts) == {"abnormal_rise", "recurrence", "sla_risk", "visit_overdue"}
    bad = client.get("/api/v1/alerts", params={"kind": "nonsense"}, headers=street)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_kind"
    risks = client.get("/api/v1/alerts/sla-risk", headers=street)
    assert risks.status_code == 200
    assert all(0.6 <= r["probability"] <= 1 for r in risks.json())


def test_pages_list_and_explain(alerts_district: Fresh) -> None:
    client, _, engine = alerts_district
    with Session(engine) as session:
        alert = _alert(session, XUZHUANG, "许庄页面预警")
        alert_id, event_ids = alert.id, list(alert.event_ids)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    browser = _logged_in(settings, engine, "street_xuzhuang")
    home = browser.get("/").text
    assert 'href="/alerts"' in home
    listing = browser.get("/alerts", params={"kind": "recurrence"})
    assert listing.status_code == 200
    assert "许庄页面预警" in listing.text and "反复发生" in listing.text
    page = browser.get(f"/alerts/{alert_id}")
    assert page.status_code == 200
    assert "许庄页面预警：30日内 同一地点 上报 3 次" in page.text
    assert all(f'href="/events/{i}"' in page.text for i in event_ids)
    assert f"/api/v1/alerts/{alert_id}/acknowledge" in page.text
    assert f"/api/v1/alerts/{alert_id}/close" in page.text
    # Grid workers read their grids' alerts but have no forms.
    worker = _logged_in(settings, engine, "gw_370811002001001")
    assert "/close" not in worker.get("/alerts").text
