"""The publish/subscribe interface and presence, in-process and on a real Redis.

Redis is taken from ``GRIDGOV_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/15``). Off CI
a machine without Redis skips the Redis cases with a message; on CI (``CI`` set, `.ci/run`
starts redis-server) its absence fails them."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from gridgov.kit import pubsub
from gridgov.kit.pubsub import PubSub, Realtime, SubscriptionOverflow

REDIS_URL = os.environ.get("GRIDGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_url() -> str:
    """The test Redis; skips the calling test off CI when none answers."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {REDIS_URL} ({error}); apt-get install redis-server"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


def realtime(backend: str) -> Realtime:
    if backend == "local":
        return pubsub.connect("")
    # A namespace of its own: parallel runs on one Redis do not hear each other.
    return pubsub.connect(redis_url(), namespace=f"test-{uuid.uuid4().hex[:8]}")


BACKENDS = ["local", "redis"]


def run(backend: str, scenario: Callable[[Realtime], Awaitable[None]]) -> None:
    hub = realtime(backend)

    async def main() -> None:
        try:
            await asyncio.wait_for(scenario(hub), 20)
        finally:
            await hub.close()

    asyncio.run(main())


async def drain(subscription: pubsub.Subscription, timeout: float = 0.3) -> list[Any]:
    got = []
    while True:
        try:
            got.append(await subscription.get(timeout))
        except (TimeoutError, pubsub.SubscriptionClosed):
            return got


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_subscriber_gets_its_channels_messages_in_order(backend: str) -> None:
    async def scenario(hub: Realtime) -> None:
        async with await hub.pubsub.subscribe(["a", "b"]) as both:
            only_b = await hub.pubsub.subscribe(["b"])
            for n in range(5):
                await hub.pubsub.publish("a", {"n": n})
            await hub.pubsub.publish("b", {"text": "网格员", "nested": {"x": [1, 2]}})
            await hub.pubsub.publish("c", {"n": 99})
            got = await drain(both)
            assert got == [("a", {"n": n}) for n in range(5)] + [
                ("b", {"text": "网格员", "nested": {"x": [1, 2]}})
            ]
            assert await drain(only_b) == [("b", {"text": "网格员", "nested": {"x": [1, 2]}})]
            await only_b.close()
            await hub.pubsub.publish("b", {"after": "close"})
            assert await drain(only_b) == []
            assert await drain(both) == [("b", {"after": "close"})]

    run(backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_publish_from_a_worker_thread_reaches_the_loop(backend: str) -> None:
    async def scenario(hub: Realtime) -> None:
        subscription = await hub.pubsub.subscribe(["jobs"])
        thread = threading.Thread(target=hub.pubsub.publish_sync, args=("jobs", {"done": 1}))
        thread.start()
        assert await subscription.get(5) == ("jobs", {"done": 1})
        thread.join()
        await subscription.close()

    run(backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_messages_must_be_json(backend: str) -> None:
    async def scenario(hub: Realtime) -> None:
        subscription = await hub.pubsub.subscribe(["x"])
        with pytest.raises(TypeError):
            await hub.pubsub.publish("x", {"when": object()})
        assert await drain(subscription) == []
        await subscription.close()

    run(backend, scenario)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_subscriber_that_falls_behind_is_cut_off(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pubsub, "MAX_PENDING", 10)

    async def scenario(hub: Realtime) -> None:
        slow = await hub.pubsub.subscribe(["busy"])
        for n in range(15):
            await hub.pubsub.publish("busy", {"n": n})
        await asyncio.sleep(0.3)
        received = []
        with pytest.raises(SubscriptionOverflow):
            async for item in slow:
                received.append(item)
        assert [m["n"] for _c, m in received] == list(range(10))

    run(backend, scenario)


def test_two_redis_processes_share_channels_and_namespaces_separate() -> None:
    """Two app processes = two RedisPubSub objects on one Redis (and here, two event loops)."""
    url = redis_url()
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    first = pubsub.RedisPubSub(url, namespace)
    second = pubsub.RedisPubSub(url, namespace)
    stranger = pubsub.RedisPubSub(url, namespace + "-other")
    heard: list[Any] = []
    ready = threading.Event()

    def other_process() -> None:
        async def listen() -> None:
            subscription = await second.subscribe(["calls.user.7"])
            ready.set()
            heard.append(await subscription.get(10))
            await subscription.close()
            await second.close()

        asyncio.run(listen())

    thread = threading.Thread(target=other_process)
    thread.start()
    assert ready.wait(10)

    async def speak() -> None:
        elsewhere = await stranger.subscribe(["calls.user.7"])
        await first.publish("calls.user.7", {"type": "invite", "call_id": "abc"})
        assert await drain(elsewhere) == []
        await elsewhere.close()
        await first.close()
        await stranger.close()

    asyncio.run(speak())
    thread.join(15)
    assert heard == [("calls.user.7", {"type": "invite", "call_id": "abc"})]


@pytest.mark.parametrize("backend", BACKENDS)
def test_presence_members_expire_or_leave(backend: str) -> None:
    hub = realtime(backend)
    presence = hub.presence
    presence.touch("online", "7:a", 30)
    presence.touch("online", "7:b", 30)
    presence.touch("online", "9:a", 0.3)
    presence.touch("elsewhere", "8:a", 30)
    assert presence.members("online") == {"7:a", "7:b", "9:a"}
    presence.leave("online", "7:b")
    time.sleep(0.5)
    assert presence.members("online") == {"7:a"}
    presence.touch("online", "9:a", 30)  # a heartbeat brings it back
    assert presence.members("online") == {"7:a", "9:a"}
    asyncio.run(hub.close())


def test_connect_chooses_the_backend() -> None:
    assert pubsub.connect("").backend == "local"
    remote = pubsub.connect("redis://127.0.0.1:1/0")  # nothing connects until used
    assert remote.backend == "redis"
    assert isinstance(remote.pubsub, PubSub)
