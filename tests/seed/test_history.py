"""The three-year case history (seed/history.py), generated small: what a user of the demo
would check — it spans three years with seasons, nine in ten cases close on time, every
timeline ends where its case stands and its hash chain verifies, some citizens report again
and again, and the same seed gives the same history."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.db import make_engine
from gridgov.events import services as events
from gridgov.events.models import Event, Source
from gridgov.events.schemas import EventIn, Location
from gridgov.kit.calendar import WorkCalendar
from gridgov.kit.clock import reset_clock, set_clock
from gridgov.seed.context import Tier
from gridgov.seed.history import LUNAR_NEW_YEAR, WorkingClock
from gridgov.seed.runner import seed_database
from gridgov.workflow.definition import SAME
from gridgov.workflow.models import WorkflowInstance, WorkflowStep
from tests.conftest import FOUNDATION_ONLY, Databases, make_settings

NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
SMALL = 2_000
HISTORY_ONLY = (*FOUNDATION_ONLY, "history")


def _seed(databases: Databases, var_dir: Path) -> Engine:
    url = databases.new_url()
    engine = make_engine(url)
    set_clock(lambda: NOW)
    try:
        seed_database(
            engine,
            make_settings(var_dir, url),
            tier=Tier.DISTRICT,
            seed=42,
            reset=False,
            progress=lambda *_: None,
            only=HISTORY_ONLY,
            history_events=SMALL,
        )
    finally:
        reset_clock()
    return engine


@pytest.fixture(scope="module")
def history(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _seed(databases, tmp_path_factory.mktemp("history"))
    yield engine
    engine.dispose()


@pytest.fixture
def db(history: Engine) -> Iterator[Session]:
    with Session(history) as session:
        yield session
        session.rollback()


def test_spans_three_years_up_to_now(db: Session) -> None:
    count, first, last = db.execute(
        select(func.count(), func.min(Event.created_at), func.max(Event.created_at))
    ).one()
    assert count == SMALL
    assert NOW - timedelta(days=1100) <= first <= NOW - timedelta(days=1080)
    assert NOW - timedelta(days=3) <= last <= NOW


def test_seasons_summer_busier_than_the_spring_festival(db: Session) -> None:
    months = Counter(
        (created.year, created.month) for created in db.scalars(select(Event.created_at))
    )
    festival = [(d.year, d.month) for d in LUNAR_NEW_YEAR if NOW.date() - timedelta(1090) < d]
    festival = [m for m in festival if m in months and (m[0], m[1]) < (NOW.year, NOW.month)]
    julys = [(year, 7) for year in range(2023, NOW.year + 1) if (year, 7) in months]
    assert len(festival) == 3 and len(julys) == 3
    assert sum(months[m] for m in julys) > 1.5 * sum(months[m] for m in festival)


def test_weekends_are_quieter_for_staff_not_for_citizens(db: Session) -> None:
    rows = db.execute(select(Event.created_at, Event.source)).all()
    staff = Counter(
        (created + timedelta(hours=8)).weekday() >= 5
        for created, source in rows
        if source == Source.GRID_WORKER
    )
    public = Counter(
        (created + timedelta(hours=8)).weekday() >= 5
        for created, source in rows
        if source == Source.CITIZEN
    )
    # Two days of seven: a share near 2/7 means no weekend effect.
    assert staff[True] / sum(staff.values()) < 0.15
    assert public[True] / sum(public.values()) > 0.25


def test_mix_of_categories_and_sources(db: Session) -> None:
    sources = Counter(db.scalars(select(Event.source)))
    ranked = [s for s, _ in sources.most_common()]
    assert ranked[0] == Source.GRID_WORKER
    assert set(ranked[1:3]) == {Source.CITIZEN, Source.HOTLINE}
    assert sources[Source.SENSOR] > 0
    categories = Counter(db.scalars(select(Event.category_code)))
    top5 = sum(n for _, n in categories.most_common(5))
    assert top5 / SMALL > 0.4  # a few categories dominate


def test_on_time_share_and_escalations(db: Session) -> None:
    closed = [
        (closed_at, deadline, created)
        for closed_at, deadline, created in db.execute(
            select(Event.closed_at, Event.deadline_at, Event.created_at)
        )
        if closed_at is not None
    ]
    assert len(closed) > 0.9 * SMALL
    assert all(closed_at >= created for closed_at, _, created in closed)
    on_time = sum(closed_at <= deadline for closed_at, deadline, _ in closed) / len(closed)
    assert 0.85 <= on_time <= 0.92
    escalations = db.scalars(
        select(WorkflowStep.actor_username).where(WorkflowStep.action == "escalate")
    ).all()
    assert escalations and set(escalations) == {events.SLA_ACTOR}
    assert db.scalar(select(func.count()).where(WorkflowStep.action == "supervise"))
    settled = db.scalar(select(func.count()).where(WorkflowStep.action == "self_settle")) or 0
    assert 0.08 < settled / SMALL < 0.3
    rated = db.scalars(select(WorkflowStep.data).where(WorkflowStep.action == "rate")).all()
    assert len(rated) > SMALL / 3 and {r["satisfaction"] for r in rated} <= {1, 2, 3, 4, 5}


def test_every_timeline_ends_where_its_case_stands(db: Session) -> None:
    steps: dict[int, list[WorkflowStep]] = {}
    for step in db.scalars(
        select(WorkflowStep).order_by(WorkflowStep.instance_id, WorkflowStep.seq)
    ):
        steps.setdefault(step.instance_id, []).append(step)
    instances = {i.subject_id: i for i in db.scalars(select(WorkflowInstance))}
    for event in db.scalars(select(Event)):
        instance = instances[event.id]
        timeline = steps[instance.id]
        assert event.workflow_instance_id == instance.id
        assert [s.seq for s in timeline] == list(range(1, len(timeline) + 1))
        assert timeline[0].action == "start" and timeline[0].at == event.created_at
        assert all(a.at <= b.at for a, b in pairwise(timeline))
        state = timeline[0].to_state
        for step in timeline[1:]:
            assert step.from_state == state, (event.code, step.action)
            state = state if step.to_state == SAME else step.to_state
        assert state == event.status == instance.state, event.code
        assert instance.version == len(timeline)
        assert event.updated_at == timeline[-1].at <= NOW
        if event.status in ("closed", "rated"):
            closing = [s for s in timeline if s.to_state == "closed"]
            assert event.closed_at == closing[-1].at
        if event.department_id is not None:
            dispatches = [s for s in timeline if s.action == "dispatch"]
            assert dispatches[-1].data["department_id"] == event.department_id


def test_recent_cases_are_still_open(db: Session) -> None:
    recent = db.scalars(
        select(Event.status).where(Event.created_at >= NOW - timedelta(days=1))
    ).all()
    assert recent, "the last day has cases"
    old = db.scalars(select(Event.status).where(Event.created_at < NOW - timedelta(days=60))).all()
    assert set(old) <= {"closed", "rated", "voided"}


def test_hash_chains_verify(db: Session) -> None:
    report = events.verify_timelines(db)
    assert report.broken == []
    assert report.instances == SMALL
    assert report.steps == db.scalar(select(func.count()).select_from(WorkflowStep))
    step = db.scalars(select(WorkflowStep).where(WorkflowStep.seq == 3).limit(1)).one()
    step.comment = "篡改"
    db.flush()
    tampered = events.verify_timelines(db)
    assert tampered.broken == [(step.instance_id, 3)]


def test_repeat_reporters(db: Session) -> None:
    by_reporter = Counter(
        db.scalars(select(Event.reporter_key).where(Event.source == Source.CITIZEN))
    )
    frequent = [key for key, n in by_reporter.items() if n >= 5]
    assert frequent, by_reporter.most_common(5)
    assert len(by_reporter) > 50  # and a long tail of people who report once or twice
    citizen1 = db.scalar(select(User.id).where(User.username == "citizen1"))
    assert by_reporter[f"user:{citizen1}"] >= 5


def test_sla_scan_finds_nothing_left_to_do(db: Session) -> None:
    set_clock(lambda: NOW)
    try:
        report = events.scan_deadlines(db, NOW)
    finally:
        reset_clock()
    assert report.warned == 0
    assert report.escalated <= 1


def test_new_cases_follow_the_history(db: Session) -> None:
    """Ids were given in bulk: a case reported now gets the next one (on PostgreSQL the id
    sequences were moved past them)."""
    last = db.scalar(select(func.max(Event.id))) or 0
    lon, lat = db.execute(select(Event.lon, Event.lat).limit(1)).one()
    event, _ = events.intake(
        db,
        EventIn(
            title="测试路灯不亮",
            category_code="0302",
            location=Location(lon=lon, lat=lat),
            source=Source.CITIZEN,
        ),
        actor=Actor.system("test"),
    )
    assert event.id == last + 1
    assert event.workflow_instance_id == db.scalar(select(func.max(WorkflowInstance.id)))


def test_same_seed_same_history(databases: Databases, tmp_path: Path, history: Engine) -> None:
    def digest(engine: Engine) -> str:
        with Session(engine) as session:
            rows = session.execute(
                select(
                    Event.code,
                    Event.category_code,
                    Event.source,
                    Event.status,
                    Event.region_path,
                    Event.created_at,
                    Event.closed_at,
                    Event.lon,
                    Event.lat,
                ).order_by(Event.id)
            ).all()
            hashes = session.scalars(select(WorkflowStep.hash).order_by(WorkflowStep.id)).all()
        return hashlib.sha256(repr((rows, hashes)).encode()).hexdigest()

    again = _seed(databases, tmp_path)
    try:
        assert digest(again) == digest(history)
    finally:
        again.dispose()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_working_clock_equals_the_calendar(seed: int) -> None:
    calendar = WorkCalendar(
        holidays=frozenset({date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 3)}),
        extra_workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
    )
    clock = WorkingClock(calendar, date(2025, 9, 1), date(2026, 3, 1))
    rnd = random.Random(seed)
    start = int(datetime(2025, 9, 20, tzinfo=UTC).timestamp())
    for _ in range(400):
        moment = start + rnd.randint(0, 40 * 86_400)
        hours = rnd.choice([0.5, 1, 2, 4, 8, 16, 24, 40, 7.25, rnd.uniform(0.1, 80)])
        seconds = round(hours * 3600)
        expected = calendar.add_working_hours(datetime.fromtimestamp(moment, UTC), seconds / 3600)
        assert clock.add(moment, seconds) == int(expected.timestamp()), (moment, hours)
    # Period ends and starts, exactly.
    noon = int(datetime(2025, 9, 22, 4, 0, tzinfo=UTC).timestamp())  # 12:00 in Shanghai
    assert clock.add(noon - 3600, 3600) == noon
