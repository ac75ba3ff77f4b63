"""The screens' live channel. ``publish_after_commit(session, message)`` queues a message for
the pub/sub channel ``screens``, sent when the session commits and dropped if it rolls back.
The mechanism is domain-free and lives in ``gridgov.kit.live`` (so the features below the
screens — events intake, alerts — may call it without importing upwards); this module is the
name the interface contract gives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from gridgov.kit import live

CHANNEL = live.SCREENS


def publish_after_commit(session: Session, message: Mapping[str, Any]) -> None:
    """Queue ``message`` (a JSON object with a ``type``: "event", "alert", …) for the big
    screens; it leaves when ``session`` commits."""
    live.publish_after_commit(session, message, channel=CHANNEL)
