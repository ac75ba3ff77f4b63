"""Household visits: recording, exactly-once retries, the special-group due list, scope."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import GridAssignment, User
from gridgov.audit.models import AuditEntry
from gridgov.db import session_factory
from gridgov.registry.models import Household, Person, SpecialGroupMember
from gridgov.visits import services as visits
from gridgov.visits.models import Visit
from tests.conftest import Auth
from tests.media.test_media import png

Fresh = tuple[TestClient, Auth, Engine]
OWN_STREET = "370811/370811002/"
FOREIGN_STREET = "370811/370811006/"


def _worker_with_due_member(session: Session) -> tuple[str, SpecialGroupMember]:
    """A full-time worker of 许庄街道 and a member of their grid who is due for a visit."""
    rows = session.execute(
        select(User.username, SpecialGroupMember)
        .join(GridAssignment, GridAssignment.user_id == User.id)
        .join(SpecialGroupMember, SpecialGroupMember.region_path == GridAssignment.region_path)
        .where(
            User.username.startswith("gw_"),
            GridAssignment.region_path.startswith(OWN_STREET),
            SpecialGroupMember.visit_every_days <= 30,
            SpecialGroupMember.last_visit_at < datetime.now(UTC) - timedelta(days=40),
        )
        .order_by(SpecialGroupMember.id)
        .limit(1)
    ).first()
    assert rows is not None, "the demo district has no overdue special-group member in 许庄街道"
    return rows[0], rows[1]


def _new_visit(**extra: object) -> dict[str, object]:
    return {"client_id": uuid.uuid4().hex, "summary": "入户走访，了解近况", **extra}


def test_special_group_visit_moves_the_member_out_of_the_due_list(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    with session_factory(engine)() as session:
        username, member = _worker_with_due_member(session)
        real_name = session.scalars(select(Person.name).where(Person.id == member.person_id)).one()
    headers = auth(username)
    due = client.get("/api/v1/visits/due", params={"page_size": 500}, headers=headers)
    assert due.status_code == 200, due.text
    items = due.json()["items"]
    assert member.id in {i["member_id"] for i in items}
    # Masked: the surname and asterisks, never the name itself.
    for item in items:
        assert re.fullmatch(r".\*+", item["name"]), item["name"]
    mine = next(i for i in items if i["member_id"] == member.id)
    assert mine["name"] != real_name and mine["name"][0] == real_name[0]
    assert mine["overdue_days"] > 0
    # Longest overdue first: due dates never go backwards (never-visited ones lead).
    dues = [i["due_at"] for i in items if i["due_at"] is not None]
    assert dues == sorted(dues)

    body = _new_visit(member_id=member.id, kind="special_group", findings="情绪稳定")
    created = client.post("/api/v1/visits", json=body, headers=headers)
    assert created.status_code == 201, created.text
    visit = created.json()
    assert visit["member_id"] == member.id and visit["kind"] == "special_group"
    assert visit["grid_code"] == member.region_path.rstrip("/").split("/")[-1]
    assert visit["household_id"] is not None  # the member's household, from the registry

    due = client.get("/api/v1/visits/due", params={"page_size": 500}, headers=headers).json()
    assert member.id not in {i["member_id"] for i in due["items"]}
    group = client.get(f"/api/v1/special-groups/{member.id}", headers=headers).json()
    assert group["visit_due"] is False
    with session_factory(engine)() as session:
        audit = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "visit.create", AuditEntry.object_id == str(visit["id"])
            )
        ).all()
        assert len(audit) == 1 and audit[0].actor_username == username


def test_a_retry_with_the_same_client_id_records_one_visit(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    with session_factory(engine)() as session:
        username, member = _worker_with_due_member(session)
    headers = auth(username)
    # Made offline an hour ago, sent twice when the phone came back online.
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = _new_visit(member_id=member.id, kind="special_group", visited_at=earlier)
    first = client.post("/api/v1/visits", json=body, headers=headers)
    again = client.post("/api/v1/visits", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert first.json()["id"] == again.json()["id"]
    listed = client.get("/api/v1/visits", params={"member_id": member.id}, headers=headers).json()
    assert [v["client_id"] for v in listed["items"]].count(body["client_id"]) == 1
    with session_factory(engine)() as session:
        count = session.scalar(select(func.count()).where(Visit.client_id == body["client_id"]))
        last = session.scalars(
            select(SpecialGroupMember.last_visit_at).where(SpecialGroupMember.id == member.id)
        ).one()
    assert count == 1
    # The visit's own time, not the moment it reached the server.
    assert last is not None and abs((last - datetime.fromisoformat(earlier)).total_seconds()) < 1


def test_a_worker_cannot_record_a_visit_in_another_street(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    with session_factory(engine)() as session:
        username, _member = _worker_with_due_member(session)
        household = session.scalars(
            select(Household.id).where(Household.region_path.startswith(FOREIGN_STREET)).limit(1)
        ).one()
        member = session.scalars(
            select(SpecialGroupMember.id)
            .where(SpecialGroupMember.region_path.startswith(FOREIGN_STREET))
            .limit(1)
        ).one()
        before = session.scalar(select(func.count()).select_from(Visit))
    headers = auth(username)
    refused = client.post(
        "/api/v1/visits", json=_new_visit(household_id=household), headers=headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "household_not_found"
    refused = client.post(
        "/api/v1/visits",
        json=_new_visit(member_id=member, kind="special_group"),
        headers=headers,
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "member_not_found"
    # A special-group visit needs its member; a visit needs somewhere to be.
    refused = client.post("/api/v1/visits", json=_new_visit(kind="special_group"), headers=headers)
    assert refused.json()["error"]["code"] == "member_required"
    refused = client.post("/api/v1/visits", json=_new_visit(), headers=headers)
    assert refused.json()["error"]["code"] == "visit_target_required"
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Visit)) == before


def test_photos_of_a_visit_are_read_in_its_scope(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    with session_factory(engine)() as session:
        username, member = _worker_with_due_member(session)
    headers = auth(username)
    upload = client.post(
        "/api/v1/media", files={"file": ("p.png", png(), "image/png")}, headers=headers
    )
    assert upload.status_code == 201, upload.text
    media_id = upload.json()["id"]
    created = client.post(
        "/api/v1/visits",
        json=_new_visit(member_id=member.id, kind="special_group", media_ids=[media_id]),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert [m["id"] for m in created.json()["media"]] == [media_id]
    community = member.region_path.rstrip("/").split("/")[-2]
    own = auth(f"comm_{community}")
    assert client.get(f"/api/v1/media/{media_id}/meta", headers=own).status_code == 200
    visit_id = created.json()["id"]
    assert client.get(f"/api/v1/visits/{visit_id}", headers=own).status_code == 200
    foreign = auth("street_nanzhang")
    assert client.get(f"/api/v1/media/{media_id}/meta", headers=foreign).status_code == 404
    assert client.get(f"/api/v1/visits/{visit_id}", headers=foreign).status_code == 404
    # The same photo cannot document a second visit.
    again = client.post(
        "/api/v1/visits",
        json=_new_visit(member_id=member.id, kind="special_group", media_ids=[media_id]),
        headers=headers,
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "bad_media"


def test_seeded_visits_match_the_registry_and_count_per_day(
    client: TestClient, auth: Auth, demo_engine: Engine
) -> None:
    with session_factory(demo_engine)() as session:
        latest = dict(
            session.execute(
                select(Visit.member_id, func.max(Visit.visited_at))
                .where(Visit.kind == "special_group")
                .group_by(Visit.member_id)
            ).all()
        )
        members = session.execute(
            select(SpecialGroupMember.id, SpecialGroupMember.last_visit_at).where(
                SpecialGroupMember.last_visit_at.is_not(None)
            )
        ).all()
        assert len(latest) > 1000
        # Every member's last visit in the registry is a visit record at that very moment.
        mismatched = [m for m, at in members if m in latest and latest[m] != at]
        assert mismatched == []
        assert len(latest) >= 0.95 * len(members)
        # The daily-report count agrees with a count of the rows, and scope applies.
        worker, day = session.execute(
            select(Visit.user_id, func.min(Visit.visited_at))
            .group_by(Visit.user_id)
            .order_by(Visit.user_id)
            .limit(1)
        ).one()
        start = day.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        expected = session.scalar(
            select(func.count()).where(
                Visit.user_id == worker, Visit.visited_at >= start, Visit.visited_at < end
            )
        )
        counted = visits.count_by_user_day(
            session, [worker], start, end, actor=Actor.system("test")
        )
        assert expected is not None and expected >= 1
        assert counted == {worker: expected}
        user = session.get(User, worker)
        assert user is not None
    nobody = auth("street_nanzhang" if "370811002" in user.region_path else "street_xuzhuang")
    listed = client.get("/api/v1/visits", params={"user_id": worker}, headers=nobody)
    assert listed.status_code == 200 and listed.json()["total"] == 0
    mine = client.get("/api/v1/visits", params={"user_id": worker}, headers=auth(user.username))
    assert mine.json()["total"] > 0
