"""Every query on events and their categories."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.sqltypes import NullType

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.db import unindexed
from gridgov.events import search
from gridgov.events.models import AssistStatus, Event, EventAssist, EventCategory
from gridgov.kit.pagination import PageParams, fetch_page
from gridgov.workflow.models import WorkflowStep


def _scoped(scope: Scope, *, in_order: bool = False) -> Select[Event]:
    # Departments see the cases they lead and the cases they assist (协办), so the department
    # dimension is applied here rather than by apply_scope's single-column rule.
    # ``in_order``: the statement reads a page in id order; an area's cases are then best
    # found by walking the id order and testing the path (an area holds a share of all
    # cases), not by collecting the whole area through the path index and sorting it.
    path = unindexed(Event.region_path) if in_order else Event.region_path
    stmt = apply_scope(select(Event), scope, region_path=path, owner_id=Event.reporter_id)
    if scope.department_ids is None:
        return stmt
    if not scope.department_ids:
        return stmt.where(false())
    assisted = select(EventAssist.event_id).where(
        EventAssist.department_id.in_(scope.department_ids)
    )
    return stmt.where(or_(Event.department_id.in_(scope.department_ids), Event.id.in_(assisted)))


def sees(scope: Scope, event: Event) -> bool | None:
    """Whether ``_scoped(scope)`` would return ``event``, decided without the database; None
    when that takes a query (a department's scope also covers the cases it assists)."""
    if scope.department_ids is not None:
        return None
    if scope.owner_id is not None and event.reporter_id != scope.owner_id:
        return False
    return scope.region_paths is None or any(
        event.region_path.startswith(prefix) for prefix in scope.region_paths
    )


def get_event(session: Session, scope: Scope, event_id: int) -> Event | None:
    return session.scalars(_scoped(scope).where(Event.id == event_id)).first()


@dataclass(frozen=True)
class EventFilter:
    status: str | None = None
    category_code: str | None = None
    source: str | None = None
    region_path: str | None = None
    department_id: int | None = None
    level: str | None = None
    overdue_at: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    query: str | None = None
    spot_check: str | None = None
    # Cases these departments assist and have not fed back on yet.
    assist_pending_for: tuple[int, ...] | None = None


# Lists count at most this many matches (and say so): exact totals over millions of cases
# cost more than the page.
LIST_COUNT_CAP = 10_000
# States whose clock runs: overdue lists and the SLA scan look at these.
OPEN_STATES = (
    "reported",
    "accepted",
    "dispatched",
    "handling",
    "extension_requested",
    "feedback",
)
NOT_ENDED_STATES = (*OPEN_STATES, "suspended")


def _filtered(
    scope: Scope, filters: EventFilter, *, in_order: bool = False, terms_joined: bool = False
) -> Select[Event]:
    """The cases ``filters`` select within ``scope``. ``terms_joined``: the caller reads the
    free-text candidates from the index itself (``_led_by_terms``), so only the exact
    substring test of the query is added here."""
    path = unindexed(Event.region_path) if in_order else Event.region_path
    conditions: list[Any] = []
    if filters.status:
        conditions.append(Event.status == filters.status)
    if filters.category_code:
        conditions.append(path_prefix(Event.category_code, filters.category_code))
    if filters.source:
        conditions.append(Event.source == filters.source)
    if filters.region_path:
        conditions.append(path_prefix(path, filters.region_path))
    if filters.department_id is not None:
        conditions.append(Event.department_id == filters.department_id)
    if filters.level:
        conditions.append(Event.level == filters.level)
    if filters.overdue_at is not None:
        conditions += [Event.status.in_(OPEN_STATES), Event.deadline_at < filters.overdue_at]
    if filters.spot_check:
        conditions.append(Event.spot_check == filters.spot_check)
    if filters.assist_pending_for is not None:
        pending = select(EventAssist.event_id).where(
            EventAssist.department_id.in_(filters.assist_pending_for),
            EventAssist.status == AssistStatus.ASSIGNED.value,
        )
        conditions.append(Event.id.in_(pending))
    if filters.created_from is not None:
        conditions.append(Event.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(Event.created_at < filters.created_to)
    if filters.query and terms_joined:
        conditions.append(
            or_(
                Event.title.contains(filters.query, autoescape=True),
                Event.address.contains(filters.query, autoescape=True),
            )
        )
    elif filters.query:
        matches = or_(
            Event.title.contains(filters.query, autoescape=True),
            Event.address.contains(filters.query, autoescape=True),
            Event.code == filters.query,
        )
        terms = search.query_terms(filters.query)
        if terms:
            # The index finds the candidates; the substring test keeps the exact meaning.
            matches = and_(TermsMatch(terms, filters.query), matches)
        conditions.append(matches)
    return _scoped(scope, in_order=in_order).where(*conditions)


class TermsMatch(ColumnElement[Any]):
    """The cases indexed under every one of ``terms`` (see events/search.py), or whose code is
    ``code``: an FTS5 lookup on SQLite, a GIN-indexed array containment on PostgreSQL. Written
    as one candidate set so that SQLite reads the matches by id instead of walking the whole
    table in list order and testing each case (its planner cannot tell a rare word from a
    common one)."""

    inherit_cache = False
    type = NullType()  # not Boolean: SQLite would compare it with 1 and lose the index

    def __init__(self, terms: list[str], code: str) -> None:
        self.terms = terms
        self.code = code


@compiles(TermsMatch, "sqlite")
def _terms_match_sqlite(element: TermsMatch, compiler: Any, **kw: Any) -> str:
    case_id = compiler.process(Event.__table__.c.id, **kw)
    match = compiler.process(bindparam(None, search.fts5_match(element.terms)), **kw)
    by_code = compiler.process(bindparam(None, element.code), **kw)
    return (
        f"{case_id} IN (SELECT rowid FROM events_fts WHERE events_fts MATCH {match} "
        f"UNION ALL SELECT id FROM events WHERE code = {by_code})"
    )


@compiles(TermsMatch, "postgresql")
def _terms_match_postgresql(element: TermsMatch, compiler: Any, **kw: Any) -> str:
    if any(term.endswith("*") for term in element.terms):
        return "true"  # no prefixes in an array index: the substring test reads the table
    table = Event.__table__
    text, code = (compiler.process(c, **kw) for c in (table.c.search_text, table.c.code))
    terms = compiler.process(bindparam(None, element.terms, type_=ARRAY(Text)), **kw)
    by_code = compiler.process(bindparam(None, element.code), **kw)
    return f"(string_to_array({text}, ' ') @> {terms} OR {code} = {by_code})"


_EVENTS_FTS = table("events_fts", column("rowid", Integer))


def _led_by_terms(session: Session, scope: Scope, filters: EventFilter) -> Select[Event] | None:
    """SQLite, a newest-first list with free text: the cases read in the order the FTS5 index
    gives their ids, newest first, each then tested against the other filters, so the page
    and the capped count stop as soon as they have enough. The candidate set of
    ``TermsMatch`` collects every match first: for a phrase in one case of seven (143,000 of
    a million) that was 25 ms for the page and 35 ms for the count, against 2–4 ms and 12–52
    ms this way. None when that plan does not apply: another database, another order, a time
    range (answered from its own index), no index terms, or a query that is a case's code (a
    code is not in the index)."""
    if session.get_bind().dialect.name != "sqlite" or not filters.query:
        return None
    if filters.overdue_at is not None or filters.created_from or filters.created_to:
        return None
    terms = search.query_terms(filters.query)
    if not terms or session.scalar(select(Event.id).where(Event.code == filters.query)):
        return None
    match = literal_column("events_fts").op("MATCH")(bindparam(None, search.fts5_match(terms)))
    return (
        _filtered(scope, filters, in_order=True, terms_joined=True)
        .join_from(_EVENTS_FTS, Event, Event.id == _EVENTS_FTS.c.rowid)
        .where(match)
    )


def _order(filters: EventFilter) -> tuple[Any, ...]:
    # Overdue lists read most-overdue first, which is also the order of their index.
    return (Event.deadline_at, Event.id) if filters.overdue_at is not None else (Event.id.desc(),)


def list_events(
    session: Session, scope: Scope, filters: EventFilter, page: PageParams
) -> tuple[list[Event], int]:
    order = _order(filters)
    led = _led_by_terms(session, scope, filters)
    if led is not None:
        return fetch_page(session, led, page, _EVENTS_FTS.c.rowid.desc(), cap=LIST_COUNT_CAP)
    if filters.created_from is None and filters.created_to is None:
        return fetch_page(
            session,
            _filtered(scope, filters, in_order=True),
            page,
            *order,
            cap=LIST_COUNT_CAP,
            count_stmt=_filtered(scope, filters),
        )
    # A time range is answered from the (created_at, region_path) index, not by walking ids:
    # ids need not follow creation times, and a range in the past would be found only after
    # every later case. The page's ids come from that index alone, sorted, and only then are
    # the page's rows read: collecting a month's full rows (tens of thousands at a million
    # cases) to sort them took ten times as long.
    page_ids = (
        _filtered(scope, filters, in_order=True)
        .with_only_columns(Event.id)
        .order_by(*order)
        .offset(page.offset)
        .limit(page.page_size)
    )
    total = count_events(session, scope, filters, cap=LIST_COUNT_CAP + 1)  # as fetch_page
    rows = session.scalars(select(Event).where(Event.id.in_(page_ids)).order_by(*order))
    return list(rows), total


def iter_events(
    session: Session, scope: Scope, filters: EventFilter, limit: int, batch: int = 2_000
) -> Iterator[Event]:
    """Up to ``limit`` matching cases in list order, streamed in batches (exports)."""
    stmt = _filtered(scope, filters, in_order=True).order_by(*_order(filters)).limit(limit)
    yield from session.scalars(stmt.execution_options(yield_per=batch))


def count_events(session: Session, scope: Scope, filters: EventFilter, cap: int) -> int:
    """How many cases match, counting no further than ``cap``."""
    capped = _filtered(scope, filters).with_only_columns(Event.id).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def events_by_ids(session: Session, scope: Scope, ids: list[int]) -> list[Event]:
    if not ids:
        return []
    return list(session.scalars(_scoped(scope).where(Event.id.in_(ids)).order_by(Event.id)))


# Built once: intake runs this for every new case, and building the expression costs more than
# running it.
_NEARBY_OPEN = (
    select(Event)
    .where(
        Event.category_code == bindparam("category_code"),
        Event.created_at >= bindparam("since"),
        Event.lon.between(bindparam("lon_min"), bindparam("lon_max")),
        Event.lat.between(bindparam("lat_min"), bindparam("lat_max")),
        Event.status.in_(NOT_ENDED_STATES),
        Event.id != bindparam("exclude_id"),
    )
    .order_by(Event.id.desc())
    .limit(bindparam("limit"))
)


@unscoped("duplicate detection compares a new case with every open case; shown through scope")
def nearby_open(
    session: Session,
    *,
    category_code: str,
    lon_range: tuple[float, float],
    lat_range: tuple[float, float],
    since: datetime,
    exclude_id: int,
    limit: int = 20,
) -> list[Event]:
    params = {
        "category_code": category_code,
        "since": since,
        "lon_min": lon_range[0],
        "lon_max": lon_range[1],
        "lat_min": lat_range[0],
        "lat_max": lat_range[1],
        "exclude_id": exclude_id,
        "limit": limit,
    }
    return list(session.scalars(_NEARBY_OPEN, params))


@unscoped("the caller has already been allowed to see the case")
def assists_of(session: Session, event_id: int) -> list[EventAssist]:
    stmt = select(EventAssist).where(EventAssist.event_id == event_id)
    return list(session.scalars(stmt.order_by(EventAssist.id)))


def add_assists(session: Session, assists: list[EventAssist]) -> None:
    session.add_all(assists)
    session.flush()


@unscoped("an idempotency key belongs to its reporter, who may always see what they sent")
def by_idempotency_key(session: Session, reporter_key: str, key: str) -> Event | None:
    stmt = select(Event).where(Event.reporter_key == reporter_key, Event.idempotency_key == key)
    return session.scalars(stmt).first()


def add_event(session: Session, event: Event) -> None:
    session.add(event)
    session.flush()


# Categories are read several times in one request (classify, deadline, names in the answer);
# they are kept for the life of the session, and dropped when this module writes any.
_CATEGORIES = "gridgov.events.categories"


@unscoped("categories are district-wide configuration")
def list_categories(session: Session) -> list[EventCategory]:
    cached: list[EventCategory] | None = session.info.get(_CATEGORIES)
    if cached is None:
        cached = list(session.scalars(select(EventCategory).order_by(EventCategory.code)))
        session.info[_CATEGORIES] = cached
    return cached


_CATEGORY_ROWS = "gridgov.events.category_rows"


@unscoped("categories are district-wide configuration")
def get_category(session: Session, code: str) -> EventCategory | None:
    listed: list[EventCategory] | None = session.info.get(_CATEGORIES)
    if listed is not None:
        return next((c for c in listed if c.code == code), None)
    # One row by its unique code: intake asks for one category, and loading all of them
    # costs a tenth of a report. Kept for the session too (intake, then the answer's name).
    rows: dict[str, EventCategory | None] = session.info.setdefault(_CATEGORY_ROWS, {})
    if code not in rows:
        stmt = select(EventCategory).where(EventCategory.code == code)
        rows[code] = session.scalars(stmt).first()
    return rows[code]


def add_categories(session: Session, rows: list[dict[str, Any]]) -> None:
    session.info.pop(_CATEGORIES, None)
    session.info.pop(_CATEGORY_ROWS, None)
    session.add_all(EventCategory(**row) for row in rows)
    session.flush()


@unscoped("the SLA scan is the platform's own job over every case")
def due_for_warning(session: Session, moment: datetime, limit: int) -> list[Event]:
    stmt = select(Event).where(
        Event.status.in_(OPEN_STATES), Event.sla_stage == 0, Event.warn_at <= moment
    )
    return list(session.scalars(stmt.order_by(Event.warn_at).limit(limit)))


@unscoped("the SLA scan is the platform's own job over every case")
def due_overdue(session: Session, moment: datetime, limit: int) -> list[Event]:
    stmt = select(Event).where(
        Event.status.in_(OPEN_STATES), Event.sla_stage < 2, Event.deadline_at <= moment
    )
    return list(session.scalars(stmt.order_by(Event.deadline_at).limit(limit)))


@dataclass(frozen=True)
class RoutingRow:
    """What routing learns from or replays over: a case's text and facts, and the
    department that took it."""

    id: int
    code: str
    title: str
    description: str
    category_code: str
    region_path: str
    source: str
    urgency: str
    created_at: datetime
    department_id: int | None


_ROUTING_COLUMNS = (
    Event.id,
    Event.code,
    Event.title,
    Event.description,
    Event.category_code,
    Event.region_path,
    Event.source,
    Event.urgency,
    Event.created_at,
    Event.department_id,
)


@unscoped("routing trains one district-wide model on every closed case; only text leaves")
def closed_for_routing(
    session: Session, limit: int, since: datetime | None = None
) -> list[RoutingRow]:
    """The newest ``limit`` closed cases that a department handled, oldest first."""
    stmt = select(*_ROUTING_COLUMNS).where(
        Event.closed_at.is_not(None), Event.department_id.is_not(None)
    )
    if since is not None:
        stmt = stmt.where(Event.closed_at >= since)
    stmt = stmt.order_by(Event.closed_at.desc()).limit(limit)
    rows = [RoutingRow(**row._mapping) for row in session.execute(stmt)]
    rows.reverse()
    return rows


@unscoped("corrections feed the district-wide routing model; only text leaves")
def routing_rows_by_ids(session: Session, ids: list[int]) -> list[RoutingRow]:
    found: list[RoutingRow] = []
    for start in range(0, len(ids), 900):
        stmt = select(*_ROUTING_COLUMNS).where(Event.id.in_(ids[start : start + 900]))
        found += [RoutingRow(**row._mapping) for row in session.execute(stmt)]
    return found


def field_work(
    session: Session, scope: Scope, user_ids: list[int], start: datetime, end: datetime
) -> tuple[list[tuple[int, datetime]], list[tuple[int, datetime]]]:
    """For the workers' daily report: (reporter, time) of the cases these accounts reported in
    [start, end), and (actor, time) of their 自办结 steps in that range on cases they reported.
    Both through the reader's scope; each an index walk by reporter."""
    if not user_ids:
        return [], []
    reported = _scoped(scope).with_only_columns(Event.reporter_id, Event.created_at)
    reported = reported.where(
        Event.reporter_id.in_(user_ids), Event.created_at >= start, Event.created_at < end
    )
    settled = (
        _scoped(scope)
        .with_only_columns(WorkflowStep.actor_id, WorkflowStep.at)
        .select_from(Event)
        .join(WorkflowStep, WorkflowStep.instance_id == Event.workflow_instance_id)
        .where(
            Event.reporter_id.in_(user_ids),
            WorkflowStep.actor_id == Event.reporter_id,
            WorkflowStep.action == "self_settle",
            WorkflowStep.at >= start,
            WorkflowStep.at < end,
        )
    )
    return (
        [(r, at) for r, at in session.execute(reported) if r is not None],
        [(a, at) for a, at in session.execute(settled) if a is not None],
    )


# --- What analytics reads: the facts its rollups count, and the cases behind a figure ------
# (analytics is a read-only layer above the features; the SQL on cases stays here.)

# Timeline actions whose presence the counters ask about (自办结, 返工, 升级).
FLAG_ACTIONS = ("self_settle", "rework", "escalate")
_SATISFACTION = Event.extra["satisfaction"].as_integer()


@dataclass(frozen=True)
class FactRow:
    """One case as the rollups see it."""

    id: int
    region_path: str
    category_code: str
    source: str
    department_id: int | None
    status: str
    level: str
    created_at: datetime
    deadline_at: datetime
    closed_at: datetime | None
    updated_at: datetime
    satisfaction: int | None


_FACT_COLUMNS = (
    Event.id,
    Event.region_path,
    Event.category_code,
    Event.source,
    Event.department_id,
    Event.status,
    Event.level,
    Event.created_at,
    Event.deadline_at,
    Event.closed_at,
    Event.updated_at,
    _SATISFACTION.label("satisfaction"),
)
_ID_CHUNK = 900


@unscoped("the analytics rollup is the platform's own job over every case; read through scope")
def fact_rows(session: Session, ids: list[int]) -> list[FactRow]:
    """The given cases as the rollups see them."""
    found: list[FactRow] = []
    for start in range(0, len(ids), _ID_CHUNK):
        stmt = select(*_FACT_COLUMNS).where(Event.id.in_(ids[start : start + _ID_CHUNK]))
        found += [FactRow(*row) for row in session.execute(stmt)]
    return found


@unscoped("the analytics rollup is the platform's own job over every case; read through scope")
def fact_rows_after(session: Session, after_id: int, limit: int) -> list[FactRow]:
    """The next ``limit`` cases by id after ``after_id`` (a full rebuild walks them all in
    batches, with no cursor left open between its writes)."""
    stmt = select(*_FACT_COLUMNS).where(Event.id > after_id).order_by(Event.id).limit(limit)
    return [FactRow(*row) for row in session.execute(stmt)]


_FLAGGED = (
    select(Event.id, WorkflowStep.action)
    .join(WorkflowStep, WorkflowStep.instance_id == Event.workflow_instance_id)
    .where(WorkflowStep.action.in_(FLAG_ACTIONS))
)


@unscoped("the analytics rollup is the platform's own job over every case; read through scope")
def flagged_actions(session: Session, ids: list[int]) -> list[tuple[int, str]]:
    """(case id, action) for each 自办结, 返工 and 升级 step of the given cases."""
    found: list[tuple[int, str]] = []
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = _FLAGGED.where(Event.id.in_(ids[start : start + _ID_CHUNK]))
        found += [(i, a) for i, a in session.execute(chunk)]
    return found


@unscoped("the analytics rollup is the platform's own job over every case; read through scope")
def flagged_actions_between(session: Session, first_id: int, last_id: int) -> list[tuple[int, str]]:
    """The same for the cases with ids in [first_id, last_id]."""
    stmt = _FLAGGED.where(Event.id >= first_id, Event.id <= last_id)
    return [(i, a) for i, a in session.execute(stmt)]


@unscoped("the analytics rollup is the platform's own job over every case; read through scope")
def changed_since(session: Session, since: datetime, after_id: int) -> list[int]:
    """Ids of the cases updated at or after ``since`` (``ix_events_updated_at``) or added
    with an id above ``after_id``."""
    stmt = select(Event.id).where(or_(Event.updated_at >= since, Event.id > after_id))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class CaseQuery:
    """The cases behind a rollup figure: the anchor's time in [start, end), the named
    conditions of ``analytics.indicators.CONDITIONS``, and the figure's filters."""

    anchor: str  # report, due or closed
    start: datetime
    end: datetime
    where: tuple[str, ...] = ()
    region_paths: tuple[str, ...] = ()
    category_code: str | None = None
    source: str | None = None
    department_id: int | None = None  # 0: cases with no department


_ANCHOR_COLUMNS = {"report": Event.created_at, "due": Event.deadline_at, "closed": Event.closed_at}
_SETTLED_STATES = ("reported", "voided", "suspended")


def _has_step(action: str) -> Any:
    return (
        select(WorkflowStep.id)
        .where(
            WorkflowStep.instance_id == Event.workflow_instance_id,
            WorkflowStep.action == action,
        )
        .exists()
    )


def _condition(name: str) -> Any:
    conditions: dict[str, Any] = {
        "voided": lambda: Event.status == "voided",
        "not_voided": lambda: Event.status != "voided",
        "accepted": lambda: Event.status.not_in(("reported", "voided")),
        "closed": lambda: Event.closed_at.is_not(None),
        "open": lambda: Event.closed_at.is_(None),
        "on_time": lambda: Event.closed_at <= Event.deadline_at,
        "self_settled": lambda: _has_step("self_settle"),
        "reworked": lambda: _has_step("rework"),
        "escalated": lambda: _has_step("escalate"),
        "rated": lambda: _SATISFACTION.is_not(None),
        "satisfied": lambda: _SATISFACTION >= 4,
        "dissatisfied": lambda: _SATISFACTION <= 2,
        "st_pending": lambda: Event.status == "reported",
        "st_suspended": lambda: Event.status == "suspended",
        "st_closed": lambda: Event.closed_at.is_not(None) & Event.status.not_in(_SETTLED_STATES),
        "st_in_progress": lambda: Event.closed_at.is_(None) & Event.status.not_in(_SETTLED_STATES),
    }
    if name.startswith("level_"):
        return Event.level == name.removeprefix("level_")
    return conditions[name]()


def _matching(scope: Scope, query: CaseQuery) -> Select[Event]:
    anchor = _ANCHOR_COLUMNS[query.anchor]
    # Analytics counts a case for its primary (主办) department only, so the department
    # dimension is the plain column here, not the events list's "leads or assists".
    stmt = apply_scope(
        select(Event), scope, region_path=Event.region_path, department_id=Event.department_id
    )
    conditions: list[Any] = [anchor >= query.start, anchor < query.end]
    conditions += [_condition(name) for name in query.where]
    if query.region_paths:
        conditions.append(or_(*(path_prefix(Event.region_path, p) for p in query.region_paths)))
    if query.category_code:
        conditions.append(path_prefix(Event.category_code, query.category_code))
    if query.source:
        conditions.append(Event.source == query.source)
    if query.department_id is not None:
        conditions.append(
            Event.department_id.is_(None)
            if query.department_id == 0
            else Event.department_id == query.department_id
        )
    return stmt.where(*conditions)


def cases_matching(
    session: Session, scope: Scope, query: CaseQuery, page: PageParams
) -> tuple[list[Event], int]:
    """One page of the cases behind a figure, newest first, and their exact number."""
    return fetch_page(session, _matching(scope, query), page, Event.id.desc())


def ids_matching(session: Session, scope: Scope, query: CaseQuery) -> list[int]:
    """Every id behind a figure (tests and exports check figures with it)."""
    stmt = _matching(scope, query).with_only_columns(Event.id).order_by(Event.id)
    return list(session.scalars(stmt))


def reporter_rows(
    session: Session, scope: Scope, query: CaseQuery, reporter_ids: list[int]
) -> list[tuple[int, int, datetime, datetime | None]]:
    """(reporter, id, created_at, closed_at) of the cases behind a figure that these accounts
    reported: the per-worker figures of the assessment (same predicate as the rollups)."""
    if not reporter_ids:
        return []
    stmt = (
        _matching(scope, query)
        .with_only_columns(Event.reporter_id, Event.id, Event.created_at, Event.closed_at)
        .where(Event.reporter_id.in_(reporter_ids))
        .order_by(Event.id)
    )
    return [(r, i, c, d) for r, i, c, d in session.execute(stmt) if r is not None]
