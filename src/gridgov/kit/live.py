"""Publish after commit: live-update messages that leave only with the transaction that made
them.

A service that changes something others watch (a new case for the big screens) calls
:func:`publish_after_commit` inside its transaction. The message waits in ``session.info`` and
goes out on the publish/subscribe channel when the session commits; a rollback drops it, so a
screen never shows a case that was not saved.

Which :class:`~gridgov.kit.pubsub.PubSub` carries it: the one the app serving this engine
attached (:func:`attach`, called by ``create_app``); in a process without an app (``gridgov
worker``, a CLI import) the Redis named by ``GRIDGOV_REDIS_URL`` when set, else nobody (an
in-process pub/sub of another process cannot be reached anyway). Publishing never fails the
caller: the data is committed, a lost live message is only a late screen (screens also reload
their figures).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

from gridgov.kit.pubsub import PubSub

log = logging.getLogger("gridgov.live")

SCREENS = "screens"  # the big screens' channel: new cases, alerts
_QUEUE = "gridgov.live.outbox"

PubSubGetter = Callable[[], PubSub | None]
_attached: weakref.WeakKeyDictionary[Engine, PubSubGetter] = weakref.WeakKeyDictionary()
_fallback: dict[str, PubSub] = {}
_lock = threading.Lock()


def attach(engine: Engine, getter: PubSubGetter) -> None:
    """Messages committed through sessions of ``engine`` go to ``getter()`` (the app's
    pub/sub, looked up at publish time so a replaced ``app.state.realtime`` is honoured)."""
    with _lock:
        _attached[engine] = getter


def detach(engine: Engine, getter: PubSubGetter | None = None) -> None:
    with _lock:
        if getter is None or _attached.get(engine) is getter:
            _attached.pop(engine, None)


def publish_after_commit(
    session: Session, message: Mapping[str, Any], *, channel: str = SCREENS
) -> None:
    """Queue ``message`` for ``channel``; it is published when ``session`` commits and
    forgotten if it rolls back."""
    if not session.in_transaction():
        session.begin()  # so that a rollback before any statement still ends it (and drops this)
    session.info.setdefault(_QUEUE, []).append((channel, dict(message)))


def pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """What this session will publish on commit (for tests and debugging)."""
    return list(session.info.get(_QUEUE, ()))


def _pubsub_for(session: Session) -> PubSub | None:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    with _lock:
        getter = _attached.get(engine) if engine is not None else None
    if getter is not None:
        return getter()
    from gridgov.config import get_settings

    url = get_settings().redis_url
    if not url:
        return None
    with _lock:
        found = _fallback.get(url)
        if found is None:
            from gridgov.kit.pubsub import RedisPubSub

            found = _fallback[url] = RedisPubSub(url)
        return found


def _send(target: PubSub, channel: str, message: dict[str, Any]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        target.publish_sync(channel, message)
        return
    # Committed from inside the event loop (an async endpoint): do not block it on Redis.
    task = loop.create_task(target.publish(channel, message))
    task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("live message not published", exc_info=task.exception())


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction, and so the rows, may still roll back
    queued = session.info.pop(_QUEUE, None)
    if not queued:
        return
    try:
        target = _pubsub_for(session)
    except Exception:  # never fail a committed transaction for a live message
        log.warning("no pub/sub for live messages", exc_info=True)
        return
    if target is None:
        return
    for channel, message in queued:
        try:
            _send(target, channel, message)
        except Exception:
            log.warning("live message not published on %s", channel, exc_info=True)


# How many messages were queued when each open savepoint began: rolling one back drops what
# was queued inside it (the rows that message speaks of are gone too).
_savepoint_marks: weakref.WeakKeyDictionary[SessionTransaction, int] = weakref.WeakKeyDictionary()


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        _savepoint_marks[transaction] = len(session.info.get(_QUEUE, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    mark = _savepoint_marks.pop(previous_transaction, None)
    queued = session.info.get(_QUEUE)
    if mark is not None and queued:
        del queued[mark:]


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (rollback or close): drop the queue.
    # On commit ``_after_commit`` has already taken it. A savepoint rolled back inside a
    # transaction that later commits keeps what was queued before it (_drop_rolled_back).
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
