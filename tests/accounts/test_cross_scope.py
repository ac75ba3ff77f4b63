"""Walks every endpoint of the OpenAPI schema as 许庄街道's street staff and tries to read or
change something of 南张街道. Nothing of the other street may come back, and nothing of it may
change. A new endpoint is covered automatically; a path parameter the walker cannot fill fails
the test, so nobody can add an endpoint that escapes it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import mapping
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.db import session_factory
from gridgov.gis.tiles import lonlat_to_tile
from gridgov.kit import idcard
from gridgov.kit.geojson import loads
from gridgov.media.models import Media
from gridgov.notifications.services import notify
from gridgov.orgs.models import Organisation
from gridgov.regions.models import Region
from tests.conftest import ROW_PARAMS, Auth
from tests.media.test_media import png

OWN_STREET = "370811002"  # 许庄街道
FOREIGN_STREET = "370811006"  # 南张街道
ACTOR = "street_xuzhuang"
# The walk is repeated as 许庄街道's social organisation (社会组织 account, own reports only).
SOCIAL_ACTOR = "social_xuzhuang"
SKIP_PATHS = {"/api/v1/auth/login"}  # reachable without an account; tested in test_auth
# Public by design, the same for everyone (tests/open311, tests/citizen): Open311's GET side and
# the citizen app's public map show every street's cases, redacted (no reporter, phone or ID
# numbers; sensitive categories without text and with a blurred point). Titles and descriptions
# name the grid a case is in, so another street's names legitimately appear there. Only the
# leak check is waived for these GETs; writes are still walked and must be refused.
PUBLIC_READ_PATHS = (
    "/open311/v2/",
    "/api/v1/citizen/public/",
)
GENERIC_CATEGORY = "public_toilet"


class Foreign:
    def __init__(self, session: Session) -> None:
        prefix = f"370811/{FOREIGN_STREET}/"
        self.regions = list(session.scalars(select(Region).where(Region.path.startswith(prefix))))
        self.users = list(session.scalars(select(User).where(User.region_path.startswith(prefix))))
        self.orgs = list(
            session.scalars(select(Organisation).where(Organisation.region_path.startswith(prefix)))
        )
        self.grid = next(r for r in self.regions if r.level == "grid")
        self.community = next(r for r in self.regions if r.level == "community")
        self.street = next(r for r in self.regions if r.code == FOREIGN_STREET)
        self.point = shapely.Polygon(loads(self.grid.geometry)).representative_point()
        self.row_ids = {
            param: list(
                session.scalars(
                    select(model.id)
                    .where(model.region_path.startswith(prefix))
                    .order_by(model.id)
                    .limit(3)
                )
            )
            for param, model in ROW_PARAMS.items()
        }
        # Someone else's inbox entry: the walker must not be able to read or mark it.
        self.notification_id = notify(
            session, [self.users[0].id], kind="test", title=f"给{self.users[0].username}的通知"
        )[0].id
        session.commit()
        self.media_ids: list[int] = []  # filled by foreign_media(), through the API
        self.markers = (
            {r.code for r in self.regions}
            | {r.name for r in self.regions}
            | {u.username for u in self.users}
            | {o.code for o in self.orgs}
        )


def snapshot(engine: Engine) -> str:
    """A digest of every row that belongs to the foreign street, plus row counts."""
    prefix = f"370811/{FOREIGN_STREET}/"
    with session_factory(engine)() as session:
        parts: list[Any] = []
        for model, column in (
            (Region, Region.path),
            (User, User.region_path),
            (Organisation, Organisation.region_path),
            (GridAssignment, GridAssignment.region_path),
            *((model, model.region_path) for model in ROW_PARAMS.values()),
            (Media, Media.region_path),
        ):
            for row in session.scalars(
                select(model).where(column.startswith(prefix)).order_by(model.id)
            ):
                parts.append({c.name: str(getattr(row, c.key)) for c in model.__table__.columns})
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def fill(name: str, schema: dict[str, Any], foreign: Foreign, components: dict[str, Any]) -> Any:
    """A value for a body field or parameter that points at the foreign street."""
    if "$ref" in schema:
        return fill(name, components[schema["$ref"].split("/")[-1]], foreign, components)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return fill(name, options[0], foreign, components)
    if "enum" in schema:
        return schema["enum"][0]
    lowered = name.lower()
    if lowered in ROW_PARAMS:
        return foreign.row_ids[lowered][0] if foreign.row_ids[lowered] else 1
    alternatives = re.fullmatch(r"\^\(([^)]+)\)\$", schema.get("pattern", ""))
    if alternatives:
        return alternatives.group(1).split("|")[0]
    special = {
        "grid_code": foreign.grid.code,
        "footprint": mapping(shapely.box(*foreign.point.buffer(0.0001).bounds)),
        "id_number": idcard.make("370811", date(1990, 1, 1), 777),
        "phone": "13800001111",
        "gender": "男",
        "reason": "越权测试：不应看到",
        "attribute_schema": {"type": "object"},
        "attributes": {},
        # A bulk action over the foreign street's cases.
        "items": [{"id": event_id, "version": 1} for event_id in foreign.row_ids["event_id"][:2]],
    }
    if lowered in special:
        return special[lowered]
    if lowered in ("lon",):
        return foreign.point.x
    if lowered in ("lat",):
        return foreign.point.y
    if lowered == "geometry":
        return json.loads(foreign.grid.geometry)
    if lowered in ("parent_code", "scope_region_code", "region_code"):
        return foreign.community.code if "parent" in lowered else foreign.street.code
    if lowered == "code":
        return f"XS{FOREIGN_STREET}99"
    if lowered in ("department_id", "organisation_id", "parent_id", "org_id"):
        return foreign.orgs[0].id
    if lowered == "user_id":
        return foreign.users[0].id
    if lowered == "username":
        return "cross_scope_probe"
    if lowered == "password":
        return "Cross-scope-1234"
    if lowered == "level":
        return "grid"
    if lowered == "crs":
        return "wgs84"
    if lowered == "role":
        return "community_staff"
    kind = schema.get("type")
    if kind == "object":
        return {
            key: fill(key, sub, foreign, components)
            for key, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [fill(name, schema.get("items", {}), foreign, components)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    return foreign.grid.name if "name" in lowered or lowered == "q" else FOREIGN_STREET


def path_value(name: str, path: str, foreign: Foreign) -> list[Any]:
    if name == "code" and path.startswith("/api/v1/resource-categories/"):
        # Categories are district-wide configuration; what must not leak are the other
        # street's records listed under them.
        return [GENERIC_CATEGORY]
    if name == "code":
        return [foreign.street.code, foreign.community.code, foreign.grid.code]
    if name == "target":
        return ["persons", "components", GENERIC_CATEGORY]
    if name == "action":
        return ["accept", "dispatch", "receive"]
    if name == "user_id":
        return [u.id for u in foreign.users[:3]]
    if name == "org_id":
        return [o.id for o in foreign.orgs[:3]]
    if name == "notification_id":
        return [foreign.notification_id]
    if name == "media_id":
        return foreign.media_ids
    if name == "network_code":
        # Departmental networks are district-wide configuration; what must not leak are their
        # overlay rows and rosters in the other street.
        return ["police", "urban"]
    if name == "grid_code":
        return [foreign.grid.code]
    if name == "response_format":
        return ["json", "xml"]
    if name == "service_code":
        return ["0101", "0501"]  # Open311 services are the district-wide category tree
    if name == "service_request_id":
        return [f"SJ{event_id}" for event_id in foreign.row_ids["event_id"][:2]]
    if name == "token":
        return ["0" * 32]
    if name == "key_id":
        return [1]  # Open311 keys are district-wide configuration, admins only
    if name == "version" and path.startswith("/api/v1/routing/"):
        # Routing rule sets and model versions are district-wide configuration, for admins only.
        return [1]
    if name == "indicator_code":
        # The KPI library is district-wide; what must not leak are the other street's figures
        # and the cases behind them.
        return ["closure_rate", "self_settle_rate"]
    if name == "screen":
        # The big screens are views over the reader's area; what must not leak is the other
        # street's figures, cases and names in them.
        return ["aggregation", "events", "mediation", "warning", "performance"]
    if name == "form_id":
        return [1]  # campaign forms are district-wide configuration, written by admins only
    if name == "scheme_code":
        # Assessment schemes are district-wide configuration (admins and leaders write them);
        # what must not leak are the other street's scores.
        return ["community_monthly", "worker_monthly"]
    if name == "layer":
        if path.startswith("/tiles/"):
            return ["components", "buildings", "events"]
        return ["grids", "special_grids", "communities", "cameras", "workers"]
    if name in ("z", "x", "y"):
        # The map tile over the other street's grid.
        x, y = lonlat_to_tile(foreign.point.x, foreign.point.y, 15)
        return [{"z": 15, "x": x, "y": y}[name]]
    if name == "alert_id" and path.startswith("/api/v1/alerts/"):
        # Early-warning alerts, not dispute alerts: the other street's (the demo's scan raises
        # some there; id 1 otherwise).
        return foreign.row_ids["early_alert_id"] or [1]
    if name in foreign.row_ids:
        values = foreign.row_ids[name]
        assert values, f"the demo district seeds no {name} in the foreign street"
        return values
    raise AssertionError(f"the cross-scope walker has no foreign value for path parameter {name!r}")


def foreign_media(client: TestClient, auth: Auth, engine: Engine, foreign: Foreign) -> None:
    """Two photos of a grid worker of the other street: one attached to a case there, one
    still the worker's alone."""
    worker = next(u.username for u in foreign.users if u.username.startswith("gw_"))
    for _ in range(2):
        response = client.post(
            "/api/v1/media",
            files={"file": ("photo.png", png(), "image/png")},
            headers=auth(worker),
        )
        assert response.status_code == 201, response.text
        foreign.media_ids.append(response.json()["id"])
    event_id = foreign.row_ids["event_id"][0]
    with session_factory(engine)() as session:
        path = session.scalars(
            select(ROW_PARAMS["event_id"].region_path).where(ROW_PARAMS["event_id"].id == event_id)
        ).one()
        session.execute(
            update(Media)
            .where(Media.id == foreign.media_ids[0])
            .values(subject_type="event", subject_id=event_id, region_path=path, role="report")
        )
        session.commit()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        if path in SKIP_PATHS:
            continue
        for method, operation in methods.items():
            yield path, method.upper(), operation


def _all_refused(response: Any) -> bool:
    """A bulk endpoint answers 200 with a result per item: refusing every item is a refusal."""
    try:
        results = response.json().get("results")
    except ValueError:
        return False
    return bool(results) and all(r.get("ok") is False for r in results)


@pytest.mark.parametrize("actor", [ACTOR, SOCIAL_ACTOR])
def test_street_staff_cannot_read_or_change_another_street(
    client: TestClient, auth: Auth, demo_engine: Engine, actor: str
) -> None:
    spec = client.get("/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    headers = auth(actor)
    with session_factory(demo_engine)() as session:
        foreign = Foreign(session)
    foreign_media(client, auth, demo_engine, foreign)
    assert foreign.markers and len(foreign.regions) > 10
    before = snapshot(demo_engine)
    checked = 0
    leaks: list[str] = []
    for path, method, operation in operations(spec):
        params = operation.get("parameters", [])
        path_params = [p["name"] for p in params if p["in"] == "path"]
        query = {
            p["name"]: fill(p["name"], p.get("schema", {}), foreign, components)
            for p in params
            if p["in"] == "query" and p["name"] not in ("page", "page_size")
        }
        body = None
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = fill("body", content["application/json"]["schema"], foreign, components)
        urls = [path]
        for name in path_params:
            urls = [
                url.replace("{" + name + "}", str(value))
                for url in urls
                for value in path_value(name, path, foreign)
            ]
        for url in urls:
            for params_variant in (query, {}):
                response = client.request(
                    method, url, headers=headers, params=params_variant, json=body
                )
                checked += 1
                text = response.text
                # Echoing what the caller sent is no leak; anything else of theirs is.
                sent = f"{url} {json.dumps(params_variant, ensure_ascii=False)} " + json.dumps(
                    body, ensure_ascii=False
                )
                found = sorted(m for m in foreign.markers if m in text and m not in sent)
                if method == "GET" and path.startswith(PUBLIC_READ_PATHS):
                    found = []
                if found:
                    leaks.append(
                        f"{method} {url} {params_variant}: {response.status_code} {found[:5]}"
                    )
                if method != "GET" and response.status_code < 400 and not _all_refused(response):
                    leaks.append(f"{method} {url}: accepted with {response.status_code}")
    assert checked > 20
    assert leaks == []
    assert snapshot(demo_engine) == before, "a foreign street's rows changed"


@pytest.mark.parametrize("username", ["street_xuzhuang", "comm_370811002001"])
def test_own_scope_is_readable(client: TestClient, auth: Auth, username: str) -> None:
    """The walker would pass trivially if everything were refused: own data must be visible."""
    response = client.get("/api/v1/regions", params={"level": "grid"}, headers=auth(username))
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and all(item["path"].startswith(f"370811/{OWN_STREET}/") for item in items)
