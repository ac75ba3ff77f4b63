"""Importing base data: complete row-numbered reports, nothing half-written, upserts."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from gridgov.kit import creditcode, idcard
from gridgov.kit.geo import wgs84_to_gcj02
from gridgov.registry.models import Component, House, Person, ResourceRecord
from tests.conftest import Auth

Fresh = tuple[TestClient, Auth, Engine]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _house_codes(engine: Engine, grid: str, n: int) -> list[str]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(House.code).where(House.region_path.endswith(f"/{grid}/")).limit(n)
            )
        )


def _persons(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def _import(
    client: TestClient,
    headers: dict[str, str],
    target: str,
    content: bytes,
    filename: str = "people.csv",
    **form: str,
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/api/v1/registry/imports/{target}",
        files={"file": (filename, content)},
        data=form,
        headers=headers,
    )
    return response.status_code, response.json()


def test_bad_rows_get_a_complete_report_and_change_nothing(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    houses = _house_codes(engine, "370811002001001", 3)
    good = [idcard.make("370811", date(1980, 3, day), 901) for day in (1, 2, 3)]
    broken = good[0][:-1] + ("0" if good[0][-1] != "0" else "1")
    content = _csv(
        [
            ["姓名", "身份证号", "手机", "人口类型", "房屋编码", "网格编码"],
            ["甲", good[0], "13900001111", "户籍", houses[0], ""],  # row 2: fine
            ["乙", broken, "", "户籍", houses[0], ""],  # row 3: check digit
            ["丙", good[1], "", "户籍", "NO-SUCH-HOUSE", ""],  # row 4: unknown house
            ["", good[2], "", "户籍", houses[1], ""],  # row 5: no name
            ["丁", good[0], "", "户籍", houses[2], ""],  # row 6: same ID as row 2
            [
                "戊",
                idcard.make("370811", date(1981, 1, 1), 903),
                "",
                "常住",
                houses[2],
                "",
            ],  # row 7
            ["己", idcard.make("370811", date(1981, 1, 2), 905), "", "流动", "", "999999"],  # row 8
        ]
    )
    before = _persons(engine)
    headers = auth("gw_370811002001001")
    status, report = _import(client, headers, "persons", content, dry_run="true")
    assert status == 200
    errors = [(e["row"], e["code"]) for e in report["errors"]]
    assert errors == [
        (3, "invalid_id_number"),
        (4, "unknown_house"),
        (5, "missing_required"),
        (6, "duplicate_key"),
        (7, "bad_value"),
        (8, "unknown_grid"),
    ]
    assert report["valid_rows"] == 1 and report["inserted"] == 0
    status, rejected = _import(client, headers, "persons", content)
    assert status == 422
    assert rejected["error"]["code"] == "import_rejected"
    assert len(rejected["error"]["details"]["report"]["errors"]) == 6
    assert _persons(engine) == before


def test_valid_only_writes_the_good_rows_and_reimport_upserts(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    houses = _house_codes(engine, "370811002001001", 2)
    people = [idcard.make("370811", date(1979, 7, day), 907) for day in (4, 5)]
    rows = [
        ["name", "id_number", "phone", "residence_type", "house_code", "household_code", "tags"],
        ["导入甲", people[0], "13900002222", "户籍", houses[0], "IMPORT-HH-1", "党员、志愿者"],
        ["导入乙", people[1], "", "流动", houses[1], "IMPORT-HH-1", ""],
        ["坏行", "123", "", "户籍", houses[1], "", ""],
    ]
    headers = auth("gw_370811002001001")
    before = _persons(engine)
    status, report = _import(client, headers, "persons", _csv(rows), mode="valid_only")
    assert status == 200, report
    assert (report["inserted"], report["updated"], len(report["errors"])) == (2, 0, 1)
    assert _persons(engine) == before + 2
    rows[1][0] = "导入甲改名"
    status, again = _import(client, headers, "persons", _csv(rows[:3]))
    assert status == 200 and (again["inserted"], again["updated"]) == (0, 2)
    assert _persons(engine) == before + 2
    found = client.get("/api/v1/persons", params={"id_number": people[0]}, headers=headers).json()
    assert found["items"][0]["name"] == "导入甲改名"
    assert found["items"][0]["tags"] == ["党员", "志愿者"]
    household = client.get(
        f"/api/v1/households/{found['items'][0]['household_id']}", headers=headers
    ).json()
    assert {m["name"] for m in household["members"]} == {"导入甲改名", "导入乙"}


def test_components_from_gcj02_xlsx_with_scope_and_territory_checks(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    grid = client.get("/api/v1/regions/370811006001001", headers=auth("admin")).json()
    inside = shapely.geometry.shape(grid["geometry"]).representative_point()
    other = client.get("/api/v1/regions/370811002001001", headers=auth("admin")).json()
    elsewhere = shapely.geometry.shape(other["geometry"]).representative_point()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["部件编码", "小类代码", "经度", "纬度", "状态"])
    for code, point in (("IMP-0001", inside), ("IMP-0002", elsewhere)):
        lon, lat = wgs84_to_gcj02(point.x, point.y)
        sheet.append([code, "0110", lon, lat, "完好"])
    sheet.append(["IMP-0003", "0110", 118.5, 36.5, "完好"])
    sheet.append(["IMP-0004", "9999", *wgs84_to_gcj02(inside.x, inside.y), "完好"])
    out = io.BytesIO()
    book.save(out)
    status, report = _import(
        client,
        auth("street_nanzhang"),
        "components",
        out.getvalue(),
        "parts.xlsx",
        crs="gcj02",
        mode="valid_only",
    )
    assert status == 200, report
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "out_of_scope"),
        (4, "outside_territory"),
        (5, "unknown_class"),
    ]
    with Session(engine) as session:
        stored = session.scalars(select(Component).where(Component.code == "IMP-0001")).one()
    # GCJ-02 in, WGS-84 stored: back within centimetres of the original point.
    assert abs(stored.lon - inside.x) < 1e-6 and abs(stored.lat - inside.y) < 1e-6
    assert stored.region_path.endswith("/370811006001001/")


def test_geojson_into_a_generic_polygon_category(fresh_registry: Fresh) -> None:
    client, auth, engine = fresh_registry
    grid = client.get("/api/v1/regions/370811109001001", headers=auth("admin")).json()
    centre = shapely.geometry.shape(grid["geometry"]).representative_point()
    site = shapely.box(centre.x - 0.0005, centre.y - 0.0005, centre.x + 0.0005, centre.y + 0.0005)
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(site),
                "properties": {
                    "code": "SITE-1",
                    "name": "新工地",
                    "builder": "某建工",
                    "permit_no": "P-1",
                    "dust_monitor": "是",
                },
            },
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(site),
                "properties": {"code": "SITE-2", "name": "缺许可证工地", "builder": "某建工"},
            },
        ],
    }
    status, report = _import(
        client,
        auth("admin"),
        "construction_site",
        json.dumps(features, ensure_ascii=False).encode(),
        "sites.geojson",
        mode="valid_only",
    )
    assert status == 200, report
    assert [(e["row"], e["code"]) for e in report["errors"]] == [(3, "invalid_attributes")]
    with Session(engine) as session:
        record = session.scalars(
            select(ResourceRecord).where(ResourceRecord.code == "SITE-1")
        ).one()
    assert record.attributes["dust_monitor"] is True
    assert record.geometry is not None and json.loads(record.geometry)["type"] == "Polygon"


def test_unreadable_files_are_refused(client: TestClient, auth: Auth) -> None:
    headers = auth("admin")
    status, body = _import(client, headers, "persons", b"", "empty.csv")
    assert status == 422 and body["error"]["code"] == "empty_file"
    status, body = _import(client, headers, "persons", b"not a workbook", "x.xlsx")
    assert body["error"]["code"] == "bad_file"
    status, body = _import(client, headers, "persons", b"a,b\n1,2\n", "x.txt")
    assert body["error"]["code"] == "bad_format"
    status, body = _import(client, headers, "nonsense", b"a\n1\n", "x.csv")
    assert status == 404
    status, body = _import(
        client, headers, "persons", b"a\n1\n", "x.csv", mapping='{"name": "no such column"}'
    )
    assert body["error"]["code"] == "unknown_column"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_is_scoped_and_masked(client: TestClient, auth: Auth, fmt: str) -> None:
    headers = auth("comm_370811002001")
    response = client.get(
        "/api/v1/registry/exports/persons", params={"format": fmt}, headers=headers
    )
    assert response.status_code == 200
    total = client.get("/api/v1/persons", headers=headers).json()["total"]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert len(rows) == total + 1
        assert all("*" in row[4] for row in rows[1:] if row[3] == "居民身份证")
        assert all(row[8].startswith("370811002001") for row in rows[1:])
    elif fmt == "geojson":
        assert len(response.json()["features"]) == total
    else:
        assert response.content[:2] == b"PK"
    parts = client.get(
        "/api/v1/registry/exports/components", params={"format": "geojson"}, headers=headers
    ).json()
    assert parts["features"] and all(
        f["properties"]["grid_code"].startswith("370811002001") for f in parts["features"]
    )


def test_places_cameras_and_buildings_import(fresh_registry: Fresh) -> None:
    client, auth, _engine = fresh_registry
    headers = auth("street_shiqiao")
    grid = client.get("/api/v1/regions/370811109002001", headers=headers).json()
    point = shapely.geometry.shape(grid["geometry"]).representative_point()
    good_credit = creditcode.make("370811", "12345678")
    bad_credit = good_credit[:-1] + ("0" if good_credit[-1] != "0" else "1")
    places = _csv(
        [
            ["编码", "名称", "种类", "统一社会信用代码", "行业", "经度", "纬度"],
            ["PL-1", "新开企业", "enterprise", good_credit, "制造业", str(point.x), str(point.y)],
            ["PL-2", "错代码企业", "enterprise", bad_credit, "制造业", str(point.x), str(point.y)],
            ["PL-3", "怪种类", "factory", "", "", str(point.x), str(point.y)],
        ]
    )
    status, report = _import(client, headers, "places", places, "places.csv", mode="valid_only")
    assert status == 200, report
    assert [(e["row"], e["code"]) for e in report["errors"]] == [
        (3, "invalid_credit_code"),
        (4, "bad_value"),
    ]
    cameras = _csv(
        [
            ["code", "name", "stream_url", "direction_deg", "lon", "lat"],
            ["CAM-NEW-1", "新监控", "rtsp://video.local/new1", "90", str(point.x), str(point.y)],
            ["CAM-NEW-2", "坏朝向", "rtsp://video.local/new2", "400", str(point.x), str(point.y)],
        ]
    )
    status, report = _import(client, headers, "cameras", cameras, "cams.csv", mode="valid_only")
    assert (report["inserted"], [(e["row"], e["code"]) for e in report["errors"]]) == (
        1,
        [(3, "bad_number")],
    )
    outline = shapely.box(point.x - 0.0002, point.y - 0.0001, point.x + 0.0002, point.y + 0.0001)
    buildings = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(outline),
                "properties": {
                    "code": "BLD-NEW-1",
                    "name": "新楼",
                    "address": "石桥镇新楼",
                    "floors": 6,
                },
            }
        ],
    }
    status, report = _import(
        client, headers, "buildings", json.dumps(buildings).encode(), "b.geojson"
    )
    assert status == 200 and report["inserted"] == 1, report
    found = client.get("/api/v1/buildings", params={"q": "BLD-NEW-1"}, headers=headers).json()
    assert (
        found["items"][0]["kind"] == "楼栋" and found["items"][0]["grid_code"] == "370811109002001"
    )
    foreign = client.post(
        "/api/v1/registry/imports/buildings",
        files={"file": ("b.geojson", json.dumps(buildings).encode())},
        headers=auth("street_xuzhuang"),
    )
    assert foreign.status_code == 422
    codes = {e["code"] for e in foreign.json()["error"]["details"]["report"]["errors"]}
    assert codes == {"out_of_scope"}
