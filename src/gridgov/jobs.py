"""The platform's background jobs, each one unit of work against the database."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.alerts import services as alerts
from gridgov.analytics import services as analytics
from gridgov.assessment import services as assessment
from gridgov.calls import services as calls
from gridgov.config import get_settings
from gridgov.db import unit_of_work
from gridgov.events import dispatching
from gridgov.events import services as events
from gridgov.events.schemas import ActionIn
from gridgov.kit.errors import InvalidInput
from gridgov.kit.scheduler import Job, Scheduler
from gridgov.mediation import services as mediation
from gridgov.patrol import services as patrol
from gridgov.routing import services as routing
from gridgov.tasks import services as tasks
from gridgov.workflow.models import WorkflowInstance
from gridgov.workflow.sla import StepScanReport, SubjectHooks, SubjectInfo, scan_step_deadlines

log = logging.getLogger("gridgov.jobs")


def sla_scan(engine: Engine) -> events.ScanReport:
    """Case deadlines, then workflow step deadlines, each in its own transaction (one failing
    does not hold back the other)."""
    try:
        with unit_of_work(engine) as session:
            report = events.scan_deadlines(session)
    finally:
        step_scan(engine)
    if report.warned or report.overdue:
        log.info(
            "SLA scan: %d warned, %d overdue, %d escalated, %d notified",
            report.warned,
            report.overdue,
            report.escalated,
            report.notified,
        )
    return report


def retrain_routing(engine: Engine) -> int | None:
    """Retrain the routing model from closed cases and corrections once the newest version is
    older than ``routing_retrain_hours``; returns the new version, if one was trained."""
    every = get_settings().routing_retrain_hours
    if every <= 0:
        return None
    system = Actor.system("routing-retrain")
    with unit_of_work(engine) as session:
        if not routing.due_for_retraining(session, timedelta(hours=every)):
            return None
        rows = dispatching.training_rows(session, actor=system)
        try:
            report = routing.train(session, rows, actor=system)
        except InvalidInput as refused:
            log.info("routing retraining skipped: %s", refused.message)
            return None
        activated = routing.activate_if_better(session, report.model, actor=system)
        log.info(
            "routing model v%d trained on %d cases in %.0f s (%s)",
            report.model.version,
            report.counts["cases"],
            report.seconds,
            "activated" if activated else "kept as draft: not better than the active one",
        )
        return report.model.version


def mediation_scan(engine: Engine) -> mediation.ScanReport:
    """Dispute time limits: warn the mediators, escalate overdue disputes one level."""
    with unit_of_work(engine) as session:
        report = mediation.scan_deadlines(session)
    if report.warned or report.overdue:
        log.info(
            "Mediation scan: %d warned, %d overdue, %d escalated, %d notified",
            report.warned,
            report.overdue,
            report.escalated,
            report.notified,
        )
    return report


def calls_sweep(engine: Engine) -> int:
    """Video calls left ringing or answered by a server that went away: missed / ended."""
    with unit_of_work(engine) as session:
        closed = calls.sweep(
            session,
            actor=Actor.system("calls-sweep"),
            ring_seconds=get_settings().call_ring_seconds,
            max_hours=calls.CALL_MAX_HOURS,
        )
    if closed:
        log.info("Calls sweep: %d calls left live were closed", closed)
    return closed


def patrol_housekeeping(engine: Engine) -> tuple[int, int]:
    """Close patrols with no fix for two hours (at their last fix, figures computed), then
    prune raw fixes past the retention period; each in its own transaction."""
    with unit_of_work(engine) as session:
        closed = patrol.close_stale(session)
    with unit_of_work(engine) as session:
        pruned = patrol.prune_points(session)
    if closed or pruned:
        log.info("Patrol housekeeping: %d stale patrols closed, %d fixes pruned", closed, pruned)
    return closed, pruned


def task_reminders(engine: Engine) -> int:
    """Tell each task's recipients once when its deadline is less than a day away."""
    with unit_of_work(engine) as session:
        told = tasks.remind_due(session)
    if told:
        log.info("Task reminders: %d recipients told of a deadline within 24 h", told)
    return told


def analytics_rollup(engine: Engine) -> analytics.RollupReport:
    """Bring the analytics rollups up to date with the cases changed since the last run."""
    with unit_of_work(engine) as session:
        report = analytics.rollup_incremental(session, actor=Actor.system("analytics-rollup"))
    if report.cases:
        log.info(
            "Analytics rollup (%s): %d cases, %d daily keys in %.2f s",
            report.mode,
            report.cases,
            report.daily_keys,
            report.seconds,
        )
    return report


def alerts_scan(engine: Engine) -> alerts.ScanReport:
    """Early warning: abnormal rises, recurrences, SLA risk, overdue visits (after the
    rollup job in the list, so it reads fresh counts)."""
    with unit_of_work(engine) as session:
        report = alerts.scan(session, actor=Actor.system("alerts-scan"))
    if any(report.created.values()) or report.closed:
        log.info("Alerts scan: %s (%.2f s)", report.summary(), report.seconds)
    return report


def _alerts_jobs(engine: Engine) -> list[Job]:
    minutes = get_settings().alerts_scan_minutes
    if minutes <= 0:
        return []
    return [Job("alerts_scan", timedelta(minutes=minutes), lambda: alerts_scan(engine))]


def assessment_snapshot(engine: Engine) -> int:
    """From the 1st of a month: freeze last month's scores of every active assessment scheme
    not frozen yet (idempotent; runs hourly so a missed 1st is caught up)."""
    with unit_of_work(engine) as session:
        frozen = assessment.freeze_due(session, actor=Actor.system("assessment-snapshot"))
    made = [f for f in frozen if f.created]
    if made:
        log.info("Assessment: %d schemes frozen for %s", len(made), made[0].snapshot.month)
    return len(made)


def _analytics_jobs(engine: Engine) -> list[Job]:
    minutes = get_settings().analytics_rollup_minutes
    if minutes <= 0:
        return []
    return [Job("analytics_rollup", timedelta(minutes=minutes), lambda: analytics_rollup(engine))]


def scheduler(engine: Engine) -> Scheduler:
    return Scheduler(
        [
            Job("sla_scan", timedelta(minutes=1), lambda: sla_scan(engine)),
            Job("routing_retrain", timedelta(hours=1), lambda: retrain_routing(engine)),
            Job("mediation_scan", timedelta(minutes=5), lambda: mediation_scan(engine)),
            Job("calls_sweep", timedelta(minutes=5), lambda: calls_sweep(engine)),
            Job("patrol_housekeeping", timedelta(minutes=10), lambda: patrol_housekeeping(engine)),
            Job("task_reminders", timedelta(minutes=10), lambda: task_reminders(engine)),
            *_analytics_jobs(engine),
            *_alerts_jobs(engine),
            Job("assessment_snapshot", timedelta(hours=1), lambda: assessment_snapshot(engine)),
        ]
    )


def _event_info(session: Session, instance: WorkflowInstance) -> SubjectInfo:
    event = events.get_event(session, instance.subject_id, actor=Actor.system(events.SLA_ACTOR))
    return SubjectInfo(f"{event.code} {event.title}", f"/events/{event.id}", event.department_id)


def _perform_on_event(
    session: Session, instance: WorkflowInstance, action: str, comment: str, actor: Actor
) -> None:
    # Through the case's own service, so its status, level and deadline follow the move.
    data = ActionIn(version=instance.version, comment=comment)
    events.act(session, instance.subject_id, action, data, actor=actor)


# How the step scan reaches each kind of subject the engine runs.
STEP_HOOKS: dict[str, SubjectHooks] = {
    events.SUBJECT: SubjectHooks(
        info=_event_info,
        perform=_perform_on_event,
    ),
    mediation.SUBJECT: SubjectHooks(info=mediation.subject_info, perform=mediation.perform),
}


def scan_steps(session: Session) -> StepScanReport:
    return scan_step_deadlines(session, hooks=STEP_HOOKS)


def step_scan(engine: Engine) -> StepScanReport:
    with unit_of_work(engine) as session:
        report = scan_steps(session)
    if report.warned or report.overdue or report.rules:
        log.info(
            "Step SLA scan: %d warned, %d overdue, %d rules (%d acted, %d refused), %d notified",
            report.warned,
            report.overdue,
            report.rules,
            report.performed,
            report.failed,
            report.notified,
        )
    return report
