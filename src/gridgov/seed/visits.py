"""Demo household visits (入户走访), consistent with the registry.

- every special-group member's ``last_visit_at`` (set by seed/registry.py) is a visit at that
  moment by the worker responsible for them (else their grid's worker), and the visits before it
  at their interval, jittered, back 90 days;
- routine visits: each worker of a basic grid visits a few of its households a week (weekdays,
  office hours) over the last 90 days.

Core inserts of plain rows; nothing goes through the services (the registry is already as the
visits would leave it)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select

from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.kit.clock import now
from gridgov.registry.models import Household, Person, SpecialGroupMember
from gridgov.seed.context import SeedContext
from gridgov.visits.models import Visit, VisitKind

DAYS = 90
ROUTINE_PER_WEEK = 3
BATCH = 20_000

GROUP_SUMMARIES: dict[str, tuple[str, ...]] = {
    "独居老人": ("上门看望，老人身体状况良好，生活能自理", "电话联系后入户，检查燃气和用电安全"),
    "低保": ("核实家庭收入和就业情况，无变化", "了解生活困难，告知临时救助申请渠道"),
    "残疾": ("了解康复和辅具需求，已登记", "入户走访，家属照料到位"),
    "留守儿童": ("与监护人沟通学习和生活情况", "了解在校情况，提醒假期安全"),
    "严重精神障碍": ("了解服药情况，监护人在家，情绪稳定", "会同社区医生随访，按时服药"),
    "重点青少年": ("与本人及家长谈心，近期表现正常", "了解就学就业情况，引导参加社区活动"),
    "重点信访": ("了解诉求进展，情绪平稳", "耐心解释政策，当事人表示理解"),
    "刑满释放": ("了解就业和生活情况，表现良好", "帮助联系就业岗位信息"),
    "社区矫正": ("核实活动范围，按规定报告", "与司法所联合走访，表现正常"),
    "戒毒康复": ("了解康复情况，尿检按期进行", "与家属沟通，家庭支持良好"),
}
ROUTINE_SUMMARIES = (
    "入户走访，核对家庭成员信息，无变化",
    "宣传防诈骗知识，发放宣传资料",
    "了解居民对小区环境的意见，已记录",
    "核实出租房屋和租住人员信息",
    "检查楼道消防通道，提醒勿堆放杂物",
    "宣传垃圾分类，居民配合良好",
    "了解老人用药和就医需求",
    "收集居民对社区服务的建议",
)
FINDINGS = (
    "楼道声控灯损坏，已上报",
    "居民反映楼上噪音扰民，已协调",
    "发现电动车在楼道充电，已劝离",
    "门前下水道堵塞，需物业处理",
)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _office_moment(rng: random.Random, day: datetime, zone: ZoneInfo) -> datetime:
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    local = datetime.combine(
        day.astimezone(zone).date(), time(minutes // 60, minutes % 60), tzinfo=zone
    )
    return local.astimezone(now().tzinfo)


def generate(ctx: SeedContext) -> None:
    session = ctx.session
    rng = random.Random(ctx.seed * 7919 + 13)
    zone = ZoneInfo(ctx.settings.timezone)
    moment = now()
    names = dict(session.execute(select(User.id, User.display_name)).all())
    # The full-time worker first (gw_ before gw2_ in id order), per grid path.
    grid_workers: dict[str, list[int]] = defaultdict(list)
    assignments = session.execute(
        select(GridAssignment.region_path, GridAssignment.user_id)
        .join(User, User.id == GridAssignment.user_id)
        .where(User.role == Role.GRID_WORKER.value)
        .order_by(GridAssignment.region_path, GridAssignment.user_id)
    ).all()
    for path, user_id in assignments:
        grid_workers[path].append(user_id)
    rows: list[dict[str, Any]] = []
    serial = 0

    def add(
        user_id: int,
        kind: VisitKind,
        at: datetime,
        path: str,
        summary: str,
        household_id: int | None,
        member_id: int | None,
    ) -> None:
        nonlocal serial
        serial += 1
        rows.append(
            {
                "user_id": user_id,
                "user_name": names.get(user_id, ""),
                "client_id": f"seed-{serial}",
                "household_id": household_id,
                "member_id": member_id,
                "kind": kind.value,
                "visited_at": at,
                "summary": summary,
                "findings": rng.choice(FINDINGS) if rng.random() < 0.08 else "",
                "lon": None,
                "lat": None,
                "media_ids": [],
                "region_path": path,
                "created_at": at,
            }
        )

    since = moment - timedelta(days=DAYS)
    members = session.execute(
        select(
            SpecialGroupMember.id,
            SpecialGroupMember.group_type,
            SpecialGroupMember.visit_every_days,
            SpecialGroupMember.last_visit_at,
            SpecialGroupMember.responsible_user_id,
            SpecialGroupMember.region_path,
            Person.household_id,
        )
        .join(Person, Person.id == SpecialGroupMember.person_id)
        .where(SpecialGroupMember.last_visit_at.is_not(None))
        .order_by(SpecialGroupMember.id)
    ).all()
    for member_id, group, every, last, responsible, path, household_id in members:
        workers = grid_workers.get(path)
        visitor: int | None = responsible or (workers[0] if workers else None)
        if visitor is None or last is None:
            continue
        texts = GROUP_SUMMARIES.get(group, ROUTINE_SUMMARIES)
        at = last
        while at >= since:
            add(
                visitor,
                VisitKind.SPECIAL_GROUP,
                at,
                path,
                rng.choice(texts),
                household_id,
                member_id,
            )
            at = at - timedelta(days=every * rng.uniform(0.8, 1.0))
    households: dict[str, list[int]] = defaultdict(list)
    for household_id, path in session.execute(
        select(Household.id, Household.region_path).order_by(Household.id)
    ):
        households[path].append(household_id)
    for path, workers in grid_workers.items():
        homes = households.get(path)
        if not homes:
            continue
        for user_id in workers:
            for day in range(DAYS):
                date = moment - timedelta(days=DAYS - day)
                if date.astimezone(zone).weekday() >= 5:
                    continue
                for _ in range(2):
                    if rng.random() < ROUTINE_PER_WEEK / 10:
                        at = _office_moment(rng, date, zone)
                        if at < moment:
                            add(
                                user_id,
                                VisitKind.ROUTINE,
                                at,
                                path,
                                rng.choice(ROUTINE_SUMMARIES),
                                rng.choice(homes),
                                None,
                            )
    rows.sort(key=lambda r: r["visited_at"])
    for start in range(0, len(rows), BATCH):
        session.connection().execute(insert(_table(Visit)), rows[start : start + BATCH])
        ctx.progress("走访", min(start + BATCH, len(rows)), len(rows))
    ctx.counts["visits"] = len(rows)
