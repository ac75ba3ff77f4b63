"""Engine, sessions and the declarative base shared by every feature's ``models.py``."""

from __future__ import annotations

import contextvars
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

try:
    import fcntl
except ImportError:  # not on Windows: there, processes wait through SQLite's own busy timeout
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import DateTime, Engine, MetaData, String, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from gridgov.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC: SQLite keeps no zone, so we pin one."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _configure_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # Scope filters are path-prefix LIKEs; SQLite can answer those from an index only when
    # LIKE is case-sensitive. Codes and paths are digits, so nothing else changes meaning.
    cursor.execute("PRAGMA case_sensitive_like=ON")
    # Several processes (server, worker, CLI) share the file: wait instead of failing at once.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_engines: dict[str, Engine] = {}


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    url = settings.effective_database_url
    if url not in _engines:
        if settings.is_sqlite:
            settings.var_dir.mkdir(parents=True, exist_ok=True)
        _engines[url] = make_engine(url)
    return _engines[url]


_TRANSACTION_KEYS: set[str] = set()


def transaction_info_key(key: str) -> str:
    """Declare ``session.info[key]`` as what the current transaction has read or made: it is
    dropped when the transaction commits or rolls back (not when a savepoint is released,
    which fires the same ``after_commit``: the transaction goes on)."""
    _TRANSACTION_KEYS.add(key)
    return key


@event.listens_for(Session, "after_commit")
def _forget_at_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        for key in _TRANSACTION_KEYS:
            session.info.pop(key, None)


@event.listens_for(Session, "after_rollback")
def _forget_at_rollback(session: Session) -> None:
    for key in _TRANSACTION_KEYS:
        session.info.pop(key, None)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Callers above services only."""
    session = session_factory(engine)()
    try:
        yield session
    except BaseException:
        end_unit_of_work(session, failed=True)
        raise
    end_unit_of_work(session, failed=False)


def end_unit_of_work(session: Session, *, failed: bool) -> None:
    """Commit (or, when the work failed, roll back) and close: a failed commit rolls back too."""
    try:
        if failed:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")

# Enough to amortise a commit; few enough that the first caller of a batch is not kept long.
GROUP_COMMIT_MAX_BATCH = 32


@dataclass(eq=False)
class _Job(Generic[T]):
    work: Callable[[Session], T]
    # The caller's context variables: its work may run in another caller's thread.
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class GroupCommit:
    """Units of work that arrive together share one transaction: one commit (and, on SQLite,
    one write of the touched pages to the log) for a batch of concurrent callers, instead of
    one each that the single writer would take in turn.

    A caller runs :meth:`run` in a worker thread. Callers queue their work; whoever holds the
    lock takes the whole queue (up to :data:`GROUP_COMMIT_MAX_BATCH`), runs the works one after
    the other in one transaction, commits once and hands every caller its own result. When a
    work fails, the whole batch is rolled back and run again with each work in its own
    savepoint: the failing one rolls back to its savepoint only (and its caller gets its
    error), the others commit. Savepoints cost two statements a work and split the session's
    flushes, so they are paid only by a batch that needs them; a work may therefore run twice,
    and must have no effect outside the session. When the commit itself fails, every caller of
    the batch gets that error and nothing of the batch is saved. A caller that finds nobody
    else waiting runs alone in a plain unit of work. Each work's result must be complete before
    the commit (build the answer inside the work): a caller gets it only once the batch is
    committed."""

    def __init__(self, engine: Engine, max_batch: int = GROUP_COMMIT_MAX_BATCH) -> None:
        # Weakly: the process-wide registry below must not keep a disposed engine alive.
        self._engine = weakref.ref(engine)
        self._max_batch = max_batch
        self._queue: deque[_Job[Any]] = deque()
        self._writer = threading.Lock()
        self._processes_writer = _sqlite_writer_lock(engine)

    @property
    def waiting(self) -> int:
        """Works queued and not yet taken by a batch."""
        return len(self._queue)

    def run(self, work: Callable[[Session], T]) -> T:
        job: _Job[T] = _Job(work)
        self._queue.append(job)
        while not job.done.is_set():
            with self._writer:
                # Another caller's batch may have taken this job while we waited for the lock.
                if not job.done.is_set():
                    with self._processes_writer:
                        self._run_batch()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _run_batch(self) -> None:
        batch: list[_Job[Any]] = []
        while self._queue and len(batch) < self._max_batch:
            batch.append(self._queue.popleft())
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine of this GroupCommit is gone")
        session = session_factory(engine)()
        try:
            if len(batch) == 1:  # alone: its error fails the whole unit, as a plain one would
                batch[0].result = batch[0].context.run(batch[0].work, session)
            elif not self._run_together(session, batch):
                session.close()  # rolls the whole batch back
                session = session_factory(engine)()
                _begin_writing(session)
                for job in batch:
                    self._run_in_savepoint(session, job)
            end_unit_of_work(session, failed=False)
        except BaseException as error:
            session.close()  # rolls back whatever is still open
            for job in batch:
                if job.error is None:
                    job.result, job.error = None, error
            if not isinstance(error, Exception):
                raise
        finally:
            for job in batch:
                job.done.set()

    @staticmethod
    def _run_together(session: Session, batch: list[_Job[Any]]) -> bool:
        """Run every work in the session's one transaction; False (results dropped) as soon as
        one fails."""
        _begin_writing(session)
        for job in batch:
            try:
                job.result = job.context.run(job.work, session)
            except Exception:
                for each in batch:
                    each.result = None
                return False
        return True

    @staticmethod
    def _run_in_savepoint(session: Session, job: _Job[Any]) -> None:
        try:
            with session.begin_nested():
                job.result = job.context.run(job.work, session)
        except Exception as error:
            job.result, job.error = None, error


class _FileLock:
    """An exclusive ``flock`` on a file: a process waiting for it wakes as soon as it is free.
    Used by one thread at a time (under GroupCommit's own lock); the file is opened per use,
    so no descriptor outlives it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def __enter__(self) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, *_exc: object) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # releases the lock


def _sqlite_writer_lock(engine: Engine) -> AbstractContextManager[object]:
    """Server processes sharing one SQLite file take turns at writing through a file lock.
    SQLite's own wait for its write lock polls with sleeps of 1, 2, 5, 10… ms: two processes
    writing all the time then spend much of it asleep while the lock is free."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or not fcntl:
        return nullcontext()
    return _FileLock(Path(f"{database}.writer-lock"))


def _begin_writing(session: Session) -> None:
    """On SQLite, take the write lock before the first read. The driver begins a transaction
    only at the first write, but a savepoint begins one at once, as a reader: when another
    process commits between that read and our first write, SQLite cannot upgrade the stale
    reader and fails at once ("database is locked") instead of waiting its busy timeout."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_group_commits: weakref.WeakKeyDictionary[Engine, GroupCommit] = weakref.WeakKeyDictionary()
_group_commits_lock = threading.Lock()


def group_commit(engine: Engine) -> GroupCommit:
    """The engine's one :class:`GroupCommit` (per process)."""
    with _group_commits_lock:
        found = _group_commits.get(engine)
        if found is None:
            found = _group_commits[engine] = GroupCommit(engine)
        return found


class Unindexed(ColumnElement[str]):
    """A column that the query planner must not use an index for (SQLite's unary ``+``); on
    other databases it is the column itself."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[str]) -> None:
        self.column = column
        self.type = column.type


@compiles(Unindexed)
def _unindexed_default(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: Any) -> ColumnElement[str]:
    return Unindexed(column)


class YearMonth(ColumnElement[str]):
    """``YYYY-MM`` of a UTC datetime column, for grouping by month on either database."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = String()


@compiles(YearMonth)
def _year_month_default(element: YearMonth, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.column, **kw)}, 'YYYY-MM')"


@compiles(YearMonth, "sqlite")
def _year_month_sqlite(element: YearMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps datetimes as ISO text: the month is its first seven characters.
    return f"substr({compiler.process(element.column, **kw)}, 1, 7)"


def year_month(column: Any) -> ColumnElement[str]:
    return YearMonth(column)
