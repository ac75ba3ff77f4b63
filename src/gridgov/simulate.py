"""``gridgov simulate``: keeps the demo alive. New cases arrive through the real intake and open
cases move along the loop through the real actions, each done by the account whose work it
is (the grid's worker, a center operator, the department's handler, the citizen who
reported), so every rule, scope check, timeline hash and audit row applies as for a person.

The rate is in new cases per minute. Each tick (every ``interval`` seconds) is one unit of
work, committed at its end, so a page refreshed between ticks shows the progress; a tick
that fails (a person acted on the same case at the same moment, say) is rolled back whole and
tried again without that case, so nothing is left half-written.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import shapely
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import ROLE_PERMISSIONS, Role
from gridgov.accounts.scope import Scope
from gridgov.config import get_settings
from gridgov.db import unit_of_work
from gridgov.events import services as events
from gridgov.events.models import Event, Source, Urgency
from gridgov.events.schemas import ActionIn, EventIn, Location
from gridgov.kit.clock import now, to_local
from gridgov.kit.errors import AppError
from gridgov.kit.geojson import loads
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.orgs.models import OrgKind
from gridgov.regions import services as regions
from gridgov.seed.history import (
    CATEGORY_WEIGHTS,
    DEFAULT_CATEGORY_WEIGHT,
    DEFAULT_URGENCY,
    EXTENSION_REASONS,
    FEEDBACK,
    SETTLE,
    SOURCES,
    URGENCIES,
    URGENCY_WEIGHTS,
    VOID_REASONS,
    case_text,
    dispatch_department,
    source_weights,
)
from gridgov.workflow import services as workflow

DEFAULT_RATE = 6.0  # new cases per minute
DEFAULT_INTERVAL = 10.0  # seconds between ticks
# A case takes about six actions from report to rating: moving six per new case keeps the
# number of open cases steady.
ACTIONS_PER_CASE = 6.0
# Open cases this recent are moved; older ones are left as the history made them.
RECENT_DAYS = 7
# How eagerly each state is picked, relative to the others.
STATE_WEIGHTS = {
    "reported": 3.0,
    "accepted": 3.0,
    "dispatched": 3.0,
    "handling": 2.0,
    "extension_requested": 3.0,
    "feedback": 3.0,
    "closed": 0.5,
}
CANDIDATES_PER_STATE = 100
ATTEMPTS = 3


@dataclass
class TickReport:
    created: int = 0
    moved: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    retried: int = 0
    failed: bool = False

    def add(self, other: TickReport) -> None:
        self.created += other.created
        self.moved += other.moved
        self.actions.update(other.actions)
        self.retried += other.retried
        self.failed = self.failed or other.failed


@dataclass(frozen=True)
class _Grid:
    code: str
    path: str
    name: str
    polygon: Any


class _CaseFailed(Exception):
    def __init__(self, event_id: int | None, error: AppError) -> None:
        super().__init__(error.message)
        self.event_id = event_id
        self.error = error


class Simulator:
    """Creates and moves cases on a seeded database, one committed tick at a time."""

    def __init__(
        self, engine: Engine, *, rate: float = DEFAULT_RATE, seed: int | None = None
    ) -> None:
        self.engine = engine
        self.rate = rate
        self.rnd = random.Random(seed)
        self.system = Actor.system("simulate")
        self._carry_new = 0.0
        self._carry_moves = 0.0
        self._avoid: set[int] = set()
        self._actors: dict[int, Actor] = {}
        with unit_of_work(engine) as session:
            self._load(session)

    # -- who and where -----------------------------------------------------------------------

    def _load(self, session: Session) -> None:
        users = [u for u in accounts.all_users_for_operator(session) if u.is_active]
        self.users = {u.username: u for u in users}
        self.by_role: dict[str, list[User]] = {}
        for user in users:
            self.by_role.setdefault(user.role, []).append(user)
        if not self.by_role.get(Role.CENTER_OPERATOR.value):
            raise RuntimeError("没有社会治理中心坐席账号：请先运行 gridgov seed")
        self.handlers: dict[int, User] = {}
        for user in sorted(self.by_role.get(Role.DEPARTMENT_HANDLER.value, []), key=_name):
            if user.department_id is not None:
                self.handlers.setdefault(user.department_id, user)
        departments, _ = orgs.list_organisations(
            session,
            actor=self.system,
            kind=OrgKind.DEPARTMENT,
            page=PageParams(page=1, page_size=500),
        )
        self.department_ids = {d.code: d.id for d in departments if d.id in self.handlers}
        if not self.department_ids:
            raise RuntimeError("没有区直部门处置账号：请先运行 gridgov seed")
        self.categories = [
            c
            for c in events.list_categories(session, actor=self.system)
            if c.parent_code is not None and c.is_active
        ]
        self.grids = [
            _Grid(r.code, r.path, r.name, loads(r.geometry))
            for r in regions.regions_for_map(
                session, actor=self.system, levels=["grid"], parent_code=None, bbox=None
            )
        ]
        if not self.categories or not self.grids:
            raise RuntimeError("演示数据不完整：请先运行 gridgov seed")
        self.grids.sort(key=lambda g: g.code)
        self.categories.sort(key=lambda c: c.code)

    def _actor(self, session: Session, user: User | None) -> Actor:
        if user is None:
            return self.system
        actor = self._actors.get(user.id)
        if actor is None:
            actor = self._actors[user.id] = accounts.actor_for(session, user)
        return actor

    def _handler(self, session: Session, department_id: int | None) -> Actor:
        """The department's handler account; for a department without one (a police
        station, say), a stand-in with exactly a handler's role, permissions and scope."""
        user = self.handlers.get(department_id or 0)
        if user is not None or department_id is None:
            return self._actor(session, user)
        return Actor(
            id=None,
            username=f"simulate-dept-{department_id}",
            role=Role.DEPARTMENT_HANDLER,
            scope=Scope(department_ids=(department_id,)),
            permissions=ROLE_PERMISSIONS[Role.DEPARTMENT_HANDLER],
            display_name="模拟处置人员",
            organisation_id=department_id,
        )

    def _operator(self, session: Session) -> Actor:
        return self._actor(session, self.rnd.choice(self.by_role[Role.CENTER_OPERATOR.value]))

    def _staff_of(self, role: Role, path: str) -> User | None:
        """The account of ``role`` whose region holds ``path`` (the nearest one)."""
        best: User | None = None
        for user in self.by_role.get(role.value, []):
            scope = user.scope_path or ""
            if (
                scope
                and path.startswith(scope)
                and (best is None or len(scope) > len(best.scope_path or ""))
            ):
                best = user
        return best

    def _grid_worker(self, grid_code: str) -> User | None:
        return self.users.get(f"gw_{grid_code}")

    # -- a tick ------------------------------------------------------------------------------

    def tick(self, seconds: float = DEFAULT_INTERVAL) -> TickReport:
        """One unit of work: the new cases and moves due in ``seconds``, committed together."""
        self._carry_new += self.rate * seconds / 60
        new = int(self._carry_new)
        self._carry_new -= new
        self._carry_moves += self.rate * ACTIONS_PER_CASE * seconds / 60
        moves = int(self._carry_moves)
        self._carry_moves -= moves
        report = TickReport()
        for attempt in range(ATTEMPTS):
            state = self.rnd.getstate()
            try:
                with unit_of_work(self.engine) as session:
                    done = self._work(session, new, moves)
                done.retried = attempt
                return done
            except _CaseFailed as failed:
                # Rolled back whole; leave that case alone and do the tick again.
                self.rnd.setstate(state)
                self.rnd.random()
                if failed.event_id is not None:
                    self._avoid.add(failed.event_id)
                report.retried = attempt + 1
        report.failed = True
        return report

    def _work(self, session: Session, new: int, moves: int) -> TickReport:
        report = TickReport()
        for _ in range(new):
            self._intake(session)
            report.created += 1
        for event, weight_state in self._pick(session, moves):
            action = self._move(session, event, weight_state)
            if action:
                report.moved += 1
                report.actions[action] += 1
        return report

    def _intake(self, session: Session) -> Event:
        rnd = self.rnd
        weights = [CATEGORY_WEIGHTS.get(c.code, DEFAULT_CATEGORY_WEIGHT) for c in self.categories]
        category = rnd.choices(self.categories, weights=weights)[0]
        source = rnd.choices(SOURCES, weights=source_weights(category.code))[0]
        urgency = rnd.choices(
            URGENCIES, weights=URGENCY_WEIGHTS.get(category.code, DEFAULT_URGENCY)
        )[0]
        grid = rnd.choice(self.grids)
        reporter = self._reporter(
            session, source, category.code, category.default_department_code, grid
        )
        if reporter is None:  # nobody of that kind here: the hotline takes the call
            source, reporter = Source.HOTLINE, self._operator(session)
        lon, lat = self._point(grid)
        title, description = case_text(category.code, category.name, grid.name, rnd)
        try:
            event, _ = events.intake(
                session,
                EventIn(
                    title=title,
                    description=description,
                    category_code=category.code,
                    location=Location(lon=lon, lat=lat),
                    source=source,
                    urgency=Urgency(urgency),
                ),
                actor=reporter,
            )
        except AppError as error:
            raise _CaseFailed(None, error) from error
        return event

    def _reporter(
        self,
        session: Session,
        source: Source,
        category_code: str,
        default_department: str | None,
        grid: _Grid,
    ) -> Actor | None:
        if source == Source.SENSOR:
            return Actor.system("iot")
        if source in (Source.HOTLINE, Source.DEPARTMENT):
            # Entered by the center: department handlers handle cases, they do not report.
            return self._operator(session)
        user: User | None
        if source == Source.GRID_WORKER:
            user = self._grid_worker(grid.code)
        elif source == Source.CITIZEN:
            citizens = self.by_role.get(Role.CITIZEN.value, [])
            user = self.rnd.choice(citizens) if citizens else None
        elif source == Source.STREET:
            user = self._staff_of(Role.STREET_STAFF, grid.path)
        else:
            user = self._staff_of(Role.COMMUNITY_STAFF, grid.path)
        return self._actor(session, user) if user is not None else None

    def _point(self, grid: _Grid) -> tuple[float, float]:
        x0, y0, x1, y1 = grid.polygon.bounds
        for _ in range(1_000):
            x, y = self.rnd.uniform(x0, x1), self.rnd.uniform(y0, y1)
            if shapely.contains_xy(grid.polygon, x, y):
                return round(x, 7), round(y, 7)
        point = grid.polygon.representative_point()
        return point.x, point.y

    def _pick(self, session: Session, moves: int) -> list[tuple[Event, str]]:
        """Up to ``moves`` distinct recent open cases, states weighted by STATE_WEIGHTS."""
        if moves <= 0:
            return []
        since = now() - timedelta(days=RECENT_DAYS)
        pool: list[tuple[Event, str]] = []
        for state in STATE_WEIGHTS:
            found, _ = events.search_events(
                session,
                events.event_filter(session, actor=self.system, status=state, created_from=since),
                actor=self.system,
                page=PageParams(page=1, page_size=CANDIDATES_PER_STATE),
            )
            pool += [(e, state) for e in found if e.id not in self._avoid]
        chosen: list[tuple[Event, str]] = []
        while pool and len(chosen) < moves:
            weights = [STATE_WEIGHTS[state] for _, state in pool]
            index = self.rnd.choices(range(len(pool)), weights=weights)[0]
            chosen.append(pool.pop(index))
        return chosen

    # -- moving a case -----------------------------------------------------------------------

    def _move(self, session: Session, event: Event, state: str) -> str | None:
        """Perform the natural next action on a case, as the account whose work it is: a
        sometimes-taken branch first, then the usual step, whichever the workflow definition
        allows this account with the fields the simulator fills in."""
        instance = workflow.instance_for(session, events.SUBJECT, event.id)
        for action, actor, fields in self._plans(session, event, state):
            allowed = {
                t.action: t for t in workflow.available_actions(session, instance, actor=actor)
            }
            transition = allowed.get(action)
            if transition is None or any(not fields.get(name) for name in transition.required):
                continue  # e.g. 自办结 once the definition asks for a photo
            try:
                events.act(
                    session,
                    event.id,
                    action,
                    ActionIn(version=instance.version, **fields),
                    actor=actor,
                )
            except AppError as error:
                raise _CaseFailed(event.id, error) from error
            return action
        return None

    def _plans(
        self, session: Session, event: Event, state: str
    ) -> list[tuple[str, Actor, dict[str, Any]]]:
        rnd = self.rnd
        operator = self._operator(session)
        handler = self._handler(session, event.department_id)
        grid_code = event.region_path.rstrip("/").split("/")[-1]
        plans: list[tuple[str, Actor, dict[str, Any]]] = []
        fields: dict[str, Any]
        roll = rnd.random()
        if state == "reported":
            worker = self._grid_worker(grid_code)
            if event.source == Source.GRID_WORKER and worker is not None and roll < 0.35:
                fields = {"comment": rnd.choice(SETTLE)}
                plans.append(("self_settle", self._actor(session, worker), fields))
            elif roll > 0.97:
                plans.append(("void", operator, {"comment": rnd.choice(VOID_REASONS)}))
            plans.append(("accept", operator, {}))
        elif state == "accepted":
            category = next((c for c in self.categories if c.code == event.category_code), None)
            code = dispatch_department(
                event.category_code,
                category.default_department_code if category else None,
                set(self.department_ids),
            )
            plans.append(("dispatch", operator, {"department_id": self.department_ids[code]}))
        elif state == "dispatched":
            if roll < 0.05:
                plans.append(("return", handler, {"comment": "不属于本部门职责，请重新派遣"}))
            plans.append(("receive", handler, {}))
        elif state == "handling":
            if roll < 0.05:
                fields = {"hours": 8.0, "comment": rnd.choice(EXTENSION_REASONS)}
                plans.append(("request_extension", handler, fields))
            elif roll < 0.12 and event.deadline_at <= now():
                fields = {"card": "yellow", "comment": "已超过办结时限，请加快办理"}
                plans.append(("supervise", operator, fields))
            plans.append(("feedback", handler, {"comment": rnd.choice(FEEDBACK)}))
        elif state == "extension_requested":
            if roll < 0.2:
                plans.append(("reject_extension", operator, {"comment": "请按期办结"}))
            plans.append(("approve_extension", operator, {}))
        elif state == "feedback":
            if roll < 0.08:
                plans.append(("rework", operator, {"comment": "现场核查未整改到位，请返工"}))
            plans.append(("approve", operator, {}))
        elif state == "closed":
            citizen = self._reporting_citizen(event)
            rater = self._actor(session, citizen) if citizen is not None else operator
            score = rnd.choices((1, 2, 3, 4, 5), weights=(2, 3, 8, 25, 62))[0]
            plans.append(("rate", rater, {"satisfaction": score}))
        return plans

    def _reporting_citizen(self, event: Event) -> User | None:
        for user in self.by_role.get(Role.CITIZEN.value, []):
            if user.id == event.reporter_id:
                return user
        return None


def _name(user: User) -> str:
    return user.username


ACTION_LABELS = {
    "accept": "受理",
    "dispatch": "派遣",
    "receive": "签收",
    "return": "退回",
    "request_extension": "申请延期",
    "approve_extension": "批准延期",
    "reject_extension": "驳回延期",
    "supervise": "督办",
    "feedback": "反馈",
    "rework": "返工",
    "approve": "结案",
    "rate": "评价",
    "self_settle": "自办结",
    "void": "作废",
}


def summary(report: TickReport) -> str:
    moves = "，".join(
        f"{ACTION_LABELS.get(a, a)} {n}"
        for a, n in sorted(report.actions.items(), key=lambda x: -x[1])
    )
    line = f"新增 {report.created} 件，推进 {report.moved} 步"
    if moves:
        line += f"（{moves}）"
    if report.retried:
        line += f"，重试 {report.retried} 次"
    return line


def run(
    engine: Engine,
    *,
    rate: float = DEFAULT_RATE,
    interval: float = DEFAULT_INTERVAL,
    duration: float | None = None,
    ticks: int | None = None,
    seed: int | None = None,
    echo: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    sleep: bool = True,
) -> TickReport:
    """Tick every ``interval`` seconds until ``duration`` seconds or ``ticks`` ticks have
    passed, or ``stop`` is set; print a line per minute. ``sleep=False`` runs the ticks back
    to back (tests), each still counted as ``interval`` seconds of simulated time."""
    simulator = Simulator(engine, rate=rate, seed=seed)
    stop = stop or threading.Event()
    total, minute = TickReport(), TickReport()
    started = time.monotonic()
    done = 0
    try:
        while not stop.is_set():
            tick_started = time.monotonic()
            report = simulator.tick(interval)
            done += 1
            total.add(report)
            minute.add(report)
            if report.failed:
                echo("本轮模拟未能完成（已回滚），将在下一轮继续")
            # A line per minute of simulated time (which is real time unless sleep is off).
            if int(done * interval // 60) > int((done - 1) * interval // 60):
                echo(f"{to_local(now(), get_settings().timezone):%H:%M} {summary(minute)}")
                minute = TickReport()
            if ticks is not None and done >= ticks:
                break
            if sleep:
                pause = interval - (time.monotonic() - tick_started)
                if duration is not None:
                    pause = min(pause, started + duration - time.monotonic())
                stop.wait(max(0.0, pause))
            if duration is not None and time.monotonic() - started >= duration:
                break
    except KeyboardInterrupt:  # Ctrl-C: the tick under way was rolled back whole
        echo("已停止")
    return total
