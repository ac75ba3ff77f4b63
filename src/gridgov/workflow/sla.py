"""The step SLA scan: per-state time limits and escalation rules of running instances.

When an instance enters a state with a time limit or escalation rules, the engine stores its
step deadline and the moment of its first checkpoint (``step_due_at``). This scan, run by the
``sla_scan`` job, reads the instances whose checkpoint has come (one indexed range, batch by
batch) and handles each checkpoint once: yellow (the warning share of the limit) tells those on
duty, overdue tells them again, and an escalation rule tells the roles it names and performs its
transition as the platform. Progress is stored on the instance, so a second run does nothing.

The engine knows nothing of what an instance is about; a subject's own feature lends it
``SubjectHooks`` (who handles the subject, what to call it, how to act on it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Role
from gridgov.accounts.scope import Scope
from gridgov.config import get_settings
from gridgov.kit.calendar import WorkCalendar, office_calendar
from gridgov.kit.clock import format_local, now
from gridgov.kit.errors import AppError
from gridgov.kit.pagination import PageParams
from gridgov.notifications import services as notifications
from gridgov.regions import services as regions
from gridgov.workflow import repository, services
from gridgov.workflow.definition import DefinitionSpec, EscalationRule
from gridgov.workflow.models import WorkflowInstance
from gridgov.workflow.steps import Checkpoint, step_times

log = logging.getLogger("gridgov.jobs")

STEP_ACTOR = "sla"
SCAN_BATCH = 500
# Roles that serve the whole district: everyone with the role is told.
DISTRICT_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.CENTER_OPERATOR})
# Roles that serve one region: the accounts of the instance's street or community are told.
REGION_ROLES = {Role.STREET_STAFF: "street", Role.COMMUNITY_STAFF: "community"}


@dataclass(frozen=True)
class SubjectInfo:
    """What notifications say about a subject: a title, a page link, and the department
    handling it (its handlers are then the ones on duty, else the instance grid's workers)."""

    title: str
    link: str = ""
    department_id: int | None = None


@dataclass(frozen=True)
class SubjectHooks:
    """What the scan asks of a subject's own feature; each is optional.

    ``info``: the subject's ``SubjectInfo``. ``perform``: do a transition on the subject the way
    its feature does (so the subject's own columns follow), given the action, a comment and the
    acting system account; by default the engine moves the instance alone."""

    info: Callable[[Session, WorkflowInstance], SubjectInfo] | None = None
    perform: Callable[[Session, WorkflowInstance, str, str, Actor], None] | None = None


@dataclass
class StepScanReport:
    warned: int = 0
    overdue: int = 0
    rules: int = 0
    performed: int = 0
    failed: int = 0
    notified: int = 0


def scan_step_deadlines(
    session: Session,
    moment: datetime | None = None,
    *,
    hooks: Mapping[str, SubjectHooks] | None = None,
) -> StepScanReport:
    """Handle every step checkpoint that has come by ``moment``, each exactly once."""
    moment = moment or now()
    report = StepScanReport()
    system = Actor.system(STEP_ACTOR)
    calendar = office_calendar()
    handled: set[tuple[int, int]] = set()
    people: dict[tuple[str, str], list[int]] = {}  # who holds a role where, for this run
    specs: dict[int, DefinitionSpec] = {}
    while batch := repository.due_steps(session, moment, SCAN_BATCH):
        fresh = [i for i in batch if (i.id, i.version) not in handled]
        if not fresh:
            break  # only instances another transaction holds: the next run gets them
        for instance in fresh:
            handled.add((instance.id, instance.version))
            spec = specs.get(instance.definition_id)
            if spec is None:
                spec = specs[instance.definition_id] = services.definition_of(session, instance)
            scan = _Scan(session, instance, (hooks or {}).get(instance.subject_type), people)
            scan.run(spec, moment, calendar, system, report)
        session.flush()
    return report


class _Scan:
    def __init__(
        self,
        session: Session,
        instance: WorkflowInstance,
        hooks: SubjectHooks | None,
        people: dict[tuple[str, str], list[int]],
    ):
        self.session = session
        self.instance = instance
        self.hooks = hooks or SubjectHooks()
        self.people = people
        self._info: SubjectInfo | None = None

    def run(
        self,
        spec: DefinitionSpec,
        moment: datetime,
        calendar: WorkCalendar,
        system: Actor,
        report: StepScanReport,
    ) -> None:
        instance = self.instance
        points = step_times(spec, instance.state, instance.state_entered_at, calendar).checkpoints
        stage = min(instance.step_sla_stage, len(points))
        due = [p for p in points[stage:] if p.at <= moment]
        later = points[stage + len(due) :]
        entered = instance.state_entered_at
        # Progress first, guarded by the version seen: whatever happens below, these
        # checkpoints are never handled twice, and a move by someone else meanwhile wins.
        if not repository.update_step_progress(
            self.session,
            instance.id,
            instance.version,
            {"step_sla_stage": stage + len(due), "step_due_at": later[0].at if later else None},
        ):
            return
        self.session.expire(instance, ["step_sla_stage", "step_due_at"])
        told_overdue = any(p.kind == "overdue" for p in due)
        for point in due:
            if instance.state_entered_at != entered:
                break  # a rule moved it: the old state's checkpoints are over
            if point.kind == "warning" and not told_overdue:
                report.warned += 1
                report.notified += self._tell(spec, "step_warning", "即将超时", point)
            elif point.kind == "overdue":
                report.overdue += 1
                report.notified += self._tell(spec, "step_overdue", "已超时", point)
            elif point.kind == "rule" and point.rule is not None:
                report.rules += 1
                self._apply(spec, point, point.rule, system, report)

    def _apply(
        self,
        spec: DefinitionSpec,
        point: Checkpoint,
        rule: EscalationRule,
        system: Actor,
        report: StepScanReport,
    ) -> None:
        instance = self.instance
        label = spec.states[instance.state].label
        hours = _hours(rule.after_hours or spec.states[instance.state].time_limit_hours or 0)
        if rule.notify:
            users = self._role_users(rule.notify)
            report.notified += self._send(
                users, "step_escalation", f"「{label}」超过 {hours} 个工作小时", point
            )
        if rule.action is None:
            return
        comment = f"在「{label}」超过 {hours} 个工作小时，按流程升级规则自动执行"
        try:
            if self.hooks.perform is not None:
                self.hooks.perform(self.session, instance, rule.action, comment, system)
            else:
                services.act(
                    self.session,
                    instance,
                    rule.action,
                    actor=system,
                    expected_version=instance.version,
                    comment=comment,
                )
            report.performed += 1
        except AppError as exc:
            # The subject refused (it is already at the top level, someone moved it): the rule
            # has had its turn; the refusal is logged, not retried.
            report.failed += 1
            log.info(
                "escalation rule %s on %s %s refused: %s",
                rule.action,
                instance.subject_type,
                instance.subject_id,
                exc.message,
            )

    def _tell(self, spec: DefinitionSpec, kind: str, what: str, point: Checkpoint) -> int:
        label = spec.states[self.instance.state].label
        return self._send(self._on_duty(), kind, f"「{label}」步骤{what}", point)

    def _send(self, users: list[int], kind: str, what: str, point: Checkpoint) -> int:
        if not users:
            return 0
        subject = self._subject()
        title, link = subject.title, subject.link
        deadline = self.instance.step_deadline_at or point.at
        notifications.notify(
            self.session,
            users,
            kind=kind,
            title=f"{what}：{title}",
            body=f"步骤时限 {format_local(deadline, get_settings().timezone)}",
            link=link,
        )
        return len(set(users))

    def _subject(self) -> SubjectInfo:
        if self._info is None:
            instance = self.instance
            self._info = (
                self.hooks.info(self.session, instance)
                if self.hooks.info is not None
                else SubjectInfo(f"{instance.subject_type} {instance.subject_id}")
            )
        return self._info

    def _department(self) -> int | None:
        return self._subject().department_id

    def _on_duty(self) -> list[int]:
        """The handling department's handlers, or the workers of the instance's grid."""
        department = self._department()
        key = ("department", str(department)) if department else ("grid", self.instance.region_path)
        if key not in self.people:
            self.people[key] = accounts.user_ids_for_duty(
                self.session,
                department_id=department,
                grid_path=None if department else self.instance.region_path,
            )
        return self.people[key]

    def _role_users(self, roles: list[str]) -> list[int]:
        users: list[int] = []
        for name in roles:
            role = Role(name)
            if role in DISTRICT_ROLES:
                key = (role.value, "")
                if key not in self.people:
                    self.people[key] = accounts.user_ids_for_duty(self.session, roles=[role])
                users += self.people[key]
            elif role == Role.GRID_WORKER:
                users += accounts.user_ids_for_duty(
                    self.session, grid_path=self.instance.region_path
                )
            elif role == Role.DEPARTMENT_HANDLER:
                department = self._department()
                if department is not None:
                    users += accounts.user_ids_for_duty(self.session, department_id=department)
            elif role in REGION_ROLES:
                key = (role.value, self.instance.region_path)
                if key not in self.people:
                    self.people[key] = self._regional(role, REGION_ROLES[role])
                users += self.people[key]
        return sorted(set(users))

    def _regional(self, role: Role, level: str) -> list[int]:
        """Accounts of ``role`` in the instance's street or community."""
        system = Actor.system(STEP_ACTOR)
        codes = [code for code in self.instance.region_path.split("/") if code]
        region = next(
            (
                r
                for r in regions.regions_by_codes(self.session, codes, actor=system)
                if r.level == level
            ),
            None,
        )
        if region is None:
            return []
        local = Actor(
            id=None,
            username=STEP_ACTOR,
            role=system.role,
            scope=Scope(region_paths=(region.path,)),
            permissions=system.permissions,
        )
        found, _ = accounts.list_users(
            self.session, actor=local, role=role, page=PageParams(page=1, page_size=200)
        )
        return [user.id for user in found if user.is_active]


def _hours(value: float) -> str:
    return f"{value:g}"
