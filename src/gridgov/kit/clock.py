"""The one source of "now", so tests and simulations can move time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(func: Callable[[], datetime]) -> None:
    global _now
    _now = func


def reset_clock() -> None:
    set_clock(lambda: datetime.now(UTC))


@contextmanager
def stopped_at(moment: datetime) -> Iterator[None]:
    """Inside the block "now" is ``moment`` (a seed writing a past day through the real
    services); afterwards whatever clock ran before runs again."""
    global _now
    before = _now
    _now = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        _now = before


def to_local(moment: datetime, timezone: str = "Asia/Shanghai") -> datetime:
    """Times are stored in UTC and shown in the district's zone."""
    return moment.astimezone(ZoneInfo(timezone))


def format_local(moment: datetime | None, timezone: str = "Asia/Shanghai") -> str:
    if moment is None:
        return ""
    return to_local(moment, timezone).strftime("%Y-%m-%d %H:%M")
