"""Per-process copies of reference rows that change rarely and are read on every request:
accounts (who a token belongs to, their scope), event categories and workflows.

A copy is good while the database's reference revision is unchanged. Triggers (migration
0025) add one to ``reference_revision.revision`` on every insert, update or delete of the
watched tables, inside the writing transaction, so no code path can change a watched row and
forget to say so, whichever process or tool writes it. Each app process then serves the copies
it has and reloads them after a change, with no messaging between processes.

A session reads the counter once (one single-row read) and forgets that reading when it
writes a watched row (or runs any statement other than a select), since its own writes may have
moved it. The counter starts at a random
value, so a database made again at the same URL (tests, ``seed --reset``) does not meet copies
of the one before it.

What is cached must not be attached to a session: frozen dataclasses, tuples, strings, or
transient copies of rows that the caller only reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import URL, BigInteger, Engine, Integer, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from gridgov.db import Base, transaction_info_key

T = TypeVar("T")

# The tables whose triggers move the revision. Migration 0025 made them from its own copy of
# this list (a migration must not change when the code does): watching another table takes a
# migration too, and tests/kit/test_refcache.py changes each of these to see the counter move.
WATCHED_TABLES = (
    "users",
    "grid_assignments",
    "event_categories",
    "workflow_bindings",
    "workflow_definitions",
)
_REVISION = transaction_info_key("gridgov.refcache.revision")
# Copies of one revision per database: older ones are dropped when the revision moves.
_copies: dict[URL, tuple[int, dict[Hashable, Any]]] = {}
_lock = threading.Lock()


class ReferenceRevision(Base):
    """One row, the counter the triggers of ``WATCHED_TABLES`` move."""

    __tablename__ = "reference_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


_READ_REVISION = select(ReferenceRevision.revision).where(ReferenceRevision.id == 1)


def revision(session: Session) -> int:
    """The reference revision as this session sees it (read once until the session writes)."""
    seen: int | None = session.info.get(_REVISION)
    if seen is None:
        seen = session.scalar(_READ_REVISION)
        if seen is None:
            raise RuntimeError("reference_revision has no row: run gridgov db upgrade")
        session.info[_REVISION] = seen
    return seen


def cached(session: Session, key: Hashable, load: Callable[[], T]) -> T:
    """The copy of ``key`` for the current reference revision, made by ``load()`` on a miss."""
    database = _database_key(session)
    current = revision(session)
    with _lock:
        held = _copies.get(database)
        if held is not None and held[0] == current and key in held[1]:
            return cast(T, held[1][key])
    value = load()
    if _REVISION not in session.info:
        return value  # load() wrote something: its result may be newer than ``current``
    with _lock:
        held = _copies.get(database)
        if held is None or held[0] != current:
            held = _copies[database] = (current, {})
        held[1][key] = value
    return value


def _database_key(session: Session) -> URL:
    bind = session.get_bind()
    return (bind if isinstance(bind, Engine) else bind.engine).url


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: Any) -> None:
    if _REVISION in session.info and any(
        getattr(row, "__tablename__", None) in WATCHED_TABLES
        for row in (*session.new, *session.dirty, *session.deleted)
    ):
        del session.info[_REVISION]


@event.listens_for(Session, "do_orm_execute")
def _forget_after_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        state.session.info.pop(_REVISION, None)
