"""The campaign pages as HTML, and the demo campaigns the seed writes."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.campaigns import catalog, forms
from gridgov.campaigns.models import Campaign, CampaignForm, CampaignResponse, CampaignTarget
from gridgov.config import Settings
from gridgov.kit.crypto import FieldCipher
from tests.web.test_pages import _logged_in


def seeded(engine: Engine) -> tuple[Campaign, Campaign]:
    with Session(engine) as session:
        finished = session.scalars(
            select(Campaign).where(Campaign.status == "closed").order_by(Campaign.id)
        ).first()
        running = session.scalars(
            select(Campaign)
            .where(Campaign.region_path == "370811/370811006/")
            .order_by(Campaign.id)
        ).first()
        assert finished is not None and running is not None
        session.expunge_all()
        return finished, running


def test_the_seed_writes_a_finished_and_a_running_campaign(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    finished, running = seeded(demo_engine)
    cipher = FieldCipher(demo_settings.effective_data_key())
    with Session(demo_engine) as session:
        form = session.scalars(
            select(CampaignForm).where(CampaignForm.code == catalog.EPIDEMIC_CODE)
        ).one()
        spec = forms.load(form.definition)
        for campaign, low, high in ((finished, 0.9, 1.0), (running, 0.3, 0.5)):
            statuses = list(
                session.scalars(
                    select(CampaignTarget.status).where(CampaignTarget.campaign_id == campaign.id)
                )
            )
            assert len(statuses) == campaign.target_count > 1000
            assert low < statuses.count("done") / len(statuses) < high
        responses = list(session.scalars(select(CampaignResponse)))
        assert len(responses) > 5000
        with_phone = 0
        for response in responses:
            values = response.answers
            # Phones are stored masked; the plain ones are sealed and fit the form.
            plain = {}
            if response.sealed:
                with_phone += 1
                plain = json.loads(cipher.decrypt(response.sealed))
            for index, person in enumerate(values.get("outsiders", [])):
                if "phone" in person:
                    assert "*" in person["phone"]
                    person["phone"] = plain[f"outsiders[{index}].phone"]
            _, errors = forms.validate_values(spec, values)
            assert errors == [], (response.id, errors)
        assert with_phone > 100


def test_campaign_pages(demo_settings: Settings, demo_engine: Engine) -> None:
    finished, running = seeded(demo_engine)
    staff = _logged_in(demo_settings, demo_engine, "street_nanzhang")
    assert 'href="/campaigns"' in staff.get("/").text
    listing = staff.get("/campaigns").text
    assert running.title in listing and finished.title in listing
    assert "发起排查" in listing
    page = staff.get(f"/campaigns/{running.id}")
    assert page.status_code == 200
    html = page.text
    assert "排查统计" in html and "外来人员来源地" in html and "疫苗接种剂次" in html
    assert "按社区" in html and "合计" in html and "结束排查" in html
    grid_view = staff.get(f"/campaigns/{running.id}", params={"level": "grid"}).text
    assert "370811006001001" in grid_view
    assert staff.get("/campaigns/new").status_code == 200
    assert staff.get("/admin/campaign-forms").status_code == 403

    other = _logged_in(demo_settings, demo_engine, "street_xuzhuang")
    assert other.get(f"/campaigns/{running.id}").status_code == 404
    assert running.title not in other.get("/campaigns").text

    worker = _logged_in(demo_settings, demo_engine, "gw_370811006001001")
    mine = worker.get(f"/campaigns/{running.id}").text
    assert "data-fill=" in mine and "/static/js/campaign-page.js" in mine
    assert worker.get("/campaigns/new").status_code == 403

    admin = _logged_in(demo_settings, demo_engine, "admin")
    editor = admin.get("/admin/campaign-forms")
    assert editor.status_code == 200
    assert "排查表管理" in editor.text and catalog.EPIDEMIC_CODE in editor.text
    assert "/static/js/campaign-editor.js" in editor.text
    with Session(demo_engine) as session:
        form_id = session.scalars(select(CampaignForm.id)).first()
    assert "保存为新版本" in admin.get("/admin/campaign-forms", params={"form_id": form_id}).text
