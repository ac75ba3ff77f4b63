"""Every query on the rollup tables: building them (writes) and summing them (scoped reads)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from gridgov.accounts.scope import Scope, apply_scope, path_prefix, unscoped
from gridgov.analytics.indicators import COUNTERS, Anchor
from gridgov.analytics.models import (
    MAX_UP,
    CaseFact,
    DailyRollup,
    MonthlyRollup,
    NodeDailyRollup,
    RollupState,
    TotalRollup,
)

FACT_COLUMNS = tuple(c.name for c in CaseFact.__table__.columns)
COUNTER_COLUMNS = tuple(c.name for c in COUNTERS)
KEY_COLUMNS = ("category_code", "source", "department_id")
# The daily table's column holding a grid's ancestor ``up`` levels above it.
DAILY_PATH_AT_UP = (
    DailyRollup.region_path,
    DailyRollup.up1_path,
    DailyRollup.up2_path,
    DailyRollup.up3_path,
    DailyRollup.up4_path,
)
FACT_PATH_COLUMNS = ("region_path", "up1_path", "up2_path", "up3_path", "up4_path")
_PAIR_CHUNK = 400
_DAY_BATCH = 40  # days recomputed together by an incremental run (nodes' rows and totals)
# The tables themselves: statements executed with parameters must be Core inserts (an ORM
# insert would read the parameters as rows).
_DAILY_TABLE: Table = DailyRollup.__table__  # type: ignore[assignment]
_MONTHLY_TABLE: Table = MonthlyRollup.__table__  # type: ignore[assignment]
_NODE_DAILY_TABLE: Table = NodeDailyRollup.__table__  # type: ignore[assignment]
_TOTALS_TABLE: Table = TotalRollup.__table__  # type: ignore[assignment]
DAY, MONTH = "day", "month"  # the grains of analytics_totals
_STATE_ID = 1

# --- building -----------------------------------------------------------------------------


def add_facts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Case facts straight to the driver (``executemany`` on SQLite, ``COPY`` on PostgreSQL):
    SQLAlchemy's per-row parameter handling costs more than the insert itself at 10⁵–10⁶
    rows."""
    if not rows:
        return
    raw: Any = session.connection().connection.driver_connection
    names = ", ".join(FACT_COLUMNS)
    table = CaseFact.__tablename__
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in FACT_COLUMNS])
        return
    values = [
        [v.isoformat() if isinstance(v, date) else v for v in (row[c] for c in FACT_COLUMNS)]
        for row in rows
    ]
    marks = ", ".join("?" for _ in FACT_COLUMNS)
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
    finally:
        cursor.close()


def delete_facts(session: Session, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        session.execute(delete(CaseFact).where(CaseFact.event_id.in_(chunk)))


ROLLUP_MODELS = (CaseFact, DailyRollup, MonthlyRollup, NodeDailyRollup, TotalRollup)


def clear_all(session: Session) -> None:
    for model in reversed(ROLLUP_MODELS):
        session.execute(delete(model))


def _secondary_indexes() -> list[Any]:
    tables: list[Any] = [m.__table__ for m in ROLLUP_MODELS]
    return [index for table in tables for index in table.indexes]


def delete_indexes(session: Session) -> None:
    """Before a full rebuild: indexes are cheaper built once over the rows than kept up row by
    row (the primary keys stay; rows arrive in their order)."""
    for index in _secondary_indexes():
        index.drop(bind=session.connection())


def add_indexes(session: Session) -> None:
    for index in _secondary_indexes():
        index.create(bind=session.connection())


@unscoped("the rollup job reads its own derived rows back to find the keys a case leaves")
def facts_of(session: Session, ids: Sequence[int]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    columns = [getattr(CaseFact, c) for c in FACT_COLUMNS]
    for start in range(0, len(ids), 900):
        stmt = select(*columns).where(CaseFact.event_id.in_(ids[start : start + 900]))
        found += [dict(row._mapping) for row in session.execute(stmt)]
    return found


def _fact_condition(name: str) -> ColumnElement[bool]:
    flags = {
        "voided": CaseFact.voided == 1,
        "not_voided": CaseFact.voided == 0,
        "accepted": CaseFact.accepted == 1,
        "closed": CaseFact.closed == 1,
        "open": CaseFact.closed == 0,
        "on_time": CaseFact.on_time == 1,
        "self_settled": CaseFact.self_settled == 1,
        "reworked": CaseFact.reworked == 1,
        "escalated": CaseFact.escalated == 1,
        "rated": CaseFact.satisfaction.is_not(None),
        "satisfied": CaseFact.satisfaction >= 4,
        "dissatisfied": CaseFact.satisfaction <= 2,
    }
    if name.startswith("level_"):
        return CaseFact.level == name.removeprefix("level_")
    if name.startswith("st_"):
        return CaseFact.status_group == name.removeprefix("st_")
    return flags[name]


_ANCHOR_DAYS = {
    Anchor.REPORT: (CaseFact.report_day, CaseFact.report_month),
    Anchor.DUE: (CaseFact.due_day, CaseFact.due_month),
    Anchor.CLOSED: (CaseFact.closed_day, CaseFact.closed_month),
}


def _anchor_rows(anchor: Anchor, one_day: bool) -> Select[Any]:
    """Each case's contribution on one anchor day: the counters of that anchor, zeros for the
    others; every case, or those of the given grids on one day."""
    day_column, month_column = _ANCHOR_DAYS[anchor]
    columns: list[Any] = [
        day_column.label("day"),
        month_column.label("month"),
        *(getattr(CaseFact, c) for c in FACT_PATH_COLUMNS),
        *(getattr(CaseFact, c) for c in KEY_COLUMNS),
    ]
    for counter in COUNTERS:
        if counter.anchor != anchor:
            columns.append(literal(0).label(counter.name))
            continue
        value: Any = getattr(CaseFact, counter.value) if counter.value else literal(1)
        if counter.where:
            condition = and_(*(_fact_condition(w) for w in counter.where))
            value = case((condition, value), else_=literal(0))
        columns.append(value.label(counter.name))
    if not one_day:
        return select(*columns).where(day_column.is_not(None))
    # One day and a list of grids: the (anchor day, region_path) index answers it.
    return select(*columns).where(
        day_column == bindparam("day"), CaseFact.region_path.in_(bindparam("grids", expanding=True))
    )


def _daily_insert(one_day: bool) -> Any:
    rows = union_all(*(_anchor_rows(a, one_day) for a in Anchor)).subquery()
    keys = ["day", "month", *FACT_PATH_COLUMNS, *KEY_COLUMNS]
    summed = select(
        *(rows.c[k] for k in keys), *(func.sum(rows.c[c]).label(c) for c in COUNTER_COLUMNS)
    ).group_by(*(rows.c[k] for k in keys))
    return insert(_DAILY_TABLE).from_select([*keys, *COUNTER_COLUMNS], summed)


# Built once: an incremental run executes them for every touched day, and building (and
# compiling) a statement of a hundred columns costs more than running it.
_STATEMENTS: dict[str, Any] = {}


def _statement(name: str, build: Any) -> Any:
    if name not in _STATEMENTS:
        _STATEMENTS[name] = build()
    return _STATEMENTS[name]


def update_daily_all(session: Session) -> None:
    session.execute(delete(DailyRollup))
    session.execute(_statement("daily_all", lambda: _daily_insert(False)))


def _by_first(pairs: Iterable[tuple[date, str]]) -> dict[date, list[str]]:
    grouped: dict[date, set[str]] = {}
    for first, second in pairs:
        grouped.setdefault(first, set()).add(second)
    return {k: sorted(v) for k, v in sorted(grouped.items())}


def update_daily(session: Session, pairs: Iterable[tuple[date, str]]) -> None:
    """Recompute the daily rows of these (day, grid) keys from the case facts, one day at a
    time."""
    for day, grids in _by_first(pairs).items():
        for start in range(0, len(grids), _PAIR_CHUNK):
            chunk = grids[start : start + _PAIR_CHUNK]
            session.execute(
                delete(DailyRollup).where(
                    DailyRollup.day == day, DailyRollup.region_path.in_(chunk)
                )
            )
            insert_day = _statement("daily_day", lambda: _daily_insert(True))
            session.execute(insert_day, {"day": day, "grids": chunk})


def _monthly_insert(up: int, one_month: bool) -> Any:
    path = DAILY_PATH_AT_UP[up]
    stmt = select(
        path,
        DailyRollup.month,
        *(getattr(DailyRollup, k) for k in KEY_COLUMNS),
        literal(up),
        *(func.sum(getattr(DailyRollup, c)) for c in COUNTER_COLUMNS),
    ).group_by(path, DailyRollup.month, *(getattr(DailyRollup, k) for k in KEY_COLUMNS))
    stmt = stmt.where(path.is_not(None))
    if one_month:
        stmt = stmt.where(
            DailyRollup.month == bindparam("month"), path.in_(bindparam("nodes", expanding=True))
        )
    names = ["region_path", "month", *KEY_COLUMNS, "up", *COUNTER_COLUMNS]
    return insert(_MONTHLY_TABLE).from_select(names, stmt)


def update_monthly_all(session: Session) -> None:
    session.execute(delete(MonthlyRollup))
    for up in range(len(DAILY_PATH_AT_UP)):
        session.execute(_statement(f"monthly_all_{up}", lambda up=up: _monthly_insert(up, False)))


def _monthly_from_below(up: int) -> Any:
    """One node's monthly rows from its children's (the level below, through the (up, month,
    region_path) index), for an incremental run."""
    below = MonthlyRollup
    stmt = (
        select(
            bindparam("node", type_=String()),
            below.month,
            *(getattr(below, k) for k in KEY_COLUMNS),
            literal(up),
            *(func.sum(getattr(below, c)) for c in COUNTER_COLUMNS),
        )
        .where(
            below.up == up - 1,
            below.month == bindparam("month"),
            below.region_path.like(bindparam("prefix")),
        )
        .group_by(below.month, *(getattr(below, k) for k in KEY_COLUMNS))
    )
    names = ["region_path", "month", *KEY_COLUMNS, "up", *COUNTER_COLUMNS]
    return insert(_MONTHLY_TABLE).from_select(names, stmt)


def update_monthly(session: Session, pairs_by_up: dict[int, set[tuple[date, str]]]) -> None:
    """Recompute the monthly rows of these (month, node) keys: the grids' from the daily rows,
    each level above from the one below it, in that order."""
    for up in sorted(pairs_by_up):
        for month, nodes in _by_first(pairs_by_up[up]).items():
            for start in range(0, len(nodes), _PAIR_CHUNK):
                chunk = nodes[start : start + _PAIR_CHUNK]
                session.execute(
                    delete(MonthlyRollup).where(
                        MonthlyRollup.month == month, MonthlyRollup.region_path.in_(chunk)
                    )
                )
                if up == 0:
                    grids = _statement("monthly_0", lambda: _monthly_insert(0, True))
                    session.execute(grids, {"month": month, "nodes": chunk})
                    continue
                above = _statement(f"monthly_up_{up}", lambda up=up: _monthly_from_below(up))
                for node in chunk:
                    if any(ch in node for ch in "%_\\"):
                        raise ValueError(f"region path with a LIKE wildcard: {node}")
                    session.execute(above, {"node": node, "month": month, "prefix": node + "%"})


def _node_daily_insert(up: int, one_day: bool) -> Any:
    """The daily rows of the nodes ``up`` levels above the grids, by category and source,
    summed from the grid rows (all days, or one day and a list of nodes)."""
    path = DAILY_PATH_AT_UP[up]
    parent: Any = DAILY_PATH_AT_UP[up + 1] if up < MAX_UP else literal(None, String())
    keys = (DailyRollup.day, DailyRollup.category_code, DailyRollup.source)
    stmt = (
        select(
            path,
            *keys,
            DailyRollup.month,
            literal(up),
            parent,
            *(func.sum(getattr(DailyRollup, c)) for c in COUNTER_COLUMNS),
        )
        .where(path.is_not(None))
        .group_by(path, *keys, DailyRollup.month, parent)
    )
    if one_day:
        stmt = stmt.where(
            DailyRollup.day.in_(bindparam("days", expanding=True)),
            path.in_(bindparam("nodes", expanding=True)),
        )
    names = ["region_path", "day", "category_code", "source", "month", "up", "parent_path"]
    return insert(_NODE_DAILY_TABLE).from_select([*names, *COUNTER_COLUMNS], stmt)


def _totals_insert(source: str, one_key: bool) -> Any:
    """Rows of ``analytics_totals``: a day's from the grid rows (``grids``) or the nodes' daily
    rows (``nodes``), a month's from the days' totals (``months``); everything, or one day
    or month and a list of nodes."""
    m: Any
    if source == "grids":
        m = DailyRollup
        keys = [m.region_path, m.day, m.month, m.up1_path]
        columns = [m.region_path, m.day, m.month, literal(0), m.up1_path]
        grain, first = DAY, m.day
    else:
        m = NodeDailyRollup if source == "nodes" else TotalRollup
        keys = [m.region_path, m.day if source == "nodes" else m.month, m.month, m.up]
        keys.append(m.parent_path)
        columns = [*keys[:3], m.up, m.parent_path]
        grain, first = (DAY, m.day) if source == "nodes" else (MONTH, m.month)
    stmt = select(
        literal(grain), *columns, *(func.sum(getattr(m, c)) for c in COUNTER_COLUMNS)
    ).group_by(*keys)
    if source == "months":
        stmt = stmt.where(m.grain == DAY)
    if one_key and source == "months":
        # The month's days by the primary key (grain, region_path, first_day).
        stmt = stmt.where(
            m.region_path.in_(bindparam("nodes", expanding=True)),
            m.first_day >= bindparam("first"),
            m.first_day < bindparam("after"),
        )
    elif one_key:
        stmt = stmt.where(
            first.in_(bindparam("days", expanding=True)),
            m.region_path.in_(bindparam("nodes", expanding=True)),
        )
    names = ["grain", "region_path", "first_day", "month", "up", "parent_path"]
    return insert(_TOTALS_TABLE).from_select([*names, *COUNTER_COLUMNS], stmt)


def update_nodes_all(session: Session) -> None:
    """Rebuild the nodes' daily rows and the totals from the grid rows (after the daily
    table)."""
    session.execute(delete(TotalRollup))
    session.execute(delete(NodeDailyRollup))
    for up in range(1, MAX_UP + 1):
        session.execute(_statement(f"nodes_all_{up}", lambda up=up: _node_daily_insert(up, False)))
    for source in ("grids", "nodes", "months"):
        session.execute(
            _statement(f"totals_all_{source}", lambda s=source: _totals_insert(s, False))
        )


def update_nodes(
    session: Session,
    days_by_up: dict[int, set[tuple[date, str]]],
    months_by_up: dict[int, set[tuple[date, str]]],
) -> None:
    """Recompute these (day, node) keys of the nodes' daily rows and the day totals, then
    these (month, node) keys of the month totals (after the grid rows of those days)."""
    for up in sorted(days_by_up):
        # Days in batches with the union of their nodes: every (day, node) of the batch is
        # deleted and recomputed (the untouched ones come back equal), in a few statements.
        by_day = _by_first(days_by_up[up])
        days = sorted(by_day)
        for begin in range(0, len(days), _DAY_BATCH):
            batch = days[begin : begin + _DAY_BATCH]
            nodes = sorted({n for d in batch for n in by_day[d]})
            for start in range(0, len(nodes), _PAIR_CHUNK):
                chunk = nodes[start : start + _PAIR_CHUNK]
                if up > 0:
                    session.execute(
                        delete(NodeDailyRollup).where(
                            NodeDailyRollup.day.in_(batch), NodeDailyRollup.region_path.in_(chunk)
                        )
                    )
                    build = _statement(
                        f"nodes_day_{up}", lambda up=up: _node_daily_insert(up, True)
                    )
                    session.execute(build, {"days": batch, "nodes": chunk})
                session.execute(
                    delete(TotalRollup).where(
                        TotalRollup.grain == DAY,
                        TotalRollup.first_day.in_(batch),
                        TotalRollup.region_path.in_(chunk),
                    )
                )
                source = "grids" if up == 0 else "nodes"
                totals = _statement(
                    f"totals_day_{source}", lambda s=source: _totals_insert(s, True)
                )
                session.execute(totals, {"days": batch, "nodes": chunk})
    for up in sorted(months_by_up):
        for month, nodes in _by_first(months_by_up[up]).items():
            for start in range(0, len(nodes), _PAIR_CHUNK):
                chunk = nodes[start : start + _PAIR_CHUNK]
                session.execute(
                    delete(TotalRollup).where(
                        TotalRollup.grain == MONTH,
                        TotalRollup.first_day == month,
                        TotalRollup.region_path.in_(chunk),
                    )
                )
                totals = _statement("totals_month", lambda: _totals_insert("months", True))
                after = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
                session.execute(totals, {"first": month, "after": after, "nodes": chunk})


@unscoped("the rollup job's own bookkeeping")
def get_state(session: Session) -> RollupState | None:
    return session.get(RollupState, _STATE_ID)


def update_state(session: Session, **values: Any) -> RollupState:
    state = session.get(RollupState, _STATE_ID)
    if state is None:
        state = RollupState(id=_STATE_ID, max_event_id=0, cases_seen=0)
        session.add(state)
    for key, value in values.items():
        setattr(state, key, value)
    session.flush()
    return state


@unscoped("sizes of the derived tables, for the rollup report; no case data")
def table_sizes(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in ROLLUP_MODELS
    }


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RollupFilter:
    category_code: str | None = None  # a leaf or a parent code (prefix)
    source: str | None = None
    department_id: int | None = None  # NO_DEPARTMENT: cases no department handles


GROUPS = ("category", "source", "department", "day", "month", "region")


def _group_column(model: Any, group: str, child_up: int | None) -> Any:
    if group == "region":
        if model is MonthlyRollup:
            return MonthlyRollup.region_path
        assert child_up is not None
        return DAILY_PATH_AT_UP[child_up]
    return {
        "category": model.category_code,
        "source": model.source,
        "department": model.department_id,
        "month": model.month,
        "day": DailyRollup.day,
    }[group]


def _filtered(stmt: Select[Any], model: Any, filters: RollupFilter) -> Select[Any]:
    if filters.category_code:
        stmt = stmt.where(path_prefix(model.category_code, filters.category_code))
    if filters.source:
        stmt = stmt.where(model.source == filters.source)
    if filters.department_id is not None:
        stmt = stmt.where(model.department_id == filters.department_id)
    return stmt


def sum_monthly(
    session: Session,
    scope: Scope,
    *,
    nodes: Sequence[str],
    first_month: date,
    last_month: date,
    counters: Sequence[str],
    group_by: Sequence[str] = (),
    child_up: int | None = None,
    filters: RollupFilter = RollupFilter(),
) -> list[tuple[Any, ...]]:
    """Counters summed over whole months [first_month, last_month] of the given nodes (their
    own rows), or, with ``child_up``, of their descendants at that depth, grouped."""
    model = MonthlyRollup
    groups = [_group_column(model, g, child_up).label(g) for g in group_by]
    sums = [func.sum(getattr(model, c)).label(c) for c in counters]
    stmt = apply_scope(
        select(*groups, *sums),
        scope,
        region_path=model.region_path,
        department_id=model.department_id,
    )
    if child_up is None:
        stmt = stmt.where(model.region_path.in_(nodes))
    else:
        stmt = stmt.where(
            model.up == child_up, or_(*(path_prefix(model.region_path, n) for n in nodes))
        )
    stmt = stmt.where(model.month >= first_month, model.month <= last_month)
    stmt = _filtered(stmt, model, filters)
    if groups:
        stmt = stmt.group_by(*groups)
    return [tuple(row) for row in session.execute(stmt)]


def sum_daily(
    session: Session,
    scope: Scope,
    *,
    nodes: Sequence[str],
    first_day: date,
    last_day: date,
    counters: Sequence[str],
    group_by: Sequence[str] = (),
    child_up: int | None = None,
    node_up: int | None = None,
    filters: RollupFilter = RollupFilter(),
) -> list[tuple[Any, ...]]:
    """Counters summed over the days [first_day, last_day] of the grids under the given nodes
    (each node matched on its own ancestor column, at ``node_up``), grouped."""
    model = DailyRollup
    groups = [_group_column(model, g, child_up).label(g) for g in group_by]
    sums = [func.sum(getattr(model, c)).label(c) for c in counters]
    stmt = apply_scope(
        select(*groups, *sums),
        scope,
        region_path=model.region_path,
        department_id=model.department_id,
    )
    if node_up is not None:
        stmt = stmt.where(DAILY_PATH_AT_UP[node_up].in_(nodes))
    else:
        stmt = stmt.where(or_(*(path_prefix(model.region_path, n) for n in nodes)))
    stmt = stmt.where(model.day >= first_day, model.day <= last_day)
    stmt = _filtered(stmt, model, filters)
    if groups:
        stmt = stmt.group_by(*groups)
    return [tuple(row) for row in session.execute(stmt)]


def _without_departments(stmt: Select[Any], reader: Scope) -> Select[Any]:
    """The tables without a department column answer no department reader (the services send
    those to the grid rows): hide everything rather than their whole area (called after
    ``apply_scope``)."""
    return stmt.where(false()) if reader.department_ids is not None else stmt


def sum_totals(
    session: Session,
    scope: Scope,
    *,
    grain: str,
    nodes: Sequence[str],
    first: date,
    last: date,
    counters: Sequence[str],
    group_by: Sequence[str] = (),
    child_up: int | None = None,
    node_up: int | None = None,
) -> list[tuple[Any, ...]]:
    """Counters of ``analytics_totals`` summed over the days (``grain`` "day") or months
    [first, last] of the given nodes' own rows, or with ``child_up`` of their descendants at
    that depth (children by ``parent_path``, deeper ones by path prefix), grouped by day,
    month or region. No category, source or department dimension."""
    model = TotalRollup
    columns: dict[str, Any] = {
        "day": model.first_day,
        "month": model.month,
        "region": model.region_path,
    }
    groups = [columns[g].label(g) for g in group_by]
    sums = [func.sum(getattr(model, c)).label(c) for c in counters]
    stmt = apply_scope(select(*groups, *sums), scope, region_path=model.region_path)
    stmt = _without_departments(stmt, scope).where(model.grain == grain)
    if child_up is None:
        stmt = stmt.where(model.region_path.in_(nodes))
    elif node_up is not None and child_up == node_up - 1:
        stmt = stmt.where(model.up == child_up, model.parent_path.in_(nodes))
    else:
        # A prefix by substring equality: LIKE would lead SQLite to the primary key's path
        # range (every day of every grid below); this reads the (grain, up, first_day) range.
        stmt = stmt.where(
            model.up == child_up,
            or_(*(func.substr(model.region_path, 1, len(n)) == n for n in nodes)),
        )
    stmt = stmt.where(model.first_day >= first, model.first_day <= last)
    if groups:
        stmt = stmt.group_by(*groups)
    return [tuple(row) for row in session.execute(stmt)]


def sum_node_daily(
    session: Session,
    scope: Scope,
    *,
    nodes: Sequence[str],
    first_day: date,
    last_day: date,
    counters: Sequence[str],
    group_by: Sequence[str] = (),
    filters: RollupFilter = RollupFilter(),
) -> list[tuple[Any, ...]]:
    """Counters summed over the days [first_day, last_day] of the given nodes above the grids
    (their own rows), grouped by category, source, day, month or region; no department."""
    if filters.department_id is not None:
        raise ValueError("analytics_node_daily has no department")
    model = NodeDailyRollup
    columns: dict[str, Any] = {
        "category": model.category_code,
        "source": model.source,
        "day": model.day,
        "month": model.month,
        "region": model.region_path,
    }
    groups = [columns[g].label(g) for g in group_by]
    sums = [func.sum(getattr(model, c)).label(c) for c in counters]
    stmt = apply_scope(select(*groups, *sums), scope, region_path=model.region_path)
    stmt = _without_departments(stmt, scope)
    stmt = stmt.where(model.region_path.in_(nodes), model.day >= first_day, model.day <= last_day)
    stmt = _filtered(stmt, model, filters)
    if groups:
        stmt = stmt.group_by(*groups)
    return [tuple(row) for row in session.execute(stmt)]
