"""One scheduler interface for background work: the same jobs run inside the web process (the
embedded default) or in a separate `gridgov worker` process at scale."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gridgov.kit.clock import now

log = logging.getLogger("gridgov.jobs")


@dataclass
class Job:
    name: str
    every: timedelta
    run: Callable[[], object]
    next_at: datetime | None = field(default=None)


class Scheduler:
    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, moment: datetime | None = None) -> list[str]:
        """Run every job whose time has come; returns their names. Tests call this directly
        with a moved clock."""
        moment = moment or now()
        ran = []
        for job in self.jobs:
            if job.next_at is None or job.next_at <= moment:
                try:
                    job.run()
                except Exception:
                    # One failing run must not stop the others or the loop; it is logged and
                    # retried at the next interval.
                    log.exception("job %s failed", job.name)
                job.next_at = moment + job.every
                ran.append(job.name)
        return ran

    def run_forever(self, tick_seconds: float = 5.0) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(tick_seconds)

    def start_thread(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="gridgov-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
