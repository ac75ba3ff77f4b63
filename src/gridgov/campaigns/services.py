"""专项排查: admin-defined forms, campaigns launched over regions or listed households,
responses filled per household (exactly once per client id, corrections versioned), progress
and statistics per grid and community, and the XLSX export.

Services take a session and an actor and never commit; every write records an audit row in the
same transaction. Households come through the registry's services, tasks through the tasks
feature's ``create_task``."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.campaigns import catalog, forms, repository
from gridgov.campaigns.models import (
    PHASE_LABELS,
    Campaign,
    CampaignForm,
    CampaignResponse,
    CampaignStatus,
    CampaignTarget,
    Phase,
    TargetKind,
    TargetStatus,
)
from gridgov.campaigns.repository import CampaignFilter, ResponseRow
from gridgov.campaigns.schemas import (
    CampaignIn,
    EpidemicFigures,
    FieldCounts,
    FormIn,
    ResponseIn,
    StatisticsOut,
    StatRow,
    ValueCount,
)
from gridgov.config import get_settings
from gridgov.kit.clock import now, to_local
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.kit.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.regions import services as regions
from gridgov.regions.models import Region, RegionLevel
from gridgov.registry import services as registry
from gridgov.registry.services import HouseholdBrief
from gridgov.tasks import services as tasks
from gridgov.tasks.models import TaskKind
from gridgov.tasks.schemas import TaskCreate

# Responses recorded offline may arrive a few days after the campaign's last day.
SUBMIT_GRACE_DAYS = 3
TARGET_LEVELS = frozenset(
    {RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID}
)
CHUNK = 5_000


def _require_any(actor: Actor, *perms: Perm) -> None:
    if not any(actor.can(p) for p in perms):
        actor.require(perms[0])


def _today() -> date:
    return to_local(now(), get_settings().timezone).date()


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def grid_code(path: str) -> str:
    return path.rstrip("/").split("/")[-1]


def community_path(grid_path: str) -> str:
    """A basic grid's community: its parent in the path."""
    parts = [p for p in grid_path.split("/") if p]
    return "/".join(parts[:-1]) + "/"


def common_path(paths: list[str]) -> str:
    """The deepest region path that every path starts with."""
    split = [[p for p in path.split("/") if p] for path in set(paths)]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common) + "/" if common else ""


# -- forms --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormView:
    form: CampaignForm
    latest: bool
    field_count: int


def _field_count(definition: dict[str, Any]) -> int:
    fields = definition.get("fields") or []
    return sum(1 + len(f.get("fields") or []) for f in fields if isinstance(f, dict))


def list_forms(session: Session, *, actor: Actor, all_versions: bool = False) -> list[FormView]:
    _require_any(actor, Perm.CAMPAIGNS_READ, Perm.CAMPAIGN_FORMS_WRITE, Perm.CAMPAIGNS_FILL)
    rows = repository.list_forms(session)
    latest: dict[str, int] = {}
    for form in rows:
        latest[form.code] = max(latest.get(form.code, 0), form.version)
    return [
        FormView(form, form.version == latest[form.code], _field_count(form.definition))
        for form in rows
        if all_versions or form.version == latest[form.code]
    ]


def get_form(session: Session, form_id: int, *, actor: Actor) -> CampaignForm:
    _require_any(actor, Perm.CAMPAIGNS_READ, Perm.CAMPAIGN_FORMS_WRITE, Perm.CAMPAIGNS_FILL)
    form = repository.get_form(session, form_id)
    if form is None:
        raise NotFound(f"排查表 {form_id} 不存在", code="form_not_found")
    return form


def form_view(session: Session, form: CampaignForm) -> tuple[FormView, list[CampaignForm]]:
    versions = repository.versions_of(session, form.code)
    latest = max(v.version for v in versions)
    return FormView(form, form.version == latest, _field_count(form.definition)), versions


def check_form(definition: Any, *, actor: Actor) -> list[str]:
    """Every problem of a draft definition (the editor checks before saving)."""
    actor.require(Perm.CAMPAIGN_FORMS_WRITE)
    return forms.check(definition)[1]


def save_form(session: Session, data: FormIn, *, actor: Actor) -> CampaignForm:
    """A new form, or the next version of the form with the same code."""
    actor.require(Perm.CAMPAIGN_FORMS_WRITE)
    spec = forms.parse(data.definition)
    versions = repository.versions_of(session, data.code)
    form = CampaignForm(
        code=data.code,
        version=(versions[-1].version + 1) if versions else 1,
        title=data.title,
        description=data.description,
        definition=spec.model_dump(exclude_defaults=True),
        created_by=actor.username,
    )
    repository.add_form(session, form)
    audit.record(
        session,
        actor=actor,
        action="campaign_forms.save",
        object_type="campaign_form",
        object_id=form.id,
        summary=f"保存排查表 {form.title}（{form.code} v{form.version}）",
        details={"code": form.code, "version": form.version},
    )
    return form


def install_templates(session: Session, *, actor: Actor) -> list[str]:
    """Install the shipped templates whose code is not there yet; returns the codes installed."""
    actor.require(Perm.CAMPAIGN_FORMS_WRITE)
    have = {form.code for form in repository.list_forms(session)}
    installed: list[str] = []
    for code, title, description, definition in catalog.TEMPLATES:
        if code in have:
            continue
        save_form(
            session,
            FormIn(code=code, title=title, description=description, definition=definition),
            actor=actor,
        )
        installed.append(code)
    return installed


# -- campaigns ----------------------------------------------------------------------------------


def phase_of(campaign: Campaign, today: date | None = None) -> Phase:
    today = today or _today()
    if campaign.status == CampaignStatus.CLOSED or today > campaign.ends_on:
        return Phase.ENDED
    if today < campaign.starts_on:
        return Phase.UPCOMING
    return Phase.RUNNING


@dataclass(frozen=True)
class LaunchResult:
    campaign: Campaign
    tasks_created: int | None
    tasks_skipped: list[str] = field(default_factory=list)


def _target_regions(session: Session, codes: list[str], actor: Actor) -> list[Region]:
    found: list[Region] = []
    for code in dict.fromkeys(codes):
        try:
            region = regions.get_region(session, code, actor=actor)
        except NotFound:
            raise InvalidInput(
                f"区域 {code} 不存在或不在您的管辖范围内", code="region_not_found", region=code
            ) from None
        if not actor.scope.covers_path(region.path):
            raise PermissionDenied(
                f"区域 {region.name} 超出您的管辖范围，只能在管辖范围内发起排查",
                code="out_of_scope",
            )
        if region.level not in TARGET_LEVELS:
            raise InvalidInput(
                f"{region.name} 是专属网格：请按街道、社区或基础网格指定排查范围",
                code="bad_target_region",
            )
        found.append(region)
    return found


def launch(session: Session, data: CampaignIn, *, actor: Actor) -> LaunchResult:
    actor.require(Perm.CAMPAIGNS_WRITE)
    form = repository.get_form(session, data.form_id)
    if form is None:
        raise InvalidInput(f"排查表 {data.form_id} 不存在", code="form_not_found")
    if data.ends_on < data.starts_on:
        raise InvalidInput("结束日期不能早于开始日期", code="bad_dates")
    if data.ends_on < _today():
        raise InvalidInput("结束日期已过，无法发起排查", code="bad_dates")
    if bool(data.region_codes) == bool(data.household_ids):
        raise InvalidInput(
            "请指定排查范围：区域编码（region_codes）或户（household_ids），二选一",
            code="targets_required",
        )
    if data.region_codes:
        chosen = _target_regions(session, data.region_codes, actor)
        kind = TargetKind.REGIONS
        households = registry.household_paths(
            session, actor=actor, region_paths=[r.path for r in chosen]
        )
        home = common_path([r.path for r in chosen])
    else:
        wanted = list(dict.fromkeys(data.household_ids or []))
        kind = TargetKind.HOUSEHOLDS
        households = registry.household_paths(session, actor=actor, household_ids=wanted)
        missing = sorted(set(wanted) - {h for h, _ in households})
        if missing:
            raise InvalidInput(
                f"{len(missing)} 户不存在或不在您的管辖范围内："
                + "、".join(str(m) for m in missing[:10]),
                code="household_not_found",
                household_ids=missing[:100],
            )
        home = common_path([path for _, path in households])
    if not households:
        raise InvalidInput("所选范围内没有登记的户", code="no_households")
    campaign = Campaign(
        title=data.title,
        description=data.description,
        form_id=form.id,
        region_path=home,
        target_kind=kind.value,
        target_region_codes=list(dict.fromkeys(data.region_codes or [])),
        target_household_ids=[h for h, _ in households] if kind == TargetKind.HOUSEHOLDS else [],
        target_count=len(households),
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        status=CampaignStatus.ACTIVE.value,
        created_by=actor.username,
    )
    repository.add_campaign(session, campaign)
    repository.add_targets(
        session,
        [
            {
                "campaign_id": campaign.id,
                "household_id": household_id,
                "region_path": path,
                "status": TargetStatus.PENDING.value,
                "responses": 0,
            }
            for household_id, path in households
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="campaigns.launch",
        object_type="campaign",
        object_id=campaign.id,
        summary=f"发起专项排查“{campaign.title}”（{len(households)} 户）",
        region_path=home,
        details={"form": f"{form.code} v{form.version}", "households": len(households)},
    )
    result = LaunchResult(campaign, None)
    if data.create_tasks:
        result = _create_tasks(session, campaign, sorted({p for _, p in households}), actor)
    return result


def _create_tasks(
    session: Session, campaign: Campaign, grid_paths: list[str], actor: Actor
) -> LaunchResult:
    """One task per grid, to the grid's workers (through the tasks feature). A grid the tasks
    feature refuses (no worker assigned) is skipped and named in the result."""
    zone = _zone()
    deadline = datetime.combine(campaign.ends_on, time(23, 59), tzinfo=zone)
    names = {
        r.code: r.name
        for r in regions.regions_by_codes(session, [grid_code(p) for p in grid_paths], actor=actor)
    }
    created, skipped = 0, []
    for path in grid_paths:
        code = grid_code(path)
        savepoint = session.begin_nested()
        try:
            tasks.create_task(
                session,
                TaskCreate(
                    title=f"{campaign.title}（{names.get(code, code)}）",
                    kind=TaskKind.CAMPAIGN_SCREENING,
                    description=(
                        f"专项排查“{campaign.title}”：请在 {campaign.ends_on:%Y-%m-%d} 前完成"
                        f"本网格目标户的入户排查并逐户填报。"
                    ),
                    deadline_at=deadline,
                    grid_codes=[code],
                    campaign_id=campaign.id,
                ),
                actor=actor,
            )
        except AppError:
            savepoint.rollback()
            skipped.append(code)
            continue
        savepoint.commit()
        created += 1
    return LaunchResult(campaign, created, skipped)


def get_campaign(session: Session, campaign_id: int, *, actor: Actor) -> Campaign:
    actor.require(Perm.CAMPAIGNS_READ)
    campaign = repository.get_campaign(session, actor.scope, campaign_id)
    if campaign is None:
        raise NotFound(
            f"专项排查 {campaign_id} 不存在或不在您的管辖范围内", code="campaign_not_found"
        )
    return campaign


@dataclass(frozen=True)
class CampaignView:
    campaign: Campaign
    form: CampaignForm
    regions: list[Region]
    phase: Phase
    targeted: int
    done: int

    @property
    def phase_label(self) -> str:
        return PHASE_LABELS[self.phase]

    @property
    def progress(self) -> float:
        return round(self.done / self.targeted, 4) if self.targeted else 0.0


def campaign_views(
    session: Session, campaigns: list[Campaign], *, actor: Actor
) -> list[CampaignView]:
    ids = [c.id for c in campaigns]
    totals: dict[int, Counter[str]] = defaultdict(Counter)
    for row in repository.progress_rows(session, actor.scope, ids):
        totals[row.campaign_id][row.status] += row.count
    form_rows = repository.forms_by_ids(session, [c.form_id for c in campaigns])
    codes = sorted({code for c in campaigns for code in c.target_region_codes})
    known = {r.code: r for r in regions.regions_by_codes(session, codes, actor=actor)}
    today = _today()
    return [
        CampaignView(
            campaign=c,
            form=form_rows[c.form_id],
            regions=[known[code] for code in c.target_region_codes if code in known],
            phase=phase_of(c, today),
            targeted=sum(totals[c.id].values()),
            done=totals[c.id][TargetStatus.DONE.value],
        )
        for c in campaigns
    ]


def list_campaigns(
    session: Session,
    *,
    actor: Actor,
    phase: Phase | None = None,
    query: str | None = None,
    page: PageParams,
) -> tuple[list[CampaignView], int]:
    actor.require(Perm.CAMPAIGNS_READ)
    filters = CampaignFilter(
        phase=phase.value if phase else None, today=_today(), query=query or None
    )
    rows, total = repository.list_campaigns(session, actor.scope, filters, page)
    return campaign_views(session, rows, actor=actor), total


@dataclass(frozen=True)
class RegionProgress:
    code: str
    name: str
    level: str
    targeted: int
    done: int

    @property
    def progress(self) -> float:
        return round(self.done / self.targeted, 4) if self.targeted else 0.0


def progress_by(
    session: Session, campaign: Campaign, *, actor: Actor, level: str
) -> list[RegionProgress]:
    """Targeted and screened households per community or grid in the actor's scope."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in repository.progress_rows(session, actor.scope, [campaign.id]):
        key = row.region_path if level == "grid" else community_path(row.region_path)
        counts[key][row.status] += row.count
    return _named(session, counts, actor, level)


def _named(
    session: Session, counts: dict[str, Counter[str]], actor: Actor, level: str
) -> list[RegionProgress]:
    names = {
        r.code: r.name
        for r in regions.regions_by_codes(session, [grid_code(p) for p in counts], actor=actor)
    }
    return [
        RegionProgress(
            code=grid_code(path),
            name=names.get(grid_code(path), grid_code(path)),
            level=level,
            targeted=sum(c.values()),
            done=c[TargetStatus.DONE.value],
        )
        for path, c in sorted(counts.items())
    ]


def close_campaign(session: Session, campaign_id: int, *, actor: Actor) -> Campaign:
    actor.require(Perm.CAMPAIGNS_WRITE)
    campaign = get_campaign(session, campaign_id, actor=actor)
    if not actor.scope.covers_path(campaign.region_path):
        raise PermissionDenied("只有发起范围的管理者可以结束这次排查", code="out_of_scope")
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict("这次排查已经结束", code="campaign_closed")
    campaign.status = CampaignStatus.CLOSED.value
    campaign.closed_at = now()
    campaign.closed_by = actor.username
    audit.record(
        session,
        actor=actor,
        action="campaigns.close",
        object_type="campaign",
        object_id=campaign.id,
        summary=f"结束专项排查“{campaign.title}”",
        region_path=campaign.region_path,
    )
    session.flush()
    return campaign


# -- targets and responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetView:
    target: CampaignTarget
    household: HouseholdBrief | None


def _grid_path(session: Session, code: str | None, actor: Actor) -> str | None:
    if not code:
        return None
    return regions.get_region(session, code, actor=actor).path


def list_targets(
    session: Session,
    campaign_id: int,
    *,
    actor: Actor,
    region_code: str | None = None,
    status: TargetStatus | None = None,
    page: PageParams,
) -> tuple[list[TargetView], int]:
    campaign = get_campaign(session, campaign_id, actor=actor)
    rows, total = repository.list_targets(
        session,
        actor.scope,
        campaign.id,
        region_path=_grid_path(session, region_code, actor),
        status=status.value if status else None,
        page=page,
    )
    briefs = registry.household_briefs(session, [t.household_id for t in rows], actor=actor)
    return [TargetView(t, briefs.get(t.household_id)) for t in rows], total


def submit_response(
    session: Session, campaign_id: int, data: ResponseIn, *, actor: Actor, cipher: FieldCipher
) -> tuple[CampaignResponse, bool]:
    """Record a household's form. Returns the response and whether it is new: a repeat of the
    same client id by the same account returns the first result unchanged."""
    actor.require(Perm.CAMPAIGNS_FILL)
    if actor.id is not None:
        earlier = repository.response_for_client(session, actor.id, data.client_id)
        if earlier is not None:
            return earlier, False
    campaign = get_campaign(session, campaign_id, actor=actor)
    today = _today()
    if campaign.status == CampaignStatus.CLOSED:
        raise InvalidInput("这次排查已经结束，不再接收填报", code="campaign_closed")
    if today < campaign.starts_on:
        raise InvalidInput(
            f"这次排查 {campaign.starts_on:%Y-%m-%d} 开始，尚未开始填报", code="campaign_upcoming"
        )
    if today > campaign.ends_on + timedelta(days=SUBMIT_GRACE_DAYS):
        raise InvalidInput("这次排查已经结束，不再接收填报", code="campaign_closed")
    target = repository.get_target(session, actor.scope, campaign.id, data.household_id)
    if target is None:
        raise InvalidInput(
            f"户 {data.household_id} 不在这次排查的范围内，或不在您的管辖范围内",
            code="household_not_targeted",
        )
    form = repository.get_form(session, campaign.form_id)
    assert form is not None
    spec = forms.load(form.definition)
    clean, errors = forms.validate_values(spec, data.values)
    if errors:
        raise InvalidInput(
            f"排查表填写有误（{len(errors)} 处）",
            code="invalid_values",
            errors=[str(e) for e in errors],
            fields=[{"path": e.path, "message": e.message} for e in errors],
        )
    shown, secrets = forms.split_sensitive(spec, clean, mask_phone)
    moment = now()
    filled_at = min(data.filled_at, moment) if data.filled_at is not None else moment
    response = CampaignResponse(
        campaign_id=campaign.id,
        target_id=target.id,
        household_id=target.household_id,
        region_path=target.region_path,
        form_id=form.id,
        version=target.responses + 1,
        answers=shown,
        sealed=cipher.encrypt(json.dumps(secrets, ensure_ascii=False)) if secrets else None,
        filled_by_id=actor.id,
        filled_by=actor.username,
        filled_by_name=actor.display_name or actor.username,
        filled_at=filled_at,
        client_id=data.client_id,
        created_at=moment,
    )
    repository.add_response(session, response)
    previous = target.response_id
    if not repository.update_target_done(
        session, target.id, seen=target.responses, response_id=response.id, moment=filled_at
    ):
        raise Conflict("该户的排查记录刚被他人更新，请刷新后重试", code="response_conflict")
    if previous is not None:
        repository.update_replaced(session, previous, by=response.id, moment=moment)
    session.expire(target)
    audit.record(
        session,
        actor=actor,
        action="campaigns.correct" if previous is not None else "campaigns.respond",
        object_type="campaign_response",
        object_id=response.id,
        summary=(
            f"{'更正' if previous is not None else '填报'}专项排查“{campaign.title}”"
            f"（户 {target.household_id}，第 {response.version} 版）"
        ),
        region_path=target.region_path,
        details={"campaign_id": campaign.id, "household_id": target.household_id},
    )
    return response, True


def list_responses(
    session: Session,
    campaign_id: int,
    *,
    actor: Actor,
    household_id: int | None = None,
    region_code: str | None = None,
    all_versions: bool = False,
    page: PageParams,
) -> tuple[list[CampaignResponse], int]:
    campaign = get_campaign(session, campaign_id, actor=actor)
    return repository.list_responses(
        session,
        actor.scope,
        campaign.id,
        household_id=household_id,
        region_path=_grid_path(session, region_code, actor),
        current_only=not all_versions,
        page=page,
    )


# -- statistics -----------------------------------------------------------------------------------


@dataclass
class _Epidemic:
    at_home: int = 0
    residents_present: int = 0
    households_with_symptoms: int = 0
    outsiders: int = 0
    outsiders_recent: int = 0
    outsiders_symptomatic: int = 0
    outsiders_unvaccinated: int = 0
    outsiders_monitored: int = 0
    by_province: Counter[str] = field(default_factory=Counter)
    doses: Counter[str] = field(default_factory=Counter)

    def add(self, values: dict[str, Any], screened_on: date) -> None:
        if values.get("at_home") is True:
            self.at_home += 1
        present = values.get("residents_present")
        if isinstance(present, int) and not isinstance(present, bool):
            self.residents_present += present
        if values.get("household_symptoms") is True:
            self.households_with_symptoms += 1
        outsiders = values.get("outsiders")
        for person in outsiders if isinstance(outsiders, list) else []:
            if not isinstance(person, dict):
                continue
            self.outsiders += 1
            arrival = _date(person.get("arrival_date"))
            if arrival is not None and 0 <= (screened_on - arrival).days < catalog.RECENT_DAYS:
                self.outsiders_recent += 1
            if person.get("health_status") in catalog.SYMPTOMS:
                self.outsiders_symptomatic += 1
            doses = person.get("vaccine_doses")
            if isinstance(doses, int) and not isinstance(doses, bool):
                self.doses[str(doses)] += 1
                if doses == 0:
                    self.outsiders_unvaccinated += 1
            if person.get("under_monitoring") is True:
                self.outsiders_monitored += 1
            province = person.get("origin_province")
            if isinstance(province, str):
                self.by_province[province] += 1

    def merge(self, other: _Epidemic) -> None:
        for name in (
            "at_home",
            "residents_present",
            "households_with_symptoms",
            "outsiders",
            "outsiders_recent",
            "outsiders_symptomatic",
            "outsiders_unvaccinated",
            "outsiders_monitored",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_province.update(other.by_province)
        self.doses.update(other.doses)

    def out(self) -> EpidemicFigures:
        return EpidemicFigures(
            at_home=self.at_home,
            residents_present=self.residents_present,
            households_with_symptoms=self.households_with_symptoms,
            outsiders=self.outsiders,
            outsiders_recent=self.outsiders_recent,
            outsiders_symptomatic=self.outsiders_symptomatic,
            outsiders_unvaccinated=self.outsiders_unvaccinated,
            outsiders_monitored=self.outsiders_monitored,
            by_province=dict(self.by_province.most_common()),
            doses={str(d): self.doses[str(d)] for d in range(catalog.MAX_DOSES + 1)},
        )


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def statistics(
    session: Session, campaign_id: int, *, actor: Actor, level: str = "grid"
) -> StatisticsOut:
    """Progress per grid or community, the value counts of every select/boolean field and,
    for the epidemic template, the outsider figures; all within the actor's scope."""
    if level not in ("grid", "community"):
        raise InvalidInput("level 只能是 grid 或 community", code="bad_level")
    campaign = get_campaign(session, campaign_id, actor=actor)
    form = repository.get_form(session, campaign.form_id)
    assert form is not None
    spec = forms.load(form.definition)
    epidemic = form.code == catalog.EPIDEMIC_CODE

    def key(path: str) -> str:
        return path if level == "grid" else community_path(path)

    progress = {p.code: p for p in progress_by(session, campaign, actor=actor, level=level)}
    per_region: dict[str, _Epidemic] = defaultdict(_Epidemic)
    countable = forms.countable_fields(spec)
    counts: list[Counter[str]] = [Counter() for _ in countable]
    answered = [0] * len(countable)
    zone = get_settings().timezone
    for row in repository.current_responses(session, actor.scope, campaign.id):
        if epidemic:
            per_region[grid_code(key(row.region_path))].add(
                row.values, to_local(row.filled_at, zone).date()
            )
        for index, (group, spec_field) in enumerate(countable):
            for value in _values_of(row.values, group, spec_field):
                answered[index] += 1
                for item in value if isinstance(value, list) else [value]:
                    counts[index][_count_key(item)] += 1
    total_figures = _Epidemic()
    rows: list[StatRow] = []
    for code, p in progress.items():
        figures = per_region.get(code, _Epidemic())
        total_figures.merge(figures)
        rows.append(
            StatRow(
                code=code,
                name=p.name,
                targeted=p.targeted,
                done=p.done,
                progress=p.progress,
                epidemic=figures.out() if epidemic else None,
            )
        )
    targeted = sum(p.targeted for p in progress.values())
    done = sum(p.done for p in progress.values())
    total = StatRow(
        code="",
        name="合计",
        targeted=targeted,
        done=done,
        progress=round(done / targeted, 4) if targeted else 0.0,
        epidemic=total_figures.out() if epidemic else None,
    )
    return StatisticsOut(
        campaign_id=campaign.id,
        level=level,
        form_code=form.code,
        rows=rows,
        total=total,
        fields=[
            _field_counts(group, spec_field, counts[i], answered[i])
            for i, (group, spec_field) in enumerate(countable)
        ],
    )


def _values_of(
    values: dict[str, Any], group: forms.FieldSpec | None, spec: forms.FieldSpec
) -> Iterator[Any]:
    if group is None:
        if spec.key in values:
            yield values[spec.key]
        return
    inner = values.get(group.key)
    entries = inner if isinstance(inner, list) else [inner] if isinstance(inner, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and spec.key in entry:
            yield entry[spec.key]


def _count_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field_counts(
    group: forms.FieldSpec | None, spec: forms.FieldSpec, counts: Counter[str], answered: int
) -> FieldCounts:
    if spec.type == "boolean":
        options = [("true", "是"), ("false", "否")]
    else:
        options = [(o.value, o.label) for o in spec.options or []]
    return FieldCounts(
        key=spec.key if group is None else f"{group.key}.{spec.key}",
        label=spec.label,
        group=group.label if group is not None else None,
        answered=answered,
        counts=[ValueCount(value=v, label=label, count=counts[v]) for v, label in options],
    )


# -- export ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportData:
    campaign: Campaign
    form: forms.FormDefinition
    rows: list[ResponseRow]
    households: dict[int, HouseholdBrief]


def export_responses(session: Session, campaign_id: int, *, actor: Actor) -> ExportData:
    """The current responses in the actor's scope, for a spreadsheet (personal data masked)."""
    campaign = get_campaign(session, campaign_id, actor=actor)
    limit = get_settings().export_max_rows
    if repository.count_current_responses(session, actor.scope, campaign.id) > limit:
        raise InvalidInput(f"导出最多 {limit:,} 户，请联系管理员", code="export_too_large")
    form = repository.get_form(session, campaign.form_id)
    assert form is not None
    rows = list(repository.current_responses(session, actor.scope, campaign.id))
    households: dict[int, HouseholdBrief] = {}
    ids = [r.household_id for r in rows]
    for start in range(0, len(ids), CHUNK):
        households.update(
            registry.household_briefs(session, ids[start : start + CHUNK], actor=actor)
        )
    audit.record(
        session,
        actor=actor,
        action="campaigns.export",
        object_type="campaign",
        object_id=campaign.id,
        summary=f"导出专项排查“{campaign.title}”的填报结果（{len(rows)} 户）",
        region_path=campaign.region_path,
        details={"rows": len(rows)},
    )
    return ExportData(campaign, forms.load(form.definition), rows, households)
