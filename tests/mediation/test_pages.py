"""The dispute pages, checked as HTML: the list within the account's scope with filters and
the registration form, a dispute with masked parties, timeline and action forms, the alerts."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.config import Settings
from gridgov.mediation.models import Dispute, DisputeParty
from tests.web.test_pages import _logged_in

COMMUNITY = "370811002001"


def test_list_detail_and_alert_pages(demo_settings: Settings, demo_engine: Engine) -> None:
    browser = _logged_in(demo_settings, demo_engine, f"comm_{COMMUNITY}")
    home = browser.get("/").text
    assert 'href="/disputes"' in home
    listing = browser.get("/disputes", params={"risk_grade": "general"})
    assert listing.status_code == 200
    assert "矛盾纠纷调处" in listing.text and "登记矛盾纠纷" in listing.text
    assert "/api/v1/disputes" in listing.text
    with Session(demo_engine) as session:
        dispute = (
            session.scalars(
                select(Dispute)
                .where(
                    Dispute.region_path.startswith(f"370811/370811002/{COMMUNITY}/"),
                    Dispute.status == "mediating",
                    # Still with the community's committee: once escalated, the community
                    # reads it but no longer acts on it.
                    Dispute.level == "community",
                )
                .limit(1)
            ).first()
            or session.scalars(
                select(Dispute)
                .where(Dispute.region_path.startswith(f"370811/370811002/{COMMUNITY}/"))
                .limit(1)
            ).one()
        )
        parties = list(
            session.scalars(select(DisputeParty).where(DisputeParty.dispute_id == dispute.id))
        )
        foreign = session.scalars(
            select(Dispute.id).where(Dispute.region_path.startswith("370811/370811006/")).limit(1)
        ).one()
    assert dispute.code in listing.text or browser.get(
        "/disputes", params={"q": dispute.code}
    ).text.count(dispute.code)
    page = browser.get(f"/disputes/{dispute.id}")
    assert page.status_code == 200
    text = page.text
    assert dispute.code in text and "调处时间线" in text and "当事人" in text
    assert all(p.name in text for p in parties)
    masked = [p.phone_masked for p in parties if p.phone_masked]
    assert all(m in text for m in masked)
    if dispute.status == "mediating" and dispute.level == "community":
        assert "达成协议" in text and "/actions/agree" in text
    assert browser.get(f"/disputes/{foreign}").status_code == 404
    alerts = browser.get("/disputes/alerts")
    assert alerts.status_code == 200 and "矛盾纠纷预警" in alerts.text
    assert browser.get("/disputes/alerts", params={"status": "open"}).status_code == 200
