"""Intake channels that are not a person filling in a form: the 12345 hotline batch import and
the sensor/video alarm webhook. Both end in the one intake service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from gridgov.events import alarms, hotline, services
from gridgov.events.models import Source
from gridgov.http import ActorDep, CipherDep, SessionDep, SettingsDep
from gridgov.kit.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["events"])


class RowErrorOut(BaseModel):
    row: int = Field(description="row number as a spreadsheet shows it (the header is row 1)")
    column: str = Field(description="the column's header in the file")
    code: str
    message: str


class CaseRefOut(BaseModel):
    row: int
    order_no: str
    event_id: int
    code: str
    created: bool = Field(description="false: imported before (the same 工单编号)")


class HotlineReportOut(BaseModel):
    file: str
    dry_run: bool
    skip_invalid: bool
    rows: int = Field(description="work orders in the file")
    valid: int = Field(description="new rows that passed every check")
    created: int = Field(description="cases created now")
    already_imported: int = Field(description="rows whose 工单编号 was imported before")
    invalid: int = Field(description="rows with at least one problem")
    written: bool
    seconds: float
    errors: list[RowErrorOut] = Field(
        description=f"every problem (the first {hotline.MAX_ERRORS:,})"
    )
    cases: list[CaseRefOut] = Field(
        description=f"the cases of the rows (first {hotline.MAX_CASES:,})"
    )


@router.post(
    "/events/import",
    response_model=HotlineReportOut,
    summary="12345热线工单批量导入（CSV/XLSX；先全部校验，可试运行；工单编号防重复）",
    responses={
        413: {"description": f"文件超过 {hotline.MAX_BYTES // (1024 * 1024)} MB"},
        422: {
            "description": "文件无法读取、缺少必需列、超过行数上限，或有错误行"
            "（import_rejected：未写入任何数据，details.report 列出每个错误行）"
        },
    },
)
def import_hotline(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    cipher: CipherDep,
    file: Annotated[UploadFile, File(description="12345 工单导出：CSV（UTF-8/GBK）或 XLSX")],
    dry_run: Annotated[bool, Query(description="只校验并报告，不写入")] = False,
    skip_invalid: Annotated[bool, Query(description="导入合格行，报告错误行")] = False,
    crs: Annotated[
        Literal["gcj02", "wgs84", "bd09"], Query(description="没有坐标系列时经纬度的坐标系")
    ] = "gcj02",
) -> HotlineReportOut:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > hotline.MAX_BYTES + 1024 * 1024:
        raise hotline.PayloadTooLarge(
            f"文件超过 {hotline.MAX_BYTES // (1024 * 1024)} MB，请分批导入",
            max_bytes=hotline.MAX_BYTES,
        )
    content = file.file.read(hotline.MAX_BYTES + 1)
    report = hotline.import_workorders(
        session,
        content,
        file.filename or "",
        actor=actor,
        cipher=cipher,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        crs=crs,
    )
    out = HotlineReportOut.model_validate(asdict(report))
    if report.rejected:
        raise InvalidInput(
            f"共 {report.invalid} 行有错误，未导入任何工单：请修正后重新导入，或选择跳过错误行",
            code="import_rejected",
            report=out.model_dump(mode="json"),
        )
    return out


class AlarmOut(BaseModel):
    outcome: Literal["created", "repeat", "duplicate"] = Field(
        description="created: a new case; repeat: counted on the device's open case; "
        "duplicate: this alarm_id was received before"
    )
    event_id: int
    event_code: str
    status: str
    grid_code: str
    source: Source
    alarms: int = Field(description="alarms counted on the case so far")


async def signed_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw body, once the shared-secret signature over it has been checked."""
    alarms.require_enabled(settings.alarm_webhook_secret)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > alarms.MAX_BODY_BYTES:
        raise alarms.PayloadTooLarge(f"请求体超过 {alarms.MAX_BODY_BYTES // 1024} KB")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > alarms.MAX_BODY_BYTES:
            raise alarms.PayloadTooLarge(f"请求体超过 {alarms.MAX_BODY_BYTES // 1024} KB")
    alarms.verify(
        settings.alarm_webhook_secret,
        body,
        request.headers.get(alarms.SIGNATURE_HEADER),
        request.headers.get(alarms.TIMESTAMP_HEADER),
        tolerance_seconds=settings.alarm_webhook_tolerance_seconds,
    )
    return body


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema with its $defs written in place, for the OpenAPI request body."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(defs[node["$ref"].split("/")[-1]]))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


@router.post(
    "/webhooks/alarms",
    response_model=AlarmOut,
    status_code=201,
    summary="物联感知/视频分析告警接入（HMAC-SHA256 签名，不使用账号登录）",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": _inline(alarms.AlarmIn.model_json_schema())}
            },
        },
        "parameters": [
            {
                "name": alarms.SIGNATURE_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "sha256=<hex of HMAC-SHA256(secret, timestamp + '.' + raw body)>",
            },
            {
                "name": alarms.TIMESTAMP_HEADER,
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "Unix seconds when the request was signed",
            },
        ],
    },
    responses={
        200: {"description": "重复告警：计入该设备未办结的案件，或同一 alarm_id 已接收"},
        401: {"description": "签名缺失或不正确，或时间戳超出允许范围"},
        422: {"description": "告警内容不合法，或位置不在本辖区"},
        503: {"description": "未设置 GRIDGOV_ALARM_WEBHOOK_SECRET，接入未启用"},
    },
)
def receive_alarm(
    body: Annotated[bytes, Depends(signed_body)], session: SessionDep
) -> AlarmOut | JSONResponse:
    try:
        alarm = alarms.AlarmIn.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    result = alarms.receive_alarm(session, alarm, actor=alarms.sensor_actor())
    event = result.event
    out = AlarmOut(
        outcome=result.outcome,
        event_id=event.id,
        event_code=event.code,
        status=event.status,
        grid_code=event.region_path.rstrip("/").split("/")[-1],
        source=Source(event.source),
        alarms=result.alarms,
    )
    if result.outcome != "created":
        return JSONResponse(out.model_dump(mode="json"), status_code=200)
    return out


class SuggestionOut(BaseModel):
    code: str
    name: str
    parent_code: str | None
    confidence: float = Field(description="0–1; model: a probability, rules: a keyword share")
    by: Literal["model", "rules"]


@router.get(
    "/events/classify-suggestions",
    response_model=list[SuggestionOut],
    summary="类别建议：按标题和描述给出最可能的三个小类及置信度（上报时选择类别用）",
)
def classify_suggestions(
    session: SessionDep,
    actor: ActorDep,
    title: Annotated[str, Query(max_length=200)] = "",
    description: Annotated[str, Query(max_length=1000, description="前 1000 字即可")] = "",
) -> list[SuggestionOut]:
    return [
        SuggestionOut(
            code=s.category.code,
            name=s.category.name,
            parent_code=s.category.parent_code,
            confidence=s.confidence,
            by="model" if s.by == "model" else "rules",
        )
        for s in services.suggest_categories(session, title, description, actor=actor)
    ]
