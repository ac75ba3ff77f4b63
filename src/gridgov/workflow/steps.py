"""Step deadlines: when an instance enters a state with a time limit or escalation rules, the
moments the step scan must look at it again. Pure arithmetic on the office calendar; no
database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from gridgov.config import get_settings
from gridgov.kit.calendar import WorkCalendar, office_calendar
from gridgov.workflow.definition import DefinitionSpec, EscalationRule

CheckpointKind = Literal["warning", "overdue", "rule"]
# At one moment: warn before saying overdue, and say overdue before a rule acts on it.
_ORDER: dict[str, int] = {"warning": 0, "overdue": 1, "rule": 2}


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    kind: CheckpointKind
    rule: EscalationRule | None = None


@dataclass(frozen=True)
class StepTimes:
    deadline_at: datetime | None
    warn_at: datetime | None
    checkpoints: list[Checkpoint]


def step_times(
    spec: DefinitionSpec,
    state: str,
    entered_at: datetime,
    calendar: WorkCalendar | None = None,
    warning_share: float | None = None,
) -> StepTimes:
    """The step limit of ``state`` entered at ``entered_at`` and its checkpoints in time order:
    yellow at the warning share of the limit, overdue at the limit, and each escalation rule
    after its working hours (the limit's when it names none)."""
    state_spec = spec.states.get(state)
    rules = spec.rules_for(state)
    if state_spec is None or (state_spec.time_limit_hours is None and not rules):
        return StepTimes(None, None, [])
    calendar = calendar or office_calendar()
    share = get_settings().sla_warning_share if warning_share is None else warning_share
    points: list[Checkpoint] = []
    deadline = warn = None
    limit = state_spec.time_limit_hours
    if limit is not None:
        deadline = calendar.add_working_hours(entered_at, limit)
        warn = entered_at + (deadline - entered_at) * share
        points += [Checkpoint(warn, "warning"), Checkpoint(deadline, "overdue")]
    for rule in rules:
        hours = rule.after_hours if rule.after_hours is not None else limit
        if hours is None:  # refused on save; a stored definition cannot get here
            continue
        at = (
            deadline
            if hours == limit and deadline
            else calendar.add_working_hours(entered_at, hours)
        )
        points.append(Checkpoint(at, "rule", rule))
    # sorted() is stable, so rules due at the same moment keep the order they were written in.
    points = sorted(points, key=lambda p: (p.at, _ORDER[p.kind]))
    return StepTimes(deadline, warn, points)


def entering(
    spec: DefinitionSpec, state: str, entered_at: datetime, calendar: WorkCalendar | None = None
) -> dict[str, Any]:
    """Column values of an instance that enters ``state`` now: a fresh step limit and scan."""
    times = step_times(spec, state, entered_at, calendar)
    return {
        "step_deadline_at": times.deadline_at,
        "step_warn_at": times.warn_at,
        "step_sla_stage": 0,
        "step_due_at": times.checkpoints[0].at if times.checkpoints else None,
    }
