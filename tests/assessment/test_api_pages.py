"""The assessment over HTTP: validation errors listing every problem, who may read and write,
scores limited to the reader's area, the rows behind a part, the XLSX export and the pages."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from gridgov.assessment import services
from tests.assessment.conftest import Fresh

OWN_STREET, OTHER_STREET = "370811002", "370811006"  # 许庄街道, 南张街道


def test_a_bad_scheme_is_refused_with_every_problem(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    body = {
        "code": "bad_scheme",
        "name": "有误的方案",
        "target_type": "department",
        "items": [
            {"indicator": "patrol_hours", "weight": 30, "rule": "rank"},
            {"indicator": "rework_rate", "weight": 30, "rule": "linear", "floor": 0, "target": 20},
            {"indicator": "no_such", "weight": 0, "rule": "rank"},
        ],
    }
    response = client.post("/api/v1/assessment/schemes", json=body, headers=auth("admin"))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_scheme"
    assert error["details"]["problems"] == [
        "第 1 项（巡查时长）：该指标不适用于考核对象“部门”",
        "第 2 项（返工率）：该指标越低越好，目标值应小于保底值",
        "第 3 项：指标“no_such”不存在",
        "第 3 项：权重应大于 0",
        "权重之和应为 100，现为 60",
    ]
    assert "第 2 项（返工率）" in error["message"]
    assert (
        client.get("/api/v1/assessment/schemes/bad_scheme", headers=auth("admin")).status_code
        == 404
    )


def test_only_admins_and_leaders_write(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    body = {
        "code": "street_try",
        "name": "街道自定",
        "target_type": "grid",
        "items": [{"indicator": "events_reported", "weight": 100, "rule": "rank"}],
    }
    month = f"{services.previous_month():%Y-%m}"
    for username in ("street_xuzhuang", "operator", "gw_370811002001001"):
        headers = auth(username)
        refused = client.post("/api/v1/assessment/schemes", json=body, headers=headers)
        assert refused.status_code == 403, username
        assert refused.json()["error"]["code"] == "permission_denied"
        freeze = client.post(
            "/api/v1/assessment/snapshots", json={"scheme": "grid_monthly", "month": month},
            headers=headers,
        )  # fmt: skip
        assert freeze.status_code == 403
    made = client.post("/api/v1/assessment/schemes", json=body, headers=auth("leader"))
    assert made.status_code == 201, made.text
    removed = client.delete("/api/v1/assessment/schemes/street_try", headers=auth("leader"))
    assert removed.status_code == 204
    frozen = client.delete("/api/v1/assessment/schemes/grid_monthly", headers=auth("admin"))
    assert frozen.status_code == 409


def test_citizens_read_no_scores(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    for username in ("citizen1",):
        response = client.get("/api/v1/assessment/scores", headers=auth(username))
        assert response.status_code == 403


def test_street_staff_see_their_street_only(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    street = auth("street_xuzhuang")
    month = f"{services.previous_month():%Y-%m}"
    for params in (
        {"scheme": "community_monthly"},
        {"scheme": "community_monthly", "month": month},
    ):
        board = client.get("/api/v1/assessment/scores", params=params, headers=street).json()
        assert board["rows"], params
        assert all(r["target_key"].startswith(OWN_STREET) for r in board["rows"])
    workers = client.get(
        "/api/v1/assessment/scores", params={"scheme": "worker_monthly"}, headers=street
    ).json()
    leader = client.get(
        "/api/v1/assessment/scores", params={"scheme": "worker_monthly"}, headers=auth("leader")
    ).json()
    assert 0 < len(workers["rows"]) < len(leader["rows"])
    foreign = client.get(
        "/api/v1/assessment/scores",
        params={"scheme": "community_monthly", "region_code": OTHER_STREET},
        headers=street,
    )
    assert foreign.status_code == 404
    # Departments work for the whole district: their board is read at district level only.
    departments = client.get(
        "/api/v1/assessment/scores", params={"scheme": "department_monthly"}, headers=street
    )
    assert departments.status_code == 422
    assert departments.json()["error"]["code"] == "department_board_district_only"


def test_a_part_drills_down_to_as_many_rows(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    leader = auth("leader")
    month = f"{services.previous_month():%Y-%m}"
    checked = 0
    for scheme in ("community_monthly", "worker_monthly"):
        board = client.get(
            "/api/v1/assessment/scores", params={"scheme": scheme, "month": month}, headers=leader
        ).json()
        for row in board["rows"][:3]:
            for part in row["parts"]:
                if part["indicator"] not in ("closure_rate", "visits", "events_reported"):
                    continue
                rows = client.get(
                    "/api/v1/assessment/scores/rows",
                    params={"scheme": scheme, "month": month, "target_key": row["target_key"],
                            "indicator": part["indicator"], "part": "numerator"},
                    headers=leader,
                )  # fmt: skip
                assert rows.status_code == 200, rows.text
                assert rows.json()["total"] == part["numerator"], (scheme, part)
                checked += 1
    assert checked >= 6


def test_the_export_is_the_board(assessed_district: Fresh) -> None:
    client, auth, _ = assessed_district
    leader = auth("leader")
    params = {"scheme": "street_monthly", "month": f"{services.previous_month():%Y-%m}"}
    board = client.get("/api/v1/assessment/scores", params=params, headers=leader).json()
    response = client.get("/api/v1/assessment/scores.xlsx", params=params, headers=leader)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book["考核结果"].iter_rows(values_only=True))
    assert rows[1][:4] == ("名次", "考核对象", "编码", "总分")
    body = rows[2:]
    assert [(r[0], r[2], r[3]) for r in body] == [
        (r["rank"], r["target_key"], r["score"]) for r in board["rows"]
    ]
    assert body[0][4] == board["rows"][0]["parts"][0]["value"]
    items = list(book["考核项"].iter_rows(values_only=True))
    assert [r[1] for r in items[1:]] == [i["indicator"] for i in board["items"]]


def test_the_pages_render(assessed_district: Fresh) -> None:
    client, _, _ = assessed_district
    client.cookies.clear()
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    client.post(
        "/login",
        data={"username": "admin", "password": "demo-pass-123", "csrf_token": token.group(1)},
    )
    month = f"{services.previous_month():%Y-%m}"
    page = client.get("/assessment", params={"scheme": "community_monthly", "month": month})
    assert page.status_code == 200
    for text in ("绩效考核", "社区月度考核", "已于", "冻结", "结案率", "导出 XLSX"):
        assert text in page.text, text
    first = re.search(r'href="/assessment\?([^"]*target=[^"]+)"', page.text)
    assert first is not None
    detail = client.get("/assessment?" + first.group(1).replace("&amp;", "&"))
    assert "加权分" in detail.text and "/assessment/rows?" in detail.text
    editor = client.get("/assessment/schemes/community_monthly")
    assert editor.status_code == 200 and "保存方案" in editor.text and "指标库" in editor.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', editor.text)
    assert csrf is not None
    bad = client.post(
        "/assessment/schemes",
        data={"csrf_token": csrf.group(1), "code": "page_scheme", "name": "页面方案",
              "target_type": "grid", "indicator": ["closure_rate", "visits"],
              "weight": ["50", "20"], "rule": ["linear", "rank"], "floor": ["60", ""],
              "target": ["100", ""]},
    )  # fmt: skip
    assert bad.status_code == 422 and "权重之和应为 100，现为 70" in bad.text
    good = client.post(
        "/assessment/schemes",
        data={"csrf_token": csrf.group(1), "code": "page_scheme", "name": "页面方案",
              "target_type": "grid", "indicator": ["closure_rate", "visits"],
              "weight": ["80", "20"], "rule": ["linear", "rank"], "floor": ["60", ""],
              "target": ["100", ""], "is_active": "true"},
        follow_redirects=False,
    )  # fmt: skip
    assert good.status_code == 303
    assert "页面方案" in client.get(good.headers["location"]).text
    client.cookies.clear()
