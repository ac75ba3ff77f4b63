"""A small sliding-window rate limiter kept in memory.

Each key (``"open311-key:7"``, ``"ip:10.0.0.1"``) may be hit ``limit`` times within any
``window`` seconds. The state is this process's: with several server processes each counts
on its own, so the limit is per process. Limits that must hold across processes (reports per
phone, codes per number) are counted from database rows by their feature instead.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime

from gridgov.kit.clock import now
from gridgov.kit.errors import TooManyRequests


class RateLimiter:
    def __init__(self, clock: Callable[[], datetime] = now, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        # Beyond this many keys, the oldest idle ones are forgotten (a flood of new addresses
        # must not grow memory without bound).
        self._max_keys = max_keys

    def hit(self, key: str, limit: int, window: float = 60.0) -> int | None:
        """Count one hit. Returns ``None`` when allowed, else the seconds until a slot frees."""
        moment = self._clock().timestamp()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._forget_idle(moment, window)
                hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= moment - window:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + window - moment))
            hits.append(moment)
            return None

    def check(self, key: str, limit: int, window: float = 60.0, *, what: str = "请求") -> None:
        """Count one hit and raise 429 ``rate_limited`` when over the limit."""
        wait = self.hit(key, limit, window)
        if wait is not None:
            raise TooManyRequests(
                f"{what}过于频繁，请 {wait} 秒后再试", code="rate_limited", retry_after=wait
            )

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def _forget_idle(self, moment: float, window: float) -> None:
        idle = [k for k, v in self._hits.items() if not v or v[-1] <= moment - window]
        for key in idle:
            del self._hits[key]
        if len(self._hits) >= self._max_keys:
            # Everyone is active: drop the oldest half rather than refuse new keys forever.
            for key in list(self._hits)[: self._max_keys // 2]:
                del self._hits[key]
