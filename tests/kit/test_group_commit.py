"""Reports arriving together share one transaction (db.GroupCommit): one commit for the batch,
yet each report stands alone: one that fails leaves no row and no live message behind, and
the others are saved and published."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.db import GroupCommit, group_commit, make_engine, session_factory
from gridgov.events import services as events
from gridgov.events.models import Event
from gridgov.events.schemas import EventIn
from gridgov.kit import live, pubsub
from gridgov.kit.errors import InvalidInput
from tests.calls.conftest import user_id
from tests.conftest import Auth
from tests.screens.test_live import _inside


@pytest.fixture
def engine(fresh_events: tuple[TestClient, Auth, Engine]) -> Iterator[Engine]:
    own = make_engine(str(fresh_events[2].url.render_as_string(hide_password=False)))
    yield own
    live.detach(own)
    own.dispose()


def _report(title: str, *, fail_after_intake: bool = False) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        actor = accounts.actor_for(
            session, accounts.user_for_token(session, user_id(session, "operator"))
        )
        data = EventIn.model_validate(
            {"title": title, "source": "hotline", "location": _inside(session)}
        )
        event, _new = events.intake(session, data, actor=actor)
        if fail_after_intake:  # fails late: its case, steps and live message are already queued
            raise InvalidInput("late failure", code="late_failure")
        return event.id

    return work


_CALLER: ContextVar[int] = ContextVar("caller", default=-1)


def _titles(engine: Engine, prefix: str) -> list[str]:
    with session_factory(engine)() as session:
        return sorted(session.scalars(select(Event.title).where(Event.title.like(f"{prefix}%"))))


def _run_together(commits: GroupCommit, works: list[Callable[[Session], int]]) -> list[Any]:
    """The first work runs alone while the others queue behind it, so they form one batch."""
    release = threading.Event()
    results: list[Any] = [None] * (len(works) + 1)

    def first(session: Session) -> int:
        release.wait(10)
        return 0

    def call(index: int, work: Callable[[Session], int]) -> None:
        _CALLER.set(index)
        try:
            results[index] = commits.run(work)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=call, args=(0, first))]
    threads[0].start()
    while commits.waiting:  # the first caller has taken its own work
        time.sleep(0.01)
    for index, work in enumerate(works, start=1):
        threads.append(threading.Thread(target=call, args=(index, work)))
        threads[-1].start()
    while commits.waiting < len(works):
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(30)
    return results[1:]


def test_a_failing_report_in_a_batch_leaves_nothing_and_the_others_are_saved(
    engine: Engine,
) -> None:
    bus = pubsub.LocalPubSub()
    live.attach(engine, lambda: bus)
    commits = GroupCommit(engine)
    prefix = "成批提交测试"

    async def scenario() -> tuple[list[Any], list[dict[str, Any]]]:
        async with await bus.subscribe([live.SCREENS]) as subscription:
            results = await asyncio.to_thread(
                _run_together,
                commits,
                [
                    _report(f"{prefix}甲"),
                    _report(f"{prefix}乙", fail_after_intake=True),
                    _report(f"{prefix}丙"),
                ],
            )
            got = []
            while True:
                try:
                    got.append((await subscription.get(timeout=1.0))[1])
                except TimeoutError:
                    return results, got

    results, published = asyncio.run(scenario())
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert isinstance(results[1], InvalidInput) and results[1].code == "late_failure"
    assert _titles(engine, prefix) == [f"{prefix}丙", f"{prefix}甲"]
    assert sorted(m["title"] for m in published) == [f"{prefix}丙", f"{prefix}甲"]
    assert {m["id"] for m in published} == {results[0], results[2]}
    with session_factory(engine)() as session:  # each saved case has its own start step
        for event_id in (results[0], results[2]):
            event = session.get(Event, event_id)
            assert event is not None and event.code.startswith("SJ")
            assert event.workflow_instance_id is not None


def test_savepoints_are_paid_only_by_a_batch_with_a_failing_work(engine: Engine) -> None:
    savepoints: list[str] = []

    def note_savepoint(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.upper().startswith("SAVEPOINT"):
            savepoints.append(statement)

    def read(session: Session) -> int:
        return int(session.execute(text("SELECT 1")).scalar_one())

    commits = GroupCommit(engine)
    event.listen(engine, "before_cursor_execute", note_savepoint)
    try:
        assert _run_together(commits, [read, read, read]) == [1, 1, 1]
        assert savepoints == []

        runs: Counter[str] = Counter()

        def counted(title: str, **options: bool) -> Callable[[Session], int]:
            report = _report(title, **options)

            def work(session: Session) -> int:
                runs[title] += 1
                return report(session)

            return work

        prefix = "成批重做测试"
        results = _run_together(
            commits,
            [counted(f"{prefix}甲"), counted(f"{prefix}乙", fail_after_intake=True), read],
        )
    finally:
        event.remove(engine, "before_cursor_execute", note_savepoint)
    # 乙 failed in the shared transaction: the batch ran again, each work in a savepoint.
    assert savepoints
    assert runs == {f"{prefix}甲": 2, f"{prefix}乙": 2}
    assert isinstance(results[0], int) and isinstance(results[1], InvalidInput)
    assert results[2] == 1
    assert _titles(engine, prefix) == [f"{prefix}甲"]  # saved once, though it ran twice


def test_a_failed_commit_fails_every_report_of_the_batch(engine: Engine) -> None:
    commits = GroupCommit(engine)
    prefix = "成批提交失败测试"

    def refuse_commit(session: Session) -> None:
        if session.bind is engine and not session.in_nested_transaction():
            raise OSError("disk full")  # as the database would at COMMIT

    event.listen(Session, "before_commit", refuse_commit)
    try:
        results = _run_together(commits, [_report(f"{prefix}甲"), _report(f"{prefix}乙")])
    finally:
        event.remove(Session, "before_commit", refuse_commit)
    assert [type(result) for result in results] == [OSError, OSError]
    assert _titles(engine, prefix) == []
    # The next batch commits as usual.
    assert isinstance(commits.run(_report(f"{prefix}丙")), int)
    assert _titles(engine, prefix) == [f"{prefix}丙"]


def test_each_work_runs_in_its_callers_context(engine: Engine) -> None:
    # The works of a batch run in one caller's thread; each still sees its own caller's
    # context variables (a request id, a tracing span).
    def whose(session: Session) -> int:
        return _CALLER.get()

    assert _run_together(GroupCommit(engine), [whose, whose, whose]) == [1, 2, 3]


def test_the_registry_does_not_keep_a_disposed_engine_alive(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gone.db'}")
    assert group_commit(engine) is group_commit(engine)
    alive = weakref.ref(engine)
    engine.dispose()
    del engine
    gc.collect()
    assert alive() is None
