"""绩效考核 API: the indicator library, schemes (admins and leaders write), monthly scores and
rankings (live or frozen), the rows behind a score part, snapshots and the XLSX export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from gridgov.assessment import export, services
from gridgov.assessment.indicators import BY_CODE, TARGET_LABELS, AssessmentIndicator, Item
from gridgov.assessment.models import Scheme, Snapshot
from gridgov.assessment.schemas import (
    DrillOut,
    FreezeIn,
    IndicatorOut,
    ItemOut,
    PartOut,
    SchemeIn,
    SchemeOut,
    ScoreBoardOut,
    ScoreRowOut,
    SnapshotOut,
)
from gridgov.http import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MonthParam = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM；默认本月")]
SchemeParam = Annotated[
    str | None, Query(max_length=40, description="方案编码；默认该对象类型的启用方案")
]
TargetParam = Annotated[
    str | None,
    Query(
        pattern="^(worker|grid|community|street|department)$",
        description="考核对象类型（指定方案时可省略）",
    ),
]
RegionParam = Annotated[str | None, Query(max_length=40, description="区域编码；默认本人管辖范围")]


def item_out(item: Item) -> ItemOut:
    spec = BY_CODE[item.indicator]
    return ItemOut(
        indicator=item.indicator,
        indicator_name=spec.name,
        unit=spec.unit,
        weight=item.weight,
        rule=item.rule,
        floor=item.floor,
        target=item.target,
        higher_is_better=spec.higher_is_better,
    )


def scheme_out(scheme: Scheme) -> SchemeOut:
    return SchemeOut(
        code=scheme.code,
        version=scheme.version,
        name=scheme.name,
        target_type=scheme.target_type,
        target_label=TARGET_LABELS.get(scheme.target_type, scheme.target_type),
        items=[item_out(Item.of(i)) for i in scheme.items],
        description=scheme.description,
        is_active=scheme.is_active,
        is_current=scheme.is_current,
        updated_at=scheme.updated_at,
        updated_by=scheme.updated_by,
    )


def indicator_out(i: AssessmentIndicator) -> IndicatorOut:
    return IndicatorOut(
        code=i.code,
        name=i.name,
        formula=i.formula,
        numerator=i.numerator,
        numerator_label=i.numerator_label,
        denominator=i.denominator,
        denominator_label=i.denominator_label,
        unit=i.unit,
        higher_is_better=i.higher_is_better,
        targets=list(i.targets),
        source=i.source,
        description=i.description,
    )


def board_out(board: services.ScoreBoard) -> ScoreBoardOut:
    return ScoreBoardOut(
        scheme=board.scheme_code,
        scheme_name=board.scheme_name,
        scheme_version=board.scheme_version,
        target_type=board.target_type,
        month=f"{board.month:%Y-%m}",
        start=board.first,
        end=board.last,
        frozen=board.frozen,
        frozen_at=board.frozen_at,
        area=board.area_name,
        items=[item_out(i) for i in board.items],
        rows=[
            ScoreRowOut(
                rank=r.rank,
                target_key=r.target_key,
                target_label=r.target_label,
                score=r.score,
                parts=[
                    PartOut(
                        indicator=p.indicator_code,
                        value=p.value,
                        numerator=p.numerator,
                        denominator=p.denominator,
                        weight=p.weight,
                        points=p.points,
                        weighted=None
                        if p.points is None
                        else round(p.weight * p.points / 100.0, 2),
                    )
                    for p in r.parts
                ],
            )
            for r in board.rows
        ],
    )


def snapshot_out(snapshot: Snapshot, created: bool | None = None) -> SnapshotOut:
    return SnapshotOut(
        id=snapshot.id,
        scheme=snapshot.scheme_code,
        month=f"{snapshot.month:%Y-%m}",
        target_type=snapshot.target_type,
        rows=snapshot.rows,
        frozen_at=snapshot.frozen_at,
        frozen_by=snapshot.frozen_by,
        created=created,
    )


@router.get("/indicators", response_model=list[IndicatorOut])
def get_indicators(actor: ActorDep, target_type: TargetParam = None) -> list[IndicatorOut]:
    """The indicator library: formula, numerator, denominator, unit, direction, targets."""
    return [
        indicator_out(i) for i in services.list_indicators(actor=actor, target_type=target_type)
    ]


@router.get("/schemes", response_model=list[SchemeOut])
def get_schemes(
    session: SessionDep, actor: ActorDep, target_type: TargetParam = None
) -> list[SchemeOut]:
    return [
        scheme_out(s) for s in services.list_schemes(session, actor=actor, target_type=target_type)
    ]


@router.post("/schemes", response_model=SchemeOut, status_code=201)
def post_scheme(data: SchemeIn, session: SessionDep, actor: ActorDep) -> SchemeOut:
    return scheme_out(services.create_scheme(session, data, actor=actor))


@router.post("/schemes/defaults", response_model=list[SchemeOut])
def post_defaults(session: SessionDep, actor: ActorDep) -> list[SchemeOut]:
    """Install the shipped schemes whose codes do not exist yet."""
    return [scheme_out(s) for s in services.install_defaults(session, actor=actor)]


@router.get("/schemes/{scheme_code}", response_model=list[SchemeOut])
def get_scheme(scheme_code: str, session: SessionDep, actor: ActorDep) -> list[SchemeOut]:
    """Every version of a scheme, newest (current) first."""
    return [scheme_out(s) for s in services.scheme_versions(session, scheme_code, actor=actor)]


@router.put("/schemes/{scheme_code}", response_model=SchemeOut)
def put_scheme(scheme_code: str, data: SchemeIn, session: SessionDep, actor: ActorDep) -> SchemeOut:
    """Change a scheme; a version used by frozen snapshots is kept and a new one made."""
    return scheme_out(services.update_scheme(session, scheme_code, data, actor=actor))


@router.delete("/schemes/{scheme_code}", status_code=204)
def delete_scheme(scheme_code: str, session: SessionDep, actor: ActorDep) -> Response:
    services.delete_scheme(session, scheme_code, actor=actor)
    return Response(status_code=204)


def _board(
    session: SessionDep,
    actor: ActorDep,
    scheme: str | None,
    target_type: str | None,
    month: str | None,
    region_code: str | None,
) -> services.ScoreBoard:
    return services.scores(
        session,
        actor=actor,
        scheme_code=scheme,
        target_type=target_type,
        month=services.parse_month(month),
        region_code=region_code,
    )


@router.get("/scores", response_model=ScoreBoardOut)
def get_scores(
    session: SessionDep,
    actor: ActorDep,
    scheme: SchemeParam = None,
    target_type: TargetParam = None,
    month: MonthParam = None,
    region_code: RegionParam = None,
) -> ScoreBoardOut:
    """A month's scores and ranking: frozen rows when the month is frozen, live otherwise."""
    return board_out(_board(session, actor, scheme, target_type, month, region_code))


@router.get("/scores.xlsx")
def get_scores_xlsx(
    session: SessionDep,
    actor: ActorDep,
    scheme: SchemeParam = None,
    target_type: TargetParam = None,
    month: MonthParam = None,
    region_code: RegionParam = None,
) -> Response:
    board = _board(session, actor, scheme, target_type, month, region_code)
    return Response(
        export.to_xlsx(board),
        media_type=XLSX_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="assessment-{board.scheme_code}-{board.month:%Y-%m}.xlsx"'
            ),
            "Cache-Control": "no-store",
        },
    )


@router.get("/scores/rows", response_model=DrillOut)
def get_drill(
    session: SessionDep,
    actor: ActorDep,
    target_key: Annotated[
        str, Query(max_length=40, description="考核对象编码（区域编码、部门或网格员 id）")
    ],
    indicator: Annotated[str, Query(max_length=40)],
    scheme: SchemeParam = None,
    month: MonthParam = None,
    part: Annotated[str, Query(pattern="^(numerator|denominator)$")] = "numerator",
    region_code: RegionParam = None,
) -> DrillOut:
    """The rows behind one part of a score (case, patrol or visit ids), read now."""
    found = services.drill(
        session,
        actor=actor,
        scheme_code=scheme,
        month=services.parse_month(month),
        target_key=target_key,
        indicator=indicator,
        part=part,
        region_code=region_code,
    )
    return DrillOut(
        kind=found.kind,
        counter=found.counter,
        label=found.label,
        total=len(found.ids),
        ids=found.ids[:2000],
        note=found.note,
        link=found.link,
    )


@router.get("/snapshots", response_model=list[SnapshotOut])
def get_snapshots(
    session: SessionDep, actor: ActorDep, scheme: SchemeParam = None
) -> list[SnapshotOut]:
    return [
        snapshot_out(s) for s in services.list_snapshots(session, actor=actor, scheme_code=scheme)
    ]


@router.post("/snapshots", response_model=SnapshotOut)
def post_snapshot(data: FreezeIn, session: SessionDep, actor: ActorDep) -> SnapshotOut:
    """Freeze a finished month of a scheme (idempotent: a frozen month is returned as is)."""
    frozen = services.freeze(session, data.scheme, services.parse_month(data.month), actor=actor)
    return snapshot_out(frozen.snapshot, frozen.created)
