"""12345 hotline batch import: CSV (UTF-8, GB18030) and XLSX in, cases out through intake;
every bad row reported before anything is written; re-imports create nothing."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov import config, db
from gridgov.audit.models import AuditEntry
from gridgov.cli import app as cli_app
from gridgov.events import hotline
from gridgov.events.models import Event
from gridgov.kit.crypto import FieldCipher
from gridgov.kit.geo import wgs84_to_gcj02
from tests.browser import BROWSER_ARGS, chromium, serving
from tests.conftest import DEMO_PASSWORD, Auth

Fresh = tuple[TestClient, Auth, Engine]
HEADERS = ["工单编号", "来电时间", "标题", "诉求内容", "事发地址", "经度", "纬度", "事件类别"]
HEADERS += ["紧急程度", "来电人电话"]
OWN_GRID = "370811002001001"  # 许庄街道
OTHER_GRID = "370811006001001"  # 南张街道


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def _inside(client: TestClient, auth: Auth, grid: str) -> tuple[float, float]:
    """A WGS-84 point inside the grid."""
    body = client.get(f"/api/v1/regions/{grid}", headers=auth("admin")).json()
    point = shapely.geometry.shape(body["geometry"]).representative_point()
    return point.x, point.y


def _gcj(client: TestClient, auth: Auth, grid: str) -> tuple[str, str]:
    """The same point as a hotline export has it: GCJ-02, as text."""
    lon, lat = wgs84_to_gcj02(*_inside(client, auth, grid))
    return f"{lon:.7f}", f"{lat:.7f}"


def _row(order_no: str, where: tuple[str, str], **fields: str) -> list[str]:
    values = {
        "工单编号": order_no,
        "来电时间": "2024-05-01 09:30",
        "标题": "",
        "诉求内容": "小区门口井盖丢失，晚上有人差点掉下去",
        "事发地址": "",
        "经度": where[0],
        "纬度": where[1],
        "事件类别": "",
        "紧急程度": "",
        "来电人电话": "",
        **fields,
    }
    return [values[h] for h in HEADERS]


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig", headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    name: str = "12345.csv",
    **params: Any,
) -> Any:
    return client.post(
        "/api/v1/events/import",
        params={k: str(v).lower() for k, v in params.items()},
        files={"file": (name, content)},
        headers=headers,
    )


def _count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Event)) or 0


def _events(engine: Engine, order_nos: list[str]) -> dict[str, Event]:
    with Session(engine) as session:
        rows = session.scalars(select(Event).where(Event.idempotency_key.in_(order_nos)))
        return {e.idempotency_key or "": e for e in rows}


def _cipher(client: TestClient) -> FieldCipher:
    return FieldCipher(client.app.state.settings.effective_data_key())  # type: ignore[attr-defined]


def test_csv_import_creates_hotline_cases_through_intake(ctx: Fresh) -> None:
    client, auth, engine = ctx
    own, other = _gcj(client, auth, OWN_GRID), _gcj(client, auth, OTHER_GRID)
    rows = [
        _row("RX-CSV-1", own, 事件类别="0301", 紧急程度="紧急", 来电人电话="138-0000-1234"),
        _row(
            "RX-CSV-2",
            other,
            标题="楼下烧烤店油烟",
            诉求内容="每天晚上烧烤店油烟和噪音扰民",
            事件类别="噪音扰民",
        ),
        _row("RX-CSV-3", own, 诉求内容="路边垃圾堆放很久没人清理，气味很大"),
    ]
    response = _upload(client, auth("operator"), _csv(rows))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["rows"], report["created"], report["already_imported"], report["invalid"]) == (
        3,
        3,
        0,
        0,
    )
    assert [c["order_no"] for c in report["cases"]] == ["RX-CSV-1", "RX-CSV-2", "RX-CSV-3"]
    events = _events(engine, ["RX-CSV-1", "RX-CSV-2", "RX-CSV-3"])
    assert {e.source for e in events.values()} == {"hotline"}
    first, second, third = events["RX-CSV-1"], events["RX-CSV-2"], events["RX-CSV-3"]
    # GCJ-02 coordinates were converted: the cases lie in the grids the points were taken from.
    assert first.region_path.endswith(f"/{OWN_GRID}/")
    assert second.region_path.endswith(f"/{OTHER_GRID}/")
    assert (first.category_code, first.classified_by, first.urgency) == (
        "0301",
        "reporter",
        "urgent",
    )
    assert (second.category_code, second.title) == ("0203", "楼下烧烤店油烟")
    assert third.category_code == "0101" and third.classified_by == "rules"
    assert third.title == "路边垃圾堆放很久没人清理，气味很大"[: hotline.TITLE_FROM_CONTENT]
    detail = client.get(f"/api/v1/events/{first.id}", headers=auth("operator")).json()
    assert detail["source"] == "hotline" and detail["grid_code"] == OWN_GRID
    assert [s["action"] for s in detail["timeline"]] == ["start"]
    # The caller's phone is kept encrypted and masked, never in clear.
    info = first.extra["hotline"]
    assert info["order_no"] == "RX-CSV-1" and info["caller_phone_masked"] == "138****1234"
    assert _cipher(client).decrypt(info["caller_phone_cipher"]) == "13800001234"
    assert "13800001234" not in json.dumps(first.extra) and "13800001234" not in str(detail)
    assert info["called_at"].startswith("2024-05-01T09:30:00+08:00")


def test_xlsx_import_with_typed_cells(ctx: Fresh) -> None:
    client, auth, engine = ctx
    lon, lat = _inside(client, auth, OWN_GRID)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["12345热线工单明细（2024年5月）"])  # a title line above the header
    sheet.append(["工单编号", "来电时间", "标题", "经度", "纬度", "坐标系", "紧急程度", "备注"])
    # Numbers, a real date cell and a column the import does not know, as Excel exports them.
    sheet.append(
        [20240501777, datetime(2024, 5, 1, 8, 15), "路灯不亮", lon, lat, "wgs84", "特急", "x"]
    )
    sheet.append([20240501778, None, "井盖破损", lon, lat, "WGS-84", None, None])
    out = io.BytesIO()
    book.save(out)
    response = _upload(client, auth("operator"), out.getvalue(), name="工单.xlsx")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert [c["row"] for c in response.json()["cases"]] == [3, 4]
    events = _events(engine, ["20240501777", "20240501778"])
    assert events["20240501777"].category_code == "0302"
    assert events["20240501777"].urgency == "critical"
    assert events["20240501777"].extra["hotline"]["called_at"].startswith("2024-05-01T08:15")
    assert events["20240501778"].region_path.endswith(f"/{OWN_GRID}/")


def test_gb18030_file_with_english_headers(ctx: Fresh) -> None:
    client, auth, engine = ctx
    lon, lat = _gcj(client, auth, OWN_GRID)
    content = _csv(
        [["RX-GBK-1", "占道经营堵塞人行道", "菜市场门口流动摊贩占道经营", lon, lat, "urgent"]],
        encoding="gb18030",
        headers=["order_no", "title", "content", "lon", "lat", "urgency"],
    )
    response = _upload(client, auth("operator"), content)
    assert response.status_code == 200, response.text
    event = _events(engine, ["RX-GBK-1"])["RX-GBK-1"]
    assert (event.title, event.category_code) == ("占道经营堵塞人行道", "0201")
    assert event.description == "菜市场门口流动摊贩占道经营"


def _bad_file(client: TestClient, auth: Auth, prefix: str) -> bytes:
    own = _gcj(client, auth, OWN_GRID)
    return _csv(
        [
            _row(f"{prefix}-1", own),  # row 2: good
            _row("", own),  # row 3: no work-order number
            _row(f"{prefix}-3", own, 事件类别="不存在的类别", 紧急程度="很急"),  # two problems
            _row(f"{prefix}-4", ("118.0", "36.0")),  # outside the district
            _row(f"{prefix}-5", ("", ""), 事发地址="无此地址路999号"),  # not geocodable
            _row(f"{prefix}-1", own),  # row 7: the same number again
            _row(f"{prefix}-7", own, 来电人电话="12ab", 来电时间="昨天下午"),
            _row(f"{prefix}-8", own, 事件类别="市容环境"),  # a top-level class
            _row(f"{prefix}-9", ("", "")),  # no location at all
            _row(f"{prefix}-10", own),  # row 11: good
        ]
    )


def test_bad_rows_are_all_reported_and_nothing_is_written(ctx: Fresh) -> None:
    client, auth, engine = ctx
    before = _count(engine)
    response = _upload(client, auth("operator"), _bad_file(client, auth, "RX-BAD"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    report = error["details"]["report"]
    assert (report["rows"], report["invalid"], report["created"], report["valid"]) == (10, 8, 0, 2)
    assert not report["written"]
    found = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert found == {
        (3, "工单编号", "missing_required"),
        (4, "事件类别", "unknown_category"),
        (4, "紧急程度", "bad_urgency"),
        (5, "经度", "outside_territory"),
        (6, "事发地址", "address_not_found"),
        (7, "工单编号", "duplicate_order_no"),
        (8, "来电人电话", "bad_phone"),
        (8, "来电时间", "bad_datetime"),
        (9, "事件类别", "category_not_leaf"),
        (10, "经度", "missing_location"),
    }
    assert all(e["message"] for e in report["errors"])
    assert _count(engine) == before
    assert _events(engine, ["RX-BAD-1", "RX-BAD-10"]) == {}


def test_skip_invalid_imports_the_good_rows(ctx: Fresh) -> None:
    client, auth, engine = ctx
    before = _count(engine)
    content = _bad_file(client, auth, "RX-SKIP")
    response = _upload(client, auth("operator"), content, skip_invalid=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["created"], report["invalid"], report["written"]) == (2, 8, True)
    assert len({e["row"] for e in report["errors"]}) == 8
    assert _count(engine) == before + 2
    assert set(_events(engine, ["RX-SKIP-1", "RX-SKIP-10", "RX-SKIP-3"])) == {
        "RX-SKIP-1",
        "RX-SKIP-10",
    }


def test_dry_run_reports_and_writes_nothing(ctx: Fresh) -> None:
    client, auth, engine = ctx
    own = _gcj(client, auth, OWN_GRID)
    content = _csv([_row("RX-DRY-1", own), _row("RX-DRY-2", ("118.0", "36.0"))])
    before = _count(engine)
    response = _upload(client, auth("operator"), content, dry_run=True)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["valid"], report["invalid"], report["created"], report["written"]) == (
        1,
        1,
        0,
        False,
    )
    assert report["errors"][0]["code"] == "outside_territory"
    assert _count(engine) == before


def test_importing_the_same_file_again_creates_nothing(ctx: Fresh) -> None:
    client, auth, engine = ctx
    own = _gcj(client, auth, OWN_GRID)
    content = _csv([_row(f"RX-AGAIN-{i}", own) for i in range(4)])
    first = _upload(client, auth("operator"), content)
    assert first.status_code == 200 and first.json()["created"] == 4
    count = _count(engine)
    again = _upload(client, auth("operator"), content)
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["created"], report["already_imported"], report["invalid"]) == (0, 4, 0)
    assert [c["created"] for c in report["cases"]] == [False] * 4
    assert [c["event_id"] for c in report["cases"]] == [
        c["event_id"] for c in first.json()["cases"]
    ]
    assert _count(engine) == count
    # Each import is one audit row with its counts.
    with Session(engine) as session:
        audits = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "events.import")
                .order_by(AuditEntry.id.desc())
                .limit(2)
            )
        )
    assert [a.details["created"] for a in audits] == [0, 4]
    assert audits[0].details["already_imported"] == 4 and audits[0].details["file"] == "12345.csv"
    assert audits[1].region_path.endswith(f"/{OWN_GRID}/")


def test_only_dispatchers_import_and_only_inside_their_scope(ctx: Fresh) -> None:
    client, auth, engine = ctx
    own, other = _gcj(client, auth, OWN_GRID), _gcj(client, auth, OTHER_GRID)
    content = _csv([_row("RX-SCOPE-1", own), _row("RX-SCOPE-2", other)])
    for username in ("dept_cg", "citizen1", "gw_370811002001001"):
        refused = _upload(client, auth(username), content)
        assert refused.status_code == 403, username
        assert refused.json()["error"]["code"] == "permission_denied"
    street = _upload(client, auth("street_xuzhuang"), content, skip_invalid=True)
    assert street.status_code == 200, street.text
    report = street.json()
    assert report["created"] == 1
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(3, "out_of_scope")]
    assert set(_events(engine, ["RX-SCOPE-1", "RX-SCOPE-2"])) == {"RX-SCOPE-1"}


def test_file_limits_and_unreadable_files(ctx: Fresh, monkeypatch: pytest.MonkeyPatch) -> None:
    client, auth, _ = ctx
    own = _gcj(client, auth, OWN_GRID)
    operator = auth("operator")
    monkeypatch.setattr(hotline, "MAX_ROWS", 3)
    rows = _upload(client, operator, _csv([_row(f"RX-LIM-{i}", own) for i in range(4)]))
    assert rows.status_code == 422 and rows.json()["error"]["code"] == "too_many_rows"
    monkeypatch.setattr(hotline, "MAX_BYTES", 200)
    big = _upload(client, operator, _csv([_row(f"RX-LIM-{i}", own) for i in range(3)]))
    assert big.status_code == 413 and big.json()["error"]["code"] == "file_too_large"
    monkeypatch.undo()
    missing = _upload(client, operator, _csv([["x"]], headers=["标题"]))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_column"
    old_excel = _upload(client, operator, b"\xd0\xcf\x11\xe0rest", name="工单.xls")
    assert old_excel.json()["error"]["code"] == "bad_format"
    broken = _upload(client, operator, b"PK\x03\x04 not really a zip", name="工单.xlsx")
    assert broken.json()["error"]["code"] == "bad_file"


def _page_client(client: TestClient, username: str) -> TestClient:
    browser = TestClient(client.app)
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    browser.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
    )
    return browser


def test_the_import_page_and_template(ctx: Fresh) -> None:
    client, _auth, _ = ctx
    operator = _page_client(client, "operator")
    html = operator.get("/events/import", headers={"accept": "text/html"}).text
    assert "12345热线工单导入" in html and 'type="file"' in html
    assert all(column.header in html for column in hotline.COLUMNS)
    assert 'href="/events/import"' in operator.get("/events").text
    template = operator.get("/events/import/template.csv")
    assert template.status_code == 200
    header = template.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == [c.header for c in hotline.COLUMNS]
    department = _page_client(client, "dept_cg")
    refused = department.get("/events/import", headers={"accept": "text/html"})
    assert refused.status_code == 403 and "没有" in refused.text
    assert 'href="/events/import"' not in department.get("/events").text


@pytest.fixture
def cli_env(ctx: Fresh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _, _, engine = ctx
    settings = ctx[0].app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("GRIDGOV_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(settings.var_dir))
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()
    for cached in db._engines.values():
        cached.dispose()
    db._engines.clear()


def test_cli_import_reports_progress_and_is_idempotent(
    ctx: Fresh, cli_env: None, tmp_path: Path
) -> None:
    client, auth, engine = ctx
    own = _gcj(client, auth, OWN_GRID)
    path = tmp_path / "工单.csv"
    path.write_bytes(_csv([_row("RX-CLI-1", own), _row("RX-CLI-2", ("118.0", "36.0"))]))
    runner = CliRunner()
    before = _count(engine)
    refused = runner.invoke(cli_app, ["events", "import", str(path), "--as-user", "operator"])
    assert refused.exit_code == 1, refused.output
    assert "outside_territory" in refused.output and "未导入任何工单" in refused.output
    dry = runner.invoke(cli_app, ["events", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "试运行" in dry.output and _count(engine) == before
    args = ["events", "import", str(path), "--skip-invalid", "--as-user", "operator"]
    done = runner.invoke(cli_app, args)
    assert done.exit_code == 0, done.output
    assert "新增 1，此前已导入 0，错误 1 行" in done.output
    assert _count(engine) == before + 1
    # The same account on the web: its work-order numbers are already known.
    web = _upload(client, auth("operator"), path.read_bytes(), skip_invalid=True).json()
    assert (web["created"], web["already_imported"]) == (0, 1)
    again = runner.invoke(cli_app, args)
    assert "新增 0，此前已导入 1" in again.output
    assert _count(engine) == before + 1


def test_upload_in_chromium(ctx: Fresh, tmp_path: Path) -> None:
    browser_path = chromium()
    sync_api = pytest.importorskip("playwright.sync_api")

    client, auth, engine = ctx
    own = _gcj(client, auth, OWN_GRID)
    path = tmp_path / "browser.csv"
    path.write_bytes(_csv([_row("RX-WEB-1", own), _row("RX-WEB-2", ("118.0", "36.0"))]))
    settings = client.app.state.settings  # type: ignore[attr-defined]
    with serving(settings, engine) as server, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=browser_path, args=BROWSER_ARGS)
        page = browser.new_page()
        page.goto(f"{server}/login")
        page.fill("input[name=username]", "operator")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        page.click("text=热线导入")
        page.wait_for_selector("#hotline-import[data-ready]", state="attached")
        page.set_input_files("input[type=file]", str(path))
        page.click("#hotline-import button[type=submit]")
        page.wait_for_selector("#hotline-result .errors td")
        text = page.inner_text("#hotline-result")
        assert "outside_territory" in text and "未导入任何工单" in text
        page.check("input[name=skip_invalid]")
        page.click("#hotline-import button[type=submit]")
        page.wait_for_selector("#hotline-result .cases a")
        assert "新增 1 件" in page.inner_text("#hotline-result .summary")
        page.click("#hotline-result .cases a")
        page.wait_for_url(re.compile(r".*/events/\d+$"))
        assert "12345热线" in page.inner_text("main")
        browser.close()
