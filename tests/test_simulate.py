"""`gridgov simulate`: ticks create cases through the real intake and move open ones through
the real actions, as the accounts whose work it is; a failing tick leaves nothing behind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov import config, db, simulate
from gridgov.audit.models import AuditEntry
from gridgov.cli import app
from gridgov.events import services as events
from gridgov.events.models import Event
from gridgov.kit.clock import now
from gridgov.kit.errors import Conflict
from gridgov.workflow.models import WorkflowInstance, WorkflowStep
from tests.conftest import Auth, Databases

# Who does what in the loop (timeline roles).
ROLES = {
    "accept": {"center_operator"},
    "dispatch": {"center_operator"},
    "void": {"center_operator"},
    "approve": {"center_operator"},
    "rework": {"center_operator"},
    "approve_extension": {"center_operator"},
    "reject_extension": {"center_operator"},
    "supervise": {"center_operator"},
    "receive": {"department_handler"},
    "return": {"department_handler"},
    "feedback": {"department_handler"},
    "request_extension": {"department_handler"},
    "self_settle": {"grid_worker"},
    "rate": {"citizen", "center_operator"},
}


def _counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Event)) or 0,
            session.scalar(select(func.count()).select_from(WorkflowInstance)) or 0,
            session.scalar(select(func.count()).select_from(WorkflowStep)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


@pytest.fixture(scope="module")
def engine(fresh_events: tuple[TestClient, Auth, Engine]) -> Engine:
    return fresh_events[2]


def test_ticks_create_and_move_cases(engine: Engine) -> None:
    before = _counts(engine)
    started = now()
    lines: list[str] = []
    report = simulate.run(
        engine, rate=30, interval=10, ticks=6, seed=7, sleep=False, echo=lines.append
    )
    # 30 a minute for a simulated minute; about six moves per new case.
    assert report.created == 30 and not report.failed
    assert report.moved >= 150
    assert len(lines) == 1 and f"新增 30 件，推进 {report.moved} 步（" in lines[0]
    after = _counts(engine)
    assert after[0] == before[0] + 30 and after[1] == before[1] + 30
    assert after[2] == before[2] + 30 + report.moved  # a start and one step per move
    with Session(engine) as session:
        steps = session.execute(
            select(WorkflowStep.action, WorkflowStep.actor_role).where(
                WorkflowStep.at >= started, WorkflowStep.action != "start"
            )
        ).all()
        assert Counter(action for action, _ in steps) == report.actions
        for action, role in steps:
            assert role in ROLES[action], (action, role)
        new = session.scalars(select(Event).where(Event.created_at >= started)).all()
        assert len(new) == 30
        assert {e.status for e in new} >= {"reported"}
        assert len({e.region_path for e in new}) > 10
        assert events.verify_timelines(session).broken == []


def test_states_move_forward(engine: Engine) -> None:
    with Session(engine) as session:
        states = Counter(session.scalars(select(Event.status)))
    simulate.run(engine, rate=12, interval=30, ticks=10, seed=8, sleep=False, echo=lambda _: None)
    with Session(engine) as session:
        later = Counter(session.scalars(select(Event.status)))
    assert later["rated"] + later["closed"] > states["rated"] + states["closed"]
    assert later["handling"] + later["feedback"] > 0


def test_a_failing_tick_leaves_nothing_half_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_act = events.act

    def act_then_fail(*args: Any, **kwargs: Any) -> Event:
        real_act(*args, **kwargs)  # the step and the case are written …
        raise Conflict("该案件已被他人处理，请刷新后重试", code="stale_version")  # … then refused

    before = _counts(engine)
    monkeypatch.setattr(events, "act", act_then_fail)
    simulator = simulate.Simulator(engine, rate=30, seed=9)
    report = simulator.tick(10)
    assert report.failed and report.created == 0 and report.retried == simulate.ATTEMPTS
    assert _counts(engine) == before
    monkeypatch.setattr(events, "act", real_act)
    # The next tick works, and every case's version still equals its timeline's length.
    assert simulator.tick(10).created == 5
    with Session(engine) as session:
        versions = dict(
            session.execute(select(WorkflowInstance.id, WorkflowInstance.version)).all()
        )
        lengths = dict(
            session.execute(
                select(WorkflowStep.instance_id, func.count()).group_by(WorkflowStep.instance_id)
            ).all()
        )
    assert versions == lengths


def test_cli_simulate(
    engine: Engine, databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()

    @contextmanager
    def use(url: str) -> Iterator[None]:
        monkeypatch.setenv("GRIDGOV_DATABASE_URL", url)
        monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path))
        config.get_settings.cache_clear()
        yield
        config.get_settings.cache_clear()
        for cached in db._engines.values():
            cached.dispose()
        db._engines.clear()

    with use(databases.new_url()):
        empty = runner.invoke(app, ["simulate", "--ticks", "1"])
        assert empty.exit_code == 1 and "gridgov seed" in empty.output
    with use(engine.url.render_as_string(hide_password=False)):
        before = _counts(engine)[0]
        ran = runner.invoke(
            app, ["simulate", "--rate", "3", "--interval", "60", "--ticks", "1", "--seed", "1"]
        )
        assert ran.exit_code == 0, ran.output
        assert "新增 3 件" in ran.output
        assert _counts(engine)[0] == before + 3
