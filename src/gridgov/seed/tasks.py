"""Demo tasks (任务下发) over the last 90 days, consistent with the accounts and their grids.

- the center sends about one task a week to a handful of grids across the district, each street
  one a week to grids of its own, each community one every two weeks to its grids;
- the center asks the utility enterprises for a fire-safety self-inspection every three weeks,
  and each street its social organisation for a volunteer patrol;
- tasks whose deadline has passed are mostly completed (a few late), some were never finished
  (overdue), a few cancelled; the latest are open, some accepted, some already done.

Rows are written with Core inserts; each assignment's grid is the one the task reached the
worker through, so senders see their progress and workers their own."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.kit.clock import now
from gridgov.registry.models import Component, Household
from gridgov.seed.context import SeedContext
from gridgov.tasks.models import AssignmentStatus, Task, TaskAssignment, TaskKind, TaskStatus
from gridgov.tasks.services import common_path

DAYS = 90

# (kind, title, description, result)
TEMPLATES: tuple[tuple[TaskKind, str, str, str], ...] = (
    (
        TaskKind.PATROL_AREA,
        "汛期积水点巡查",
        "对辖区低洼路段、地下通道和雨水井进行巡查，发现积水和井盖缺失及时上报。",
        "已巡查全部低洼路段，未发现明显积水，1处雨水篦子堵塞已上报。",
    ),
    (
        TaskKind.PATROL_AREA,
        "占道经营专项巡查",
        "重点巡查早晚市周边道路，劝导占道经营，拍照留存。",
        "巡查完毕，劝导占道摊点3处，均已自行整改。",
    ),
    (
        TaskKind.INSPECT_COMPONENT,
        "部件核查：井盖与路灯",
        "核查指定部件的完好情况，照片反馈。",
        "现场核查部件完好，照片已上传。",
    ),
    (
        TaskKind.VISIT_HOUSEHOLDS,
        "重点户入户走访",
        "对清单内的住户逐户走访，了解近期生活情况和诉求。",
        "清单内住户已全部走访，收集诉求2条已登记。",
    ),
    (
        TaskKind.OTHER,
        "燃气安全宣传",
        "入户或在小区张贴燃气安全宣传材料，提醒居民检查软管和阀门。",
        "已张贴宣传材料，入户提醒30余户。",
    ),
    (
        TaskKind.OTHER,
        "反诈宣传进小区",
        "在小区开展反电信诈骗宣传，指导居民安装国家反诈中心APP。",
        "开展宣传2场，指导安装反诈APP 46人。",
    ),
    (
        TaskKind.PATROL_AREA,
        "消防通道占用排查",
        "排查小区消防通道占用和楼道堆物，督促清理。",
        "排查楼道12栋，清理堆物5处，消防通道畅通。",
    ),
)
SOCIAL_TEMPLATES: dict[str, tuple[TaskKind, str, str, str]] = {
    Role.ENTERPRISE.value: (
        TaskKind.OTHER,
        "消防安全自查",
        "请对本单位经营场所、站点和设施开展消防安全自查，填报自查结果并上传照片。",
        "已完成自查：灭火器在有效期内，疏散通道畅通，整改隐患1处。",
    ),
    Role.SOCIAL_ORG.value: (
        TaskKind.PATROL_AREA,
        "志愿者平安巡逻",
        "组织志愿者在辖区重点路段开展平安巡逻，发现问题及时反映。",
        "组织志愿者12人巡逻2小时，发现并反映问题1条。",
    ),
}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


@dataclass
class _Sender:
    user_id: int
    name: str
    prefix: str  # the paths this sender may send to
    per_week: float


def generate(ctx: SeedContext) -> None:
    session = ctx.session
    rng = random.Random(ctx.seed * 104729 + 7)
    moment = now()
    users = session.execute(
        select(User.id, User.username, User.display_name, User.role, User.region_path).order_by(
            User.id
        )
    ).all()
    names = {u.id: u.display_name for u in users}
    workers: dict[str, list[int]] = defaultdict(list)
    for path, user_id in session.execute(
        select(GridAssignment.region_path, GridAssignment.user_id)
        .join(User, User.id == GridAssignment.user_id)
        .where(User.role == Role.GRID_WORKER.value, User.is_active.is_(True))
        .order_by(GridAssignment.region_path, GridAssignment.user_id)
    ):
        workers[path].append(user_id)
    grid_paths = sorted(workers)
    if not grid_paths:
        return
    senders: list[_Sender] = []
    for u in users:
        if u.username == "operator" or u.role == Role.STREET_STAFF.value:
            senders.append(_Sender(u.id, u.display_name, u.region_path, 1.0))
        elif u.role == Role.COMMUNITY_STAFF.value:
            senders.append(_Sender(u.id, u.display_name, u.region_path, 0.5))
    components = _one_per_grid(session, Component.id, Component.region_path)
    households = _per_grid(session, Household.id, Household.region_path)
    tasks: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    task_id = (session.scalar(select(func.max(Task.id))) or 0) + 1

    def add_task(
        sender: _Sender,
        template: tuple[TaskKind, str, str, str],
        recipients: list[tuple[int, str]],
        targets: list[str],
        created: datetime,
    ) -> None:
        nonlocal task_id
        kind, title, description, result = template
        component_id = components.get(targets[0]) if targets else None
        homes = households.get(targets[0], []) if targets else []
        if kind == TaskKind.INSPECT_COMPONENT and component_id is None:
            kind = TaskKind.OTHER
        if kind == TaskKind.VISIT_HOUSEHOLDS and not homes:
            kind = TaskKind.OTHER
        deadline = created + timedelta(days=rng.choice((2, 3, 5, 7)), hours=rng.randint(0, 8))
        finished = deadline < moment
        roll = rng.random()
        cancelled = finished and roll < 0.03
        states: list[dict[str, Any]] = []
        for user_id, path in recipients:
            row: dict[str, Any] = {
                "task_id": task_id,
                "user_id": user_id,
                "user_name": names.get(user_id, ""),
                "region_path": path,
                "status": AssignmentStatus.SENT.value,
                "accepted_at": None,
                "completed_at": None,
                "result": "",
                "values": {},
                "media_ids": [],
                "client_id": None,
                "reminded_at": deadline - timedelta(hours=20) if finished else None,
                "created_at": created,
            }
            span = (min(deadline, moment) - created).total_seconds()
            accepted = created + timedelta(seconds=span * rng.uniform(0.02, 0.2))
            if cancelled:
                row["status"] = AssignmentStatus.CANCELLED.value
            elif (finished and rng.random() < 0.9) or (not finished and rng.random() < 0.4):
                late = finished and rng.random() < 0.08
                done = (
                    deadline + timedelta(hours=rng.uniform(2, 30))
                    if late
                    else accepted + timedelta(seconds=span * rng.uniform(0.1, 0.75))
                )
                row.update(
                    status=AssignmentStatus.COMPLETED.value,
                    accepted_at=accepted,
                    completed_at=min(done, moment),
                    result=result,
                    client_id=f"seed-task-{task_id}-{user_id}",
                )
            elif rng.random() < 0.6 and accepted < moment:
                row.update(status=AssignmentStatus.ACCEPTED.value, accepted_at=accepted)
            states.append(row)
        if cancelled:
            status = TaskStatus.CANCELLED.value
        elif all(r["status"] == AssignmentStatus.COMPLETED.value for r in states):
            status = TaskStatus.DONE.value
        else:
            status = TaskStatus.OPEN.value
        assignments.extend(states)
        tasks.append(
            {
                "id": task_id,
                "title": title,
                "kind": kind.value,
                "description": description,
                "deadline_at": deadline,
                "created_by": sender.user_id,
                "created_by_name": sender.name,
                "region_path": common_path([p for _u, p in recipients]),
                "target_grid_paths": targets,
                "component_id": component_id if kind == TaskKind.INSPECT_COMPONENT else None,
                "household_ids": rng.sample(homes, min(len(homes), rng.randint(3, 8)))
                if kind == TaskKind.VISIT_HOUSEHOLDS
                else [],
                "campaign_id": None,
                "geometry": None,
                "status": status,
                "created_at": created,
                "updated_at": created,
                "cancelled_at": deadline - timedelta(days=1) if cancelled else None,
            }
        )
        task_id += 1

    def moment_in(day: int) -> datetime:
        return moment - timedelta(days=DAYS - day, hours=rng.uniform(0, 9))

    for sender in senders:
        mine = [p for p in grid_paths if p.startswith(sender.prefix)]
        if not mine:
            continue
        for day in range(0, DAYS, 7):
            if rng.random() >= sender.per_week:
                continue
            created = moment_in(day + rng.randint(0, 6))
            if created >= moment:
                continue
            targets = rng.sample(mine, min(len(mine), rng.randint(1, 6)))
            recipients = [(uid, path) for path in targets for uid in workers[path][:1]]
            add_task(sender, rng.choice(TEMPLATES), recipients, targets, created)
    center = next((s for s in senders if s.prefix.count("/") == 1), None)
    if center is not None:
        social = [u for u in users if u.role in SOCIAL_TEMPLATES]
        for day in range(0, DAYS, 21):
            for role in (Role.ENTERPRISE.value, Role.SOCIAL_ORG.value):
                recipients = [(u.id, u.region_path) for u in social if u.role == role]
                if recipients:
                    add_task(center, SOCIAL_TEMPLATES[role], recipients, [], moment_in(day + 2))
    for start in range(0, len(tasks), 5000):
        session.connection().execute(insert(_table(Task)), tasks[start : start + 5000])
    for start in range(0, len(assignments), 20_000):
        session.connection().execute(
            insert(_table(TaskAssignment)), assignments[start : start + 20_000]
        )
    _move_sequence(ctx, task_id)
    ctx.counts["tasks"] = len(tasks)
    ctx.counts["task_assignments"] = len(assignments)


def _one_per_grid(session: Any, id_column: Any, path_column: Any) -> dict[str, int]:
    stmt = select(path_column, func.min(id_column)).group_by(path_column)
    return {path: int(first) for path, first in session.execute(stmt)}


def _per_grid(session: Any, id_column: Any, path_column: Any) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for row_id, path in session.execute(select(id_column, path_column).order_by(id_column)):
        if len(found[path]) < 40:
            found[path].append(row_id)
    return found


def _move_sequence(ctx: SeedContext, next_id: int) -> None:
    """Ids were given; PostgreSQL's sequence must move past them."""
    connection = ctx.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('tasks', 'id'), :n, false)"),
            {"n": next_id},
        )
