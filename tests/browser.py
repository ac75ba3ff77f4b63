"""What every browser test shares: the Chromium to drive, its arguments, and the real app
served on a free local port.

Chromium comes from Debian's package (``/usr/bin/chromium``); `.ci/run` installs it and sets
``CI=true``. Off CI a machine without it skips browser tests with a message; on CI its absence
is a failure, so a missing browser can never pass unnoticed there."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from sqlalchemy import Engine

from gridgov.app import create_app
from gridgov.config import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = "Chromium is not installed (apt-get install chromium)"


def chromium() -> str:
    """The browser's path; skips the calling test off CI when there is none."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(settings: Settings, engine: Engine) -> Iterator[str]:
    """The real app under uvicorn on a free local port, for the browser to talk to."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)
