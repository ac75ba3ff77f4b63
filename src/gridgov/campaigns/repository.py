"""Every query on campaign forms, campaigns, targets and responses.

Forms are district-wide configuration. A campaign is seen by whoever may see one of its target
households: the district's campaign shows in every street, each street seeing its own
households' progress; a street's campaign is invisible to the other streets. Targets and
responses carry the household's grid path and are scoped by it like everything else."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.campaigns.models import (
    Campaign,
    CampaignForm,
    CampaignResponse,
    CampaignStatus,
    CampaignTarget,
    TargetStatus,
)
from gridgov.kit.pagination import PageParams, fetch_page

# -- forms ------------------------------------------------------------------------------------


@unscoped("form definitions are district-wide configuration, not data of a region")
def list_forms(session: Session) -> list[CampaignForm]:
    return list(session.scalars(select(CampaignForm).order_by(CampaignForm.code, CampaignForm.id)))


@unscoped("form definitions are district-wide configuration, not data of a region")
def get_form(session: Session, form_id: int) -> CampaignForm | None:
    return session.get(CampaignForm, form_id)


@unscoped("form definitions are district-wide configuration, not data of a region")
def forms_by_ids(session: Session, form_ids: Sequence[int]) -> dict[int, CampaignForm]:
    if not form_ids:
        return {}
    stmt = select(CampaignForm).where(CampaignForm.id.in_(set(form_ids)))
    return {f.id: f for f in session.scalars(stmt)}


@unscoped("form definitions are district-wide configuration, not data of a region")
def versions_of(session: Session, code: str) -> list[CampaignForm]:
    stmt = select(CampaignForm).where(CampaignForm.code == code).order_by(CampaignForm.version)
    return list(session.scalars(stmt))


def add_form(session: Session, form: CampaignForm) -> None:
    session.add(form)
    session.flush()


# -- campaigns --------------------------------------------------------------------------------


def _targets_in(scope: Scope) -> Select[Any]:
    return apply_scope(select(CampaignTarget.id), scope, region_path=CampaignTarget.region_path)


def _visible(scope: Scope) -> Select[Campaign]:
    """Campaigns with at least one target household in the scope."""
    if scope.is_unrestricted:
        return select(Campaign)
    reachable = _targets_in(scope).where(CampaignTarget.campaign_id == Campaign.id)
    return select(Campaign).where(reachable.exists())


@dataclass(frozen=True)
class CampaignFilter:
    phase: str | None = None  # upcoming, running, ended (on ``today``)
    today: date | None = None
    query: str | None = None


def list_campaigns(
    session: Session, scope: Scope, filters: CampaignFilter, page: PageParams
) -> tuple[list[Campaign], int]:
    stmt = _visible(scope)
    today = filters.today
    active = Campaign.status == CampaignStatus.ACTIVE.value
    if filters.phase == "upcoming" and today is not None:
        stmt = stmt.where(active, Campaign.starts_on > today)
    elif filters.phase == "running" and today is not None:
        stmt = stmt.where(active, Campaign.starts_on <= today, Campaign.ends_on >= today)
    elif filters.phase == "ended" and today is not None:
        stmt = stmt.where(or_(~active, Campaign.ends_on < today))
    if filters.query:
        stmt = stmt.where(Campaign.title.contains(filters.query, autoescape=True))
    return fetch_page(session, stmt, page, Campaign.id.desc())


def get_campaign(session: Session, scope: Scope, campaign_id: int) -> Campaign | None:
    return session.scalars(_visible(scope).where(Campaign.id == campaign_id)).first()


def add_campaign(session: Session, campaign: Campaign) -> None:
    session.add(campaign)
    session.flush()


def add_targets(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5_000):
        session.execute(insert(CampaignTarget), rows[start : start + 5_000])


# -- targets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRow:
    campaign_id: int
    region_path: str
    status: str
    count: int


def progress_rows(
    session: Session, scope: Scope, campaign_ids: Sequence[int], region_path: str | None = None
) -> Iterator[ProgressRow]:
    """Targets per (campaign, grid, status) in the scope: one GROUP BY."""
    if not campaign_ids:
        return
    stmt = apply_scope(
        select(
            CampaignTarget.campaign_id,
            CampaignTarget.region_path,
            CampaignTarget.status,
            func.count(),
        ),
        scope,
        region_path=CampaignTarget.region_path,
    ).where(CampaignTarget.campaign_id.in_(set(campaign_ids)))
    if region_path:
        stmt = stmt.where(path_prefix(CampaignTarget.region_path, region_path))
    stmt = stmt.group_by(
        CampaignTarget.campaign_id, CampaignTarget.region_path, CampaignTarget.status
    )
    for campaign_id, path, status, count in session.execute(stmt):
        yield ProgressRow(int(campaign_id), str(path), str(status), int(count))


def list_targets(
    session: Session,
    scope: Scope,
    campaign_id: int,
    *,
    region_path: str | None,
    status: str | None,
    page: PageParams,
) -> tuple[list[CampaignTarget], int]:
    stmt = apply_scope(select(CampaignTarget), scope, region_path=CampaignTarget.region_path).where(
        CampaignTarget.campaign_id == campaign_id
    )
    if region_path:
        stmt = stmt.where(path_prefix(CampaignTarget.region_path, region_path))
    if status:
        stmt = stmt.where(CampaignTarget.status == status)
    return fetch_page(session, stmt, page, CampaignTarget.region_path, CampaignTarget.household_id)


def get_target(
    session: Session, scope: Scope, campaign_id: int, household_id: int
) -> CampaignTarget | None:
    stmt = apply_scope(select(CampaignTarget), scope, region_path=CampaignTarget.region_path).where(
        CampaignTarget.campaign_id == campaign_id, CampaignTarget.household_id == household_id
    )
    return session.scalars(stmt).first()


def update_target_done(
    session: Session, target_id: int, *, seen: int, response_id: int, moment: datetime
) -> bool:
    """Point the target at its new current response, if nobody else did since ``seen``."""
    result = session.execute(
        update(CampaignTarget)
        .where(CampaignTarget.id == target_id, CampaignTarget.responses == seen)
        .values(
            status=TargetStatus.DONE.value,
            response_id=response_id,
            responses=seen + 1,
            done_at=moment,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


# -- responses --------------------------------------------------------------------------------


@unscoped("an account's own offline retry: the first response it sent under the client id")
def response_for_client(
    session: Session, filled_by_id: int, client_id: str
) -> CampaignResponse | None:
    stmt = select(CampaignResponse).where(
        CampaignResponse.filled_by_id == filled_by_id, CampaignResponse.client_id == client_id
    )
    return session.scalars(stmt).first()


def add_response(session: Session, response: CampaignResponse) -> None:
    session.add(response)
    session.flush()


def update_replaced(session: Session, response_id: int, *, by: int, moment: datetime) -> None:
    session.execute(
        update(CampaignResponse)
        .where(CampaignResponse.id == response_id)
        .values(replaced_by=by, replaced_at=moment)
        .execution_options(synchronize_session=False)
    )


def _responses(scope: Scope, campaign_id: int) -> Select[CampaignResponse]:
    return apply_scope(
        select(CampaignResponse), scope, region_path=CampaignResponse.region_path
    ).where(CampaignResponse.campaign_id == campaign_id)


def list_responses(
    session: Session,
    scope: Scope,
    campaign_id: int,
    *,
    household_id: int | None,
    region_path: str | None,
    current_only: bool,
    page: PageParams,
) -> tuple[list[CampaignResponse], int]:
    stmt = _responses(scope, campaign_id)
    if household_id is not None:
        stmt = stmt.where(CampaignResponse.household_id == household_id)
    if region_path:
        stmt = stmt.where(path_prefix(CampaignResponse.region_path, region_path))
    if current_only:
        stmt = stmt.where(CampaignResponse.replaced_by.is_(None))
    return fetch_page(session, stmt, page, CampaignResponse.id.desc())


@dataclass(frozen=True)
class ResponseRow:
    id: int
    household_id: int
    region_path: str
    version: int
    values: dict[str, Any]
    filled_by_name: str
    filled_at: datetime


def current_responses(
    session: Session, scope: Scope, campaign_id: int, region_path: str | None = None
) -> Iterator[ResponseRow]:
    """The current response of every screened household in the scope (statistics, export)."""
    stmt = (
        _responses(scope, campaign_id)
        .where(CampaignResponse.replaced_by.is_(None))
        .with_only_columns(
            CampaignResponse.id,
            CampaignResponse.household_id,
            CampaignResponse.region_path,
            CampaignResponse.version,
            CampaignResponse.answers,
            CampaignResponse.filled_by_name,
            CampaignResponse.filled_at,
        )
    )
    if region_path:
        stmt = stmt.where(path_prefix(CampaignResponse.region_path, region_path))
    stmt = stmt.order_by(CampaignResponse.region_path, CampaignResponse.household_id)
    for row in session.execute(stmt.execution_options(yield_per=2_000)):
        yield ResponseRow(
            int(row[0]), int(row[1]), str(row[2]), int(row[3]), row[4] or {}, row[5], row[6]
        )


def count_current_responses(
    session: Session, scope: Scope, campaign_id: int, region_path: str | None = None
) -> int:
    stmt = _responses(scope, campaign_id).where(CampaignResponse.replaced_by.is_(None))
    if region_path:
        stmt = stmt.where(path_prefix(CampaignResponse.region_path, region_path))
    counted = stmt.with_only_columns(CampaignResponse.id).subquery()
    return session.scalar(select(func.count()).select_from(counted)) or 0
