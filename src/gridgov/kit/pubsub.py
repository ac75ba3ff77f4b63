"""Publish/subscribe for live updates, and who is online.

One interface, two implementations:

* :class:`LocalPubSub` (the default): subscribers in this process only. Delivery is
  thread-safe: a message published from a worker thread or another event loop is handed to
  each subscriber's own loop.
* :class:`RedisPubSub` (``GRIDGOV_REDIS_URL`` set): every app process shares the channels, so a
  message published by one process reaches the subscribers of all. Each process (per event
  loop) keeps ONE Redis subscription connection and fans messages out to its local
  subscribers itself, so ten thousand WebSockets are not ten thousand Redis connections.

Messages are JSON objects. Both implementations pass them through JSON, so what a subscriber
gets is a copy that would have survived Redis (a value JSON cannot hold fails at publish, on
both). Delivery is at most once: a subscriber that is not connected when a message is
published never sees it, and one that falls :data:`MAX_PENDING` messages behind is ended with
:class:`SubscriptionOverflow` rather than allowed to grow memory without bound.

:class:`Presence` answers "who is online" (a member per connection, refreshed by a heartbeat,
forgotten after its time to live), kept in this process or in a Redis sorted set alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis as redis_sync
    import redis.asyncio as redis_async

log = logging.getLogger("gridgov.pubsub")

Message = dict[str, Any]
MAX_PENDING = 1000
SUBSCRIBE_TIMEOUT_S = 5.0


class SubscriptionOverflow(Exception):
    """The subscriber read too slowly and was cut off."""


class SubscriptionClosed(Exception):
    """The subscription was closed: nothing more will come."""


def encode(message: Mapping[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class _End:
    """Marks the end of a subscription's queue."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Subscription:
    """Messages of some channels, in order, as an async iterator. Use it as an async context
    manager (or call :meth:`close`) so the channels are left when done.

    Each item is ``(channel, message)``.
    """

    def __init__(self, owner: _FanOut, channels: tuple[str, ...]) -> None:
        self.channels = channels
        self._owner = owner
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Message] | _End] = asyncio.Queue()
        self._closed = False

    # Called from any thread.
    def _deliver(self, channel: str, text: str) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, channel, text)
        except RuntimeError:  # the subscriber's loop is gone
            self._owner.remove(self)

    def _put(self, channel: str, text: str) -> None:
        if self._closed:
            return
        if self._queue.qsize() >= MAX_PENDING:
            self._closed = True
            self._owner.remove(self)
            self._queue.put_nowait(_End(SubscriptionOverflow(f"over {MAX_PENDING} pending")))
            return
        self._queue.put_nowait((channel, json.loads(text)))

    def __aiter__(self) -> AsyncIterator[tuple[str, Message]]:
        return self

    async def __anext__(self) -> tuple[str, Message]:
        item = await self._queue.get()
        if isinstance(item, _End):
            self._queue.put_nowait(item)  # every later read ends too
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> tuple[str, Message]:
        """The next message, waiting at most ``timeout`` seconds (TimeoutError after;
        SubscriptionClosed once closed)."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except StopAsyncIteration:
            raise SubscriptionClosed from None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(_End())
        await self._owner.left(self)

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class _FanOut:
    """Channel → local subscriptions, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[Subscription]] = {}

    def add(self, subscription: Subscription) -> list[str]:
        """Register; returns the channels that had no local subscriber before."""
        fresh = []
        with self._lock:
            for channel in subscription.channels:
                subscribers = self._by_channel.setdefault(channel, set())
                if not subscribers:
                    fresh.append(channel)
                subscribers.add(subscription)
        return fresh

    def remove(self, subscription: Subscription) -> list[str]:
        """Unregister; returns the channels left with no local subscriber."""
        emptied = []
        with self._lock:
            for channel in subscription.channels:
                subscribers = self._by_channel.get(channel)
                if subscribers is None or subscription not in subscribers:
                    continue
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_channel[channel]
                    emptied.append(channel)
        return emptied

    def deliver(self, channel: str, text: str) -> int:
        with self._lock:
            subscribers = list(self._by_channel.get(channel, ()))
        for subscription in subscribers:
            subscription._deliver(channel, text)
        return len(subscribers)

    async def left(self, subscription: Subscription) -> None:
        self.remove(subscription)


class PubSub(ABC):
    """Publish JSON messages to named channels; subscribe to some channels."""

    @abstractmethod
    async def publish(self, channel: str, message: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def publish_sync(self, channel: str, message: Mapping[str, Any]) -> None:
        """Publish from synchronous code (a worker thread, a job); never from the event loop
        with the Redis implementation, which would block it."""

    @abstractmethod
    async def subscribe(self, channels: Iterable[str]) -> Subscription:
        """Subscribed when this returns: a message published afterwards is delivered."""

    @abstractmethod
    async def close(self) -> None: ...


class LocalPubSub(PubSub):
    """Subscribers of this process only."""

    def __init__(self) -> None:
        self._fanout = _FanOut()

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        self._fanout.deliver(channel, encode(message))

    def publish_sync(self, channel: str, message: Mapping[str, Any]) -> None:
        self._fanout.deliver(channel, encode(message))

    async def subscribe(self, channels: Iterable[str]) -> Subscription:
        subscription = Subscription(self._fanout, tuple(dict.fromkeys(channels)))
        self._fanout.add(subscription)
        return subscription

    async def close(self) -> None:
        return None


class _Bridge(_FanOut):
    """One Redis subscription connection for one event loop, fanning out locally."""

    def __init__(self, client: redis_async.Redis, namespace: str) -> None:
        super().__init__()
        self.client = client
        self.loop = asyncio.get_running_loop()
        self._namespace = namespace
        self._pubsub = client.pubsub()
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._command_lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    def wire(self, channel: str) -> str:
        return f"{self._namespace}:{channel}"

    async def start(self) -> None:
        # An always-on private channel keeps the connection subscribed, so the reader never
        # meets an unsubscribed connection between users.
        await self._subscribe([f"_bridge.{uuid.uuid4().hex}"])
        self._reader = asyncio.create_task(self._read(), name="gridgov-pubsub-reader")

    async def _subscribe(self, channels: list[str]) -> None:
        wires = [self.wire(c) for c in channels]
        futures = []
        for wire in wires:
            future: asyncio.Future[None] = self.loop.create_future()
            self._waiting.setdefault(wire, []).append(future)
            futures.append(future)
        async with self._command_lock:
            await self._pubsub.subscribe(*wires)
        if self._reader is None:
            # Before the reader runs (start), read the confirmations here.
            while not all(f.done() for f in futures):
                message = await self._pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT_S)
                if message is None:
                    raise TimeoutError("Redis did not confirm the subscription")
                self._handle(message)
            return
        await asyncio.wait_for(asyncio.gather(*futures), SUBSCRIBE_TIMEOUT_S)

    async def join(self, subscription: Subscription) -> None:
        fresh = self.add(subscription)
        if fresh:
            try:
                await self._subscribe(fresh)
            except BaseException:
                self.remove(subscription)
                raise

    async def left(self, subscription: Subscription) -> None:
        emptied = self.remove(subscription)
        if emptied and not self._closing:
            async with self._command_lock:
                await self._pubsub.unsubscribe(*(self.wire(c) for c in emptied))

    def _handle(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        wire = message.get("channel")
        if isinstance(wire, bytes):
            wire = wire.decode()
        if not isinstance(wire, str):
            return
        if kind == "subscribe":
            for future in self._waiting.pop(wire, []):
                if not future.done():
                    future.set_result(None)
        elif kind == "message":
            data = message.get("data")
            text = data.decode() if isinstance(data, bytes) else str(data)
            self.deliver(wire[len(self._namespace) + 1 :], text)

    async def _read(self) -> None:
        while not self._closing:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped connection: redis-py reconnects and resubscribes
                log.warning("Redis pub/sub read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is not None:
                self._handle(message)

    async def close(self) -> None:
        self._closing = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.client.aclose()


class RedisPubSub(PubSub):
    """Channels shared by every process connected to one Redis. ``namespace`` prefixes the
    channel names, so two installations (or test runs) on one Redis do not hear each other."""

    def __init__(self, url: str, namespace: str = "gridgov") -> None:
        import redis

        self.url = url
        self.namespace = namespace
        self._sync: redis_sync.Redis = redis.Redis.from_url(url)
        self._bridges: dict[asyncio.AbstractEventLoop, _Bridge] = {}
        self._lock = threading.Lock()
        self._starting: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def _bridge(self) -> _Bridge:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            bridge = self._bridges.get(loop)
            starting = self._starting.setdefault(loop, asyncio.Lock())
        if bridge is not None:
            return bridge
        async with starting:
            with self._lock:
                bridge = self._bridges.get(loop)
            if bridge is None:
                bridge = _Bridge(redis.asyncio.Redis.from_url(self.url), self.namespace)
                await bridge.start()
                with self._lock:
                    self._bridges[loop] = bridge
        return bridge

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        bridge = await self._bridge()
        await bridge.client.publish(bridge.wire(channel), encode(message))

    def publish_sync(self, channel: str, message: Mapping[str, Any]) -> None:
        self._sync.publish(f"{self.namespace}:{channel}", encode(message))

    async def subscribe(self, channels: Iterable[str]) -> Subscription:
        bridge = await self._bridge()
        subscription = Subscription(bridge, tuple(dict.fromkeys(channels)))
        await bridge.join(subscription)
        return subscription

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            bridges = list(self._bridges.items())
            self._bridges.clear()
            self._starting.clear()
        for owner, bridge in bridges:
            if owner is loop:
                await bridge.close()
            elif owner.is_running():  # another loop's connection is closed on that loop
                asyncio.run_coroutine_threadsafe(bridge.close(), owner)
        self._sync.close()


class Presence(ABC):
    """Members of named groups, each present until its time to live runs out or it leaves.
    Synchronous (quick calls); from the event loop, run the Redis one in a thread."""

    @abstractmethod
    def touch(self, group: str, member: str, ttl_seconds: float) -> None: ...

    @abstractmethod
    def leave(self, group: str, member: str) -> None: ...

    @abstractmethod
    def members(self, group: str) -> set[str]: ...


class LocalPresence(Presence):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, dict[str, float]] = {}

    def touch(self, group: str, member: str, ttl_seconds: float) -> None:
        with self._lock:
            self._groups.setdefault(group, {})[member] = time.monotonic() + ttl_seconds

    def leave(self, group: str, member: str) -> None:
        with self._lock:
            self._groups.get(group, {}).pop(member, None)

    def members(self, group: str) -> set[str]:
        moment = time.monotonic()
        with self._lock:
            entries = self._groups.get(group, {})
            for gone in [m for m, until in entries.items() if until <= moment]:
                del entries[gone]
            return set(entries)


class RedisPresence(Presence):
    """A sorted set per group, scored by expiry (Redis server time would need a round trip;
    the app processes' clocks are assumed to agree within a heartbeat)."""

    def __init__(self, url: str, namespace: str = "gridgov") -> None:
        import redis

        self._client: redis_sync.Redis = redis.Redis.from_url(url, decode_responses=True)
        self._namespace = namespace

    def _key(self, group: str) -> str:
        return f"{self._namespace}:presence:{group}"

    def touch(self, group: str, member: str, ttl_seconds: float) -> None:
        key = self._key(group)
        pipe = self._client.pipeline()
        pipe.zadd(key, {member: time.time() + ttl_seconds})
        # The key itself goes when every member has (a forgotten group does not linger).
        pipe.expire(key, int(ttl_seconds) + 60)
        pipe.execute()

    def leave(self, group: str, member: str) -> None:
        self._client.zrem(self._key(group), member)

    def members(self, group: str) -> set[str]:
        key = self._key(group)
        moment = time.time()
        pipe = self._client.pipeline()
        pipe.zremrangebyscore(key, "-inf", moment)
        pipe.zrangebyscore(key, moment, "+inf")
        _removed, alive = pipe.execute()
        return {str(m) for m in alive}

    def close(self) -> None:
        self._client.close()


@dataclass
class Realtime:
    """What the app holds: the pub/sub and the presence of one backend."""

    pubsub: PubSub
    presence: Presence
    backend: str

    async def close(self) -> None:
        await self.pubsub.close()
        if isinstance(self.presence, RedisPresence):
            self.presence.close()


def connect(redis_url: str = "", namespace: str = "gridgov") -> Realtime:
    """In-process when ``redis_url`` is empty, else Redis. Nothing connects until first use."""
    if not redis_url:
        return Realtime(LocalPubSub(), LocalPresence(), "local")
    return Realtime(RedisPubSub(redis_url, namespace), RedisPresence(redis_url, namespace), "redis")
