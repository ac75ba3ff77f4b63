"""What routing needs from cases: training rows, past cases to replay a draft over, and the
recommendation shown in the operator's dispatch form. Routing itself never reads cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import Perm
from gridgov.config import get_settings
from gridgov.events import repository
from gridgov.events.models import Event
from gridgov.events.repository import RoutingRow
from gridgov.events.services import SUBJECT, get_event, propose
from gridgov.kit.clock import now, to_local
from gridgov.networks import services as networks
from gridgov.orgs import services as orgs
from gridgov.routing import services as routing
from gridgov.routing.rules import CaseFacts


def _codes(session: Session) -> dict[int, str]:
    return {d.id: code for code, d in orgs.department_directory(session).items()}


def training_rows(
    session: Session, *, actor: Actor, limit: int | None = None
) -> list[routing.TrainingRow]:
    """Closed cases, oldest first, each labelled with the department that handled it, plus every
    corrected case (an operator's override, a department's "not ours"), marked as such."""
    actor.require(Perm.ROUTING_WRITE)
    codes = _codes(session)
    rows = repository.closed_for_routing(session, limit or get_settings().routing_train_max_cases)
    corrected = routing.corrections(session, SUBJECT)
    seen = {row.id for row in rows}
    extra = repository.routing_rows_by_ids(session, [i for i in corrected if i not in seen])
    result: list[routing.TrainingRow] = []
    for row in [*extra, *rows]:
        department = corrected.get(row.id) or codes.get(row.department_id or 0)
        if department is None:
            continue
        result.append(
            routing.TrainingRow(
                text=f"{row.title} {row.description}",
                department_code=department,
                category_code=row.category_code,
                corrected=row.id in corrected,
            )
        )
    return result


def recent_rows(session: Session, *, actor: Actor, since: datetime) -> list[routing.TrainingRow]:
    """Cases closed since ``since`` with the department that handled them: what a stored model
    is measured on."""
    actor.require(Perm.ROUTING_WRITE)
    codes = _codes(session)
    rows = repository.closed_for_routing(
        session, get_settings().routing_train_max_cases, since=since
    )
    return [
        routing.TrainingRow(
            text=f"{row.title} {row.description}",
            department_code=codes[row.department_id or 0],
            category_code=row.category_code,
        )
        for row in rows
        if (row.department_id or 0) in codes
    ]


def _facts(row: RoutingRow, parents: dict[str, str | None]) -> CaseFacts:
    return CaseFacts(
        title=row.title,
        description=row.description,
        category_code=row.category_code,
        parent_category_code=parents.get(row.category_code),
        region_path=row.region_path,
        source=row.source,
        urgency=row.urgency,
        at_local=to_local(row.created_at, get_settings().timezone),
    )


def replay_cases(
    session: Session, *, actor: Actor, months: int, limit: int
) -> list[routing.ReplayCase]:
    """The closed cases of the last ``months`` months (newest ``limit``), as routing sees them."""
    actor.require(Perm.ROUTING_WRITE)
    codes = _codes(session)
    categories = repository.list_categories(session)
    parents = {c.code: c.parent_code for c in categories}
    defaults = {c.code: c.default_department_code for c in categories}
    rows = repository.closed_for_routing(session, limit, since=now() - timedelta(days=31 * months))
    return [
        routing.ReplayCase(
            subject_id=row.id,
            code=row.code,
            facts=_facts(row, parents),
            default_department=defaults.get(row.category_code),
            final_department=codes.get(row.department_id or 0),
        )
        for row in rows
    ]


def category_parents(session: Session, *, actor: Actor) -> dict[str, str | None]:
    actor.require(Perm.EVENTS_READ)
    return {c.code: c.parent_code for c in repository.list_categories(session)}


@dataclass(frozen=True)
class Recommendation:
    decision: routing.Decision
    recorded: bool
    overridden: bool
    returned: bool
    department_ids: dict[str, int]
    # 一格多员: the departmental network unit that answers for this kind of case in its grid.
    responsible_unit: str | None = None


def responsible_unit(session: Session, event: Event) -> str | None:
    """The unit of the departmental network that covers the case's grid for its category, with
    its officer (phone masked), when one does."""
    grid_code = event.region_path.rstrip("/").rsplit("/", 1)[-1]
    found = networks.responsible_unit_for_category(session, grid_code, event.category_code)
    if found is None:
        return None
    network, unit = found
    officer = " ".join(x for x in (unit.officer_name, unit.officer_phone_masked) if x)
    return f"{network.name}：{unit.name}（{unit.unit_code}）" + (f"，{officer}" if officer else "")


def recommendation(session: Session, event_id: int, *, actor: Actor) -> Recommendation:
    """推荐转办: the top departments for a case with their confidence and why — as decided at
    intake when routing ran then, otherwise worked out now."""
    actor.require(Perm.EVENTS_DISPATCH)
    event = get_event(session, event_id, actor=actor)
    ids = {code: d.id for code, d in orgs.department_directory(session).items()}
    recorded = routing.decision_for(session, SUBJECT, event.id)
    if recorded is not None and recorded.mode != "manual":
        decision = routing.Decision(
            mode=recorded.mode,
            decided_by=recorded.decided_by,
            candidates=[
                routing.Candidate(
                    c["department_code"], c["department_name"], c["confidence"], c["reason"]
                )
                for c in recorded.candidates
            ],
            reason=recorded.reason,
            confidence=recorded.confidence,
            rule_set_version=recorded.rule_set_version,
            rule_id=recorded.rule_id,
            model_version=recorded.model_version,
        )
        return Recommendation(
            decision,
            True,
            recorded.overridden,
            recorded.returned,
            ids,
            responsible_unit(session, event),
        )
    return Recommendation(
        propose(session, event), False, False, False, ids, responsible_unit(session, event)
    )
