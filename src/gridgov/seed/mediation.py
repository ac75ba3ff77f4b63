"""Demo disputes (矛盾纠纷): three years of them, linked to the registry's residents.

- the district's mediation organisations beside the seeded ones: a district people's mediation
  committee (``mediation-district``) and an industry committee (``mediation-industry``); the
  community committees (``committee-…``) and the streets' committees (``social-…``) exist;
- disputes of every type (neighbours and families most), more each year, in the grids where
  people live, between residents of the same community (some free entries: a company, a
  driver from elsewhere), with a pool of residents who keep having disputes and addresses that
  keep producing them, so the early-warning rules find something;
- each played through the default mediation workflow: accepted within days, one to three
  sessions, an outcome after a log-normal time around two weeks (about four in five agreed,
  the rest referred to litigation, arbitration or petition channels), performance, a follow-up
  visit and the close; those that ran past 30 days were escalated by the time-limit job to the
  street, then the district, with a time limit of their own. The latest are still open.

Rows go straight to the driver like the case history (``history.BulkWriter``); each timeline
follows the stored definition's transitions and is hash-chained with the engine's own
``step_hash``/``_hashed_fields``. Alerts are what the rules say of each dispute when it was
registered; old ones are closed, recent ones acknowledged or open."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select, text

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import Role
from gridgov.kit import idcard
from gridgov.kit.clock import now, to_local
from gridgov.kit.crypto import FieldCipher, mask_id_number, mask_phone
from gridgov.mediation import rules
from gridgov.mediation import services as mediation
from gridgov.mediation.catalog import MEDIATION_WORKFLOW_CODE, OPEN_STATES
from gridgov.mediation.models import (
    AlertStatus,
    Dispute,
    DisputeAlert,
    DisputeParty,
    DisputeType,
    MediationLevel,
)
from gridgov.orgs.models import Organisation, OrgKind
from gridgov.registry.models import Person
from gridgov.seed.context import SeedContext, Tier
from gridgov.seed.history import BulkWriter
from gridgov.seed.names import person_name
from gridgov.workflow import services as workflow
from gridgov.workflow.definition import SAME
from gridgov.workflow.models import WorkflowInstance, WorkflowStep

DISPUTES = {Tier.DISTRICT: 3_000, Tier.CITY: 20_000}
YEARS = 3
HARD_SHARE = 0.03
SLA = mediation.SLA_ACTOR

TYPE_WEIGHTS: dict[DisputeType, float] = {
    DisputeType.NEIGHBOUR: 26,
    DisputeType.FAMILY: 18,
    DisputeType.PROPERTY_MGMT: 12,
    DisputeType.DEBT: 10,
    DisputeType.LABOUR: 9,
    DisputeType.LAND_HOUSING: 9,
    DisputeType.TRAFFIC: 8,
    DisputeType.MEDICAL: 3,
    DisputeType.OTHER: 5,
}
# (title, facts, terms) per type; {a} and {b} are the parties.
TEXTS: dict[DisputeType, tuple[str, str, str]] = {
    DisputeType.NEIGHBOUR: (
        "邻里漏水纠纷",
        "{b}家卫生间漏水至楼下{a}家，造成天花板、墙面受损，双方就维修及赔偿问题发生争执。",
        "{b}于七日内请专业人员修复卫生间防水\n{b}一次性赔偿{a}墙面修复费用人民币1500元",
    ),
    DisputeType.FAMILY: (
        "赡养费纠纷",
        "{a}年老体弱，与子女{b}就赡养费用及照料分工发生矛盾。",
        "{b}自下月起每月5日前支付赡养费人民币600元\n{b}每周至少探望照料一次",
    ),
    DisputeType.PROPERTY_MGMT: (
        "物业服务费纠纷",
        "{a}认为小区物业服务不到位拒缴物业费，物业方{b}多次催缴未果。",
        "{a}于本月底前缴纳欠缴物业费的80%\n{b}于十五日内修复单元门禁及楼道照明",
    ),
    DisputeType.DEBT: (
        "民间借贷纠纷",
        "{a}借给{b}人民币三万元，约定一年内归还，逾期未还，双方发生争执。",
        "{b}于三个月内分三期归还借款人民币30000元\n{a}放弃主张逾期利息",
    ),
    DisputeType.LABOUR: (
        "拖欠工资纠纷",
        "{a}在{b}务工期间被拖欠工资两个月，多次索要未果。",
        "{b}于十日内一次性支付拖欠工资人民币9600元\n双方解除劳务关系，再无其他纠纷",
    ),
    DisputeType.LAND_HOUSING: (
        "宅基地界址纠纷",
        "{a}与{b}两户相邻，因翻建房屋对宅基地界址认定不一发生争执。",
        "以村委会存档宅基地登记图为准确定界址\n{b}拆除越界部分院墙并于一个月内重建",
    ),
    DisputeType.TRAFFIC: (
        "交通事故赔偿纠纷",
        "{b}驾驶电动车与行人{a}发生碰撞，{a}受轻伤，双方就医疗费、误工费赔偿协商未果。",
        "{b}赔偿{a}医疗费、误工费、护理费共计人民币4800元\n款项于协议签订当日一次性付清",
    ),
    DisputeType.MEDICAL: (
        "医疗费用纠纷",
        "{a}在{b}诊疗后认为收费及疗效存在问题，要求退费赔偿。",
        "{b}退还部分诊疗费用人民币2000元\n{a}不再就本次诊疗提出其他要求",
    ),
    DisputeType.OTHER: (
        "噪音扰民纠纷",
        "{b}经营的店铺夜间音响声音过大，影响{a}休息，双方多次争吵。",
        "{b}每日22时后停止使用室外音响\n如再违反，{b}自愿接受社区监督整改",
    ),
}
COMPANIES = ("鑫达建筑劳务公司", "华安物业服务公司", "顺通物流公司", "恒泰商贸公司", "康宁诊所")
SESSION_NOTES = (
    "分别听取双方陈述，释法明理，双方情绪基本平稳。",
    "召集双方面对面调解，就主要争议事项达成初步共识。",
    "邀请村（居）法律顾问参与，讲解相关法律规定，双方同意进一步协商。",
    "实地查看现场，核实损失情况，双方对事实无异议。",
)
HEATED_NOTES = (
    "一方情绪激动，扬言如不解决将采取过激行为，已做稳控工作。",
    "当事人称对方曾威胁其家人，已提醒派出所关注。",
)
FOLLOW_UP_NOTES = ("电话回访，协议已履行，双方关系缓和。", "上门回访，当事人对调解结果满意。")


@dataclass(frozen=True)
class Resident:
    id: int
    name: str
    region_path: str
    id_masked: str
    phone_masked: str | None


@dataclass(frozen=True)
class Staff:
    id: int
    username: str
    role: str
    display_name: str


def generate(ctx: SeedContext) -> None:
    if ctx.territory is None:
        return
    actor = Actor.system("seed")
    ctx.counts["mediation_defaults"] = mediation.install_defaults(ctx.session, actor=actor)
    _organisations(ctx)
    total = DISPUTES[ctx.tier]
    ctx.progress("矛盾纠纷", 0, total)
    written = Disputes(ctx, total).write()
    ctx.counts["disputes"] = written["disputes"]
    ctx.counts["dispute_alerts"] = written["alerts"]
    ctx.progress("矛盾纠纷", total, total)


def _organisations(ctx: SeedContext) -> None:
    root = ctx.regions[0]
    have = set(ctx.session.scalars(select(Organisation.code)))
    rows = [
        {
            "code": code,
            "name": f"{root.name}{name}",
            "short_name": short,
            "kind": OrgKind.SOCIAL_ORGANISATION.value,
            "region_id": root.id,
            "region_path": root.path,
            "phone": f"0537-{ctx.rng.randint(2000000, 3999999)}",
        }
        for code, name, short in (
            (mediation.DISTRICT_ORG, "人民调解委员会", "区调委会"),
            (mediation.INDUSTRY_ORG, "医疗纠纷人民调解委员会", "医调委"),
        )
        if code not in have
    ]
    if rows:
        ctx.session.execute(insert(Organisation), rows)
    ctx.org_ids.update(dict(ctx.session.execute(select(Organisation.code, Organisation.id)).all()))


class Disputes:
    def __init__(self, ctx: SeedContext, total: int) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.total = total
        self.rnd = random.Random(ctx.seed * 7_727 + 29)
        self.cipher = FieldCipher(ctx.settings.effective_data_key())
        self.zone = ctx.settings.timezone
        moment = now()
        self.now = moment
        self.start = moment - timedelta(days=round(365.25 * YEARS))
        self.days = ctx.settings.mediation_days
        self.warning = timedelta(days=ctx.settings.mediation_warning_days)
        definition = workflow.current_definition(self.session, MEDIATION_WORKFLOW_CODE)
        if definition is None:
            raise RuntimeError("the mediation workflow is not installed")
        self.definition_id = definition.id
        spec = workflow.spec_of(definition)
        self.moves = {(s, t.action): t.to for t in spec.transitions for s in t.sources}
        self.finals = {name for name, state in spec.states.items() if state.final}
        self.grids = [r for r in ctx.regions if r.level == "grid"]
        self.names = {r.code: r.name for r in ctx.regions}
        self.orgs = {
            code: (org_id, name)
            for code, org_id, name in self.session.execute(
                select(Organisation.code, Organisation.id, Organisation.name)
            )
        }
        self.staff = self._staff()
        self.residents = self._residents()
        by_grid: dict[str, list[Resident]] = {}
        for resident in self.residents:
            by_grid.setdefault(resident.region_path, []).append(resident)
        self.by_grid = by_grid
        # Some residents have dispute after dispute (a handful very often), and so do their
        # addresses: the early-warning rules have something to find.
        pool = min(max(10, len(self.residents) // 60), len(self.residents))
        self.repeaters = self.rnd.sample(self.residents, pool)
        self.frequent = self.repeaters[: max(2, pool // 20)]

    def _staff(self) -> dict[str, Staff]:
        rows = self.session.execute(
            select(User.id, User.username, User.role, User.display_name, User.scope_path).where(
                User.role.in_([Role.COMMUNITY_STAFF.value, Role.STREET_STAFF.value])
            )
        ).all()
        found: dict[str, Staff] = {}
        for user_id, username, role, display, scope_path in rows:
            code = (scope_path or "").rstrip("/").split("/")[-1]
            found.setdefault(code, Staff(user_id, username, role, display))
        return found

    def _residents(self) -> list[Resident]:
        # Every 4th resident is enough to draw parties from, and reading them stays cheap.
        stmt = (
            select(
                Person.id,
                Person.name,
                Person.region_path,
                Person.id_number_masked,
                Person.phone_masked,
            )
            .where(Person.id % 4 == 0)
            .order_by(Person.id)
        )
        return [Resident(*row) for row in self.session.execute(stmt)]

    # -- drawing ---------------------------------------------------------------------------

    def _created(self) -> datetime:
        # More each year as the platform is adopted: density grows linearly over the span.
        span = (self.now - self.start).total_seconds()
        u = self.rnd.random()
        share = u if self.rnd.random() < 0.3 else math.sqrt(u)
        moment = self.start + timedelta(seconds=span * min(share, 0.9999))
        local = to_local(moment, self.zone)
        hour = self.rnd.choice((9, 9, 10, 10, 11, 14, 15, 15, 16, 17))
        return local.replace(hour=hour, minute=self.rnd.randrange(60)).astimezone(UTC)

    def _parties(
        self, kind: DisputeType, grid_path: str | None
    ) -> tuple[str, list[dict[str, Any]]]:
        """The grid path and party rows (without ids) of one dispute."""
        rnd = self.rnd
        applicant: Resident | None = None
        if self.residents:
            draw = rnd.random()
            if self.repeaters and draw < 0.02:
                applicant = rnd.choice(self.frequent)
            elif self.repeaters and draw < 0.10:
                applicant = rnd.choice(self.repeaters)
            else:
                applicant = rnd.choice(self.residents)
        if applicant is not None:
            grid_path = applicant.region_path
        if grid_path is None:
            grid_path = rnd.choice(self.grids).path
        rows = [
            self._resident_row("applicant", applicant)
            if applicant
            else self._free_row("applicant", person_name(rnd), with_id=True)
        ]
        if kind in (DisputeType.LABOUR, DisputeType.PROPERTY_MGMT, DisputeType.MEDICAL) and (
            rnd.random() < 0.6
        ):
            rows.append(self._free_row("respondent", rnd.choice(COMPANIES), with_id=False))
        elif kind == DisputeType.TRAFFIC and rnd.random() < 0.5:
            rows.append(self._free_row("respondent", person_name(rnd), with_id=True))
        else:
            neighbours = self.by_grid.get(grid_path, [])
            other = rnd.choice(neighbours) if neighbours else None
            if other is not None and applicant is not None and other.id == applicant.id:
                other = None
            if other is not None and self.repeaters and rnd.random() < 0.03:
                other = rnd.choice(self.repeaters)
            rows.append(
                self._resident_row("respondent", other)
                if other
                else self._free_row("respondent", person_name(rnd), with_id=True)
            )
        return grid_path, rows

    def _resident_row(self, role: str, resident: Resident) -> dict[str, Any]:
        return {
            "role": role,
            "person_id": resident.id,
            "name": resident.name,
            "id_number_cipher": None,
            "id_number_hash": None,
            "id_number_masked": resident.id_masked,
            "phone_cipher": None,
            "phone_hash": None,
            "phone_masked": resident.phone_masked,
            "party_key": f"p:{resident.id}",
        }

    def _free_row(self, role: str, name: str, *, with_id: bool) -> dict[str, Any]:
        phone = f"1{self.rnd.choice('35789')}{self.rnd.randrange(10**9):09d}"
        phone_hash = self.cipher.search_hash(phone)
        row: dict[str, Any] = {
            "role": role,
            "person_id": None,
            "name": name,
            "id_number_cipher": None,
            "id_number_hash": None,
            "id_number_masked": None,
            "phone_cipher": self.cipher.encrypt(phone),
            "phone_hash": phone_hash,
            "phone_masked": mask_phone(phone),
            "party_key": f"n:{name}|{phone_hash[:16]}",
        }
        if with_id:
            # Someone from elsewhere (a driver passing through): not in the registry.
            born = date(1960, 1, 1) + timedelta(days=self.rnd.randrange(16_000))
            number = idcard.make("370829", born, self.rnd.randrange(1, 999))
            id_hash = self.cipher.search_hash(number)
            row.update(
                id_number_cipher=self.cipher.encrypt(number),
                id_number_hash=id_hash,
                id_number_masked=mask_id_number(number),
                party_key=f"h:{id_hash}",
            )
        return row

    # -- one dispute -----------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        session = self.session
        first_dispute = (session.scalar(select(func.max(Dispute.id))) or 0) + 1
        first_instance = (session.scalar(select(func.max(WorkflowInstance.id))) or 0) + 1
        types = list(TYPE_WEIGHTS)
        weights = list(TYPE_WEIGHTS.values())
        plans = sorted(
            (self._created(), self.rnd.choices(types, weights)[0]) for _ in range(self.total)
        )
        disputes: list[dict[str, Any]] = []
        instances: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        parties: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        by_key: dict[str, list[rules.DisputeFacts]] = {}
        by_address: dict[str, list[rules.DisputeFacts]] = {}
        for n, (created, kind) in enumerate(plans):
            dispute_id, instance_id = first_dispute + n, first_instance + n
            grid_path, party_rows = self._parties(kind, None)
            dispute, instance, timeline, heated = self._play(
                dispute_id, instance_id, created, kind, grid_path, party_rows
            )
            disputes.append(dispute)
            instances.append(instance)
            steps += timeline
            for row in party_rows:
                row.update(dispute_id=dispute_id, region_path=grid_path, created_at=created)
                parties.append(row)
            facts = rules.DisputeFacts(
                dispute_id,
                dispute["code"],
                created,
                frozenset(r["party_key"] for r in party_rows),
                dispute["address_key"],
            )
            others = {d.id: d for k in facts.party_keys for d in by_key.get(k, [])}
            others.update({d.id: d for d in by_address.get(facts.address_key, [])})
            names = {r["party_key"]: r["name"] for r in party_rows}
            findings = rules.history_findings(facts, others.values(), names)
            if heated:
                found = rules.violence_finding(heated, "调解笔录")
                if found is not None:
                    findings.append(found)
            alerts += [self._alert(dispute, f, created) for f in findings]
            for key in facts.party_keys:
                by_key.setdefault(key, []).append(facts)
            by_address.setdefault(facts.address_key, []).append(facts)
        for model, rows in (
            (Dispute, disputes),
            (DisputeParty, parties),
            (WorkflowInstance, instances),
            (WorkflowStep, steps),
            (DisputeAlert, alerts),
        ):
            BulkWriter(session, model).write(rows)
        if session.get_bind().dialect.name == "postgresql":
            for table in ("disputes", "workflow_instances"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        return {"disputes": len(disputes), "alerts": len(alerts)}

    def _alert(
        self, dispute: dict[str, Any], finding: rules.Finding, at: datetime
    ) -> dict[str, Any]:
        age = self.now - at
        status = (
            AlertStatus.CLOSED
            if age > timedelta(days=60)
            else AlertStatus.ACKNOWLEDGED
            if age > timedelta(days=10)
            else AlertStatus.OPEN
        )
        staff = self._mediator(dispute["region_path"], MediationLevel.COMMUNITY.value)
        handled = at + timedelta(hours=self.rnd.randint(2, 48))
        return {
            "dispute_id": dispute["id"],
            "region_path": dispute["region_path"],
            "rule": finding.rule.value,
            "reason": finding.reason,
            "status": status.value,
            "notified": 1,
            "created_at": at,
            "acknowledged_at": handled if status != AlertStatus.OPEN else None,
            "acknowledged_by": staff.username if status != AlertStatus.OPEN and staff else None,
            "closed_at": handled + timedelta(days=7) if status == AlertStatus.CLOSED else None,
            "closed_by": staff.username if status == AlertStatus.CLOSED and staff else None,
            "note": "已会同派出所上门走访稳控，矛盾已化解。"
            if status == AlertStatus.CLOSED
            else "",
        }

    def _mediator(self, grid_path: str, level: str) -> Staff | None:
        codes = [c for c in grid_path.split("/") if c]
        if level == MediationLevel.COMMUNITY and len(codes) >= 3:
            return self.staff.get(codes[2]) or self.staff.get(codes[1])
        if level == MediationLevel.STREET and len(codes) >= 2:
            return self.staff.get(codes[1])
        return None

    def _org(self, level: str, grid_path: str) -> tuple[int | None, str]:
        code = mediation.organisation_code(level, grid_path)
        found = self.orgs.get(code or "")
        return (found[0], found[1]) if found else (None, "")

    def _play(
        self,
        dispute_id: int,
        instance_id: int,
        created: datetime,
        kind: DisputeType,
        grid_path: str,
        party_rows: list[dict[str, Any]],
    ) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], str]:
        rnd = self.rnd
        codes = [c for c in grid_path.split("/") if c]
        level = (
            MediationLevel.INDUSTRY.value
            if kind == DisputeType.MEDICAL
            else rnd.choices(
                [MediationLevel.COMMUNITY.value, MediationLevel.STREET.value], (80, 20)
            )[0]
        )
        a = party_rows[0]["name"]
        b = party_rows[1]["name"] if len(party_rows) > 1 else "对方"
        title, facts, terms = TEXTS[kind]
        grade = rnd.choices(["general", "major", "serious"], (82, 15, 3))[0]
        heated = rnd.choice(HEATED_NOTES) if grade == "serious" or rnd.random() < 0.01 else ""
        # A resident's disputes happen mostly at home: the address follows the applicant.
        person = party_rows[0]["person_id"]
        number = (person // 4) % 97 + 1 if person else rnd.randint(1, 97)
        address = "".join(self.names.get(c, "") for c in codes[2:4]) + f"{number}号"
        source = rnd.choices(["grid_worker", "citizen", "hotline"], (45, 35, 20))[0]
        code = f"JF{to_local(created, self.zone):%Y%m%d}{dispute_id:06d}"
        mediator = self._mediator(grid_path, level)
        actor = mediator or Staff(0, "admin", Role.ADMIN.value, "系统管理员")
        deadline = created + timedelta(days=self.days)
        org_id, _ = self._org(level, grid_path)

        # The plan: (offset from registration, action, comment, data).
        plan: list[tuple[timedelta, str, str, dict[str, Any]]] = []
        day = timedelta(days=1)
        t = timedelta(hours=rnd.uniform(1, 40))
        if rnd.random() < 0.02:
            plan.append((t, "reject", "不属于人民调解受理范围，已引导当事人通过诉讼途径解决。", {}))
        else:
            plan.append((t, "accept", "", {"mediators": [actor.display_name]}))
            # Time to an outcome: log-normal, median twelve days, a tail past thirty; and a few
            # hard ones that outlast every level's limit (the 超期未结 a district always has).
            if rnd.random() < HARD_SHARE:
                outcome_after = timedelta(days=rnd.uniform(100, 240))
            else:
                outcome_after = timedelta(days=min(120.0, rnd.lognormvariate(math.log(12), 0.7)))
            sessions = rnd.choice((1, 1, 2, 2, 3))
            for i in range(sessions):
                when = t + (outcome_after - t) * (i + 1) / (sessions + 1)
                note = heated if heated and i == 0 else rnd.choice(SESSION_NOTES)
                plan.append(
                    (
                        when,
                        "session",
                        note,
                        {
                            "session_date": to_local(created + when, self.zone).date().isoformat(),
                            "participants": [a, b, actor.display_name],
                        },
                    )
                )
            roll = rnd.random()
            t = outcome_after
            if roll < 0.72:
                text_terms = terms.format(a=a, b=b)
                plan.append((t, "agree", "", {"terms": text_terms}))
                agreed = True
            elif roll < 0.82:
                text_terms = terms.format(a=a, b=b).splitlines()[0]
                plan.append((t, "agree_partial", "其余事项双方保留意见", {"terms": text_terms}))
                agreed = True
            else:
                referral = (
                    "arbitration"
                    if kind == DisputeType.LABOUR
                    else rnd.choices(["litigation", "petition"], (75, 25))[0]
                )
                plan.append(
                    (t, "fail", "双方分歧较大，经多次调解未能达成协议。", {"referral": referral})
                )
                agreed = False
            if agreed:
                t += day * rnd.uniform(2, 15)
                performance = rnd.choices(["fulfilled", "partial", "unfulfilled"], (86, 9, 5))[0]
                plan.append((t, "perform", "", {"performance": performance}))
            t += day * rnd.uniform(5, 30)
            plan.append((t, "follow_up", rnd.choice(FOLLOW_UP_NOTES), {}))
            t += day * rnd.uniform(0.5, 5)
            plan.append((t, "close", "回访无异常，予以结案。", {}))

        state = "registered"
        rows: list[dict[str, Any]] = []
        prev = workflow.GENESIS
        view = SimpleNamespace()
        entered = created
        extra: dict[str, Any] = {}
        outcome = referral_value = performance_value = None
        outcome_at = closed_at = None
        agreement = ""
        mediators: list[str] = []
        sla_stage = 0
        warn = deadline - self.warning

        def step(
            at: datetime, action: str, who: Staff | None, comment: str, data: dict[str, Any]
        ) -> None:
            nonlocal state, prev, entered
            if action == "start":
                target: str = "registered"
                from_state: str | None = None
            else:
                found = self.moves.get((state, action))
                if found is None:
                    raise RuntimeError(f"mediation seed: no “{action}” from “{state}” ({code})")
                target, from_state = found, state
            new_state = state if target == SAME else target
            if new_state != state:
                entered = at
            state = new_state
            row = {
                "instance_id": instance_id,
                "seq": len(rows) + 1,
                "action": action,
                "from_state": from_state,
                "to_state": target,
                "actor_id": who.id if who and who.id else None,
                "actor_username": who.username if who else SLA,
                "actor_role": who.role if who else Role.ADMIN.value,
                "at": at,
                "comment": comment,
                "data": data,
            }
            vars(view).update(row)
            fields = workflow._hashed_fields(view)  # type: ignore[arg-type]
            row["prev_hash"] = prev
            row["hash"] = prev = workflow.step_hash(prev, fields)
            rows.append(row)

        reporter = self._mediator(grid_path, MediationLevel.COMMUNITY.value) or actor
        step(
            created,
            "start",
            reporter,
            "",
            {"source": source, "type": kind.value, "risk_grade": grade, "level": level},
        )
        for offset, action, comment, data in plan:
            at = created + offset
            # The time-limit job: past the deadline before an outcome, one level up.
            while state in OPEN_STATES and deadline + timedelta(minutes=5) <= min(at, self.now):
                target_level = mediation.NEXT_LEVEL.get(MediationLevel(level))
                if target_level is None:
                    sla_stage = 2
                    break
                escalated_at = deadline + timedelta(minutes=5)
                new_org, new_name = self._org(target_level.value, grid_path)
                step(
                    escalated_at,
                    "escalate",
                    None,
                    f"超过 {self.days} 日调解期限，自动提级调解",
                    {
                        "from_level": level,
                        "to_level": target_level.value,
                        "organisation_id": new_org,
                        "organisation": new_name,
                    },
                )
                level, org_id = target_level.value, new_org
                deadline = escalated_at + timedelta(days=self.days)
                warn = deadline - self.warning
                sla_stage = 0
                extra["escalations"] = int(extra.get("escalations", 0)) + 1
                actor = self._mediator(grid_path, level) or Staff(
                    0, "admin", Role.ADMIN.value, "系统管理员"
                )
            if at > self.now:
                break
            step(at, action, actor, comment, data)
            if action == "accept":
                mediators = list(data["mediators"])
                extra["accepted_at"] = at.isoformat()
            elif action == "session":
                extra["sessions"] = int(extra.get("sessions", 0)) + 1
            elif action in ("agree", "agree_partial"):
                outcome = "agreed" if action == "agree" else "partial"
                agreement, outcome_at = data["terms"], at
            elif action == "fail":
                outcome, referral_value, outcome_at = "failed", data["referral"], at
            elif action == "perform":
                performance_value = data["performance"]
            elif action == "follow_up":
                extra["follow_ups"] = int(extra.get("follow_ups", 0)) + 1
            if state in self.finals:
                closed_at = at
        if state in OPEN_STATES and sla_stage == 0 and warn <= self.now:
            sla_stage = 1
        if (
            state in OPEN_STATES
            and deadline <= self.now
            and level not in {lv.value for lv in mediation.NEXT_LEVEL}
        ):
            sla_stage = 2
        last = rows[-1]["at"]
        dispute = {
            "id": dispute_id,
            "code": code,
            "dispute_type": kind.value,
            "title": title,
            "description": facts.format(a=a, b=b),
            "address": address,
            "address_key": rules.address_key(address),
            "region_path": grid_path,
            "source": source,
            "source_event_id": None,
            "risk_grade": grade,
            "level": level,
            "organisation_id": org_id,
            "mediators": mediators,
            "status": state,
            "outcome": outcome,
            "referral": referral_value,
            "agreement_terms": agreement,
            "performance": performance_value,
            "deadline_at": deadline,
            "warn_at": warn,
            "sla_stage": sla_stage,
            "workflow_instance_id": instance_id,
            "reporter_id": reporter.id or None,
            "reporter_username": reporter.username,
            "created_at": created,
            "updated_at": last,
            "outcome_at": outcome_at,
            "closed_at": closed_at,
            "extra": extra,
        }
        instance = {
            "id": instance_id,
            "definition_id": self.definition_id,
            "subject_type": mediation.SUBJECT,
            "subject_id": dispute_id,
            "state": state,
            "version": len(rows),
            "region_path": grid_path,
            "started_at": created,
            "state_entered_at": entered,
            "ended_at": closed_at,
            "step_deadline_at": None,
            "step_warn_at": None,
            "step_sla_stage": 0,
            "step_due_at": None,
        }
        return dispute, instance, rows, heated
