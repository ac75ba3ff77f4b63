"""Alarms from IoT sensors and video analytics, received by a signed webhook.

A sensor or video platform is not a user: it proves itself with an HMAC-SHA256 signature over
``<timestamp>.<raw body>`` made with a shared secret (``GRIDGOV_ALARM_WEBHOOK_SECRET``), and the
timestamp must be within ``GRIDGOV_ALARM_WEBHOOK_TOLERANCE_SECONDS`` of our clock. The timestamp
is signed with the body, so an old request cannot be replayed with a fresh timestamp; within the
window a replay repeats an ``alarm_id`` and changes nothing.

Each alarm becomes a case through the one intake service, with source ``sensor``, acting as the
platform's own system identity (it may report and read cases, and read the registry for device
positions; nothing else). ``alarm_type`` maps to an event category through ``ALARM_KINDS`` (data:
unknown types are classified from their text like any report).

A device that keeps alarming about the same thing while its case is still open does not open a
case per alarm: the repeat is counted on the open case (``extra["alarm"]``: count, last time,
the alarm ids seen) and written to the audit log. A pile of cases for one broken sensor would
flood the operators' queue; one case with "37 alarms since 08:10" tells them what they need.
Once the case is closed, voided or rated, the next alarm opens a new one.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import repository, services
from gridgov.events.models import Event, Source, Urgency
from gridgov.events.schemas import EventIn, Location
from gridgov.kit.clock import format_local, now
from gridgov.kit.errors import AppError, InvalidInput, NotAuthenticated
from gridgov.kit.pagination import PageParams
from gridgov.registry import repository as registry_keys
from gridgov.registry import services as registry
from gridgov.registry.models import Camera, Component

SENSOR_ACTOR = "sensor-webhook"
SIGNATURE_HEADER = "X-Gridgov-Signature"
TIMESTAMP_HEADER = "X-Gridgov-Timestamp"
MAX_BODY_BYTES = 64 * 1024
ENDED_STATES = ("closed", "rated", "voided")
KEPT_ALARM_IDS = 50  # the latest alarm ids kept on a case, to recognise resent repeats
URGENCY_RANK = {Urgency.NORMAL: 0, Urgency.URGENT: 1, Urgency.CRITICAL: 2}


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "body_too_large"


@dataclass(frozen=True)
class AlarmKind:
    label: str
    category_code: str | None  # None: classified from the alarm's text
    urgency: Urgency  # at least this urgent, whatever level the device sends


# Alarm types the platforms send → what the case becomes. Data, not logic: a later admin page
# can store this table; types not listed here are classified like any other report.
ALARM_KINDS: dict[str, AlarmKind] = {
    # The default catalog has no fire category yet: smoke alarms are classified (其他) and urgent.
    "smoke": AlarmKind("烟感报警", None, Urgency.CRITICAL),
    "gas_leak": AlarmKind("燃气泄漏报警", "0404", Urgency.CRITICAL),
    "water_level": AlarmKind("水位超限", None, Urgency.URGENT),
    "water_leak": AlarmKind("供水管网漏损", "0304", Urgency.URGENT),
    "manhole_cover": AlarmKind("井盖位移/丢失", "0301", Urgency.URGENT),
    "fire_passage_blocked": AlarmKind("消防通道占用", "0401", Urgency.URGENT),
    "ebike_in_elevator": AlarmKind("电动车入梯", "0402", Urgency.URGENT),
    "structure_tilt": AlarmKind("建筑结构异常", "0403", Urgency.URGENT),
    "garbage_overflow": AlarmKind("垃圾满溢", "0102", Urgency.NORMAL),
    "illegal_parking": AlarmKind("违章停车", "0202", Urgency.NORMAL),
    "street_vending": AlarmKind("占道经营", "0201", Urgency.NORMAL),
    "open_burning": AlarmKind("露天焚烧", "0701", Urgency.URGENT),
    "dust": AlarmKind("扬尘超标", "0701", Urgency.NORMAL),
    "noise": AlarmKind("噪声超标", "0203", Urgency.NORMAL),
    "streetlight_fault": AlarmKind("路灯故障", "0302", Urgency.NORMAL),
}

# Platforms that send the Chinese name instead of the code are understood too.
ALARM_LABELS = {kind.label: key for key, kind in ALARM_KINDS.items()}


class AlarmIn(BaseModel):
    """One alarm as a sensor or video-analytics platform sends it."""

    alarm_id: str = Field(
        min_length=1, max_length=100, description="unique per alarm: a resent alarm changes nothing"
    )
    device_id: str = Field(min_length=1, max_length=64, description="the sensor or camera")
    alarm_type: str = Field(
        min_length=1,
        max_length=40,
        description=f"e.g. {', '.join(ALARM_KINDS)}; other types are classified from the text",
    )
    occurred_at: datetime = Field(description="ISO 8601; without an offset, local time")
    location: Location | None = Field(default=None, description="where; crs wgs84/gcj02/bd09")
    camera_code: str | None = Field(
        default=None, max_length=40, description="or: a registered camera, whose position is used"
    )
    component_code: str | None = Field(
        default=None, max_length=40, description="or: a registered city component (部件)"
    )
    description: str = Field(default="", max_length=2000)
    snapshot_url: str | None = Field(
        default=None, max_length=500, pattern=r"^https?://", description="a picture of the scene"
    )
    level: Urgency = Field(default=Urgency.NORMAL, description="normal, urgent or critical")

    @model_validator(mode="after")
    def placed(self) -> AlarmIn:
        if self.location is None and not self.camera_code and not self.component_code:
            raise ValueError("location、camera_code 和 component_code 至少提供一项")
        return self


@dataclass(frozen=True)
class AlarmResult:
    outcome: Literal["created", "repeat", "duplicate"]
    event: Event
    alarms: int  # alarms counted on the case so far


def sensor_actor() -> Actor:
    """The platforms' identity: reports cases and reads what it needs, nothing more."""
    return replace(
        Actor.system(SENSOR_ACTOR),
        permissions=frozenset({Perm.EVENTS_REPORT, Perm.EVENTS_READ, Perm.REGISTRY_READ}),
        display_name="物联感知接入",
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """What a platform puts in the signature header: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def require_enabled(secret: str) -> None:
    if not secret:
        raise ServiceUnavailable(
            "告警接入未启用（未设置 GRIDGOV_ALARM_WEBHOOK_SECRET）", code="webhook_disabled"
        )


def verify(
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    tolerance_seconds: int,
) -> None:
    """Refuse (401) a request not signed with the shared secret or signed too long ago."""
    require_enabled(secret)
    if not signature or not timestamp:
        raise NotAuthenticated(
            f"缺少签名：请求头须带 {SIGNATURE_HEADER} 和 {TIMESTAMP_HEADER}",
            code="missing_signature",
        )
    if not timestamp.isdigit():
        raise NotAuthenticated(f"{TIMESTAMP_HEADER} 应为 Unix 秒数", code="bad_timestamp")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower()):
        raise NotAuthenticated("签名不正确", code="bad_signature")
    if abs(now().timestamp() - int(timestamp)) > tolerance_seconds:
        raise NotAuthenticated(
            f"时间戳与服务器时间相差超过 {tolerance_seconds} 秒（请校准设备时钟，不要重放请求）",
            code="stale_timestamp",
        )


def receive_alarm(session: Session, alarm: AlarmIn, *, actor: Actor) -> AlarmResult:
    """A new case, a repeat counted on the open case of the same device and type, or nothing
    (an alarm id already received)."""
    actor.require(Perm.EVENTS_REPORT)
    kind_key = alarm.alarm_type.strip().lower()
    kind_key = ALARM_LABELS.get(alarm.alarm_type.strip(), kind_key)
    first = repository.by_idempotency_key(session, services.reporter_key(actor), alarm.alarm_id)
    if first is not None:
        return AlarmResult("duplicate", first, _info(first).get("count", 1))
    occurred = alarm.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=ZoneInfo(get_settings().timezone))
    open_case = _open_case(session, alarm.device_id, kind_key, actor)
    if open_case is not None:
        return _repeat(session, open_case, alarm, occurred, actor)
    kind = ALARM_KINDS.get(kind_key)
    location, address = _where(session, alarm, actor)
    label = kind.label if kind else alarm.alarm_type.strip()
    urgency = alarm.level
    if kind and URGENCY_RANK[kind.urgency] > URGENCY_RANK[urgency]:
        urgency = kind.urgency
    lines = [alarm.description.strip()] if alarm.description.strip() else []
    lines.append(
        f"告警编号 {alarm.alarm_id}；设备 {alarm.device_id}；类型 {alarm.alarm_type}；"
        f"发生时间 {format_local(occurred, get_settings().timezone)}"
    )
    if alarm.snapshot_url:
        lines.append(f"现场抓拍：{alarm.snapshot_url}")
    data = EventIn(
        title=f"{label}{_device_tag(alarm.device_id)}",
        description="\n".join(lines),
        category_code=_known_category(session, kind),
        location=location,
        address=address,
        source=Source.SENSOR,
        urgency=urgency,
    )
    event, created = services.intake(session, data, actor=actor, idempotency_key=alarm.alarm_id)
    if not created:  # the same alarm, sent twice at once: the other request made the case
        return AlarmResult("duplicate", event, _info(event).get("count", 1))
    event.extra = {
        **event.extra,
        "alarm": {
            "device_id": alarm.device_id,
            "alarm_type": kind_key,
            "count": 1,
            "alarm_ids": [alarm.alarm_id],
            "first_at": occurred.isoformat(),
            "last_at": occurred.isoformat(),
            "level": alarm.level.value,
            "snapshot_url": alarm.snapshot_url,
            "camera_code": alarm.camera_code,
            "component_code": alarm.component_code,
        },
    }
    return AlarmResult("created", event, 1)


def _device_tag(device_id: str) -> str:
    # Part of the title: operators see the device, and the open-case search finds it.
    return f"（设备 {device_id}）"


def _info(event: Event) -> dict[str, Any]:
    info = (event.extra or {}).get("alarm")
    return dict(info) if isinstance(info, dict) else {}


def _open_case(session: Session, device_id: str, kind_key: str, actor: Actor) -> Event | None:
    """The not yet ended case this device opened for this alarm type, if any. Only the newest
    case of the device and type can be open: a new one is opened only when none is."""
    filters = services.event_filter(
        session, actor=actor, source=Source.SENSOR.value, query=_device_tag(device_id)
    )
    rows, _total = services.search_events(
        session, filters, actor=actor, page=PageParams(page=1, page_size=50)
    )
    for event in rows:  # newest first
        info = _info(event)
        if info.get("device_id") == device_id and info.get("alarm_type") == kind_key:
            return event if event.status not in ENDED_STATES else None
    return None


def _repeat(
    session: Session, event: Event, alarm: AlarmIn, occurred: datetime, actor: Actor
) -> AlarmResult:
    info = _info(event)
    seen = list(info.get("alarm_ids", []))
    if alarm.alarm_id in seen:
        return AlarmResult("duplicate", event, info.get("count", 1))
    count = int(info.get("count", 1)) + 1
    info.update(
        count=count,
        alarm_ids=[*seen, alarm.alarm_id][-KEPT_ALARM_IDS:],
        last_at=max(occurred.isoformat(), str(info.get("last_at", ""))),
        snapshot_url=alarm.snapshot_url or info.get("snapshot_url"),
    )
    if URGENCY_RANK[alarm.level] > URGENCY_RANK[Urgency(info.get("level", "normal"))]:
        info["level"] = alarm.level.value
    event.extra = {**event.extra, "alarm": info}
    audit.record(
        session,
        actor=actor,
        action="event.alarm_repeat",
        object_type="event",
        object_id=event.id,
        summary=f"设备 {alarm.device_id} 再次告警（第 {count} 次），计入 {event.code}",
        region_path=event.region_path,
        details={"alarm_id": alarm.alarm_id, "count": count},
    )
    return AlarmResult("repeat", event, count)


def _known_category(session: Session, kind: AlarmKind | None) -> str | None:
    """The mapped category if this installation has it as an active leaf; else classify."""
    if kind is None or kind.category_code is None:
        return None
    category = repository.get_category(session, kind.category_code)
    if category is None or not category.is_active or category.parent_code is None:
        return None
    return category.code


def _where(session: Session, alarm: AlarmIn, actor: Actor) -> tuple[Location, str | None]:
    """The alarm's point: as sent, or the registered position of its camera or component."""
    if alarm.location is not None:
        return alarm.location, None
    if alarm.camera_code:
        camera_id = registry_keys.id_for_code(session, Camera, alarm.camera_code)
        if camera_id is None:
            raise InvalidInput(
                f"监控 {alarm.camera_code} 未登记，请在请求中提供 location", code="unknown_device"
            )
        camera = registry.get_camera(session, camera_id, actor=actor)
        return Location(lon=camera.lon, lat=camera.lat, crs="wgs84"), camera.name[:200]
    assert alarm.component_code is not None
    component_id = registry_keys.id_for_code(session, Component, alarm.component_code)
    if component_id is None:
        raise InvalidInput(
            f"部件 {alarm.component_code} 未登记，请在请求中提供 location", code="unknown_device"
        )
    component = registry.get_component(session, component_id, actor=actor)
    place = f"{component.minor_name} {component.address}".strip()
    return Location(lon=component.lon, lat=component.lat, crs="wgs84"), place[:200] or None
