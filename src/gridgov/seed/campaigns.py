"""Demo campaigns (专项排查): the shipped epidemic household screening template, one finished
campaign from last spring (a district-wide sample of households, nearly all screened) and one
campaign running now over one street (about 40% screened).

Responses are drawn with a seeded generator to fit the form (a test checks every one with
``forms.validate_values``), phone numbers masked and sealed with the registry's cipher, and
written straight to the driver with ``history.BulkWriter`` with their ids given."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from gridgov.accounts.actor import Actor
from gridgov.accounts.models import GridAssignment, User
from gridgov.accounts.permissions import Role
from gridgov.campaigns import catalog, forms
from gridgov.campaigns import services as campaigns
from gridgov.campaigns.models import (
    Campaign,
    CampaignForm,
    CampaignResponse,
    CampaignStatus,
    CampaignTarget,
    TargetKind,
    TargetStatus,
)
from gridgov.kit.clock import now, to_local
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.registry.models import Household
from gridgov.seed.context import SeedContext, Tier
from gridgov.seed.history import BulkWriter
from gridgov.seed.names import SURNAMES

SAMPLE = {Tier.DISTRICT: 4_000, Tier.CITY: 20_000}
FINISHED_DONE_SHARE = 0.96
RUNNING_DONE_SHARE = 0.40
RUNNING_STREET = "370811006"  # 南张街道 in the district tier; else the second street

# Where outsiders come from: mostly the province itself and its neighbours.
ORIGINS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("山东省", 30, ("济南市", "青岛市", "菏泽市", "临沂市", "泰安市", "枣庄市")),
    ("河南省", 12, ("郑州市", "商丘市", "开封市")),
    ("江苏省", 10, ("徐州市", "南京市", "苏州市")),
    ("河北省", 7, ("石家庄市", "邯郸市")),
    ("安徽省", 7, ("合肥市", "宿州市")),
    ("北京市", 6, ("",)),
    ("上海市", 5, ("",)),
    ("浙江省", 5, ("杭州市", "宁波市")),
    ("广东省", 5, ("广州市", "深圳市", "东莞市")),
    ("天津市", 3, ("",)),
    ("湖北省", 3, ("武汉市",)),
    ("山西省", 2, ("太原市",)),
    ("辽宁省", 2, ("沈阳市", "大连市")),
    ("四川省", 2, ("成都市",)),
    ("黑龙江省", 1, ("哈尔滨市",)),
)
DOSE_WEIGHTS = (5, 4, 24, 62, 5)
RELATION_WEIGHTS = (45, 20, 20, 12, 3)
HEALTH_WEIGHTS = (93, 3, 3, 1)
NOTES = (
    *([""] * 6),
    "已告知居家健康监测要求",
    "户主外出务工，电话联系",
    "新租户，已登记",
)


@dataclass(frozen=True)
class Worker:
    id: int
    username: str
    name: str


def generate(ctx: SeedContext) -> None:
    if ctx.territory is None:
        return
    session = ctx.session
    installed = campaigns.install_templates(session, actor=Actor.system("seed"))
    ctx.counts["campaign_templates"] = len(installed)
    households = [
        (int(i), str(p))
        for i, p in session.execute(
            select(Household.id, Household.region_path).order_by(Household.id)
        )
    ]
    if not households:
        return
    form = session.scalars(
        select(CampaignForm)
        .where(CampaignForm.code == catalog.EPIDEMIC_CODE)
        .order_by(CampaignForm.version.desc())
    ).first()
    assert form is not None
    ctx.progress("专项排查", 0, 2)
    Campaigns(ctx, form, households).write()
    ctx.progress("专项排查", 2, 2)


class Campaigns:
    def __init__(
        self, ctx: SeedContext, form: CampaignForm, households: list[tuple[int, str]]
    ) -> None:
        self.ctx = ctx
        self.session = ctx.session
        self.form = form
        self.spec = forms.load(form.definition)
        self.households = households
        self.rnd = random.Random(ctx.seed * 9_973 + 15)
        self.cipher = FieldCipher(ctx.settings.effective_data_key())
        self.zone = ZoneInfo(ctx.settings.timezone)
        self.now = now()
        self.today = to_local(self.now, ctx.settings.timezone).date()
        self.workers = self._workers()
        self.targets: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.next_target = (self.session.scalar(select(func.max(CampaignTarget.id))) or 0) + 1
        self.next_response = (self.session.scalar(select(func.max(CampaignResponse.id))) or 0) + 1

    def _workers(self) -> dict[str, list[Worker]]:
        rows = self.session.execute(
            select(GridAssignment.region_path, User.id, User.username, User.display_name)
            .join(User, User.id == GridAssignment.user_id)
            .where(User.role == Role.GRID_WORKER.value)
            .order_by(GridAssignment.region_path, User.id)
        )
        found: dict[str, list[Worker]] = {}
        for path, user_id, username, name in rows:
            found.setdefault(path, []).append(Worker(user_id, username, name or username))
        return found

    def write(self) -> None:
        year = self.today.year if self.today.month >= 6 else self.today.year - 1
        sample = sorted(
            self.rnd.sample(self.households, min(SAMPLE[self.ctx.tier], len(self.households)))
        )
        finished = self._campaign(
            title=f"{year}年春季疫情防控入户排查（全区抽样）",
            description="全区按户抽样，登记在家情况、外来人员来源地与到达日期、健康状况和疫苗接种。",
            households=sample,
            kind=TargetKind.HOUSEHOLDS,
            region_codes=[],
            starts_on=date(year, 3, 1),
            ends_on=date(year, 4, 15),
            closed=True,
        )
        self._fill(finished, sample, FINISHED_DONE_SHARE)
        streets = [r for r in self.ctx.regions if r.level == "street"]
        street = next(
            (s for s in streets if s.code == RUNNING_STREET), streets[min(1, len(streets) - 1)]
        )
        in_street = [h for h in self.households if h[1].startswith(street.path)]
        running = self._campaign(
            title=f"{street.name}疫情防控入户排查",
            description=f"{street.name}全部登记户逐户排查，重点登记近 14 天外来人员。",
            households=in_street,
            kind=TargetKind.REGIONS,
            region_codes=[street.code],
            starts_on=self.today - timedelta(days=9),
            ends_on=self.today + timedelta(days=20),
            closed=False,
        )
        self._fill(running, in_street, RUNNING_DONE_SHARE)
        BulkWriter(self.session, CampaignTarget).write(self.targets)
        BulkWriter(self.session, CampaignResponse).write(self.responses)
        if self.session.get_bind().dialect.name == "postgresql":
            for table in ("campaign_targets", "campaign_responses"):
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        self.ctx.counts["campaigns"] = 2
        self.ctx.counts["campaign_targets"] = len(self.targets)
        self.ctx.counts["campaign_responses"] = len(self.responses)

    def _campaign(
        self,
        *,
        title: str,
        description: str,
        households: list[tuple[int, str]],
        kind: TargetKind,
        region_codes: list[str],
        starts_on: date,
        ends_on: date,
        closed: bool,
    ) -> Campaign:
        created = datetime.combine(starts_on - timedelta(days=2), time(9, 30), self.zone)
        campaign = Campaign(
            title=title,
            description=description,
            form_id=self.form.id,
            region_path=campaigns.common_path([p for _, p in households]),
            target_kind=kind.value,
            target_region_codes=region_codes,
            target_household_ids=[h for h, _ in households]
            if kind == TargetKind.HOUSEHOLDS
            else [],
            target_count=len(households),
            starts_on=starts_on,
            ends_on=ends_on,
            status=(CampaignStatus.CLOSED if closed else CampaignStatus.ACTIVE).value,
            created_by="operator",
            created_at=created.astimezone(UTC),
            closed_at=(
                datetime.combine(ends_on, time(18, 0), self.zone).astimezone(UTC)
                if closed
                else None
            ),
            closed_by="operator" if closed else None,
        )
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def _fill(self, campaign: Campaign, households: list[tuple[int, str]], share: float) -> None:
        rnd = self.rnd
        last_day = min(campaign.ends_on, self.today)
        span = (last_day - campaign.starts_on).days
        for household_id, path in households:
            target_id = self.next_target
            self.next_target += 1
            target: dict[str, Any] = {
                "id": target_id,
                "campaign_id": campaign.id,
                "household_id": household_id,
                "region_path": path,
                "status": TargetStatus.PENDING.value,
                "response_id": None,
                "responses": 0,
                "done_at": None,
            }
            self.targets.append(target)
            workers = self.workers.get(path)
            if not workers or rnd.random() >= share:
                continue
            worker = workers[rnd.randrange(len(workers))]
            day = campaign.starts_on + timedelta(days=rnd.randint(0, max(span, 0)))
            moment = datetime.combine(
                day, time(rnd.randint(9, 17), rnd.randint(0, 59)), self.zone
            ).astimezone(UTC)
            if moment > self.now:
                moment = self.now - timedelta(minutes=rnd.randint(5, 600))
            values, sealed = self._values(day)
            response_id = self.next_response
            self.next_response += 1
            self.responses.append(
                {
                    "id": response_id,
                    "campaign_id": campaign.id,
                    "target_id": target_id,
                    "household_id": household_id,
                    "region_path": path,
                    "form_id": self.form.id,
                    "version": 1,
                    "answers": values,
                    "sealed": sealed,
                    "replaced_by": None,
                    "replaced_at": None,
                    "filled_by_id": worker.id,
                    "filled_by": worker.username,
                    "filled_by_name": worker.name,
                    "filled_at": moment,
                    "client_id": f"seed-{campaign.id}-{household_id}",
                    "created_at": moment,
                }
            )
            target.update(
                status=TargetStatus.DONE.value,
                response_id=response_id,
                responses=1,
                done_at=moment,
            )

    def _values(self, day: date) -> tuple[dict[str, Any], str | None]:
        rnd = self.rnd
        raw: dict[str, Any] = {"at_home": rnd.random() < 0.92}
        if raw["at_home"]:
            raw["residents_present"] = rnd.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
            raw["has_outsiders"] = rnd.random() < 0.12
            if raw["has_outsiders"]:
                raw["outsiders"] = [self._outsider(day) for _ in range(rnd.choice((1, 1, 1, 2, 3)))]
            raw["household_symptoms"] = rnd.random() < 0.02
        note = rnd.choice(NOTES)
        if note:
            raw["notes"] = note
        # Drawn to fit the form (tests/campaigns/test_seed.py checks every one against it).
        shown, secrets = forms.split_sensitive(self.spec, raw, mask_phone)
        sealed = self.cipher.encrypt(json.dumps(secrets, ensure_ascii=False)) if secrets else None
        return shown, sealed

    def _outsider(self, day: date) -> dict[str, Any]:
        rnd = self.rnd
        province, _, cities = rnd.choices(ORIGINS, weights=[w for _, w, _ in ORIGINS])[0]
        arrival = day - timedelta(days=min(int(rnd.expovariate(1 / 12)), 120))
        health = rnd.choices(catalog.HEALTH_STATUSES, weights=HEALTH_WEIGHTS)[0][0]
        doses = rnd.choices(range(len(DOSE_WEIGHTS)), weights=DOSE_WEIGHTS)[0]
        recent = (day - arrival).days < catalog.RECENT_DAYS
        person: dict[str, Any] = {
            "surname": rnd.choice(SURNAMES),
            "relation": rnd.choices(catalog.RELATIONS, weights=RELATION_WEIGHTS)[0][0],
            "origin_province": province,
            "arrival_date": arrival.isoformat(),
            "health_status": health,
            "vaccine_doses": doses,
            "under_monitoring": (recent and health in catalog.SYMPTOMS) or rnd.random() < 0.05,
        }
        city = rnd.choice(cities)
        if city:
            person["origin_city"] = city
        if health == "other":
            person["symptom_note"] = rnd.choice(("乏力", "咽痛", "头痛"))
        if doses:
            person["last_dose_date"] = (day - timedelta(days=rnd.randint(60, 500))).isoformat()
        if rnd.random() < 0.5:
            person["phone"] = f"1{rnd.choice('3578')}{rnd.randint(0, 999_999_999):09d}"
        return person
