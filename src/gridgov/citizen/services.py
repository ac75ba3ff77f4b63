"""The citizen channel: who the app is (an anonymous device, a verified phone or a demo
account), reporting with photos and a location, "my reports", rating and reopening, and the
public copy of cases that anyone may see.

Every app user is a citizen account, so the platform's own rules apply unchanged: a citizen's
scope is the cases they reported, photos are uploaded through the media service as that
account, and rate/reopen are workflow actions. An anonymous device gets an account without a
phone whose credential is a random device token; verifying a phone binds it to that account
(or switches to the account the phone already has)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts import repository as accounts_repository
from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.models import User
from gridgov.accounts.permissions import Perm, Role
from gridgov.audit import services as audit
from gridgov.citizen import catalog, repository, sms
from gridgov.citizen.models import CitizenDevice, CitizenPhone, CitizenReport, PhoneVerification
from gridgov.citizen.schemas import ReportIn
from gridgov.config import Settings
from gridgov.events import services as events
from gridgov.events.catalog import EVENT_WORKFLOW
from gridgov.events.models import Event, EventCategory, Source
from gridgov.events.schemas import ActionIn, EventIn
from gridgov.kit.clock import now, to_local
from gridgov.kit.crypto import FieldCipher, mask_phone
from gridgov.kit.errors import AppError, InvalidInput, NotFound, PermissionDenied, TooManyRequests
from gridgov.kit.pagination import PageParams
from gridgov.kit.ratelimit import RateLimiter
from gridgov.media import services as media
from gridgov.media.files import Staged, UnsupportedMediaType
from gridgov.media.models import Media, MediaKind
from gridgov.regions import services as regions
from gridgov.regions.models import Region
from gridgov.workflow.models import WorkflowStep


@dataclass
class Limits:
    """Abuse limits, counted from rows so every server process counts alike."""

    reports_per_hour_account: int = 5
    reports_per_day_account: int = 20
    reports_per_hour_device: int = 10
    reports_per_hour_ip: int = 30
    codes_per_hour_phone: int = 5
    codes_per_hour_ip: int = 20
    code_interval_seconds: int = 60
    code_valid_seconds: int = 300
    code_attempts: int = 5
    devices_per_hour_ip: int = 20
    photos_per_hour_account: int = 30
    photos_per_hour_ip: int = 100
    public_days: int = 30
    public_max_items: int = 500


LIMITS = Limits()
ANONYMOUS_NAME = "匿名群众"
PUBLIC_ACTOR = "citizen-public"
FINISHED = ("closed", "rated", "voided")
OPEN311_CLOSED = frozenset(FINISHED)
ACTION_LABELS = {t["action"]: t["label"] for t in EVENT_WORKFLOW["transitions"]}
STATE_LABELS = {code: s["label"] for code, s in EVENT_WORKFLOW["states"].items()}
# The steps whose comment the reporter reads: what was done, why it was voided, their own words.
NOTED_ACTIONS = frozenset({"feedback", "self_settle", "void", "rate", "reopen", "merge"})


def public_actor() -> Actor:
    """The public's identity for reads anyone may make: cases and categories, nothing more."""
    return replace(
        Actor.system(PUBLIC_ACTOR),
        permissions=frozenset({Perm.EVENTS_READ, Perm.REGIONS_READ}),
        display_name="公众（未登录）",
    )


def _require_citizen(actor: Actor) -> None:
    if actor.role != Role.CITIZEN:
        raise PermissionDenied("群众端仅供群众账号使用", code="citizens_only")


def _root(session: Session) -> Region:
    roots = regions.scope_roots(session, actor=public_actor())
    if not roots:
        raise NotFound("辖区尚未配置", code="no_territory")
    return roots[0]


def _new_account(session: Session, display_name: str) -> User:
    user = User(
        username=f"m-{secrets.token_hex(6)}",
        display_name=display_name,
        # Not a hash argon2 can verify: these accounts never log in with a password.
        password_hash="!citizen-app",
        role=Role.CITIZEN.value,
        region_path=_root(session).path,
        is_active=True,
        is_demo=False,
        created_at=now(),
        updated_at=now(),
    )
    return repository.add_user(session, user)


def _record(session: Session, user: User, action: str, summary: str) -> None:
    """Audit an account change as the account itself (nobody else is acting)."""
    audit.record(
        session,
        actor=accounts.actor_for(session, user),
        action=action,
        object_type="user",
        object_id=user.id,
        summary=summary,
    )


def _user(session: Session, user_id: int) -> User | None:
    return accounts_repository.get_for_token(session, user_id)


# ---------------------------------------------------------------- anonymous devices


def start_device(session: Session, *, cipher: FieldCipher, client_ip: str) -> tuple[User, str]:
    """A new anonymous account for this device, and its token (shown once, stored hashed)."""
    ip_hash = cipher.search_hash(f"ip:{client_ip}")
    since = now() - timedelta(hours=1)
    if (
        repository.count_devices(session, since=since, ip_hash=ip_hash)
        >= LIMITS.devices_per_hour_ip
    ):
        raise TooManyRequests("操作过于频繁，请稍后再试", code="rate_limited", retry_after=600)
    user = _new_account(session, ANONYMOUS_NAME)
    token = secrets.token_urlsafe(32)
    repository.add_device(
        session,
        CitizenDevice(
            user_id=user.id,
            token_hash=cipher.search_hash(f"device:{token}"),
            ip_hash=ip_hash,
            created_at=now(),
            last_seen_at=now(),
        ),
    )
    _record(session, user, "citizen.device", "群众端匿名设备登记")
    return user, token


def resume_device(session: Session, token: str, *, cipher: FieldCipher) -> User:
    device = repository.device_by_token_hash(session, cipher.search_hash(f"device:{token}"))
    user = _user(session, device.user_id) if device is not None else None
    if device is None or user is None or not user.is_active:
        raise PermissionDenied("设备令牌无效，请重新进入", code="bad_device_token")
    device.last_seen_at = now()
    return user


# ---------------------------------------------------------------- phone verification


def _phone_hash(cipher: FieldCipher, phone: str) -> str:
    return cipher.search_hash(phone)


def send_code(session: Session, phone: str, *, cipher: FieldCipher, client_ip: str) -> int:
    """Send a six-digit code to the phone; returns the seconds it stays valid."""
    phone_hash = _phone_hash(cipher, phone)
    ip_hash = cipher.search_hash(f"ip:{client_ip}")
    moment = now()
    latest = repository.latest_verification(session, phone_hash)
    if latest is not None:
        wait = LIMITS.code_interval_seconds - (moment - latest.created_at).total_seconds()
        if wait > 0:
            raise TooManyRequests(
                f"验证码已发送，请 {int(wait) + 1} 秒后再试",
                code="rate_limited",
                retry_after=int(wait) + 1,
            )
    hour = moment - timedelta(hours=1)
    if (
        repository.count_verifications(session, since=hour, phone_hash=phone_hash)
        >= LIMITS.codes_per_hour_phone
        or repository.count_verifications(session, since=hour, ip_hash=ip_hash)
        >= LIMITS.codes_per_hour_ip
    ):
        raise TooManyRequests(
            "验证码发送过于频繁，请一小时后再试", code="rate_limited", retry_after=3600
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    repository.add_verification(
        session,
        PhoneVerification(
            phone_hash=phone_hash,
            code_hash=cipher.search_hash(f"code:{phone_hash}:{code}"),
            ip_hash=ip_hash,
            created_at=moment,
            expires_at=moment + timedelta(seconds=LIMITS.code_valid_seconds),
            attempts=0,
        ),
    )
    minutes = LIMITS.code_valid_seconds // 60
    sms.send_text(
        phone, f"【北湖之声】您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作请忽略。"
    )
    return LIMITS.code_valid_seconds


@dataclass(frozen=True)
class Verified:
    user: User | None
    error: AppError | None = None


def verify_code(
    session: Session,
    phone: str,
    code: str,
    *,
    cipher: FieldCipher,
    current: Actor | None,
    client_ip: str,
) -> Verified:
    """Check a code. A wrong code is counted (and must be committed even though the answer is
    an error, like a failed login), so this returns its outcome instead of raising."""
    phone_hash = _phone_hash(cipher, phone)
    row = repository.latest_verification(session, phone_hash)
    moment = now()
    if row is None or row.consumed_at is not None or row.expires_at <= moment:
        return Verified(None, InvalidInput("验证码已失效，请重新获取", code="code_expired"))
    if row.attempts >= LIMITS.code_attempts:
        return Verified(None, TooManyRequests("错误次数过多，请重新获取验证码", code="code_locked"))
    expected = cipher.search_hash(f"code:{phone_hash}:{code}")
    if not hmac.compare_digest(expected, row.code_hash):
        row.attempts += 1
        return Verified(None, InvalidInput("验证码不正确", code="wrong_code"))
    row.consumed_at = moment
    bound = repository.phone_by_hash(session, phone_hash)
    if bound is not None:
        user = _user(session, bound.user_id)
        assert user is not None
        _record(session, user, "citizen.phone_login", "手机号验证登录")
        return Verified(user)
    user = None
    if current is not None and current.role == Role.CITIZEN and current.id is not None:
        mine = _user(session, current.id)
        # An anonymous device account becomes this phone's account, keeping its reports.
        if mine is not None and _is_anonymous(session, mine.id):
            user = mine
    if user is None:
        user = _new_account(session, f"群众{mask_phone(phone)}")
    else:
        user.display_name = f"群众{mask_phone(phone)}"
    repository.add_phone(
        session,
        CitizenPhone(
            user_id=user.id,
            phone_cipher=cipher.encrypt(phone),
            phone_hash=phone_hash,
            phone_masked=mask_phone(phone),
            verified_at=moment,
        ),
    )
    _record(session, user, "citizen.phone_verified", "手机号验证并绑定")
    return Verified(user)


def _is_anonymous(session: Session, user_id: int) -> bool:
    """An app device's account that no phone has been bound to yet."""
    return repository.has_device(session, user_id) and (
        repository.phone_of_user(session, user_id) is None
    )


def session_kind(session: Session, actor: Actor) -> tuple[str, str | None]:
    """anonymous / phone / account, and the masked phone when there is one."""
    if actor.id is None:
        return "account", None
    phone = repository.phone_of_user(session, actor.id)
    if phone is not None:
        return "phone", phone.phone_masked
    if _is_anonymous(session, actor.id):
        return "anonymous", None
    return "account", None


# ---------------------------------------------------------------- categories and guidance


def categories(session: Session) -> list[tuple[EventCategory, EventCategory | None]]:
    """Active leaf categories with their group, in code order (public: no login needed)."""
    rows = events.list_categories(session, actor=public_actor())
    by_code = {c.code: c for c in rows}
    return [
        (c, by_code.get(c.parent_code or ""))
        for c in sorted(rows, key=lambda c: c.code)
        if c.parent_code and c.is_active
    ]


def category_names(session: Session) -> dict[str, str]:
    return {c.code: c.name for c in events.list_categories(session, actor=public_actor())}


# ---------------------------------------------------------------- reporting


def _title(category: str, description: str) -> str:
    first = description.splitlines()[0] if description else ""
    text = first[:24] + ("…" if len(first) > 24 else "")
    return f"{category}：{text}" if text else category


def report(
    session: Session,
    data: ReportIn,
    *,
    actor: Actor,
    cipher: FieldCipher,
    device_token: str | None,
    idempotency_key: str | None = None,
) -> tuple[Event, bool]:
    """A citizen's report through the app: limits per account, device and address, the
    category's questions checked and written into the description, then the events intake."""
    _require_citizen(actor)
    actor.require(Perm.EVENTS_REPORT)
    assert actor.id is not None
    names = category_names(session)
    category = names.get(data.category_code)
    if category is None or len(data.category_code) < 4:
        raise InvalidInput("请选择具体的问题类别", code="unknown_category")
    answers, problems = catalog.validate_answers(data.category_code, data.attributes)
    if problems:
        raise InvalidInput(
            "；".join(message for _, message in problems),
            code="bad_attributes",
            attributes=[code for code, _ in problems],
        )
    ip_hash = cipher.search_hash(f"ip:{actor.client_ip}")
    device_hash = cipher.search_hash(f"device:{device_token}") if device_token else None
    moment = now()
    hour, day = moment - timedelta(hours=1), moment - timedelta(days=1)
    checks = [
        (
            repository.count_reports(session, since=hour, user_id=actor.id),
            LIMITS.reports_per_hour_account,
        ),
        (
            repository.count_reports(session, since=day, user_id=actor.id),
            LIMITS.reports_per_day_account,
        ),
        (
            repository.count_reports(session, since=hour, ip_hash=ip_hash),
            LIMITS.reports_per_hour_ip,
        ),
    ]
    if device_hash is not None:
        checks.append(
            (
                repository.count_reports(session, since=hour, device_hash=device_hash),
                LIMITS.reports_per_hour_device,
            )
        )
    if any(count >= limit for count, limit in checks):
        raise TooManyRequests("上报过于频繁，请稍后再试", code="rate_limited", retry_after=3600)
    extra = catalog.describe_answers(data.category_code, answers)
    description = data.description + (f"\n\n{extra}" if extra else "")
    event, created = events.intake(
        session,
        EventIn(
            title=_title(category, data.description),
            description=description,
            category_code=data.category_code,
            location=data.location,
            address=data.address or None,
            source=Source.CITIZEN,
            media_ids=data.media_ids,
        ),
        actor=actor,
        idempotency_key=idempotency_key,
    )
    if not created:
        return event, False
    repository.add_report(
        session,
        CitizenReport(
            event_id=event.id,
            user_id=actor.id,
            device_hash=device_hash,
            ip_hash=ip_hash,
            region_path=event.region_path,
            attributes=answers,
            created_at=moment,
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="citizen.report",
        object_type="event",
        object_id=event.id,
        region_path=event.region_path,
        summary=f"群众端上报 {event.code}",
        details={"category": event.category_code, "photos": len(data.media_ids)},
    )
    return event, True


UPLOAD_LIMITER = RateLimiter()


def check_upload(session: Session, *, actor: Actor) -> None:
    """Before a photo is received: citizens only, and within the account's and the address's
    hourly allowance (the account's counted from rows, the address's in this process)."""
    _require_citizen(actor)
    media.require_upload(actor)
    assert actor.id is not None
    since = now() - timedelta(hours=1)
    if repository.count_uploads(session, user_id=actor.id, since=since) >= (
        LIMITS.photos_per_hour_account
    ):
        raise TooManyRequests("上传照片过于频繁，请稍后再试", code="rate_limited", retry_after=600)
    UPLOAD_LIMITER.check(f"ip:{actor.client_ip}", LIMITS.photos_per_hour_ip, 3600, what="上传照片")


def upload_photo(session: Session, staged: Staged, *, actor: Actor, settings: Settings) -> Media:
    """A photo only (the app takes no videos), checked by the media service as everywhere."""
    if staged.kind != MediaKind.IMAGE:
        raise UnsupportedMediaType(
            "请上传 JPEG、PNG 或 WebP 照片（按文件内容识别）", code="unsupported_media_type"
        )
    return media.upload(session, staged, actor=actor, settings=settings)


# ---------------------------------------------------------------- my reports


@dataclass(frozen=True)
class ReportView:
    event: Event
    version: int
    feedback: str | None
    photos: list[int]
    timeline: list[WorkflowStep]


def _views(
    session: Session, found: list[Event], *, actor: Actor, with_timeline: bool
) -> list[ReportView]:
    versions = events.versions(session, found)
    views = []
    for event in found:
        photos = [
            m.id
            for m in media.for_subject(session, events.SUBJECT, event.id, actor=actor)
            if m.has_thumbnail
        ]
        steps: list[WorkflowStep] = []
        if with_timeline or event.status in ("feedback", *FINISHED):
            steps = events.case_view(session, event, actor=actor).steps
        feedback = next(
            (
                s.comment
                for s in reversed(steps)
                if s.action in ("feedback", "self_settle") and s.comment
            ),
            None,
        )
        views.append(ReportView(event, versions.get(event.id, 1), feedback, photos, steps))
    return views


def my_reports(session: Session, *, actor: Actor, page: PageParams) -> tuple[list[ReportView], int]:
    _require_citizen(actor)
    filters = events.event_filter(session, actor=actor)
    found, total = events.search_events(session, filters, actor=actor, page=page)
    return _views(session, found, actor=actor, with_timeline=False), total


def my_report(session: Session, event_id: int, *, actor: Actor) -> ReportView:
    _require_citizen(actor)
    event = events.get_event(session, event_id, actor=actor)
    return _views(session, [event], actor=actor, with_timeline=True)[0]


def public_timeline(steps: list[WorkflowStep]) -> list[tuple[str, Any, str]]:
    """(label, time, note): every step's label; notes only where they are meant for the
    reporter (staff-internal remarks such as a return reason stay inside)."""
    return [
        (
            ACTION_LABELS.get(s.action, "上报" if s.seq == 1 else s.action),
            s.at,
            s.comment if s.action in NOTED_ACTIONS else "",
        )
        for s in steps
    ]


def rate(
    session: Session, event_id: int, version: int, satisfaction: int, comment: str, *, actor: Actor
) -> Event:
    _require_citizen(actor)
    return events.act(
        session,
        event_id,
        "rate",
        ActionIn(version=version, satisfaction=satisfaction, comment=comment),
        actor=actor,
    )


def reopen(session: Session, event_id: int, version: int, comment: str, *, actor: Actor) -> Event:
    _require_citizen(actor)
    return events.act(
        session, event_id, "reopen", ActionIn(version=version, comment=comment), actor=actor
    )


# ---------------------------------------------------------------- the public copy


@dataclass(frozen=True)
class PublicCase:
    code: str
    title: str
    category_code: str
    category_name: str
    closed: bool
    status_label: str
    reported_on: str
    lon: float
    lat: float
    blurred: bool
    thumbnail_id: int | None


def public_copy(
    row: Any, names: dict[str, str], thumbnails: dict[int, int], timezone: str
) -> PublicCase:
    """A case as anyone may see it: sensitive categories keep only their category name and a
    point snapped to a ~500 m cell; other titles lose phone and ID numbers."""
    sensitive = catalog.is_sensitive(row.category_code)
    name = names.get(row.category_code, row.category_code)
    lon, lat = (
        catalog.blur(row.lon, row.lat) if sensitive else (round(row.lon, 5), round(row.lat, 5))
    )
    return PublicCase(
        code=row.code,
        title=name if sensitive else catalog.redact(row.title),
        category_code=row.category_code,
        category_name=name,
        closed=row.status in OPEN311_CLOSED,
        status_label=STATE_LABELS.get(row.status, row.status),
        reported_on=to_local(row.created_at, timezone).date().isoformat(),
        lon=lon,
        lat=lat,
        blurred=sensitive,
        thumbnail_id=None if sensitive else thumbnails.get(row.id),
    )


def public_reports(
    session: Session,
    *,
    bbox: tuple[float, float, float, float],
    days: int,
    timezone: str,
) -> tuple[list[PublicCase], bool]:
    min_lon, min_lat, max_lon, max_lat = bbox
    if (
        not (min_lon < max_lon and min_lat < max_lat)
        or max_lon - min_lon > 1
        or max_lat - min_lat > 1
    ):
        raise InvalidInput("范围无效（经纬度跨度不超过 1 度）", code="bad_bbox")
    days = max(1, min(days, LIMITS.public_days))
    rows = repository.public_cases(
        session,
        lon_range=(min_lon, max_lon),
        lat_range=(min_lat, max_lat),
        since=now() - timedelta(days=days),
        limit=LIMITS.public_max_items + 1,
    )
    truncated = len(rows) > LIMITS.public_max_items
    rows = rows[: LIMITS.public_max_items]
    names = category_names(session)
    thumbs = repository.public_thumbnails(
        session, [r.id for r in rows if not catalog.is_sensitive(r.category_code)]
    )
    return [public_copy(r, names, thumbs, timezone) for r in rows], truncated


def _public_event_check(session: Session, event_id: int, _actor: Actor) -> None:
    event = events.get_event(session, event_id, actor=public_actor())
    if event.status == "voided" or catalog.is_sensitive(event.category_code):
        raise NotFound("不公开", code="not_public")


def public_photo(session: Session, media_id: int) -> Media:
    """A photo of a case the public copy shows; only its thumbnail (no EXIF) is ever served."""
    found = media.readable(
        session, media_id, actor=public_actor(), subjects={events.SUBJECT: _public_event_check}
    )
    if not found.has_thumbnail:
        raise media.not_found(media_id)
    return found


def outline(session: Session) -> Region:
    return _root(session)
