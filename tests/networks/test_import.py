"""Importing a departmental network: validation with the offending feature's index,
versioning, the overlay recomputed on import and when a basic grid changes, and the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from gridgov.db import session_factory
from gridgov.networks.models import NetworkOverlay, NetworkUnit, NetworkVersion
from gridgov.seed.networks import build_units
from tests.conftest import Auth
from tests.networks.conftest import feature_collection, grid_shapes, outline

District = tuple[TestClient, Auth, Engine]


def _create(client: TestClient, auth: Auth, code: str) -> None:
    response = client.post(
        "/api/v1/networks",
        json={"code": code, "name": f"测试{code}", "roster_role": "police"},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text


def _import(client: TestClient, auth: Auth, code: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/networks/{code}/versions", json=body, headers=auth("admin"))


def _units(engine: Engine, count: int, seed: int) -> list[shapely.Geometry]:
    return build_units("police", outline(engine), count, random.Random(seed))


def test_bad_features_are_refused_with_their_index(district: District) -> None:
    client, auth, engine = district
    _create(client, auth, "t_bad")
    units = _units(engine, 6, 1)
    good = feature_collection(units)
    cases: list[tuple[str, Any, int]] = []
    bowtie = json.loads(json.dumps(good))
    lon, lat = units[0].representative_point().coords[0]
    bowtie["features"][3]["geometry"] = {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + 0.01, lat + 0.01], [lon + 0.01, lat], [lon, lat + 0.01], [lon, lat]]
        ],
    }
    cases.append(("invalid_geometry", bowtie, 3))
    duplicate = json.loads(json.dumps(good))
    duplicate["features"][4]["properties"]["unit_code"] = "T001"
    cases.append(("duplicate_unit_code", duplicate, 4))
    far = json.loads(json.dumps(good))
    far["features"][2]["geometry"] = mapping(shapely.box(100.0, 30.0, 100.01, 30.01))
    cases.append(("outside_district", far, 2))
    nameless = json.loads(json.dumps(good))
    del nameless["features"][5]["properties"]["unit_code"]
    cases.append(("invalid_unit_code", nameless, 5))
    line = json.loads(json.dumps(good))
    line["features"][1]["geometry"] = {
        "type": "LineString",
        "coordinates": [[lon, lat], [lon + 0.01, lat]],
    }
    cases.append(("invalid_geometry", line, 1))
    for code, body, index in cases:
        response = _import(client, auth, "t_bad", body)
        assert response.status_code == 422, (code, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_features"
        assert f"第 {index} 个要素" in error["message"]
        assert error["details"]["errors"][0]["index"] == index
        assert error["details"]["errors"][0]["code"] == code
    not_geojson = _import(client, auth, "t_bad", {"type": "Feature", "features": []})
    assert not_geojson.status_code == 422
    versions = client.get("/api/v1/networks/t_bad/versions", headers=auth("admin")).json()
    assert versions == []
    refused = client.post(
        "/api/v1/networks/t_bad/versions", json=good, headers=auth("street_xuzhuang")
    )
    assert refused.status_code == 403


def test_a_new_version_becomes_current_and_the_old_one_is_kept(district: District) -> None:
    client, auth, engine = district
    _create(client, auth, "t_versions")
    first = _import(client, auth, "t_versions", feature_collection(_units(engine, 8, 2), "A"))
    second = _import(client, auth, "t_versions", feature_collection(_units(engine, 14, 3), "B"))
    assert first.status_code == second.status_code == 201
    versions = client.get("/api/v1/networks/t_versions/versions", headers=auth("admin")).json()
    assert [(v["version"], v["is_current"]) for v in versions] == [(2, True), (1, False)]
    assert versions[1]["unit_count"] == 8 and versions[0]["unit_count"] == 14
    overlay = client.get(
        "/api/v1/networks/t_versions/overlay", params={"page_size": 500}, headers=auth("admin")
    ).json()
    assert overlay["items"] and all(r["unit_code"].startswith("B") for r in overlay["items"])
    with session_factory(engine)() as session:
        old = session.scalars(select(NetworkVersion).where(NetworkVersion.unit_count == 8)).one()
        kept = session.scalar(
            select(func.count()).select_from(NetworkUnit).where(NetworkUnit.version_id == old.id)
        )
        phones = session.scalars(select(NetworkUnit.officer_phone_cipher).limit(5)).all()
    assert kept == 8
    assert all(p and p.startswith("v1:") for p in phones)
    units = client.get("/api/v1/networks/t_versions/units", headers=auth("admin")).json()
    assert units["items"][0]["officer_phone"].count("*") == 4
    assert units["items"][0]["properties"] == {"beat_type": "街面"}


def test_editing_a_grid_recomputes_the_overlay(district: District) -> None:
    client, auth, engine = district
    grid_code = "370811002001001"
    before = _grid_rows(engine, grid_code)
    shrunk = grid_shapes(engine)[grid_code].buffer(-0.0005)
    response = client.patch(
        f"/api/v1/regions/{grid_code}", json={"geometry": mapping(shrunk)}, headers=auth("admin")
    )
    assert response.status_code == 200, response.text
    after = _grid_rows(engine, grid_code)
    assert before and after
    assert sum(a for _, a in after) < sum(a for _, a in before)
    with session_factory(engine)() as session:
        shares = session.scalars(
            select(NetworkOverlay.share).where(NetworkOverlay.grid_code == grid_code)
        ).all()
    police = client.get(
        "/api/v1/networks/police/overlay", params={"grid_code": grid_code}, headers=auth("admin")
    ).json()
    assert sum(r["share"] for r in police["items"]) == pytest.approx(1, abs=1e-9)
    assert shares


def _grid_rows(engine: Engine, grid_code: str) -> list[tuple[int, float]]:
    with session_factory(engine)() as session:
        return [
            (version_id, area)
            for version_id, area in session.execute(
                select(NetworkOverlay.version_id, NetworkOverlay.area_m2).where(
                    NetworkOverlay.grid_code == grid_code
                )
            )
        ]


def test_cli_imports_and_recomputes(
    district: District, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, auth, engine = district
    from gridgov import config
    from gridgov.cli import app

    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("GRIDGOV_DATABASE_URL", url)
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path))
    config.get_settings.cache_clear()
    path = tmp_path / "beats.geojson"
    path.write_text(json.dumps(feature_collection(_units(engine, 5, 4), "C")), encoding="utf-8")
    runner = CliRunner()
    try:
        created = runner.invoke(
            app, ["networks", "create", "t_cli", "命令行网格", "--role", "police"]
        )
        assert created.exit_code == 0, created.output
        imported = runner.invoke(app, ["networks", "import", "t_cli", str(path), "--note", "首版"])
        assert imported.exit_code == 0, imported.output
        recomputed = runner.invoke(app, ["networks", "recompute", "--network", "t_cli"])
        assert recomputed.exit_code == 0, recomputed.output
    finally:
        config.get_settings.cache_clear()
    versions = client.get("/api/v1/networks/t_cli/versions", headers=auth("admin")).json()
    assert [(v["version"], v["note"], v["unit_count"]) for v in versions] == [(1, "首版", 5)]
