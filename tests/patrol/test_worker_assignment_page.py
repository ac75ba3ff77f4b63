"""网格分配 on the worker page: an administrator assigns a worker to another grid and takes
them off it again with plain form posts; a bad grid code is refused on the page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from gridgov.accounts.models import GridAssignment, User
from gridgov.audit.models import AuditEntry
from gridgov.config import Settings
from tests.web.test_pages import _logged_in

WORKER = "gw_370811002001001"
OTHER_GRID = "370811002001002"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page carries its CSRF token"
    return found.group(1)


def _grids(engine: Engine, user_id: int) -> set[str]:
    with Session(engine) as session:
        return {
            path.rstrip("/").rsplit("/", 1)[-1]
            for path in session.scalars(
                select(GridAssignment.region_path).where(GridAssignment.user_id == user_id)
            )
        }


def test_admin_assigns_and_removes_a_grid(demo_settings: Settings, demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        worker_id = session.scalars(select(User.id).where(User.username == WORKER)).one()
    before = _grids(demo_engine, worker_id)
    assert OTHER_GRID not in before
    admin: TestClient = _logged_in(demo_settings, demo_engine, "admin")
    page = admin.get(f"/workers/{worker_id}").text
    assert "网格分配" in page and "网格长" in page
    token = _csrf(page)

    added = admin.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": token, "grid_code": OTHER_GRID, "duty": "兼职网格员"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert _grids(demo_engine, worker_id) == before | {OTHER_GRID}
    assert "兼职网格员" in admin.get(f"/workers/{worker_id}").text

    again = admin.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": token, "grid_code": OTHER_GRID},
        follow_redirects=False,
    )
    assert again.status_code == 422 and "已在该网格" in again.text
    unknown = admin.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": token, "grid_code": "370811999999999"},
        follow_redirects=False,
    )
    assert unknown.status_code == 422

    removed = admin.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": token, "grid_code": OTHER_GRID, "remove": "true"},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert _grids(demo_engine, worker_id) == before
    with Session(demo_engine) as session:
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == OTHER_GRID))
        )
    assert {"grid.assign", "grid.unassign"} <= actions


def test_operators_see_no_assignment_form_and_cannot_post(
    demo_settings: Settings, demo_engine: Engine
) -> None:
    with Session(demo_engine) as session:
        worker_id = session.scalars(select(User.id).where(User.username == WORKER)).one()
    operator = _logged_in(demo_settings, demo_engine, "operator")
    page = operator.get(f"/workers/{worker_id}").text
    assert "网格分配" not in page
    refused = operator.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": _csrf(page), "grid_code": OTHER_GRID},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert OTHER_GRID not in _grids(demo_engine, worker_id)
    forged = operator.post(
        f"/workers/{worker_id}/grids",
        data={"csrf_token": "forged", "grid_code": OTHER_GRID},
        follow_redirects=False,
    )
    assert forged.status_code == 403
