"""Two app processes sharing one Redis: an operator connected to one and a worker connected to
the other still reach each other (GRIDGOV_REDIS_URL). Also the sweep job for calls a process
left live when it went away."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.app import create_app
from gridgov.audit.models import AuditEntry
from gridgov.calls import services
from gridgov.calls.signalling import online_user_ids
from gridgov.config import Settings
from gridgov.jobs import calls_sweep
from gridgov.kit import clock, pubsub
from gridgov.kit.clock import now
from tests.calls.conftest import XUZHUANG_WORKER, call_row, connect, user_id
from tests.conftest import Auth
from tests.kit.test_pubsub import redis_url


def test_the_parties_may_be_connected_to_different_processes(
    demo_settings: Settings, demo_engine: Engine, db: Session
) -> None:
    url = redis_url()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    first, second = create_app(demo_settings, demo_engine), create_app(demo_settings, demo_engine)
    for app in (first, second):
        app.state.realtime = pubsub.connect(url, namespace=namespace)
    call_id = uuid.uuid4().hex
    with (
        TestClient(first) as one,
        TestClient(second) as two,
        connect(one, Auth(one), "operator") as operator,
        connect(two, Auth(two), XUZHUANG_WORKER) as worker,
    ):
        # Either process sees both online.
        both = {operator.hello["user_id"], worker.hello["user_id"]}
        assert both <= online_user_ids(first.state.realtime.presence)
        assert both <= online_user_ids(second.state.realtime.presence)
        operator.send(type="invite", call_id=call_id, to=worker.hello["user_id"])
        operator.expect("calling")
        worker.expect("invite")
        worker.send(type="accept", call_id=call_id)
        worker.expect("accepted")
        operator.expect("accept")
        operator.send(type="offer", call_id=call_id, sdp={"type": "offer", "sdp": "v=0"})
        assert worker.expect("offer")["sdp"]["sdp"] == "v=0"
        worker.send(type="hangup", call_id=call_id)
        worker.expect("ended")
        assert operator.expect("ended")["reason"] == "hangup"
    assert call_row(db, call_id).status == "ended"


def test_the_sweep_closes_calls_left_live(db: Session, demo_engine: Engine) -> None:
    """A process that dies mid-call leaves its calls ringing or answered; the job ends them,
    and leaves a call that is still ringing in time alone."""
    operator = accounts.actor_for(db, accounts.user_for_token(db, user_id(db, "operator")))
    worker = accounts.actor_for(db, accounts.user_for_token(db, user_id(db, XUZHUANG_WORKER)))
    assert worker.id is not None
    ringing, answered, recent = (uuid.uuid4().hex for _ in range(3))
    then = now() - timedelta(hours=5)
    clock.set_clock(lambda: then)
    try:
        services.start_call(db, ringing, worker.id, actor=operator, online={worker.id})
        services.start_call(db, answered, worker.id, actor=operator, online={worker.id})
        services.answer_call(db, answered, actor=worker)
    finally:
        clock.reset_clock()
    services.start_call(db, recent, worker.id, actor=operator, online={worker.id})
    db.commit()

    assert calls_sweep(demo_engine) >= 2
    assert (call_row(db, ringing).status, call_row(db, ringing).end_reason) == ("missed", "lost")
    assert (call_row(db, answered).status, call_row(db, answered).end_reason) == ("ended", "lost")
    assert call_row(db, answered).answered_at is not None
    assert call_row(db, recent).status == "ringing"
    who = db.scalars(
        select(AuditEntry.actor_username).where(
            AuditEntry.object_id == answered, AuditEntry.action == "call.end"
        )
    ).all()
    assert who == ["calls-sweep"]
    services.end_call(db, recent, actor=operator)
    db.commit()
