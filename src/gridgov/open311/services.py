"""Open311 GeoReport v2 over the case model.

Mapping: jurisdiction_id is the district's code, a service is a leaf event category (its group
the parent category, its attributes the category's extra questions in ``citizen/catalog.py``),
a service request is a case: service_request_id its code, status ``closed`` once the case is
closed, rated or voided (else ``open``), status_notes the latest timeline step, expected_datetime
the case deadline, agency_responsible the department it was dispatched to.

What the public reads is the same redacted copy the citizen app's public map shows: sensitive
categories (disputes, person-related matters) carry no description or address and a point
snapped to a ~500 m cell; free text loses phone and ID numbers. Cases posted here are reported
by the key's system identity with source ``citizen``; the key, token, attributes and media URL
are kept in ``open311_requests``."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.citizen import catalog
from gridgov.citizen import repository as citizen_repository
from gridgov.citizen import services as citizen
from gridgov.events import services as events
from gridgov.events.models import Event, EventCategory, Source
from gridgov.events.schemas import EventIn, Location
from gridgov.kit.clock import now, to_local
from gridgov.kit.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.kit.ratelimit import RateLimiter
from gridgov.open311 import repository
from gridgov.open311.models import Open311Key, Open311Request
from gridgov.open311.repository import RequestFilter
from gridgov.open311.schemas import KeyIn, KeyUpdate
from gridgov.orgs import services as orgs

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-30T00:00:00+08:00"
DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
KEY_LIMITER = RateLimiter()
CLOSED_STATES = tuple(sorted(citizen.OPEN311_CLOSED))


class BadRequest(AppError):
    """Open311's 400: a required field missing or malformed."""

    status_code = 400
    code = "bad_request"


def jurisdiction(session: Session) -> str:
    return citizen.outline(session).code


def check_jurisdiction(session: Session, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id != jurisdiction(session):
        raise NotFound(f"jurisdiction_id {jurisdiction_id} 不存在", code="unknown_jurisdiction")


def discovery(base_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "区社会治理中心（12345 热线）",
        "key_service": "API key 由平台管理员在“Open311 接入”页面签发",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def _service(category: EventCategory, group: EventCategory | None) -> dict[str, Any]:
    guide = catalog.guidance_for(category.code, category.parent_code)
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": guide.include,
        "metadata": bool(guide.attributes),
        "type": "realtime",
        "keywords": ",".join(category.keywords or []),
        "group": group.name if group else None,
    }


def list_services(session: Session) -> list[dict[str, Any]]:
    return [_service(c, g) for c, g in citizen.categories(session)]


def _category(session: Session, service_code: str) -> EventCategory:
    for category, _ in citizen.categories(session):
        if category.code == service_code:
            return category
    raise NotFound(f"service_code {service_code} 不存在", code="unknown_service")


def service_definition(session: Session, service_code: str) -> dict[str, Any]:
    category = _category(session, service_code)
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": order,
                "description": a.description,
                "values": [{"key": k, "name": n} for k, n in a.values],
            }
            for order, a in enumerate(catalog.attributes_for(category.code), start=1)
        ],
    }


# ---------------------------------------------------------------- API keys


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def list_keys(session: Session, *, actor: Actor) -> list[Open311Key]:
    actor.require(Perm.OPEN311_KEYS)
    return repository.list_keys(session)


def create_key(session: Session, data: KeyIn, *, actor: Actor) -> tuple[Open311Key, str]:
    actor.require(Perm.OPEN311_KEYS)
    if repository.key_by_name(session, data.name) is not None:
        raise Conflict(f"接入系统“{data.name}”已存在", code="key_name_taken")
    api_key = "o311_" + secrets.token_urlsafe(32)
    key = repository.add_key(
        session,
        Open311Key(
            name=data.name,
            contact=data.contact,
            key_prefix=api_key[:10],
            key_hash=key_hash(api_key),
            requests_per_minute=data.requests_per_minute,
            is_active=True,
            created_by=actor.username,
            created_at=now(),
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="open311.key_create",
        object_type="open311_key",
        object_id=key.id,
        summary=f"签发 Open311 API key：{key.name}",
        details={"requests_per_minute": key.requests_per_minute},
    )
    return key, api_key


def _key(session: Session, key_id: int) -> Open311Key:
    key = repository.get_key(session, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} 不存在", code="key_not_found")
    return key


def update_key(session: Session, key_id: int, data: KeyUpdate, *, actor: Actor) -> Open311Key:
    actor.require(Perm.OPEN311_KEYS)
    key = _key(session, key_id)
    changed = data.model_dump(exclude_none=True)
    for field, value in changed.items():
        setattr(key, field, value)
    audit.record(
        session,
        actor=actor,
        action="open311.key_update",
        object_type="open311_key",
        object_id=key.id,
        summary=f"修改 Open311 API key：{key.name}",
        details={k: str(v) for k, v in changed.items()},
    )
    return key


def revoke_key(session: Session, key_id: int, *, actor: Actor) -> Open311Key:
    """Revoked keys stay (the requests they posted point at them) but work no more."""
    return update_key(session, key_id, KeyUpdate(is_active=False), actor=actor)


def authenticate(session: Session, api_key: str | None) -> Open311Key:
    """The key's row, refused (403) when unknown or revoked, 429 over its per-minute limit."""
    key = repository.key_by_hash(session, key_hash(api_key)) if api_key else None
    if key is None or not key.is_active:
        raise PermissionDenied("api_key 无效或已停用", code="invalid_api_key")
    KEY_LIMITER.check(f"open311-key:{key.id}", key.requests_per_minute, what="请求")
    key.last_used_at = now()
    return key


def key_actor(key: Open311Key, client_ip: str) -> Actor:
    """The system that posts through a key: reports cases and reads them, nothing more."""
    return replace(
        Actor.system(f"open311:{key.name}"[:64]),
        permissions=frozenset({Perm.EVENTS_REPORT, Perm.EVENTS_READ}),
        display_name=f"Open311 接入：{key.name}",
        client_ip=client_ip,
    )


# ---------------------------------------------------------------- POST requests


@dataclass(frozen=True)
class PostIn:
    service_code: str
    lat: float | None
    long: float | None
    address_string: str
    description: str
    media_url: str | None
    attributes: dict[str, str]


def _float(form: dict[str, str], name: str) -> float | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise BadRequest(f"{name} 应为数字", code="bad_coordinate") from exc


def read_post(form: dict[str, str]) -> PostIn:
    """The form fields GeoReport v2 defines, checked; contact fields (email, names, phone,
    device and account ids) are read and not kept: the platform needs none of them."""
    service_code = form.get("service_code", "").strip()
    if not service_code:
        raise BadRequest("缺少 service_code", code="missing_service_code")
    lat, lon = _float(form, "lat"), _float(form, "long")
    address = form.get("address_string", "").strip()[:200]
    if (lat is None) != (lon is None):
        raise BadRequest("lat 与 long 须同时提供", code="bad_coordinate")
    if lat is None and not address:
        raise BadRequest("须提供 lat/long 或 address_string", code="missing_location")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadRequest("经纬度超出范围", code="bad_coordinate")
    description = form.get("description", "").strip()
    if len(description) > 4000:
        raise BadRequest("description 最多 4000 字", code="description_too_long")
    media_url = form.get("media_url", "").strip() or None
    if media_url is not None and (
        not media_url.startswith(("https://", "http://")) or len(media_url) > 500
    ):
        raise BadRequest("media_url 须为 http(s) 地址且不超过 500 字符", code="bad_media_url")
    attributes = {
        name[len("attribute[") : -1]: value
        for name, value in form.items()
        if name.startswith("attribute[") and name.endswith("]")
    }
    return PostIn(service_code, lat, lon, address, description, media_url, attributes)


def post_request(
    session: Session, data: PostIn, *, key: Open311Key, client_ip: str
) -> tuple[Event, Open311Request]:
    category = _category(session, data.service_code)
    answers, problems = catalog.validate_answers(category.code, data.attributes)
    if problems:
        raise BadRequest(
            "；".join(f"attribute[{code}]：{message}" for code, message in problems),
            code="bad_attribute",
        )
    actor = key_actor(key, client_ip)
    extra = catalog.describe_answers(category.code, answers)
    text = data.description or category.name
    first_line = text.splitlines()[0][:60] if text else category.name
    try:
        event, _ = events.intake(
            session,
            EventIn(
                title=first_line if len(first_line) >= 2 else category.name,
                description=(text + (f"\n\n{extra}" if extra else ""))[:5000],
                category_code=category.code,
                location=Location(lon=data.long, lat=data.lat)
                if data.lat is not None and data.long is not None
                else None,
                address=data.address_string or None,
                source=Source.CITIZEN,
            ),
            actor=actor,
        )
    except InvalidInput as refused:
        # Outside the district, an address that cannot be found: the caller's request is bad.
        raise BadRequest(refused.message, code=refused.code) from refused
    row = repository.add_request(
        session,
        Open311Request(
            event_id=event.id,
            api_key_id=key.id,
            token=secrets.token_hex(16),
            service_code=category.code,
            attributes=answers,
            media_url=data.media_url,
            region_path=event.region_path,
            created_at=now(),
        ),
    )
    audit.record(
        session,
        actor=actor,
        action="open311.request",
        object_type="event",
        object_id=event.id,
        region_path=event.region_path,
        summary=f"Open311 接入（{key.name}）上报 {event.code}",
        details={"service_code": category.code, "api_key_id": key.id},
    )
    return event, row


def service_notice(event: Event, timezone: str) -> str:
    deadline = to_local(event.deadline_at, timezone)
    return f"已受理登记，预计 {deadline:%Y-%m-%d %H:%M} 前办结"


# ---------------------------------------------------------------- GET requests


@dataclass(frozen=True)
class Query:
    codes: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())[:100]


def _datetime(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"{name} 应为 ISO 8601 时间", code="bad_date") from exc
    if parsed.tzinfo is None:
        raise BadRequest(f"{name} 须带时区（如 +08:00 或 Z）", code="bad_date")
    return parsed


def read_query(
    *,
    service_request_id: str | None,
    service_code: str | None,
    status: str | None,
    start_date: str | None,
    end_date: str | None,
    page: int,
    page_size: int,
) -> Query:
    statuses = _split(status)
    if any(s not in ("open", "closed") for s in statuses):
        raise BadRequest("status 只能是 open 或 closed", code="bad_status")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadRequest(f"page ≥ 1，page_size 1–{MAX_PAGE_SIZE}", code="bad_page")
    return Query(
        codes=_split(service_request_id),
        service_codes=_split(service_code),
        status=statuses,
        start=_datetime("start_date", start_date),
        end=_datetime("end_date", end_date),
        page=page,
        page_size=page_size,
    )


def find_requests(session: Session, query: Query) -> list[Event]:
    start, end = query.start, query.end
    if not query.codes and start is None and end is None:
        # The specification's default window: the last 90 days.
        start = now() - timedelta(days=DEFAULT_DAYS)
    status = set(query.status)
    filters = RequestFilter(
        codes=query.codes,
        service_codes=query.service_codes,
        closed_states=CLOSED_STATES if status == {"closed"} else None,
        open_excluding=CLOSED_STATES if status == {"open"} else None,
        start=start,
        end=end,
    )
    return repository.public_requests(
        session, filters, PageParams(page=query.page, page_size=query.page_size)
    )


def get_request(session: Session, code: str) -> Event:
    found = repository.public_requests(session, RequestFilter(codes=(code,)), PageParams())
    if not found:
        raise NotFound(f"service request {code} 不存在", code="request_not_found")
    return found[0]


def request_id_for_token(session: Session, token: str) -> tuple[str, str]:
    row = repository.request_by_token(session, token)
    if row is None:
        raise NotFound(f"token {token} 不存在", code="token_not_found")
    event = events.get_event(session, row.event_id, actor=citizen.public_actor())
    return event.code, row.token


def public_requests(
    session: Session, found: list[Event], *, base_url: str, timezone: str
) -> list[dict[str, Any]]:
    """The Open311 form of cases: one batch of lookups for names, departments, latest steps,
    photos and the Open311 rows, then plain data for JSON or XML."""
    names = citizen.category_names(session)
    departments = orgs.names_of(session, [e.department_id for e in found if e.department_id])
    steps = citizen_repository.latest_steps(
        session, [e.workflow_instance_id for e in found if e.workflow_instance_id]
    )
    photos = citizen_repository.public_thumbnails(
        session, [e.id for e in found if not catalog.is_sensitive(e.category_code)]
    )
    posted = repository.requests_for(session, [e.id for e in found])

    def stamp(moment: datetime | None) -> str | None:
        return to_local(moment, timezone).isoformat(timespec="seconds") if moment else None

    out = []
    for event in found:
        sensitive = catalog.is_sensitive(event.category_code)
        step = steps.get(event.workflow_instance_id or 0)
        note = None
        if step is not None:
            label = citizen.ACTION_LABELS.get(
                step.action, "已上报" if step.seq == 1 else step.action
            )
            comment = catalog.redact(step.comment) if step.comment and not sensitive else ""
            note = f"{label}：{comment}" if comment else label
        lon, lat = catalog.blur(event.lon, event.lat) if sensitive else (event.lon, event.lat)
        media_url = None
        if event.id in photos:
            media_url = f"{base_url}/api/v1/citizen/public/media/{photos[event.id]}/thumbnail"
        elif event.id in posted and posted[event.id].media_url and not sensitive:
            media_url = posted[event.id].media_url
        closed = event.status in citizen.OPEN311_CLOSED
        out.append(
            {
                "service_request_id": event.code,
                "status": "closed" if closed else "open",
                "status_notes": note,
                "service_name": names.get(event.category_code),
                "service_code": event.category_code,
                "description": None
                if sensitive
                else catalog.redact(event.description)[:4000] or None,
                "agency_responsible": departments.get(event.department_id or 0),
                "service_notice": None,
                "requested_datetime": stamp(event.created_at),
                "updated_datetime": stamp(
                    event.closed_at if closed and event.closed_at else event.updated_at
                ),
                "expected_datetime": stamp(event.deadline_at),
                "address": None if sensitive else catalog.redact(event.address) or None,
                "address_id": None,
                "zipcode": None,
                "lat": lat,
                "long": lon,
                "media_url": media_url,
            }
        )
    return out
