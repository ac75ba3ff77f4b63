"""The platform's background jobs, each one unit of work against the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine

from gridgov.db import unit_of_work
from gridgov.events import services as events
from gridgov.kit.scheduler import Job, Scheduler

log = logging.getLogger("gridgov.jobs")


def sla_scan(engine: Engine) -> events.ScanReport:
    with unit_of_work(engine) as session:
        report = events.scan_deadlines(session)
    if report.warned or report.overdue:
        log.info(
            "SLA scan: %d warned, %d overdue, %d escalated, %d notified",
            report.warned,
            report.overdue,
            report.escalated,
            report.notified,
        )
    return report


def scheduler(engine: Engine) -> Scheduler:
    return Scheduler([Job("sla_scan", timedelta(minutes=1), lambda: sla_scan(engine))])
