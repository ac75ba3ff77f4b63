"""Early warning (预警): the scan that finds abnormal rises, recurrences, cases at risk of
breaching their deadline and overdue special-group visits, and the alerts it leaves for the
people of each area to acknowledge and close.

The scan is the platform's job (``jobs.alerts_scan``, ``gridgov alerts scan``, the seed):
counts come from the analytics rollups, never from scanning every case; recurrences read the
last ``alert_recurrence_days`` of reports; the SLA-risk model is trained once per scan on a
bounded sample of recently closed cases. A finding updates the alert of the same key while it
is open (or acknowledged), so re-running the scan never duplicates.

Reading takes the reader's scope like analytics (leaders, operators and administrators the
district, street and community staff their area, grid workers their grids, departments the
cases at risk that are with them); acknowledging and closing needs ``alerts.handle``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.alerts import detect, repository
from gridgov.alerts.detect import ClosedCase, Report, SlaModel
from gridgov.alerts.models import (
    ALERT_KIND_LABELS,
    Alert,
    AlertKind,
    AlertStatus,
)
from gridgov.alerts.repository import AlertFilter
from gridgov.analytics import repository as rollups
from gridgov.analytics import services as analytics
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import services as events
from gridgov.events.models import Event, EventCategory, Source
from gridgov.events.schemas import ActionIn, EventIn, Location
from gridgov.kit import live
from gridgov.kit.clock import now
from gridgov.kit.errors import AppError, Conflict, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.visits import services as visits
from gridgov.workflow import services as workflow
from gridgov.workflow.models import WorkflowInstance

LIST_COUNT_CAP = repository.LIST_COUNT_CAP
KINDS = tuple(k.value for k in AlertKind)
# The SLA-risk model's sample: cases reported in the last HISTORY_DAYS, at most HISTORY_LIMIT.
HISTORY_DAYS = 180
HISTORY_LIMIT = 60_000
# A closed visit-overdue alert keeps its community quiet this long.
VISIT_QUIET_DAYS = 7
# Cases listed by name in an explanation.
LISTED = 10

# =============================================================================================
# Reading, acknowledging, closing
# =============================================================================================


def _require_reader(actor: Actor) -> None:
    actor.require(Perm.ALERTS_READ)
    if actor.scope.owner_id is not None:
        raise PermissionDenied("个人账号不能查看预警", code="alerts_not_available")


def _region_path(session: Session, region_code: str | None, actor: Actor) -> str | None:
    if not region_code:
        return None
    return regions.get_region(session, region_code, actor=actor).path


def _status(status: str | None) -> str | None:
    if status in (None, "", "all"):
        return None
    if status not in {s.value for s in AlertStatus}:
        raise InvalidInput(f"未知的预警状态：{status}", code="bad_status")
    return status


def _kind(kind: str | None) -> str | None:
    if not kind:
        return None
    if kind not in KINDS:
        raise InvalidInput(f"未知的预警类型：{kind}", code="bad_kind")
    return kind


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    page: PageParams,
    status: str | None = "open",
    kind: str | None = None,
    region_code: str | None = None,
) -> tuple[list[Alert], int]:
    """Alerts in the reader's scope, the strongest first (``status`` "all" or None: every
    status)."""
    _require_reader(actor)
    filters = AlertFilter(
        status=_status(status),
        kind=_kind(kind),
        region_path=_region_path(session, region_code, actor),
    )
    return repository.list_alerts(session, actor.scope, filters, page)


def alert_counts(
    session: Session, *, actor: Actor, region_code: str | None = None
) -> dict[str, int]:
    """Open alerts per kind (every kind present, zero when none)."""
    _require_reader(actor)
    filters = AlertFilter(
        status=AlertStatus.OPEN.value, region_path=_region_path(session, region_code, actor)
    )
    found = repository.count_by_kind(session, actor.scope, filters)
    return {kind: found.get(kind, 0) for kind in KINDS}


def get_alert(session: Session, alert_id: int, *, actor: Actor) -> Alert:
    _require_reader(actor)
    alert = repository.get_alert(session, actor.scope, alert_id)
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在或不在您的管辖范围内", code="alert_not_found")
    return alert


def alert_cases(session: Session, alert: Alert, *, actor: Actor) -> list[Event]:
    """The cases behind an alert that the reader may see, in id order."""
    _require_reader(actor)
    return repository.cases_of(session, actor.scope, alert.event_ids or [])


def acknowledge_alert(session: Session, alert_id: int, note: str, *, actor: Actor) -> Alert:
    alert = get_alert(session, alert_id, actor=actor)
    actor.require(Perm.ALERTS_HANDLE)
    if alert.status != AlertStatus.OPEN:
        raise InvalidInput("只能签收待处理的预警", code="alert_not_open")
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_at = now()
    alert.acknowledged_by = actor.username
    if note.strip():
        alert.note = note.strip()
    _audit(session, alert, "acknowledge", "签收", actor, note)
    return alert


def close_alert(session: Session, alert_id: int, note: str, *, actor: Actor) -> Alert:
    alert = get_alert(session, alert_id, actor=actor)
    actor.require(Perm.ALERTS_HANDLE)
    if alert.status == AlertStatus.CLOSED:
        raise InvalidInput("该预警已关闭", code="alert_closed")
    if not note.strip():
        raise InvalidInput("关闭预警须说明处置情况", code="note_required")
    _close(alert, note.strip(), actor)
    _audit(session, alert, "close", "关闭", actor, note)
    return alert


def _close(alert: Alert, note: str, actor: Actor) -> None:
    moment = now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = moment, actor.username
    alert.status = AlertStatus.CLOSED.value
    alert.closed_at = moment
    alert.closed_by = actor.username
    alert.note = note


def _kind_label(alert: Alert) -> str:
    return ALERT_KIND_LABELS[AlertKind(alert.kind)]


def _audit(
    session: Session, alert: Alert, verb: str, label: str, actor: Actor, note: str = ""
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"alert.{verb}",
        object_type="alert",
        object_id=alert.id,
        region_path=alert.region_path,
        summary=f"{label}预警 {alert.id}（{_kind_label(alert)}）：{alert.title}",
        details={"kind": alert.kind, "note": note.strip()}
        if note.strip()
        else {"kind": alert.kind},
    )


# =============================================================================================
# Root-cause case (合并为根源案件)
# =============================================================================================

# A case in one of these states is done with: it is linked to a root case, never merged.
ENDED_STATES = ("closed", "rated", "voided")
# The intake source of a root case by the role that makes it (others: 部门上报, district level).
ROOT_SOURCES = {Role.STREET_STAFF: Source.STREET, Role.COMMUNITY_STAFF: Source.COMMUNITY}


@dataclass(frozen=True)
class RootCaseData:
    title: str | None = None
    description: str | None = None
    note: str = ""


@dataclass
class RootCase:
    alert: Alert
    event: Event
    merged: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    skipped: int = 0  # repeats outside the actor's area


def may_make_root_case(actor: Actor) -> bool:
    """Handles alerts, and may report a case and merge cases (the workflow's 合并 needs
    ``events.dispatch``): street staff, center operators, administrators."""
    return all(actor.can(p) for p in (Perm.ALERTS_HANDLE, Perm.EVENTS_REPORT, Perm.EVENTS_DISPATCH))


def root_case(session: Session, alert_id: int, data: RootCaseData, *, actor: Actor) -> RootCase:
    """Merge a recurrence group into one root-cause case: a new case at the group's spot in its
    category (through the ordinary intake: located, with a deadline, in the workflow), into
    which every repeat still open is merged (the workflow's 合并 action, as the actor); repeats
    already closed, or in handling past the point where the workflow allows a merge, are linked
    (``extra["root_case"]`` on each, ``extra["root_of"]`` on the root case). The alert records
    the root case and is acknowledged. One transaction: a merge that fails leaves nothing."""
    alert = get_alert(session, alert_id, actor=actor)
    actor.require(Perm.ALERTS_HANDLE)
    if alert.kind != AlertKind.RECURRENCE:
        raise InvalidInput("只有“反复发生”预警可以合并为根源案件", code="not_recurrence")
    if alert.root_event_id is not None:
        raise Conflict(
            f"该预警已合并为根源案件 {alert.root_event_code}",
            code="root_case_exists",
            root_event_id=alert.root_event_id,
            root_event_code=alert.root_event_code,
        )
    if alert.status == AlertStatus.CLOSED:
        raise InvalidInput("该预警已关闭", code="alert_closed")
    if not may_make_root_case(actor):
        # Merging voids cases: the desk that accepts and merges cases decides it, as itself.
        raise PermissionDenied(
            "合并为根源案件需要上报和受理（合并）事件的权限，请由镇街或中心坐席办理",
            code="root_case_not_allowed",
        )
    if alert.lon is None or alert.lat is None or not alert.category_code:
        raise InvalidInput("该预警没有地点或类别，无法生成根源案件", code="alert_without_spot")
    repeats = repository.cases_of(session, actor.scope, alert.event_ids or [])
    names = _Names(session, actor)
    category = names.category(alert.category_code)
    component = (alert.details or {}).get("component")
    first = repeats[0] if repeats else None
    place = (
        f"部件 {component}"
        if component
        else (first.address if first and first.address else names.region(alert.region_path))
    )
    count = len(alert.event_ids or [])
    codes = [c.code for c in repeats]
    description = data.description or (
        f"由预警 {alert.id}（反复发生）合并为根源案件：{alert.explanation}\n"
        f"反复上报的案件：{'、'.join(codes)}。"
    )
    root, _ = events.intake(
        session,
        EventIn(
            title=data.title or f"根源问题：{category}（{place}反复发生{count}次）"[:200],
            description=description[:5000],
            category_code=alert.category_code,
            location=Location(lon=alert.lon, lat=alert.lat),
            address=first.address[:200] if first and first.address else None,
            source=ROOT_SOURCES.get(actor.role, Source.DEPARTMENT),
        ),
        actor=actor,
    )
    done = RootCase(alert=alert, event=root, skipped=len(alert.event_ids or []) - len(repeats))
    comment = f"合并为根源案件 {root.code}（预警 {alert.id}）"
    _attach(session, root, alert, repeats, comment, actor, done)
    if not repository.update_root_case(session, alert, root.id, root.code):
        raise Conflict("该预警已由他人合并为根源案件", code="root_case_exists")
    if alert.status == AlertStatus.OPEN:
        alert.status = AlertStatus.ACKNOWLEDGED.value
        alert.acknowledged_at = now()
        alert.acknowledged_by = actor.username
    if data.note.strip():
        alert.note = data.note.strip()
    alert.details = {
        **(alert.details or {}),
        "root": {
            "by": actor.username,
            "at": now().isoformat(),
            "merged": done.merged,
            "linked": done.linked,
            "skipped": done.skipped,
        },
    }
    alert.explanation = _base_explanation(alert) + _root_explanation(alert, root)
    audit.record(
        session,
        actor=actor,
        action="alert.root_case",
        object_type="alert",
        object_id=alert.id,
        region_path=alert.region_path,
        summary=f"合并为根源案件 {root.code}：预警 {alert.id}（{alert.title}），"
        f"合并 {len(done.merged)} 件，关联 {len(done.linked)} 件",
        details={
            "kind": alert.kind,
            "root_event_id": root.id,
            "root_event_code": root.code,
            "merged": done.merged,
            "linked": done.linked,
            "skipped": done.skipped,
            **({"note": data.note.strip()} if data.note.strip() else {}),
        },
    )
    return done


def _merge_instance(session: Session, case: Event) -> WorkflowInstance | None:
    """The case's workflow instance when its state allows the workflow's 合并 (merge)."""
    if case.workflow_instance_id is None or case.status in ENDED_STATES:
        return None
    instance = workflow.instance_for(session, events.SUBJECT, case.id)
    spec = workflow.definition_of(session, instance)
    if any(t.action == "merge" and instance.state in t.sources for t in spec.transitions):
        return instance
    return None


def _attach(
    session: Session,
    root: Event,
    alert: Alert,
    cases: Sequence[Event],
    comment: str,
    actor: Actor,
    done: RootCase,
    *,
    savepoints: bool = False,
) -> None:
    """Merge the cases that may still be merged into the root case, link the others (a voided
    case is left alone), and record both sides of the link. With ``savepoints`` (the scan) a
    merge that fails links the case instead; without, it fails the whole action."""
    links = list((root.extra or {}).get("root_of", []))
    for case in cases:
        if case.id == root.id or case.status == "voided":
            continue
        instance = _merge_instance(session, case)
        merged = False
        if instance is not None:
            action = ActionIn(version=instance.version, comment=comment, target_id=root.id)
            if savepoints:
                try:
                    with session.begin_nested():
                        events.act(session, case.id, "merge", action, actor=actor)
                    merged = True
                except AppError:
                    session.refresh(case)
            else:
                events.act(session, case.id, "merge", action, actor=actor)
                merged = True
        (done.merged if merged else done.linked).append(case.code)
        case.extra = {**(case.extra or {}), "root_case": {"id": root.id, "code": root.code}}
        links.append({"id": case.id, "code": case.code, "merged": merged})
    root.extra = {**(root.extra or {}), "root_of": links, "root_alert_id": alert.id}


ROOT_MARK = "【根源案件】"


def _base_explanation(alert: Alert) -> str:
    """The scan's explanation without the part about the root case."""
    return alert.explanation.split(ROOT_MARK)[0]


def _listed(codes: Sequence[str]) -> str:
    return "、".join(codes[:LISTED]) + (f" 等 {len(codes)} 件" if len(codes) > LISTED else "")


def _root_explanation(alert: Alert, root: Event) -> str:
    """What became of the group: the root case, what was merged and linked, and repeats after
    the root case closed (the signal that the fix did not hold)."""
    info = (alert.details or {}).get("root", {})
    at = datetime.fromisoformat(info["at"]) if info.get("at") else now()
    text = (
        f"{ROOT_MARK}{at.astimezone(_zone()):%Y-%m-%d} 由 {info.get('by', '')} 合并为根源案件 "
        f"{root.code}：合并在办的反复上报 {len(info.get('merged', []))} 件，关联已办结或处置中的 "
        f"{len(info.get('linked', []))} 件"
        + (f"，{info['skipped']} 件不在其管辖范围内未处理" if info.get("skipped") else "")
        + "。"
    )
    if info.get("auto_merged"):
        text += f"此后新的反复上报已自动合并到根源案件：{_listed(info['auto_merged'])}。"
    if info.get("auto_linked"):
        text += f"此后新的反复上报已在处置中，关联到根源案件：{_listed(info['auto_linked'])}。"
    if info.get("after_close"):
        closed = root.closed_at or now()
        state = "作废" if root.status == "voided" else "办结"
        text += (
            f"根源案件已于 {closed.astimezone(_zone()):%Y-%m-%d} {state}，此后同一"
            f"{'部件' if (alert.details or {}).get('component') else '地点'}又上报 "
            f"{len(info['after_close'])} 次：{_listed(info['after_close'])}。"
            "根源问题可能没有解决，请复查整改效果；如需再次统一处置，请关闭本预警，"
            "新的反复上报将形成新的预警。"
        )
    return text


@dataclass(frozen=True)
class RiskCase:
    event_id: int
    code: str
    title: str
    category_code: str
    deadline_at: datetime
    probability: float
    reasons: list[str]
    alert_id: int | None = None


def sla_risk_cases(
    session: Session, *, actor: Actor, region_code: str | None = None, limit: int = 20
) -> list[RiskCase]:
    """Open cases the last scan predicted to breach their deadline, the likeliest first."""
    _require_reader(actor)
    if limit < 1 or limit > 500:
        raise InvalidInput("limit 应在 1 到 500 之间", code="bad_limit")
    filters = AlertFilter(
        kind=AlertKind.SLA_RISK.value,
        region_path=_region_path(session, region_code, actor),
        active=True,
    )
    found = repository.top_alerts(session, actor.scope, filters, limit)
    return [_risk_case(a) for a in found]


def _risk_case(alert: Alert) -> RiskCase:
    d = alert.details or {}
    deadline = datetime.fromisoformat(str(d.get("deadline_at")))
    return RiskCase(
        event_id=int(d.get("event_id", alert.event_ids[0] if alert.event_ids else 0)),
        code=str(d.get("code", "")),
        title=str(d.get("case_title", "")),
        category_code=alert.category_code or "",
        deadline_at=deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC),
        probability=alert.score,
        reasons=[str(r) for r in d.get("reasons", [])],
        alert_id=alert.id,
    )


# =============================================================================================
# The scan
# =============================================================================================


@dataclass
class Finding:
    kind: AlertKind
    key: str
    title: str
    explanation: str
    region_path: str
    score: float
    category_code: str | None = None
    department_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    window_start: date | None = None
    event_ids: list[int] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScanReport:
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    closed: int = 0
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)
    new_alerts: list[Alert] = field(default_factory=list)
    # The open cases not yet overdue that the SLA-risk step saw (its stale alerts are the
    # others').
    open_case_ids: set[int] = field(default_factory=set)
    # New repeats merged into an open root-cause case (合并为根源案件).
    root_merged: int = 0

    def summary(self) -> str:
        parts = [
            f"{ALERT_KIND_LABELS[AlertKind(k)]} 发现 {self.found[k]}，新增 {self.created[k]}，"
            f"更新 {self.updated[k]}"
            for k in KINDS
        ]
        return "；".join(parts) + f"；自动关闭 {self.closed}"


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _require_platform(actor: Actor) -> None:
    actor.require(Perm.ALERTS_HANDLE)
    if not actor.scope.is_unrestricted:
        raise PermissionDenied("预警扫描是平台任务", code="platform_only")


class _Names:
    """Names of regions and categories for the explanations, looked up once per scan."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.categories: dict[str, EventCategory] = {
            c.code: c for c in events.list_categories(session, actor=actor)
        }
        self._regions: dict[str, str] = {}

    def category(self, code: str | None) -> str:
        if not code:
            return ""
        found = self.categories.get(code)
        if found is None:
            return code
        parent = self.categories.get(found.parent_code) if found.parent_code else None
        return f"{parent.name}/{found.name}" if parent else found.name

    def parent(self, code: str) -> str | None:
        found = self.categories.get(code)
        return found.parent_code if found and found.parent_code else None

    def regions(self, paths: Sequence[str]) -> None:
        codes = sorted({_code(p) for p in paths} - set(self._regions))
        for start in range(0, len(codes), 500):
            found = regions.regions_by_codes(
                self.session, codes[start : start + 500], actor=self.actor
            )
            self._regions.update({r.code: r.name for r in found})

    def region(self, path: str) -> str:
        code = _code(path)
        if code not in self._regions:
            self.regions([path])
        return self._regions.get(code, code)


def _code(path: str) -> str:
    return path.rstrip("/").split("/")[-1]


def _parent_path(path: str) -> str:
    codes = [c for c in path.split("/") if c]
    return "/".join(codes[:-1]) + "/" if len(codes) > 1 else path


def scan(
    session: Session,
    *,
    actor: Actor,
    moment: datetime | None = None,
    kinds: Sequence[str] | None = None,
) -> ScanReport:
    """Run the detectors and bring the alerts up to date. New alerts go to the live screens
    (channel ``screens``) after the transaction commits."""
    _require_platform(actor)
    started = time.perf_counter()
    moment = moment or now()
    chosen = set(kinds or KINDS)
    unknown = chosen - set(KINDS)
    if unknown:
        raise InvalidInput(f"未知的预警类型：{'、'.join(sorted(unknown))}", code="bad_kind")
    names = _Names(session, actor)
    report = ScanReport()
    steps: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("abnormal_rise", lambda: abnormal_rises(session, names, moment, actor=actor)),
        ("recurrence", lambda: recurrence_groups(session, names, moment)),
        ("sla_risk", lambda: sla_risks(session, names, moment, report, actor=actor)),
        ("visit_overdue", lambda: overdue_visits(session, names, actor=actor)),
    ]
    for kind, run in steps:
        if kind not in chosen:
            continue
        step_started = time.perf_counter()
        findings = run()
        report.found[kind] = len(findings)
        _store(session, AlertKind(kind), findings, moment, report, actor)
        report.step_seconds[kind] = time.perf_counter() - step_started
    report.seconds = time.perf_counter() - started
    audit.record(
        session,
        actor=actor,
        action="alert.scan",
        object_type="alert",
        object_id="scan",
        summary=f"预警扫描：{report.summary()}",
        details={
            "found": report.found,
            "created": report.created,
            "updated": report.updated,
            "closed": report.closed,
        },
    )
    _publish(session, report.new_alerts)
    return report


def _publish(session: Session, alerts: list[Alert]) -> None:
    """New alerts to the big screens, when (and only if) the scan's transaction commits."""
    for alert in alerts:
        live.publish_after_commit(
            session,
            {"type": "alert", "id": alert.id, "kind": alert.kind, "region_path": alert.region_path},
        )


def _existing(
    session: Session, kind: AlertKind, findings: list[Finding], moment: datetime
) -> dict[str, Alert]:
    """The alert each finding's key already has: the newest one, of any status."""
    found: dict[str, Alert] = {}
    for alert in repository.alerts_by_keys(session, kind.value, [f.key for f in findings]):
        if kind == AlertKind.ABNORMAL_RISE and not _same_episode(alert, moment):
            continue
        if kind == AlertKind.RECURRENCE and alert.status == AlertStatus.CLOSED:
            continue  # its cases are handled (left out of the groups); a new group is new
        if kind == AlertKind.VISIT_OVERDUE and alert.status == AlertStatus.CLOSED:
            closed_at = alert.closed_at or moment
            if moment - closed_at > timedelta(days=VISIT_QUIET_DAYS):
                continue
        found[alert.dedupe_key] = alert  # later ids win
    return found


def _same_episode(alert: Alert, moment: datetime) -> bool:
    """An abnormal-rise alert covers its rise while its window overlaps today's."""
    today = moment.astimezone(_zone()).date()
    if alert.window_start is None:
        return False
    days = 1 if alert.dedupe_key.startswith("abnormal_rise:day:") else 7
    return alert.window_start > today - timedelta(days=days)


def _store(
    session: Session,
    kind: AlertKind,
    findings: list[Finding],
    moment: datetime,
    report: ScanReport,
    actor: Actor,
) -> None:
    existing = _existing(session, kind, findings, moment)
    for finding in findings:
        alert = existing.get(finding.key)
        if alert is not None and alert.status == AlertStatus.CLOSED:
            continue  # handled: a closed alert stays closed
        if alert is None:
            alert = Alert(
                kind=kind.value,
                status=AlertStatus.OPEN.value,
                dedupe_key=finding.key,
                detected_at=moment,
                note="",
            )
            _fill(alert, finding, moment)
            repository.add_alert(session, alert)
            report.created[kind.value] += 1
            report.new_alerts.append(alert)
            audit.record(
                session,
                actor=actor,
                action="alert.raise",
                object_type="alert",
                object_id=alert.id,
                region_path=alert.region_path,
                summary=f"发出预警（{ALERT_KIND_LABELS[kind]}）：{alert.title}",
                details={"kind": kind.value, "score": round(alert.score, 3)},
            )
            continue
        new_ids: list[int] = []
        if kind == AlertKind.RECURRENCE:
            new_ids = sorted(set(finding.event_ids) - set(alert.event_ids or []))
            finding.event_ids = sorted(set(alert.event_ids or []) | set(finding.event_ids))
        _fill(alert, finding, moment)
        report.updated[kind.value] += 1
        if alert.root_event_id is not None and new_ids:
            _follow_root(session, alert, new_ids, report, actor)
    if kind == AlertKind.SLA_RISK:
        _close_stale_risks(session, findings, report, actor)


def _fill(alert: Alert, finding: Finding, moment: datetime) -> None:
    alert.title = finding.title[:200]
    alert.explanation = finding.explanation
    alert.region_path = finding.region_path
    alert.category_code = finding.category_code
    alert.department_id = finding.department_id
    alert.lon, alert.lat = finding.lon, finding.lat
    alert.score = float(finding.score)
    alert.window_start = finding.window_start
    alert.event_ids = list(finding.event_ids)
    alert.details = finding.details
    alert.updated_at = moment


def _close_stale_risks(
    session: Session, findings: list[Finding], report: ScanReport, actor: Actor
) -> None:
    """Open SLA-risk alerts whose case has closed, fallen overdue or been voided: closed by
    the scan (the overdue ones are the SLA scan's from here on)."""
    keys = {f.key for f in findings}
    at_risk_ids = {int(k.split(":")[1]) for k in keys}
    for alert in repository.alerts_of_kind(session, AlertKind.SLA_RISK.value, open_only=True):
        if alert.dedupe_key in keys:
            continue
        event_id = alert.event_ids[0] if alert.event_ids else 0
        if event_id in at_risk_ids or event_id in report.open_case_ids:
            continue
        _close(alert, "案件已办结、已作废或已超期，超期风险预警由系统自动关闭", actor)
        _audit(session, alert, "close", "自动关闭", actor)
        report.closed += 1


# --- abnormal rises ---------------------------------------------------------------------------


def abnormal_rises(
    session: Session, names: _Names, moment: datetime, *, actor: Actor
) -> list[Finding]:
    """Today's and the last 7 days' reports per category (leaf and top level) and street or
    community, against the same window in each of the past weeks, from the daily rollups."""
    settings = get_settings()
    weeks = settings.alert_baseline_weeks
    today = moment.astimezone(_zone()).date()
    where = analytics.area(session, None, actor=actor)
    if where.up < 2:
        return []  # a territory without streets above its communities has nothing to compare
    first = today - timedelta(days=7 * weeks + 6)
    rows = rollups.sum_daily(
        session,
        actor.scope,
        nodes=where.nodes,
        first_day=first,
        last_day=today,
        counters=("reported",),
        group_by=("day", "region", "category"),
        child_up=1,
        node_up=where.up,
    )
    # (day, region path, category code) → count, for communities and streets, leaf and top.
    daily: Counter[tuple[date, str, str]] = Counter()
    for day_value, community, category, count in rows:
        if not community or not count:
            continue
        day = _as_date(day_value)
        street = _parent_path(str(community))
        codes = [str(category)]
        parent = names.parent(str(category))
        if parent:
            codes.append(parent)
        for path in (str(community), street):
            for code in codes:
                daily[(day, path, code)] += int(count)
    keys = {(path, code) for _, path, code in daily}
    names.regions([path for path, _ in keys])
    rises: dict[tuple[str, str, str], tuple[detect.Window, detect.Rise]] = {}
    for window_kind in ("day", "week"):
        current, past = detect.windows(today, window_kind, weeks)
        for path, code in sorted(keys):
            now_count = _window_sum(daily, path, code, current)
            if now_count < settings.alert_min_count:
                continue
            history = [_window_sum(daily, path, code, w) for w in past]
            found = detect.rise(
                now_count,
                history,
                threshold=settings.alert_sensitivity,
                min_count=settings.alert_min_count,
            )
            if found is not None:
                rises[(window_kind, path, code)] = (current, found)
    findings: list[Finding] = []
    for key in sorted(detect.most_specific(set(rises), names.parent)):
        _, path, code = key
        window, found = rises[key]
        finding = _rise_finding(names, path, code, window, found, weeks)
        finding.event_ids = _cases_behind(session, path, code, window, actor)
        findings.append(finding)
    return findings


def _cases_behind(
    session: Session, path: str, code: str, window: detect.Window, actor: Actor
) -> list[int]:
    """The reports a rise counts (the rollup's own predicate, read from the cases)."""
    q = analytics.Query(_code(path), window.first, window.last, code)
    return analytics.case_ids(session, "reported", q, actor=actor)[:500]


def _window_sum(
    daily: Counter[tuple[date, str, str]], path: str, code: str, window: detect.Window
) -> int:
    total = 0
    day = window.first
    while day <= window.last:
        total += daily.get((day, path, code), 0)
        day += timedelta(days=1)
    return total


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _rise_finding(
    names: _Names, path: str, code: str, window: detect.Window, found: detect.Rise, weeks: int
) -> Finding:
    label = detect.WINDOW_LABELS[window.kind]
    category = names.category(code)
    region = names.region(path)
    explanation = (
        f"{label} {category} 在 {region} 上报 {found.current} 件，过去{weeks}周同期均值 "
        f"{found.mean:.1f} 件（标准差 {found.sd:.1f}），超出 {found.z:.1f} 个标准差"
        f"（背景波动下出现的概率约 {found.p_value:.1e}）。"
        f"过去各周同期：{'、'.join(str(h) for h in found.history)} 件。"
    )
    return Finding(
        kind=AlertKind.ABNORMAL_RISE,
        key=f"abnormal_rise:{window.kind}:{code}:{path}",
        title=f"{region} {category} {label}异常上升",
        explanation=explanation,
        region_path=path,
        score=round(found.z, 3),
        category_code=code,
        window_start=window.first,
        details={
            "window": window.kind,
            "first_day": window.first.isoformat(),
            "last_day": window.last.isoformat(),
            "count": found.current,
            "mean": round(found.mean, 3),
            "sd": round(found.sd, 3),
            "z": round(found.z, 3),
            "p_value": found.p_value,
            "history": list(found.history),
            "weeks": weeks,
        },
    )


# --- recurrence -------------------------------------------------------------------------------


def _component(extra: dict[str, Any] | None) -> str | None:
    if not extra:
        return None
    alarm = extra.get("alarm")
    code = alarm.get("component_code") if isinstance(alarm, dict) else None
    code = code or extra.get("component_code")
    return str(code) if code else None


def recurrence_groups(session: Session, names: _Names, moment: datetime) -> list[Finding]:
    """Reports of one category at one spot or on one component, at least K within D days;
    reports already in a closed group are handled and do not count again."""
    settings = get_settings()
    days, radius = settings.alert_recurrence_days, settings.alert_recurrence_radius_m
    rows = repository.reports_since(session, moment - timedelta(days=days))
    handled: set[int] = set()
    open_alerts: list[Alert] = []
    rooted: list[Alert] = []
    for alert in repository.alerts_of_kind(session, AlertKind.RECURRENCE.value):
        if alert.root_event_id is not None:
            handled.add(alert.root_event_id)  # a root case is not one more report at its spot
        if alert.status == AlertStatus.CLOSED:
            handled.update(alert.event_ids or [])
        elif alert.root_event_id is not None:
            # Its repeats are merged (voided, so no longer read) or linked: new reports at its
            # spot join it one by one instead of having to form a group again.
            handled.update(alert.event_ids or [])
            rooted.append(alert)
        else:
            open_alerts.append(alert)
    joined: dict[int, list[repository.ReportRow]] = {}
    for row in rows:
        if row.id in handled:
            continue
        continued = _rooted_alert(row, rooted, radius)
        if continued is not None:
            joined.setdefault(continued.id, []).append(row)
            handled.add(row.id)
    info = {r.id: r for r in rows}
    groups = detect.recurrences(
        (
            Report(
                r.id,
                r.category_code,
                r.lon,
                r.lat,
                r.created_at,
                r.region_path,
                _component(r.extra),
            )
            for r in rows
            if r.id not in handled
        ),
        min_count=settings.alert_recurrence_count,
        radius_m=radius,
    )
    names.regions([g.region_path for g in groups])
    findings = []
    for group in groups:
        key = _recurrence_key(group, open_alerts, radius)
        first = info[group.event_ids[0]]
        path_of = first.region_path
        place = (
            f"同一部件 {group.component}"
            if group.component
            else f"同一地点（{radius:.0f} 米内，{first.address or names.region(path_of)}）"
        )
        category = names.category(group.category_code)
        codes = [info[i].code for i in group.event_ids]
        listed = "、".join(codes[:LISTED]) + (f" 等 {len(codes)} 件" if len(codes) > LISTED else "")
        zone = _zone()
        explanation = (
            f"{days}日内 {place} 上报「{category}」{len(codes)} 次：{listed}；"
            f"首次 {group.first_at.astimezone(zone):%Y-%m-%d}，"
            f"最近 {group.last_at.astimezone(zone):%Y-%m-%d}。"
            "可能是同一根源问题，建议作为一个根源案件统一处置。"
        )
        findings.append(
            Finding(
                kind=AlertKind.RECURRENCE,
                key=key,
                title=f"{names.region(group.region_path)} {category} 反复发生（{len(codes)} 次）",
                explanation=explanation,
                region_path=group.region_path,
                score=float(len(codes)),
                category_code=group.category_code,
                lon=group.lon,
                lat=group.lat,
                event_ids=group.event_ids,
                details={
                    "component": group.component,
                    "days": days,
                    "radius_m": radius,
                    "codes": codes,
                    "first_at": group.first_at.isoformat(),
                    "last_at": group.last_at.isoformat(),
                },
            )
        )
    names.regions([a.region_path for a in rooted if a.id in joined])
    findings += [_rooted_finding(names, a, joined[a.id]) for a in rooted if a.id in joined]
    return findings


def _rooted_alert(row: repository.ReportRow, rooted: list[Alert], radius: float) -> Alert | None:
    """The open alert with a root case that a new report continues: same category, and the
    same component, or (neither being a component's) within the radius of the alert's spot."""
    component = _component(row.extra)
    for alert in rooted:
        if alert.category_code != row.category_code:
            continue
        own = (alert.details or {}).get("component")
        if component or own:
            if component == own:
                return alert
            continue
        if alert.lon is None or alert.lat is None:
            continue
        if detect.distance_m(alert.lon, alert.lat, row.lon, row.lat) <= radius:
            return alert
    return None


def _rooted_finding(names: _Names, alert: Alert, rows: list[repository.ReportRow]) -> Finding:
    """New reports joining an alert that has a root case (what becomes of them and the words
    about it are ``_follow_root``'s, once stored)."""
    ids = sorted(set(alert.event_ids or []) | {r.id for r in rows})
    details = dict(alert.details or {})
    details["codes"] = [*details.get("codes", []), *(r.code for r in rows)]
    details["last_at"] = max(r.created_at for r in rows).isoformat()
    category = names.category(alert.category_code)
    return Finding(
        kind=AlertKind.RECURRENCE,
        key=alert.dedupe_key,
        title=f"{names.region(alert.region_path)} {category} 反复发生（{len(ids)} 次）",
        explanation=_base_explanation(alert),
        region_path=alert.region_path,
        score=float(len(ids)),
        category_code=alert.category_code,
        lon=alert.lon,
        lat=alert.lat,
        event_ids=ids,
        details=details,
    )


def _follow_root(
    session: Session, alert: Alert, new_ids: list[int], report: ScanReport, actor: Actor
) -> None:
    """New repeats of an alert with a root case: merged into it while it is open (as the
    scan's platform actor; one that may no longer be merged is linked); once it has closed
    they are not merged and it is not reopened, but the alert is back to 待处理 and says the
    problem came back after the fix."""
    root = events.get_event(session, alert.root_event_id or 0, actor=actor)
    cases = repository.cases_of(session, actor.scope, new_ids)
    info = dict((alert.details or {}).get("root", {}))
    done = RootCase(alert=alert, event=root)
    later: list[str] = []
    reopened = False
    if root.status not in ENDED_STATES:
        comment = f"自动合并到根源案件 {root.code}（预警 {alert.id}：同一处再次上报）"
        _attach(session, root, alert, cases, comment, actor, done, savepoints=True)
    else:
        ended_at = root.closed_at or root.updated_at
        earlier = [c for c in cases if c.created_at < ended_at]
        later = [c.code for c in cases if c.created_at >= ended_at]
        # Never merged into an ended case, nor does it reopen: the ones reported before it
        # ended are linked, the later ones are the alert's news.
        for case in earlier:
            case.extra = {**(case.extra or {}), "root_case": {"id": root.id, "code": root.code}}
            done.linked.append(case.code)
        if earlier:
            root.extra = {
                **(root.extra or {}),
                "root_of": [
                    *(root.extra or {}).get("root_of", []),
                    *({"id": c.id, "code": c.code, "merged": False} for c in earlier),
                ],
            }
        if later and alert.status == AlertStatus.ACKNOWLEDGED:
            alert.status = AlertStatus.OPEN.value
            alert.acknowledged_at, alert.acknowledged_by = None, None
            reopened = True
    info["auto_merged"] = [*info.get("auto_merged", []), *done.merged]
    info["auto_linked"] = [*info.get("auto_linked", []), *done.linked]
    info["after_close"] = [*info.get("after_close", []), *later]
    alert.details = {**(alert.details or {}), "root": info}
    alert.explanation = _base_explanation(alert) + _root_explanation(alert, root)
    report.root_merged += len(done.merged)
    audit.record(
        session,
        actor=actor,
        action="alert.root_case",
        object_type="alert",
        object_id=alert.id,
        region_path=alert.region_path,
        summary=f"预警 {alert.id} 新的反复上报："
        + (
            f"自动合并到根源案件 {root.code} {len(done.merged)} 件，关联 {len(done.linked)} 件"
            if not later
            else f"根源案件 {root.code} 已办结后又上报 {len(later)} 件，预警重新待处理"
        ),
        details={
            "kind": alert.kind,
            "root_event_id": root.id,
            "root_event_code": root.code,
            "auto": True,
            "merged": done.merged,
            "linked": done.linked,
            "after_close": later,
            "reopened": reopened,
        },
    )


def _recurrence_key(group: detect.Group, open_alerts: list[Alert], radius: float) -> str:
    """The key of the open alert this group continues (same component, or same category
    within the radius), else the group's own."""
    for alert in open_alerts:
        if alert.category_code != group.category_code:
            continue
        if group.component:
            if alert.dedupe_key == f"recurrence:{group.category_code}:{group.key}":
                return alert.dedupe_key
            continue
        if alert.lon is None or alert.lat is None or (alert.details or {}).get("component"):
            continue
        if detect.distance_m(alert.lon, alert.lat, group.lon, group.lat) <= radius:
            return alert.dedupe_key
    return f"recurrence:{group.category_code}:{group.key}"


# --- SLA risk -----------------------------------------------------------------------------------


def train_sla_model(session: Session, names: _Names, moment: datetime) -> SlaModel:
    """The model of one scan: closed cases reported in the last HISTORY_DAYS."""
    rows = repository.closed_since(session, moment - timedelta(days=HISTORY_DAYS), HISTORY_LIMIT)
    return SlaModel(
        ClosedCase(
            r.category_code,
            names.parent(r.category_code),
            r.level,
            r.department_id,
            detect.elapsed_share(r.created_at, r.deadline_at, r.closed_at),
        )
        for r in rows
    )


def sla_risks(
    session: Session, names: _Names, moment: datetime, report: ScanReport, *, actor: Actor
) -> list[Finding]:
    """Open cases, not yet overdue, whose predicted chance of closing late reaches the
    threshold."""
    threshold = get_settings().alert_sla_threshold
    model = train_sla_model(session, names, moment)
    cases = repository.open_not_overdue(session, moment)
    report.open_case_ids = {c.id for c in cases}
    if model.size == 0 or not cases:
        return []
    backlog = repository.open_per_department(session)
    mean_backlog = sum(backlog.values()) / len(backlog) if backlog else 0.0
    scored = []
    for case in cases:
        share = detect.elapsed_share(case.created_at, case.deadline_at, moment)
        estimate = model.estimate(
            case.category_code,
            names.parent(case.category_code),
            case.level,
            case.department_id,
            share,
        )
        if estimate.probability >= threshold:
            scored.append((case, share, estimate))
    departments = orgs.names_of(
        session, sorted({c.department_id for c, _, _ in scored if c.department_id})
    )
    findings = []
    for case, share, estimate in scored:
        reasons = _risk_reasons(
            names, case, share, estimate, backlog, mean_backlog, departments, moment
        )
        findings.append(
            Finding(
                kind=AlertKind.SLA_RISK,
                key=f"sla_risk:{case.id}",
                title=f"{case.code} {case.title[:40]} 可能超期",
                explanation=f"预测超期概率 {estimate.probability:.0%}："
                + "；".join(reasons)
                + "。",
                region_path=case.region_path,
                score=round(estimate.probability, 4),
                category_code=case.category_code,
                department_id=case.department_id,
                lon=case.lon,
                lat=case.lat,
                event_ids=[case.id],
                details={
                    "event_id": case.id,
                    "code": case.code,
                    "case_title": case.title,
                    "deadline_at": case.deadline_at.isoformat(),
                    "elapsed_share": round(share, 4),
                    "probability": round(estimate.probability, 4),
                    "group": estimate.group,
                    "group_cases": estimate.cases,
                    "on_time_rate": estimate.on_time_rate,
                    "backlog": backlog.get(case.department_id or 0, 0),
                    "reasons": reasons,
                },
            )
        )
    return findings


GROUP_LABELS = {
    "cld": "同类别、同层级、同部门",
    "cd": "同类别、同部门",
    "c": "同类别",
    "p": "同大类",
    "all": "全部",
}


def _risk_reasons(
    names: _Names,
    case: repository.OpenRow,
    share: float,
    estimate: detect.Estimate,
    backlog: dict[int, int],
    mean_backlog: float,
    departments: dict[int, str],
    moment: datetime,
) -> list[str]:
    reasons = []
    if estimate.on_time_rate is not None:
        reasons.append(
            f"{GROUP_LABELS[estimate.group]}案件（{names.category(case.category_code)}）"
            f"近{HISTORY_DAYS}日 {estimate.cases} 件，历史按期率 {estimate.on_time_rate:.0%}"
        )
    left = (case.deadline_at - moment).total_seconds() / 3600
    reasons.append(f"已用时 {share:.0%}（距期限 {left:.1f} 小时）")
    if estimate.survivors:
        reasons.append(
            f"同类案件用时超过 {share:.0%} 仍未办结的 {estimate.survivors} 件中 "
            f"{estimate.late_survivors} 件最终超期"
        )
    if case.department_id:
        name = departments.get(case.department_id, "该部门")
        reasons.append(
            f"{name}当前积压 {backlog.get(case.department_id, 0)} 件"
            f"（各部门平均 {mean_backlog:.0f} 件）"
        )
    return reasons


# --- overdue visits -----------------------------------------------------------------------------


def _overdue(member: Any) -> str:
    return "从未走访" if member.due_at is None else f"逾期 {member.overdue_days} 天"


def overdue_visits(session: Session, names: _Names, *, actor: Actor) -> list[Finding]:
    """Special-group members overdue for a visit (or never visited), one alert per
    community, names masked."""
    due = visits.due_members(session, actor=actor, page=PageParams(page=1, page_size=50_000))
    if not due.items:
        return []
    grids = regions.regions_by_codes(session, sorted({m.grid_code for m in due.items}), actor=actor)
    grid_paths = {g.code: g.path for g in grids}
    by_community: dict[str, list[Any]] = {}
    for member in due.items:
        path = grid_paths.get(member.grid_code)
        if path is None:
            continue
        by_community.setdefault(_parent_path(path), []).append(member)
    names.regions(list(by_community))
    findings = []
    for path, members in sorted(by_community.items()):
        never = sum(1 for m in members if m.due_at is None)
        members.sort(key=lambda m: (m.due_at is not None, -m.overdue_days, m.member_id))
        listed = "、".join(f"{m.name}（{m.group_type}，{_overdue(m)}）" for m in members[:LISTED])
        more = f" 等 {len(members)} 人" if len(members) > LISTED else ""
        longest = max((m.overdue_days for m in members), default=0)
        region = names.region(path)
        findings.append(
            Finding(
                kind=AlertKind.VISIT_OVERDUE,
                key=f"visit_overdue:{path}",
                title=f"{region} {len(members)} 名特殊人群走访逾期",
                explanation=(
                    f"{region} 有 {len(members)} 名特殊人群到期未走访（其中 {never} 名从未走访，"
                    f"已走访过的最久逾期 {longest} 天）：{listed}{more}。"
                ),
                region_path=path,
                score=float(len(members)),
                details={
                    "count": len(members),
                    "never_visited": never,
                    "longest_overdue_days": longest,
                    "members": [
                        {
                            "member_id": m.member_id,
                            "name": m.name,
                            "group_type": m.group_type,
                            "overdue_days": m.overdue_days,
                            "never_visited": m.due_at is None,
                            "grid_code": m.grid_code,
                        }
                        for m in members[:200]
                    ],
                },
            )
        )
    return findings
