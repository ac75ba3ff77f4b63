"""Every query of the citizen channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import User
from gridgov.accounts.scope import Scope, apply_scope, unscoped
from gridgov.citizen.models import CitizenDevice, CitizenPhone, CitizenReport, PhoneVerification
from gridgov.events.models import Event
from gridgov.media.models import Media
from gridgov.workflow.models import WorkflowStep


def add_user(session: Session, user: User) -> User:
    """A citizen account made by the app (anonymous device or verified phone)."""
    session.add(user)
    session.flush()
    return user


def add_device(session: Session, device: CitizenDevice) -> CitizenDevice:
    session.add(device)
    session.flush()
    return device


def add_phone(session: Session, phone: CitizenPhone) -> CitizenPhone:
    session.add(phone)
    session.flush()
    return phone


def add_verification(session: Session, row: PhoneVerification) -> PhoneVerification:
    session.add(row)
    session.flush()
    return row


def add_report(session: Session, row: CitizenReport) -> CitizenReport:
    session.add(row)
    session.flush()
    return row


@unscoped("a device token is the credential of its anonymous account; the token is the authority")
def device_by_token_hash(session: Session, token_hash: str) -> CitizenDevice | None:
    return session.scalars(
        select(CitizenDevice).where(CitizenDevice.token_hash == token_hash)
    ).first()


@unscoped("whether an account is an app device's own account, asked about that account")
def has_device(session: Session, user_id: int) -> bool:
    stmt = select(CitizenDevice.id).where(CitizenDevice.user_id == user_id).limit(1)
    return session.scalar(stmt) is not None


@unscoped("a verified phone names its account before anyone is known")
def phone_by_hash(session: Session, phone_hash: str) -> CitizenPhone | None:
    return session.scalars(
        select(CitizenPhone).where(CitizenPhone.phone_hash == phone_hash)
    ).first()


@unscoped("an account's own phone, shown masked to the account itself")
def phone_of_user(session: Session, user_id: int) -> CitizenPhone | None:
    return session.scalars(select(CitizenPhone).where(CitizenPhone.user_id == user_id)).first()


@unscoped("the latest code sent to a number, checked against what its holder typed")
def latest_verification(session: Session, phone_hash: str) -> PhoneVerification | None:
    return session.scalars(
        select(PhoneVerification)
        .where(PhoneVerification.phone_hash == phone_hash)
        .order_by(PhoneVerification.id.desc())
        .limit(1)
    ).first()


@unscoped("rate limits count rows of one number or address, whoever asks")
def count_verifications(
    session: Session, *, since: datetime, phone_hash: str | None = None, ip_hash: str | None = None
) -> int:
    stmt = select(func.count()).select_from(PhoneVerification)
    stmt = stmt.where(PhoneVerification.created_at >= since)
    if phone_hash is not None:
        stmt = stmt.where(PhoneVerification.phone_hash == phone_hash)
    if ip_hash is not None:
        stmt = stmt.where(PhoneVerification.ip_hash == ip_hash)
    return session.scalar(stmt) or 0


@unscoped("rate limits count the devices made from one address")
def count_devices(session: Session, *, since: datetime, ip_hash: str) -> int:
    stmt = select(func.count()).select_from(CitizenDevice)
    stmt = stmt.where(CitizenDevice.created_at >= since, CitizenDevice.ip_hash == ip_hash)
    return session.scalar(stmt) or 0


@unscoped("rate limits count the reports of one account, device or address")
def count_reports(
    session: Session,
    *,
    since: datetime,
    user_id: int | None = None,
    device_hash: str | None = None,
    ip_hash: str | None = None,
) -> int:
    stmt = select(func.count()).select_from(CitizenReport).where(CitizenReport.created_at >= since)
    if user_id is not None:
        stmt = stmt.where(CitizenReport.user_id == user_id)
    if device_hash is not None:
        stmt = stmt.where(CitizenReport.device_hash == device_hash)
    if ip_hash is not None:
        stmt = stmt.where(CitizenReport.ip_hash == ip_hash)
    return session.scalar(stmt) or 0


def reports_for(session: Session, scope: Scope, event_ids: Sequence[int]) -> list[CitizenReport]:
    """The app's rows for cases the caller has already read through the events scope."""
    if not event_ids:
        return []
    stmt = apply_scope(
        select(CitizenReport),
        scope,
        region_path=CitizenReport.region_path,
        owner_id=CitizenReport.user_id,
    )
    return list(session.scalars(stmt.where(CitizenReport.event_id.in_(event_ids))))


PUBLIC_COLUMNS = (
    Event.id,
    Event.code,
    Event.title,
    Event.category_code,
    Event.status,
    Event.lon,
    Event.lat,
    Event.created_at,
    Event.closed_at,
)


@unscoped("rate limits count one account's uploads")
def count_uploads(session: Session, *, user_id: int, since: datetime) -> int:
    stmt = select(func.count()).select_from(Media)
    stmt = stmt.where(Media.uploaded_by == user_id, Media.uploaded_at >= since)
    return session.scalar(stmt) or 0


@unscoped("the public map: whoever asks sees the same coarse, redacted copy of recent cases")
def public_cases(
    session: Session,
    *,
    lon_range: tuple[float, float],
    lat_range: tuple[float, float],
    since: datetime,
    limit: int,
) -> list[Row[Any]]:
    """Recent, not voided cases in a box, newest first: only the columns a public copy uses."""
    stmt = (
        select(*PUBLIC_COLUMNS)
        .where(
            Event.created_at >= since,
            Event.lon.between(*lon_range),
            Event.lat.between(*lat_range),
            Event.status != "voided",
        )
        .order_by(Event.created_at.desc())
        .limit(limit)
    )
    return list(session.execute(stmt))


@unscoped("public photos: the report photos of cases the public copy shows")
def public_thumbnails(session: Session, event_ids: Sequence[int]) -> dict[int, int]:
    """The first photo with a thumbnail of each case (event id → media id)."""
    if not event_ids:
        return {}
    stmt = (
        select(Media.subject_id, func.min(Media.id))
        .where(
            Media.subject_type == "event",
            Media.subject_id.in_(event_ids),
            Media.has_thumbnail.is_(True),
        )
        .group_by(Media.subject_id)
    )
    return {int(subject or 0): int(media) for subject, media in session.execute(stmt)}


@unscoped("the latest steps of cases the caller has already read (public or through scope)")
def latest_steps(session: Session, instance_ids: Sequence[int]) -> dict[int, WorkflowStep]:
    """The newest timeline step of each workflow instance."""
    if not instance_ids:
        return {}
    newest = (
        select(WorkflowStep.instance_id, func.max(WorkflowStep.seq).label("seq"))
        .where(WorkflowStep.instance_id.in_(instance_ids))
        .group_by(WorkflowStep.instance_id)
        .subquery()
    )
    stmt = select(WorkflowStep).join(
        newest,
        (WorkflowStep.instance_id == newest.c.instance_id) & (WorkflowStep.seq == newest.c.seq),
    )
    return {step.instance_id: step for step in session.scalars(stmt)}
