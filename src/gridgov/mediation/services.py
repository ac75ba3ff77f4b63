"""Disputes: registration, mediation over the workflow engine, time limits with escalation to a
higher mediation organisation, early warning, the agreement PDF and statistics.

Services take a session and an actor and never commit. Every change of a dispute goes through
the workflow engine, whose hash-chained timeline is the dispute's record, and writes an audit
row."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm, Role
from gridgov.accounts.scope import Scope
from gridgov.audit import services as audit
from gridgov.config import get_settings
from gridgov.events import services as events
from gridgov.kit.clock import format_local, now, to_local
from gridgov.kit.crypto import FieldCipher, mask_id_number, mask_phone
from gridgov.kit.errors import AppError, InvalidInput, NotFound, PermissionDenied
from gridgov.kit.pagination import PageParams
from gridgov.media import services as media
from gridgov.media.models import Media
from gridgov.mediation import pdf, repository, rules
from gridgov.mediation.catalog import (
    FINAL_STATES,
    MEDIATION_WORKFLOW,
    MEDIATION_WORKFLOW_CODE,
    OPEN_STATES,
)
from gridgov.mediation.models import (
    ALERT_RULE_LABELS,
    ALERT_STATUS_LABELS,
    DISPUTE_TYPE_LABELS,
    MEDIATION_LEVEL_LABELS,
    OUTCOME_LABELS,
    PARTY_ROLE_LABELS,
    PERFORMANCE_LABELS,
    REFERRAL_LABELS,
    RISK_CRITERIA,
    RISK_LABELS,
    SOURCE_LABELS,
    AlertRule,
    AlertStatus,
    Dispute,
    DisputeAlert,
    DisputeParty,
    DisputeSource,
    DisputeType,
    MediationLevel,
    Outcome,
    PartyRole,
    RiskGrade,
)
from gridgov.mediation.repository import AlertFilter, DisputeFilter
from gridgov.mediation.schemas import DisputeActionIn, DisputeIn, PartyIn, PartyRevealOut
from gridgov.notifications import services as notifications
from gridgov.orgs import services as orgs
from gridgov.regions import services as regions
from gridgov.registry import services as registry
from gridgov.workflow import services as workflow
from gridgov.workflow.models import WorkflowInstance, WorkflowStep
from gridgov.workflow.sla import SubjectInfo

SUBJECT = "dispute"
log = logging.getLogger("gridgov.jobs")
SLA_ACTOR = "mediation-sla"
SCAN_BATCH = 500
LIST_COUNT_CAP = repository.LIST_COUNT_CAP
DISTRICT_ORG = "mediation-district"
INDUSTRY_ORG = "mediation-industry"
# Where an escalation takes a dispute.
NEXT_LEVEL = {
    MediationLevel.COMMUNITY: MediationLevel.STREET,
    MediationLevel.STREET: MediationLevel.DISTRICT,
    MediationLevel.INDUSTRY: MediationLevel.DISTRICT,
}
# Which levels an account of each region role may mediate at: community staff at their
# community's committee, street staff at the street's and the communities' below it; the
# district and industry committees are the district's (administrators).
MEDIATES_AT: dict[Role, frozenset[str]] = {
    Role.COMMUNITY_STAFF: frozenset({MediationLevel.COMMUNITY.value}),
    Role.STREET_STAFF: frozenset({MediationLevel.COMMUNITY.value, MediationLevel.STREET.value}),
}


def install_defaults(session: Session, *, actor: Actor) -> int:
    """Write the default mediation workflow where there is none yet."""
    if workflow.current_definition(session, MEDIATION_WORKFLOW_CODE) is not None:
        return 0
    workflow.save_definition(
        session, MEDIATION_WORKFLOW_CODE, "矛盾纠纷调处（默认）", MEDIATION_WORKFLOW, actor=actor
    )
    return 1


def state_labels(session: Session) -> dict[str, str]:
    return workflow.state_labels(session, MEDIATION_WORKFLOW_CODE)


def time_limit(created_at: datetime) -> tuple[datetime, datetime]:
    """The deadline of a dispute registered (or escalated) at ``created_at``, and when its
    mediators are warned."""
    settings = get_settings()
    deadline = created_at + timedelta(days=settings.mediation_days)
    warn = max(created_at, deadline - timedelta(days=settings.mediation_warning_days))
    return deadline, warn


def _set_deadline(dispute: Dispute, start: datetime) -> None:
    dispute.deadline_at, dispute.warn_at = time_limit(start)
    dispute.sla_stage = 0


def is_overdue(dispute: Dispute, moment: datetime) -> bool:
    return dispute.status in OPEN_STATES and dispute.deadline_at < moment


# -- organisations --------------------------------------------------------------------------


def _codes(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def organisation_code(level: str, region_path: str) -> str | None:
    """The mediation organisation of a level for a dispute in ``region_path``."""
    codes = _codes(region_path)
    if level == MediationLevel.COMMUNITY and len(codes) >= 3:
        return f"committee-{codes[2]}"
    if level == MediationLevel.STREET and len(codes) >= 2:
        return f"social-{codes[1]}"
    if level == MediationLevel.DISTRICT:
        return DISTRICT_ORG
    if level == MediationLevel.INDUSTRY:
        return INDUSTRY_ORG
    return None


def _organisation_id(session: Session, level: str, region_path: str) -> int | None:
    code = organisation_code(level, region_path)
    if code is None:
        return None
    # Committee codes are fixed by level and region; the lookup is the platform's own.
    found = orgs.ids_for_codes(session, [code], actor=Actor.system(SLA_ACTOR))
    return found.get(code)


def organisation_name(session: Session, dispute: Dispute) -> str:
    if dispute.organisation_id is not None:
        name = orgs.names_of(session, [dispute.organisation_id]).get(dispute.organisation_id)
        if name:
            return name
    return MEDIATION_LEVEL_LABELS[MediationLevel(dispute.level)]


# -- registration ---------------------------------------------------------------------------


def _party_rows(
    session: Session, parties: list[PartyIn], *, actor: Actor, cipher: FieldCipher
) -> list[DisputeParty]:
    rows: list[DisputeParty] = []
    for party in parties:
        if party.person_id is not None:
            try:
                person = registry.get_person(session, party.person_id, actor=actor)
            except NotFound:
                # The same answer whether the resident does not exist or is someone else's.
                raise InvalidInput(
                    f"居民 {party.person_id} 不存在或不在您的管辖范围内",
                    code="party_person_not_found",
                ) from None
            rows.append(
                DisputeParty(
                    role=party.role.value,
                    person_id=person.id,
                    name=person.name,
                    id_number_masked=person.id_number_masked,
                    phone_masked=person.phone_masked,
                    party_key=f"p:{person.id}",
                )
            )
            continue
        assert party.name is not None
        id_number = party.id_number.strip().upper() if party.id_number else None
        phone = party.phone.strip() if party.phone else None
        id_hash = cipher.search_hash(id_number) if id_number else None
        phone_hash = cipher.search_hash(phone) if phone else None
        key = (
            f"h:{id_hash}"
            if id_hash
            else (f"n:{party.name}|{phone_hash[:16]}" if phone_hash else None)
        )
        rows.append(
            DisputeParty(
                role=party.role.value,
                person_id=None,
                name=party.name.strip(),
                id_number_cipher=cipher.encrypt(id_number) if id_number else None,
                id_number_hash=id_hash,
                id_number_masked=mask_id_number(id_number) if id_number else None,
                phone_cipher=cipher.encrypt(phone) if phone else None,
                phone_hash=phone_hash,
                phone_masked=mask_phone(phone) if phone else None,
                party_key=key,
            )
        )
    if not any(p.role == PartyRole.RESPONDENT for p in rows) and len(rows) < 2:
        raise InvalidInput("纠纷至少需要两方当事人", code="parties_required")
    return rows


def _place(
    session: Session, data: DisputeIn, parties: list[DisputeParty], *, actor: Actor
) -> tuple[str, str, int | None]:
    """The grid path and address of the dispute, and the event it came from."""
    event_id: int | None = None
    path: str | None = None
    address = data.address
    if data.event_id is not None:
        try:
            event = events.get_event(session, data.event_id, actor=actor)
        except (NotFound, PermissionDenied):
            raise InvalidInput(
                f"事件 {data.event_id} 不存在或不在您的管辖范围内", code="event_not_found"
            ) from None
        event_id, path = event.id, event.region_path
        address = address or event.address
    if data.grid_code:
        try:
            grid = regions.get_region(session, data.grid_code, actor=actor)
        except NotFound:
            raise InvalidInput(
                "纠纷发生地网格不存在或不在您的管辖范围内", code="grid_not_found"
            ) from None
        if grid.level != "grid":
            raise InvalidInput("请选择基础网格", code="not_a_grid")
        path = grid.path
    if path is None:
        linked = [p.person_id for p in parties if p.person_id is not None]
        if linked:
            path = registry.get_person(session, linked[0], actor=actor).region_path
    if path is None:
        raise InvalidInput(
            "请填写纠纷发生地网格（grid_code），或关联事件、实有人口", code="place_required"
        )
    if not actor.scope.covers_path(path):
        raise PermissionDenied("纠纷发生地不在您的管辖范围内", code="out_of_scope")
    return path, address, event_id


def register(session: Session, data: DisputeIn, *, actor: Actor, cipher: FieldCipher) -> Dispute:
    """Register a dispute found in the district and start its mediation workflow."""
    actor.require(Perm.DISPUTES_REPORT)
    parties = _party_rows(session, data.parties, actor=actor, cipher=cipher)
    path, address, event_id = _place(session, data, parties, actor=actor)
    source = DisputeSource.EVENT if event_id is not None else data.source
    moment = now()
    deadline, warn = time_limit(moment)
    dispute = Dispute(
        code=f"T{uuid.uuid4().hex[:20]}",  # replaced below once the id is known
        dispute_type=data.dispute_type.value,
        title=data.title,
        description=data.description,
        address=address,
        address_key=rules.address_key(address),
        region_path=path,
        source=source.value,
        source_event_id=event_id,
        risk_grade=data.risk_grade.value,
        level=data.level,
        organisation_id=_organisation_id(session, data.level, path),
        mediators=[m.strip() for m in data.mediators if m.strip()],
        status=workflow.initial_state(session, MEDIATION_WORKFLOW_CODE),
        deadline_at=deadline,
        warn_at=warn,
        sla_stage=0,
        reporter_id=actor.id,
        reporter_username=actor.username,
        created_at=moment,
        updated_at=moment,
        extra={},
    )
    repository.add_dispute(session, dispute)
    for party in parties:
        party.dispute_id = dispute.id
        party.region_path = path
        party.created_at = moment
    repository.add_parties(session, parties)
    instance = workflow.start(
        session,
        MEDIATION_WORKFLOW_CODE,
        subject_type=SUBJECT,
        subject_id=dispute.id,
        region_path=path,
        actor=actor,
        data={
            "source": source.value,
            "type": dispute.dispute_type,
            "risk_grade": dispute.risk_grade,
            "level": dispute.level,
            **({"event_id": event_id} if event_id is not None else {}),
        },
    )
    dispute.code = f"JF{to_local(moment, get_settings().timezone):%Y%m%d}{dispute.id:06d}"
    dispute.workflow_instance_id = instance.id
    audit.record(
        session,
        actor=actor,
        action="dispute.register",
        object_type="dispute",
        object_id=dispute.id,
        region_path=path,
        summary=f"登记矛盾纠纷 {dispute.code}",
        details={"type": dispute.dispute_type, "parties": len(parties)},
    )
    findings = early_warning_for(session, dispute, parties)
    text_finding = rules.violence_finding(f"{data.title} {data.description}", "纠纷描述")
    if text_finding is not None:
        findings.append(text_finding)
    if dispute.risk_grade == RiskGrade.SERIOUS:
        findings.append(rules.Finding(AlertRule.GRADE_RAISED, "登记为“重大”风险等级纠纷"))
    raise_alerts(session, dispute, findings)
    return dispute


# -- reads ----------------------------------------------------------------------------------


def get_dispute(session: Session, dispute_id: int, *, actor: Actor) -> Dispute:
    actor.require(Perm.DISPUTES_READ)
    dispute = repository.get_dispute(session, actor.scope, dispute_id)
    if dispute is None:
        raise NotFound(f"纠纷 {dispute_id} 不存在或不在您的管辖范围内", code="dispute_not_found")
    return dispute


def dispute_filter(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    dispute_type: str | None = None,
    risk_grade: str | None = None,
    level: str | None = None,
    outcome: str | None = None,
    region_code: str | None = None,
    overdue: bool = False,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    query: str | None = None,
) -> DisputeFilter:
    actor.require(Perm.DISPUTES_READ)
    return DisputeFilter(
        status=status,
        dispute_type=dispute_type,
        risk_grade=risk_grade,
        level=level,
        outcome=outcome,
        region_path=_region_path(session, region_code, actor),
        overdue_at=now() if overdue else None,
        created_from=created_from,
        created_to=created_to,
        query=query,
    )


def _region_path(session: Session, region_code: str | None, actor: Actor) -> str | None:
    if not region_code:
        return None
    return regions.get_region(session, region_code, actor=actor).path


def search_disputes(
    session: Session, filters: DisputeFilter, *, actor: Actor, page: PageParams
) -> tuple[list[Dispute], int]:
    actor.require(Perm.DISPUTES_READ)
    return repository.list_disputes(session, actor.scope, filters, page)


def versions(session: Session, disputes: list[Dispute]) -> dict[int, int]:
    ids = [d.workflow_instance_id for d in disputes if d.workflow_instance_id is not None]
    by_instance = workflow.versions(session, ids)
    return {d.id: by_instance.get(d.workflow_instance_id or 0, 1) for d in disputes}


def organisation_names(session: Session, disputes: list[Dispute]) -> dict[int, str]:
    ids = [d.organisation_id for d in disputes if d.organisation_id is not None]
    return orgs.names_of(session, ids)


def parties_of(session: Session, dispute: Dispute, *, actor: Actor) -> list[DisputeParty]:
    return repository.parties_of(session, actor.scope, [dispute.id])


@dataclass(frozen=True)
class DisputeView:
    dispute: Dispute
    instance: WorkflowInstance
    steps: list[WorkflowStep]
    labels: dict[str, str]
    actions: list[Any]
    parties: list[DisputeParty]
    alerts: list[DisputeAlert]
    organisation: str


def dispute_view(session: Session, dispute: Dispute, *, actor: Actor) -> DisputeView:
    instance = workflow.instance_for(session, SUBJECT, dispute.id)
    offered = (
        [
            t
            for t in workflow.available_actions(session, instance, actor=actor)
            if _offered(dispute, t.action)
        ]
        if may_mediate(dispute, actor)
        else []
    )
    return DisputeView(
        dispute=dispute,
        instance=instance,
        steps=workflow.steps_for(session, instance),
        labels=workflow.labels(session, instance),
        actions=offered,
        parties=parties_of(session, dispute, actor=actor),
        alerts=repository.alerts_of(session, dispute.id),
        organisation=organisation_name(session, dispute),
    )


def _offered(dispute: Dispute, action: str) -> bool:
    if action == "escalate":
        return dispute.level in NEXT_LEVEL
    if action == "close" and dispute.status == "following":
        return bool(dispute.extra.get("follow_ups"))
    return True


def may_mediate(dispute: Dispute, actor: Actor) -> bool:
    """Whether the actor's mediation organisation holds the dispute at its level: once a
    dispute is escalated past a community, that community's staff follow it but no longer
    act on it."""
    if not actor.can(Perm.DISPUTES_WRITE):
        return False
    allowed = MEDIATES_AT.get(actor.role)
    return allowed is None or dispute.level in allowed


def agreement_available(dispute: Dispute) -> bool:
    return dispute.outcome in (Outcome.AGREED, Outcome.PARTIAL) and bool(dispute.agreement_terms)


# -- actions --------------------------------------------------------------------------------


def act(
    session: Session, dispute_id: int, action: str, data: DisputeActionIn, *, actor: Actor
) -> Dispute:
    """Perform one workflow action on a dispute, with the version the caller saw."""
    dispute = get_dispute(session, dispute_id, actor=actor)
    actor.require(Perm.DISPUTES_WRITE)
    if not may_mediate(dispute, actor):
        raise PermissionDenied(
            f"该纠纷已由{organisation_name(session, dispute)}调处，本账号只能查看",
            code="not_mediating_level",
        )
    return _act(session, dispute, action, data, actor=actor)


def _act(
    session: Session, dispute: Dispute, action: str, data: DisputeActionIn, *, actor: Actor
) -> Dispute:
    instance = workflow.instance_for(session, SUBJECT, dispute.id)
    payload: dict[str, Any] = {}
    if data.session_date is not None:
        payload["session_date"] = data.session_date.isoformat()
    if data.participants:
        payload["participants"] = [p.strip() for p in data.participants if p.strip()]
    if data.mediators:
        payload["mediators"] = [m.strip() for m in data.mediators if m.strip()]
    if data.terms is not None and data.terms.strip():
        payload["terms"] = data.terms.strip()
    if data.referral is not None:
        payload["referral"] = data.referral.value
    if data.performance is not None:
        payload["performance"] = data.performance.value
    if data.risk_grade is not None:
        payload["risk_grade"] = data.risk_grade.value
    if data.media_ids:
        # In the step data, so the timeline shows which files came with which step.
        payload["media_ids"] = list(data.media_ids)
    if action == "escalate":
        target = NEXT_LEVEL.get(MediationLevel(dispute.level))
        if target is None:
            raise InvalidInput("已由区级调解组织调处，无法再提级", code="already_top_level")
        payload.update(_escalation(session, dispute, target))
    if action == "close" and dispute.status == "following" and not dispute.extra.get("follow_ups"):
        raise InvalidInput("达成协议的纠纷须至少回访一次才能结案", code="follow_up_required")
    if (
        action == "session"
        and data.session_date is not None
        and data.session_date > to_local(now(), get_settings().timezone).date()
    ):
        raise InvalidInput("调解日期不能晚于今天", code="session_in_future")
    old_grade = dispute.risk_grade
    moved = workflow.act(
        session,
        instance,
        action,
        actor=actor,
        expected_version=data.version,
        comment=data.comment,
        data=payload,
    )
    dispute.status = moved.instance.state
    media.attach(
        session,
        data.media_ids,
        subject_type=SUBJECT,
        subject_id=dispute.id,
        region_path=dispute.region_path,
        role=action,
        actor=actor,
        step=moved.step.seq,
    )
    _after(dispute, moved.step, payload)
    findings: list[rules.Finding] = []
    if action == "regrade":
        found = rules.grade_finding(old_grade, dispute.risk_grade)
        if found is not None:
            findings.append(found)
    if action in ("session", "follow_up", "fail", "regrade", "escalate") and data.comment:
        where = {"session": "调解笔录", "follow_up": "回访记录"}.get(action, "办理意见")
        found = rules.violence_finding(data.comment, where)
        if found is not None:
            findings.append(found)
    audit.record(
        session,
        actor=actor,
        action=f"dispute.{action}",
        object_type="dispute",
        object_id=dispute.id,
        region_path=dispute.region_path,
        summary=f"{moved.transition.label}：{dispute.code}",
    )
    raise_alerts(session, dispute, findings)
    return dispute


def _escalation(session: Session, dispute: Dispute, target: MediationLevel) -> dict[str, Any]:
    organisation_id = _organisation_id(session, target.value, dispute.region_path)
    name = (
        orgs.names_of(session, [organisation_id]).get(organisation_id, "")
        if organisation_id is not None
        else ""
    )
    return {
        "from_level": dispute.level,
        "to_level": target.value,
        "organisation_id": organisation_id,
        "organisation": name or MEDIATION_LEVEL_LABELS[target],
    }


def _after(dispute: Dispute, step: WorkflowStep, payload: dict[str, Any]) -> None:
    """What an action changes on the dispute beyond its state."""
    action, at = step.action, step.at
    extra = dict(dispute.extra)
    if payload.get("mediators"):
        dispute.mediators = payload["mediators"]
    if action == "accept":
        extra["accepted_at"] = at.isoformat()
    elif action == "session":
        extra["sessions"] = int(extra.get("sessions", 0)) + 1
    elif action == "escalate":
        dispute.level = payload["to_level"]
        dispute.organisation_id = payload["organisation_id"]
        # The higher organisation gets a time limit of its own.
        _set_deadline(dispute, at)
        extra["escalations"] = int(extra.get("escalations", 0)) + 1
    elif action == "regrade":
        dispute.risk_grade = payload["risk_grade"]
    elif action in ("agree", "agree_partial"):
        dispute.outcome = Outcome.AGREED.value if action == "agree" else Outcome.PARTIAL.value
        dispute.agreement_terms = payload["terms"]
        dispute.outcome_at = at
    elif action == "fail":
        dispute.outcome = Outcome.FAILED.value
        dispute.referral = payload["referral"]
        dispute.outcome_at = at
    elif action == "perform":
        dispute.performance = payload["performance"]
    elif action == "follow_up":
        extra["follow_ups"] = int(extra.get("follow_ups", 0)) + 1
    if dispute.status in FINAL_STATES and dispute.closed_at is None:
        dispute.closed_at = at
    dispute.extra = extra


# -- personal data --------------------------------------------------------------------------


def reveal_party(
    session: Session,
    dispute_id: int,
    party_id: int,
    reason: str,
    *,
    actor: Actor,
    cipher: FieldCipher,
) -> PartyRevealOut:
    """A party's full ID number and phone, for a stated reason that the audit log keeps."""
    actor.require(Perm.PERSONS_REVEAL)
    dispute = get_dispute(session, dispute_id, actor=actor)
    party = next((p for p in parties_of(session, dispute, actor=actor) if p.id == party_id), None)
    if party is None:
        raise NotFound("该纠纷没有这位当事人", code="party_not_found")
    if party.person_id is not None:
        # A resident: the registry reveals (and audits) its own data.
        found = registry.reveal_person(session, party.person_id, reason, actor=actor, cipher=cipher)
        return PartyRevealOut(name=party.name, id_number=found.id_number, phone=found.phone)
    audit.record(
        session,
        actor=actor,
        action="dispute_party.reveal",
        object_type="dispute_party",
        object_id=party.id,
        region_path=party.region_path,
        summary=f"查看纠纷 {dispute.code} 当事人 {party.name} 的完整证件号和电话",
        details={"reason": reason},
    )
    return PartyRevealOut(
        name=party.name,
        id_number=cipher.decrypt(party.id_number_cipher) if party.id_number_cipher else None,
        phone=cipher.decrypt(party.phone_cipher) if party.phone_cipher else None,
    )


# -- the agreement --------------------------------------------------------------------------


def agreement_pdf(session: Session, dispute_id: int, *, actor: Actor) -> tuple[Dispute, bytes]:
    """The 人民调解协议书 of a dispute that reached an agreement, as a PDF."""
    dispute = get_dispute(session, dispute_id, actor=actor)
    if not agreement_available(dispute):
        raise InvalidInput("该纠纷尚未达成调解协议", code="no_agreement")
    font = pdf.find_font(get_settings().pdf_font)
    parties = parties_of(session, dispute, actor=actor)
    signed_on = to_local(dispute.outcome_at or now(), get_settings().timezone).date()
    document = pdf.Agreement(
        number=dispute.code,
        organisation=organisation_name(session, dispute),
        parties=[
            pdf.AgreementParty(
                role=PARTY_ROLE_LABELS[PartyRole(p.role)],
                name=p.name,
                id_number=p.id_number_masked,
                phone=p.phone_masked,
            )
            for p in parties
        ],
        facts=f"{dispute.title}。{dispute.description}".strip("。") + "。",
        terms=dispute.agreement_terms,
        partial=dispute.outcome == Outcome.PARTIAL,
        mediators=list(dispute.mediators or []),
        signed_on=signed_on,
    )
    body = pdf.agreement_pdf(document, font)
    audit.record(
        session,
        actor=actor,
        action="dispute.agreement",
        object_type="dispute",
        object_id=dispute.id,
        region_path=dispute.region_path,
        summary=f"生成调解协议书 {dispute.code}",
    )
    return dispute, body


# -- early warning --------------------------------------------------------------------------


def early_warning_for(
    session: Session, dispute: Dispute, parties: list[DisputeParty]
) -> list[rules.Finding]:
    """Repeated parties, frequent disputes and a repeated address, from the district's
    disputes of the last year."""
    keys = sorted({p.party_key for p in parties if p.party_key})
    since = dispute.created_at - rules.REPEAT_PARTY_WINDOW
    rows = repository.history_for(session, keys, dispute.address_key, since)
    by_dispute: dict[int, tuple[str, datetime, str, set[str]]] = {}
    for row in rows:
        if row.dispute_id == dispute.id:
            continue
        entry = by_dispute.setdefault(
            row.dispute_id, (row.code, row.created_at, row.address_key, set())
        )
        if row.party_key in keys:
            entry[3].add(row.party_key)
    others = [
        rules.DisputeFacts(i, code, created, frozenset(found), address)
        for i, (code, created, address, found) in by_dispute.items()
    ]
    subject = rules.DisputeFacts(
        dispute.id, dispute.code, dispute.created_at, frozenset(keys), dispute.address_key
    )
    names = {p.party_key: p.name for p in parties if p.party_key}
    return rules.history_findings(subject, others, names)


def raise_alerts(session: Session, dispute: Dispute, findings: list[rules.Finding]) -> int:
    """Store an alert per finding (not when one of the same rule is still open on the
    dispute) and tell the community's staff and the police station."""
    if not findings:
        return 0
    open_rules = {a.rule for a in repository.alerts_of(session, dispute.id) if a.status != "closed"}
    fresh: list[rules.Finding] = []
    for finding in findings:
        if finding.rule.value not in open_rules:
            fresh.append(finding)
            open_rules.add(finding.rule.value)
    if not fresh:
        return 0
    users = alert_recipients(session, dispute)
    moment = now()
    alerts = [
        DisputeAlert(
            dispute_id=dispute.id,
            region_path=dispute.region_path,
            rule=f.rule.value,
            reason=f.reason,
            status=AlertStatus.OPEN.value,
            notified=len(users),
            created_at=moment,
            note="",
        )
        for f in fresh
    ]
    repository.add_alerts(session, alerts)
    for f in fresh:
        notifications.notify(
            session,
            users,
            kind="dispute_alert",
            title=f"矛盾纠纷预警（{ALERT_RULE_LABELS[f.rule]}）：{dispute.title}",
            body=f"{dispute.code} {f.reason}",
            link=f"/disputes/{dispute.id}",
        )
    return len(alerts)


def alert_recipients(session: Session, dispute: Dispute) -> list[int]:
    """The community's staff and the street's police station (派出所) handlers."""
    codes = _codes(dispute.region_path)
    users: list[int] = []
    if len(codes) >= 3:
        users += _staff_of(session, "/".join(codes[:3]) + "/", Role.COMMUNITY_STAFF)
    if len(codes) >= 2:
        station = f"police-{codes[1]}"
        found = orgs.ids_for_codes(session, [station], actor=Actor.system(SLA_ACTOR))
        if station in found:
            users += accounts.user_ids_for_duty(session, department_id=found[station])
    return sorted(set(users))


def mediator_users(session: Session, dispute: Dispute) -> list[int]:
    """Who mediates the dispute at its level: the community's or the street's staff; the
    district's administrators for district and industry committees."""
    codes = _codes(dispute.region_path)
    if dispute.level == MediationLevel.COMMUNITY and len(codes) >= 3:
        return _staff_of(session, "/".join(codes[:3]) + "/", Role.COMMUNITY_STAFF)
    if dispute.level == MediationLevel.STREET and len(codes) >= 2:
        return _staff_of(session, "/".join(codes[:2]) + "/", Role.STREET_STAFF)
    return accounts.user_ids_for_duty(session, roles=[Role.ADMIN])


def _staff_of(session: Session, path: str, role: Role) -> list[int]:
    system = Actor.system(SLA_ACTOR)
    local = Actor(
        id=None,
        username=SLA_ACTOR,
        role=system.role,
        scope=Scope(region_paths=(path,)),
        permissions=system.permissions,
    )
    found, _ = accounts.list_users(
        session, actor=local, role=role, page=PageParams(page=1, page_size=200)
    )
    return [user.id for user in found if user.is_active and user.region_path.startswith(path)]


def list_alerts(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    rule: str | None = None,
    region_code: str | None = None,
    page: PageParams,
) -> tuple[list[DisputeAlert], int]:
    actor.require(Perm.DISPUTES_READ)
    filters = AlertFilter(
        status=status, rule=rule, region_path=_region_path(session, region_code, actor)
    )
    return repository.list_alerts(session, actor.scope, filters, page)


def get_alert(session: Session, alert_id: int, *, actor: Actor) -> DisputeAlert:
    actor.require(Perm.DISPUTES_READ)
    alert = repository.get_alert(session, actor.scope, alert_id)
    if alert is None:
        raise NotFound(f"预警 {alert_id} 不存在或不在您的管辖范围内", code="alert_not_found")
    return alert


def acknowledge_alert(session: Session, alert_id: int, note: str, *, actor: Actor) -> DisputeAlert:
    alert = get_alert(session, alert_id, actor=actor)
    actor.require(Perm.DISPUTES_ALERTS)
    if alert.status != AlertStatus.OPEN:
        raise InvalidInput("只能签收待处理的预警", code="alert_not_open")
    alert.status = AlertStatus.ACKNOWLEDGED.value
    alert.acknowledged_at = now()
    alert.acknowledged_by = actor.username
    if note:
        alert.note = note
    _audit_alert(session, alert, "acknowledge", "签收", actor)
    return alert


def close_alert(session: Session, alert_id: int, note: str, *, actor: Actor) -> DisputeAlert:
    alert = get_alert(session, alert_id, actor=actor)
    actor.require(Perm.DISPUTES_ALERTS)
    if alert.status == AlertStatus.CLOSED:
        raise InvalidInput("该预警已关闭", code="alert_closed")
    if not note.strip():
        raise InvalidInput("关闭预警须说明处置情况", code="note_required")
    moment = now()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = moment, actor.username
    alert.status = AlertStatus.CLOSED.value
    alert.closed_at = moment
    alert.closed_by = actor.username
    alert.note = note.strip()
    _audit_alert(session, alert, "close", "关闭", actor)
    return alert


def _audit_alert(
    session: Session, alert: DisputeAlert, verb: str, label: str, actor: Actor
) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"dispute_alert.{verb}",
        object_type="dispute_alert",
        object_id=alert.id,
        region_path=alert.region_path,
        summary=f"{label}矛盾纠纷预警 {alert.id}（{ALERT_RULE_LABELS[AlertRule(alert.rule)]}）",
    )


def alert_disputes(
    session: Session, alerts: list[DisputeAlert], *, actor: Actor
) -> dict[int, Dispute]:
    return repository.disputes_by_ids(session, actor.scope, [a.dispute_id for a in alerts])


# -- the time-limit scan --------------------------------------------------------------------


@dataclass
class ScanReport:
    warned: int = 0
    overdue: int = 0
    escalated: int = 0
    notified: int = 0


def scan_deadlines(session: Session, moment: datetime | None = None) -> ScanReport:
    """The time-limit job: warn the mediators before a dispute's limit; when it is overdue,
    tell them and escalate it to the next mediation organisation (community → street →
    district), which gets a time limit of its own. Each stage is handled once."""
    moment = moment or now()
    report = ScanReport()
    system = Actor.system(SLA_ACTOR)
    while batch := repository.due_for_warning(session, moment, SCAN_BATCH):
        for dispute in batch:
            dispute.sla_stage = 1
            if dispute.deadline_at > moment:
                report.warned += 1
                report.notified += _tell(session, dispute, "dispute_warning", "即将超期")
        session.flush()
    days = get_settings().mediation_days
    # One step per dispute and run: an escalated dispute's new limit counts from now.
    handled: set[int] = set()
    while batch := repository.due_overdue(session, moment, SCAN_BATCH):
        fresh = [d for d in batch if d.id not in handled]
        if not fresh:
            break
        for dispute in fresh:
            handled.add(dispute.id)
            report.overdue += 1
            report.notified += _tell(session, dispute, "dispute_overdue", "已超期")
            if dispute.level in NEXT_LEVEL:
                instance = workflow.instance_for(session, SUBJECT, dispute.id)
                try:
                    _act(
                        session,
                        dispute,
                        "escalate",
                        DisputeActionIn(
                            version=instance.version,
                            comment=f"超过 {days} 日调解期限，自动提级调解",
                        ),
                        actor=system,
                    )
                except AppError as refused:
                    # The definition no longer offers it (an admin changed it): told, not
                    # retried.
                    log.info("dispute %s not escalated: %s", dispute.code, refused.message)
                    dispute.sla_stage = 2
                    continue
                report.escalated += 1
                # The new organisation's limit starts now; the scan will come back to it.
                report.notified += _tell(session, dispute, "dispute_escalated", "已提级，请接办")
            else:
                dispute.sla_stage = 2
        session.flush()
    return report


def _tell(session: Session, dispute: Dispute, kind: str, what: str) -> int:
    users = mediator_users(session, dispute)
    notifications.notify(
        session,
        users,
        kind=kind,
        title=f"矛盾纠纷{what}：{dispute.title}",
        body=f"{dispute.code} 调解期限 "
        f"{format_local(dispute.deadline_at, get_settings().timezone)}",
        link=f"/disputes/{dispute.id}",
    )
    return len(set(users))


# -- statistics -----------------------------------------------------------------------------


@dataclass
class Statistics:
    """Counts of the disputes registered in a period inside a region (the actor's scope)."""

    region_code: str | None
    since: datetime | None
    until: datetime | None
    total: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    by_region: dict[str, int] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_risk: dict[str, int] = field(default_factory=dict)
    success_rate: float | None = None
    average_days: float | None = None
    pending: int = 0
    overdue: int = 0
    open_alerts: int = 0


def statistics(
    session: Session,
    *,
    actor: Actor,
    region_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Statistics:
    """What the mediation big screen shows: counts by type, region (the children of the
    region asked for, or of the actor's own area), status, outcome and risk grade, the success
    rate, the average days to an outcome, pending and overdue disputes, and open alerts."""
    actor.require(Perm.DISPUTES_READ)
    region_path = _region_path(session, region_code, actor)
    moment = now()
    stats = Statistics(region_code=region_code, since=since, until=until)
    depth = len(_codes(region_path)) if region_path else _scope_depth(actor)
    for row in repository.stats_rows(
        session, actor.scope, region_path=region_path, since=since, until=until, moment=moment
    ):
        stats.total += row.count
        _add(stats.by_type, row.dispute_type, row.count)
        _add(stats.by_status, row.status, row.count)
        _add(stats.by_outcome, row.outcome or "none", row.count)
        _add(stats.by_risk, row.risk_grade, row.count)
        codes = _codes(row.region_path)
        _add(stats.by_region, codes[min(depth, len(codes) - 1)], row.count)
        if row.status in OPEN_STATES:
            stats.pending += row.count
        if row.open_overdue:
            stats.overdue += row.count
    reached = sum(v for k, v in stats.by_outcome.items() if k != "none")
    agreed = stats.by_outcome.get(Outcome.AGREED, 0) + stats.by_outcome.get(Outcome.PARTIAL, 0)
    stats.success_rate = round(agreed / reached, 4) if reached else None
    seconds, count = 0.0, 0
    for created, reached_at in repository.outcome_durations(
        session, actor.scope, region_path=region_path, since=since, until=until
    ):
        seconds += (reached_at - created).total_seconds()
        count += 1
    stats.average_days = round(seconds / count / 86_400, 2) if count else None
    stats.open_alerts = repository.count_open_alerts(session, actor.scope, region_path)
    if stats.by_region:
        found = regions.regions_by_codes(session, list(stats.by_region), actor=actor)
        stats.region_names = {r.code: r.name for r in found}
    return stats


def _scope_depth(actor: Actor) -> int:
    """The depth (in codes) of the regions one level below the actor's own area."""
    paths = actor.scope.region_paths
    if not paths:
        return 1  # the whole district: by street
    return min(len(_codes(p)) for p in paths)


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def labels_for(name: str) -> dict[str, str]:
    """Chinese labels of a statistics dimension."""
    tables: dict[str, dict[Any, str]] = {
        "type": DISPUTE_TYPE_LABELS,
        "outcome": {**OUTCOME_LABELS, "none": "尚无结果"},
        "risk": RISK_LABELS,
        "referral": REFERRAL_LABELS,
        "performance": PERFORMANCE_LABELS,
        "source": SOURCE_LABELS,
        "level": MEDIATION_LEVEL_LABELS,
        "alert_rule": ALERT_RULE_LABELS,
        "alert_status": ALERT_STATUS_LABELS,
        "party_role": PARTY_ROLE_LABELS,
    }
    return {str(getattr(k, "value", k)): v for k, v in tables[name].items()}


@dataclass(frozen=True)
class Meta:
    types: dict[str, str]
    criteria: dict[str, str]
    time_limit_days: int
    warning_days: int


def meta(*, actor: Actor) -> Meta:
    actor.require(Perm.DISPUTES_READ)
    settings = get_settings()
    return Meta(
        types={t.value: DISPUTE_TYPE_LABELS[t] for t in DisputeType},
        criteria={g.value: RISK_CRITERIA[g] for g in RiskGrade},
        time_limit_days=settings.mediation_days,
        warning_days=settings.mediation_warning_days,
    )


# -- what the workflow engine's step scan asks of disputes (jobs.STEP_HOOKS) -----------------


def subject_info(session: Session, instance: WorkflowInstance) -> SubjectInfo:
    dispute = get_dispute(session, instance.subject_id, actor=Actor.system(SLA_ACTOR))
    return SubjectInfo(f"{dispute.code} {dispute.title}", f"/disputes/{dispute.id}")


def perform(
    session: Session, instance: WorkflowInstance, action: str, comment: str, actor: Actor
) -> None:
    """An escalation rule's action, through the dispute's own rules (so its level, organisation
    and time limit follow)."""
    dispute = get_dispute(session, instance.subject_id, actor=actor)
    _act(
        session,
        dispute,
        action,
        DisputeActionIn(version=instance.version, comment=comment),
        actor=actor,
    )


def attachments(session: Session, dispute: Dispute, *, actor: Actor) -> list[Media]:
    """Files that came with the dispute's steps (session records, signed agreements …); the
    caller has read the dispute through its scope."""
    return media.for_subject(session, SUBJECT, dispute.id, actor=actor)
