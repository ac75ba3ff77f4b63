"""Every query on the rollup tables: building them (writes) and summing them (scoped reads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    Table,
    and_,
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
        found += [dict(zip(FACT_COLUMNS, row, strict=True)) for row in session.execute(stmt)]
    return found


# The yes/no facts the counters' conditions name: a 0/1 column of the case facts and the value
# it must have (``level_*`` and ``st_*`` compare the level and status group, the ``rated``
# family the satisfaction score). ``_fact_condition`` (SQL, the full build) and
# ``_fact_holds`` (Python, the incremental deltas) both read this table.
_FLAG_FACTS = {
    "voided": ("voided", 1),
    "not_voided": ("voided", 0),
    "accepted": ("accepted", 1),
    "closed": ("closed", 1),
    "open": ("closed", 0),
    "on_time": ("on_time", 1),
    "self_settled": ("self_settled", 1),
    "reworked": ("reworked", 1),
    "escalated": ("escalated", 1),
}


def _fact_condition(name: str) -> ColumnElement[bool]:
    if name.startswith("level_"):
        return CaseFact.level == name.removeprefix("level_")
    if name.startswith("st_"):
        return CaseFact.status_group == name.removeprefix("st_")
    if name == "rated":
        return CaseFact.satisfaction.is_not(None)
    if name == "satisfied":
        return CaseFact.satisfaction >= 4
    if name == "dissatisfied":
        return CaseFact.satisfaction <= 2
    column, value = _FLAG_FACTS[name]
    flag: ColumnElement[int] = getattr(CaseFact, column)
    return flag == value


def _fact_holds(name: str, fact: dict[str, Any]) -> bool:
    """``_fact_condition`` of one case's facts (a row of ``analytics_case_facts``)."""
    if name.startswith("level_"):
        return bool(fact["level"] == name.removeprefix("level_"))
    if name.startswith("st_"):
        return bool(fact["status_group"] == name.removeprefix("st_"))
    score = fact["satisfaction"]
    if name == "rated":
        return score is not None
    if name == "satisfied":
        return score is not None and score >= 4
    if name == "dissatisfied":
        return score is not None and score <= 2
    column, value = _FLAG_FACTS[name]
    return bool(fact[column] == value)


_ANCHOR_DAYS = {
    Anchor.REPORT: (CaseFact.report_day, CaseFact.report_month),
    Anchor.DUE: (CaseFact.due_day, CaseFact.due_month),
    Anchor.CLOSED: (CaseFact.closed_day, CaseFact.closed_month),
}


def _anchor_rows(anchor: Anchor) -> Select[Any]:
    """Each case's contribution on one anchor day: the counters of that anchor, zeros for the
    others."""
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
    return select(*columns).where(day_column.is_not(None))


def _daily_insert() -> Any:
    rows = union_all(*(_anchor_rows(a) for a in Anchor)).subquery()
    keys = ["day", "month", *FACT_PATH_COLUMNS, *KEY_COLUMNS]
    summed = select(
        *(rows.c[k] for k in keys), *(func.sum(rows.c[c]).label(c) for c in COUNTER_COLUMNS)
    ).group_by(*(rows.c[k] for k in keys))
    return insert(_DAILY_TABLE).from_select([*keys, *COUNTER_COLUMNS], summed)


def update_daily_all(session: Session) -> None:
    session.execute(delete(DailyRollup))
    session.execute(_daily_insert())


def _monthly_insert(up: int) -> Any:
    path = DAILY_PATH_AT_UP[up]
    stmt = select(
        path,
        DailyRollup.month,
        *(getattr(DailyRollup, k) for k in KEY_COLUMNS),
        literal(up),
        *(func.sum(getattr(DailyRollup, c)) for c in COUNTER_COLUMNS),
    ).group_by(path, DailyRollup.month, *(getattr(DailyRollup, k) for k in KEY_COLUMNS))
    stmt = stmt.where(path.is_not(None))
    names = ["region_path", "month", *KEY_COLUMNS, "up", *COUNTER_COLUMNS]
    return insert(_MONTHLY_TABLE).from_select(names, stmt)


def update_monthly_all(session: Session) -> None:
    session.execute(delete(MonthlyRollup))
    for up in range(len(DAILY_PATH_AT_UP)):
        session.execute(_monthly_insert(up))


def _node_daily_insert(up: int) -> Any:
    """The daily rows of the nodes ``up`` levels above the grids, by category and source,
    summed from the grid rows."""
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
    names = ["region_path", "day", "category_code", "source", "month", "up", "parent_path"]
    return insert(_NODE_DAILY_TABLE).from_select([*names, *COUNTER_COLUMNS], stmt)


def _totals_insert(source: str) -> Any:
    """Rows of ``analytics_totals``: the days' from the grid rows (``grids``) or the nodes'
    daily rows (``nodes``), the months' from the days' totals (``months``)."""
    m: Any
    if source == "grids":
        m = DailyRollup
        keys = [m.region_path, m.day, m.month, m.up1_path]
        columns = [m.region_path, m.day, m.month, literal(0), m.up1_path]
        grain = DAY
    else:
        m = NodeDailyRollup if source == "nodes" else TotalRollup
        keys = [m.region_path, m.day if source == "nodes" else m.month, m.month, m.up]
        keys.append(m.parent_path)
        columns = [*keys[:3], m.up, m.parent_path]
        grain = DAY if source == "nodes" else MONTH
    stmt = select(
        literal(grain), *columns, *(func.sum(getattr(m, c)) for c in COUNTER_COLUMNS)
    ).group_by(*keys)
    if source == "months":
        stmt = stmt.where(m.grain == DAY)
    names = ["grain", "region_path", "first_day", "month", "up", "parent_path"]
    return insert(_TOTALS_TABLE).from_select([*names, *COUNTER_COLUMNS], stmt)


def update_nodes_all(session: Session) -> None:
    """Rebuild the nodes' daily rows and the totals from the grid rows (after the daily
    table)."""
    session.execute(delete(TotalRollup))
    session.execute(delete(NodeDailyRollup))
    for up in range(1, MAX_UP + 1):
        session.execute(_node_daily_insert(up))
    for source in ("grids", "nodes", "months"):
        session.execute(_totals_insert(source))


# --- incremental: deltas ------------------------------------------------------------------
#
# A case that changed leaves the rollup keys its old facts counted it under and joins those of
# its new facts. An incremental run adds (new facts' counters − old facts' counters) to every
# key of every table, grouped in Python (a thousand cases make a few thousand keys per table),
# then drops the rows no case is counted under any more. Each row of every table counts at
# least one case on one of its anchor days (reported, due or closed), so a row whose three
# anchor counters are all zero holds no case and goes; every other row is exactly the sum of
# the facts under its key, as the full build makes it.

_ANCHOR_COUNTERS = {anchor: [c for c in COUNTERS if c.anchor == anchor] for anchor in Anchor}
# One counter per anchor that is 1 for every case on that anchor day.
_PRESENCE = ("reported", "due", "closed")
_COUNTER_INDEX = {name: i for i, name in enumerate(COUNTER_COLUMNS)}
_TABLES: tuple[Table, ...] = (_DAILY_TABLE, _MONTHLY_TABLE, _NODE_DAILY_TABLE, _TOTALS_TABLE)
_Key = tuple[Any, ...]
# Per table: key → (the row's other columns, the nonzero counters to add).
_Found = dict[_Key, tuple[dict[str, Any], dict[str, int]]]
_Deltas = dict[str, _Found]


def _counters_on(fact: dict[str, Any], anchor: Anchor, sign: int) -> dict[str, int]:
    """The counters one case adds on one anchor day (times ``sign``), the nonzero ones."""
    values: dict[str, int] = {}
    for counter in _ANCHOR_COUNTERS[anchor]:
        if all(_fact_holds(w, fact) for w in counter.where):
            value = int(fact[counter.value] or 0) if counter.value else 1
            if value:
                values[counter.name] = sign * value
    return values


def _add(found: _Found, key: _Key, extra: dict[str, Any], values: dict[str, int]) -> None:
    row = found.get(key)
    if row is None:
        found[key] = (extra, dict(values))
        return
    sums = row[1]
    for name, value in values.items():
        sums[name] = sums.get(name, 0) + value


def _collect(daily: _Found, fact: dict[str, Any], sign: int) -> None:
    """One case's counts (``sign`` -1: as last counted, +1: as now) under its grid's daily
    keys (the grid's ancestors ride along for the levels above)."""
    paths = [fact[c] for c in FACT_PATH_COLUMNS]
    ancestors = dict(zip(FACT_PATH_COLUMNS[1:], paths[1:], strict=True))
    for anchor in Anchor:
        day = fact[f"{anchor.value}_day"]
        if day is None:
            continue
        key = (day, paths[0], *(fact[c] for c in KEY_COLUMNS))
        _add(
            daily, key, {"month": day.replace(day=1), **ancestors}, _counters_on(fact, anchor, sign)
        )


def _fan_out(deltas: _Deltas) -> None:
    """The grid days' deltas added up under every node's monthly, daily and total keys."""
    daily, monthly, nodes, totals = (deltas[t.name] for t in _TABLES)
    for (day, grid, category, source, department), (extra, values) in daily.items():
        if not any(values.values()):
            continue  # the case's counts stay under this key (re-read, or moved within it)
        month = extra["month"]
        paths = [grid, *(extra[c] for c in FACT_PATH_COLUMNS[1:])]
        for up, path in enumerate(paths):
            if path is None:
                continue
            parent = paths[up + 1] if up < MAX_UP else None
            above = {"month": month, "up": up, "parent_path": parent}
            _add(monthly, (path, month, category, source, department), {"up": up}, values)
            if up > 0:
                _add(nodes, (path, day, category, source), above, values)
            _add(totals, (DAY, path, day), above, values)
            _add(totals, (MONTH, path, month), above, values)


def _apply(session: Session, table: Table, found: _Found) -> None:
    """Add each key's counters to its row (inserting the rows new keys need), then delete the
    rows whose cases all left. Plain SQL straight to the driver, in the same form on SQLite
    and PostgreSQL: SQLAlchemy's per-row parameter handling costs more than the upserts
    themselves at 10⁴ rows."""
    keys = [c.name for c in table.primary_key.columns]
    extras = [c.name for c in table.columns if c.name not in keys + list(COUNTER_COLUMNS)]
    names = [*keys, *extras, *COUNTER_COLUMNS]
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite's driver takes dates as ISO text (how SQLAlchemy stores them there).
    dates = [i for i, n in enumerate(names) if sqlite and isinstance(table.c[n].type, Date)]
    rows: list[tuple[Any, ...]] = []
    shrunk: list[tuple[Any, ...]] = []
    first, zeros = len(keys) + len(extras), [0] * len(COUNTER_COLUMNS)
    for key, (extra, sums) in found.items():
        if not any(sums.values()):
            continue  # cases that moved within the key
        row = [*key, *(extra[n] for n in extras), *zeros]
        for name, value in sums.items():
            row[first + _COUNTER_INDEX[name]] = value
        for i in dates:
            row[i] = row[i].isoformat() if row[i] is not None else None
        rows.append(tuple(row))
        if any(sums.get(c, 0) < 0 for c in _PRESENCE):  # maybe no case left
            shrunk.append(tuple(row[: len(keys)]))
    mark = "?" if sqlite else "%s"
    if rows:
        added = ", ".join(f"{c} = {table.name}.{c} + excluded.{c}" for c in COUNTER_COLUMNS)
        upsert = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join(mark for _ in names)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}"
        )
        session.connection().exec_driver_sql(upsert, rows)
    if shrunk:
        where = [f"{k} = {mark}" for k in keys] + [f"{c} = 0" for c in _PRESENCE]
        empty = f"DELETE FROM {table.name} WHERE {' AND '.join(where)}"
        session.connection().exec_driver_sql(empty, shrunk)


def bump_rollups(
    session: Session, old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Move the changed cases' counts in every rollup table from the keys of their old facts
    (as last counted) to those of their new facts; the keys touched per table."""
    deltas: _Deltas = {t.name: {} for t in _TABLES}
    daily = deltas[_DAILY_TABLE.name]
    for fact in old:
        _collect(daily, fact, -1)
    for fact in new:
        _collect(daily, fact, 1)
    _fan_out(deltas)
    for table in _TABLES:
        _apply(session, table, deltas[table.name])
    return {name: len(found) for name, found in deltas.items()}


@unscoped("the rollup job's own bookkeeping")
def get_state(session: Session, *, lock: bool = False) -> RollupState | None:
    """The job's state; ``lock`` holds its row to the end of the transaction (PostgreSQL), so
    that two runs at once take turns (SQLite lets one writer at a time anyway): a run adds
    deltas to the rollups, and two adding the same cases' deltas would count them twice."""
    return session.get(RollupState, _STATE_ID, with_for_update=lock or None)


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
