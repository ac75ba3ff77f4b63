"""The whole mediation process through the API, on the shared demo district: register with
residents and a free entry, accept, mediate, agree, the 人民调解协议书 PDF (its text extracted),
performance, follow-up, close; the failed path; who may do what; personal data."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.audit.models import AuditEntry
from gridgov.mediation import pdf
from gridgov.mediation.models import DisputeParty
from gridgov.workflow import services as workflow
from tests.conftest import Auth
from tests.media.test_media import png

COMMUNITY = "370811002001"  # in 许庄街道
MEDIATOR = f"comm_{COMMUNITY}"
FREE_PHONE = "13912345678"
FREE_ID = "370829198805050017"


def residents(client: TestClient, auth: Auth, count: int = 2) -> list[dict[str, Any]]:
    found = client.get(
        "/api/v1/persons",
        params={"region_code": COMMUNITY, "page_size": count},
        headers=auth(MEDIATOR),
    ).json()
    assert len(found["items"]) == count, found
    return list(found["items"])


def register(
    client: TestClient, auth: Auth, user: str = MEDIATOR, **overrides: Any
) -> dict[str, Any]:
    people = residents(client, auth)
    body: dict[str, Any] = {
        "dispute_type": "neighbour",
        "title": "楼上漏水纠纷",
        "description": "楼上卫生间漏水，楼下天花板受损，双方就赔偿发生争执。",
        "address": "许庄社区3号楼",
        "parties": [
            {"role": "applicant", "person_id": people[0]["id"]},
            {"role": "respondent", "person_id": people[1]["id"]},
            {"role": "respondent", "name": "赵外来", "phone": FREE_PHONE, "id_number": FREE_ID},
        ],
        **overrides,
    }
    response = client.post("/api/v1/disputes", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    return dict(response.json())


def act(
    client: TestClient,
    headers: dict[str, str],
    dispute: dict[str, Any],
    action: str,
    status: int = 200,
    **fields: Any,
) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/{action}",
        json={"version": dispute["version"], **fields},
        headers=headers,
    )
    assert response.status_code == status, response.text
    return dict(response.json())


def test_whole_process_with_agreement_pdf(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    headers = auth(MEDIATOR)
    dispute = register(client, auth)
    assert dispute["status"] == "registered" and dispute["code"].startswith("JF")
    assert dispute["level"] == "community"
    assert dispute["organisation"].endswith(("居民委员会", "村民委员会"))
    assert [a["action"] for a in dispute["actions"]][:2] == ["accept", "reject"]
    names = [p["name"] for p in dispute["parties"]]
    # Personal data is masked in every answer.
    free = next(p for p in dispute["parties"] if p["person_id"] is None)
    assert free["phone"] == "139****5678" and FREE_PHONE not in str(dispute)
    assert FREE_ID not in str(dispute)

    dispute = act(client, headers, dispute, "accept", mediators=["王调解"])
    assert dispute["status"] == "accepted" and dispute["mediators"] == ["王调解"]
    dispute = act(
        client,
        headers,
        dispute,
        "session",
        session_date="2026-01-05",
        participants=[names[0], names[1], "王调解"],
        comment="分别听取双方陈述，释法明理。",
    )
    assert dispute["status"] == "mediating"
    act(client, headers, dispute, "session", 422)  # the notes are required
    terms = f"{names[1]}于七日内修复卫生间防水\n{names[1]}赔偿{names[0]}修复费用人民币1500元"
    dispute = act(client, headers, dispute, "agree", terms=terms)
    assert dispute["status"] == "agreed" and dispute["outcome"] == "agreed"
    assert dispute["agreement_available"] is True

    response = client.get(f"/api/v1/disputes/{dispute['id']}/agreement.pdf", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "人民调解协议书" in text
    for name in names:
        assert name in text
    assert "修复卫生间防水" in text and "人民币1500元" in text
    assert dispute["organisation"] in text
    assert FREE_PHONE not in text  # the document carries masked data too

    dispute = act(client, headers, dispute, "perform", performance="fulfilled")
    assert dispute["status"] == "following" and dispute["performance"] == "fulfilled"
    # An agreed dispute is closed only after a follow-up visit.
    refused = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/close",
        json={"version": dispute["version"], "comment": "结案"},
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "follow_up_required"
    dispute = act(client, headers, dispute, "follow_up", comment="电话回访，协议已履行。")
    dispute = act(client, headers, dispute, "close", comment="回访无异常，结案。")
    assert dispute["status"] == "closed" and dispute["closed_at"] is not None
    assert dispute["actions"] == []
    assert [s["action"] for s in dispute["timeline"]] == [
        "start",
        "accept",
        "session",
        "agree",
        "perform",
        "follow_up",
        "close",
    ]
    assert dispute["timeline"][2]["data"]["session_date"] == "2026-01-05"
    with Session(demo_engine) as session:
        instance = workflow.instance_for(session, "dispute", dispute["id"])
        steps = workflow.steps_for(session, instance)
        prev = workflow.GENESIS
        for step in steps:
            assert step.prev_hash == prev
            assert step.hash == workflow.step_hash(prev, workflow._hashed_fields(step))
            prev = step.hash
        actions = set(
            session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.object_type == "dispute",
                    AuditEntry.object_id == str(dispute["id"]),
                )
            )
        )
    assert {"dispute.register", "dispute.agree", "dispute.agreement", "dispute.close"} <= actions


def test_failed_mediation_is_referred_and_closed(client: TestClient, auth: Auth) -> None:
    headers = auth(MEDIATOR)
    dispute = register(client, auth, dispute_type="debt", title="借款纠纷")
    dispute = act(client, headers, dispute, "accept")
    dispute = act(
        client,
        headers,
        dispute,
        "session",
        session_date="2026-01-05",
        participants=["甲", "乙"],
        comment="双方分歧较大。",
    )
    no_pdf = client.get(f"/api/v1/disputes/{dispute['id']}/agreement.pdf", headers=headers)
    assert no_pdf.status_code == 422 and no_pdf.json()["error"]["code"] == "no_agreement"
    dispute = act(client, headers, dispute, "fail", referral="litigation", comment="未达成")
    assert dispute["status"] == "referred" and dispute["outcome"] == "failed"
    assert dispute["referral"] == "litigation"
    dispute = act(client, headers, dispute, "close", comment="已引导诉讼")
    assert dispute["status"] == "closed"


def test_stale_version_is_refused(client: TestClient, auth: Auth) -> None:
    headers = auth(MEDIATOR)
    dispute = act(client, headers, register(client, auth), "accept")
    notes: dict[str, Any] = {
        "session_date": "2026-01-05",
        "participants": ["甲"],
        "comment": "第一次调解",
    }
    act(client, headers, dispute, "session", **notes)
    stale = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/session",
        json={"version": dispute["version"], **notes},
        headers=headers,
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"


def test_grid_worker_reports_but_does_not_mediate(client: TestClient, auth: Auth) -> None:
    people = residents(client, auth)
    grid_code = people[0]["grid_code"]
    worker = f"gw_{grid_code}"
    dispute = register(client, auth, user=worker, grid_code=grid_code)
    assert dispute["actions"] == []
    refused = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/accept",
        json={"version": dispute["version"]},
        headers=auth(worker),
    )
    assert refused.status_code == 403
    # The leader reads, and neither reports nor mediates.
    assert (
        client.get(f"/api/v1/disputes/{dispute['id']}", headers=auth("leader")).status_code == 200
    )
    leader = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/accept",
        json={"version": dispute["version"]},
        headers=auth("leader"),
    )
    assert leader.status_code == 403


def test_registration_is_checked(client: TestClient, auth: Auth, demo_engine: Engine) -> None:
    headers = auth(MEDIATOR)
    base = {"dispute_type": "family", "title": "家庭纠纷"}
    nowhere = client.post(
        "/api/v1/disputes",
        json={**base, "parties": [{"name": "甲"}, {"name": "乙", "role": "respondent"}]},
        headers=headers,
    )
    assert nowhere.status_code == 422 and nowhere.json()["error"]["code"] == "place_required"
    alone = client.post(
        "/api/v1/disputes",
        json={
            **base,
            "grid_code": residents(client, auth)[0]["grid_code"],
            "parties": [{"name": "甲"}],
        },
        headers=headers,
    )
    assert alone.status_code == 422 and alone.json()["error"]["code"] == "parties_required"
    with Session(demo_engine) as session:
        from gridgov.registry.models import Person

        foreign = session.scalars(
            select(Person.id).where(Person.region_path.startswith("370811/370811006/")).limit(1)
        ).one()
    other = client.post(
        "/api/v1/disputes",
        json={**base, "parties": [{"person_id": foreign}, {"name": "乙"}]},
        headers=headers,
    )
    assert other.status_code == 422 and other.json()["error"]["code"] == "party_person_not_found"
    unnamed = client.post(
        "/api/v1/disputes", json={**base, "parties": [{"role": "applicant"}]}, headers=headers
    )
    assert unnamed.status_code == 422


def test_reveal_needs_the_permission_and_is_audited(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    dispute = register(client, auth)
    free = next(p for p in dispute["parties"] if p["person_id"] is None)
    body = {"party_id": free["id"], "reason": "联系当事人安排调解"}
    denied = client.post(
        f"/api/v1/disputes/{dispute['id']}/reveal", json=body, headers=auth("leader")
    )
    assert denied.status_code == 403
    shown = client.post(
        f"/api/v1/disputes/{dispute['id']}/reveal", json=body, headers=auth(MEDIATOR)
    )
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"name": "赵外来", "id_number": FREE_ID, "phone": FREE_PHONE}
    linked = next(p for p in dispute["parties"] if p["person_id"] is not None)
    resident = client.post(
        f"/api/v1/disputes/{dispute['id']}/reveal",
        json={**body, "party_id": linked["id"]},
        headers=auth(MEDIATOR),
    )
    assert resident.status_code == 200 and "*" not in resident.json()["id_number"]
    with Session(demo_engine) as session:
        stored = session.get_one(DisputeParty, free["id"])
        assert stored.phone_cipher and FREE_PHONE not in stored.phone_cipher
        assert stored.id_number_cipher and FREE_ID not in stored.id_number_cipher
        entries = list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action.in_(("dispute_party.reveal", "person.reveal")),
                    AuditEntry.actor_username == MEDIATOR,
                )
            )
        )
    assert {e.action for e in entries} >= {"dispute_party.reveal", "person.reveal"}
    assert all(FREE_PHONE not in str(e.details) for e in entries)


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", (("/nonexistent/font.ttc", 0),))
    with pytest.raises(pdf.FontMissing) as refused:
        pdf.find_font("")
    assert refused.value.code == "pdf_font_missing" and refused.value.status_code == 503
    with pytest.raises(pdf.FontMissing):
        pdf.find_font("/nonexistent/configured.ttf")


def test_meta_lists_types_and_grade_criteria(client: TestClient, auth: Auth) -> None:
    meta = client.get("/api/v1/disputes/meta", headers=auth(MEDIATOR)).json()
    assert [t["label"] for t in meta["types"]][:2] == ["婚姻家庭", "邻里纠纷"]
    assert [g["label"] for g in meta["risk_grades"]] == ["一般", "较大", "重大"]
    assert all(g["criteria"] for g in meta["risk_grades"])
    assert meta["time_limit_days"] == 30


def test_an_event_becomes_a_dispute(client: TestClient, auth: Auth) -> None:
    headers = auth(MEDIATOR)
    events = client.get(
        "/api/v1/events", params={"region_code": COMMUNITY, "page_size": 1}, headers=headers
    ).json()["items"]
    assert events, "the demo has cases in the community"
    event = events[0]
    dispute = register(client, auth, event_id=event["id"], address="")
    assert dispute["source"] == "event" and dispute["source_event_id"] == event["id"]
    assert dispute["grid_code"] == event["grid_code"]
    assert dispute["timeline"][0]["data"]["event_id"] == event["id"]
    foreign = client.get(
        "/api/v1/events", params={"page_size": 1}, headers=auth("street_nanzhang")
    ).json()["items"][0]
    refused = client.post(
        "/api/v1/disputes",
        json={
            "dispute_type": "other",
            "title": "越界转办",
            "event_id": foreign["id"],
            "parties": [{"name": "甲"}, {"name": "乙", "role": "respondent"}],
        },
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "event_not_found"


def test_a_session_carries_attachments_seen_only_within_scope(
    client: TestClient, auth: Auth
) -> None:
    headers = auth(MEDIATOR)
    uploaded = client.post(
        "/api/v1/media", files={"file": ("笔录.png", png(), "image/png")}, headers=headers
    )
    assert uploaded.status_code == 201, uploaded.text
    media_id = uploaded.json()["id"]
    dispute = act(client, headers, register(client, auth), "accept", mediators=["王调解"])
    dispute = act(
        client,
        headers,
        dispute,
        "session",
        session_date="2026-01-05",
        participants=["王调解"],
        comment="调解笔录见附件。",
        media_ids=[media_id],
    )
    session_step = next(s for s in dispute["timeline"] if s["action"] == "session")
    assert session_step["data"]["media_ids"] == [media_id]
    assert [(m["id"], m["step"], m["role"]) for m in dispute["media"]] == [
        (media_id, session_step["seq"], "session")
    ]
    url = dispute["media"][0]["url"]
    shown = client.get(url, headers=headers)
    assert shown.status_code == 200, shown.text
    page = client.get(f"/disputes/{dispute['id']}", headers=headers)
    assert url in page.text
    # Whoever may not see the dispute may not see its files either.
    assert client.get(url, headers=auth("street_nanzhang")).status_code == 404
    # A file is attached once: a second step cannot take it again.
    again = client.post(
        f"/api/v1/disputes/{dispute['id']}/actions/session",
        json={
            "version": dispute["version"],
            "session_date": "2026-01-06",
            "participants": ["王调解"],
            "comment": "再次调解。",
            "media_ids": [media_id],
        },
        headers=headers,
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "bad_media"
