"""The free-text case filter (``q``): found through the bigram index on both engines, with the
meaning of a plain substring match (title or address contains the text, or the code equals it)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from gridgov.db import unit_of_work
from gridgov.events import search
from gridgov.events.models import Event
from tests.conftest import Auth
from tests.events.test_api import _inside, _report

Fresh = tuple[TestClient, Auth, Engine]
GRID = "370811002001001"


@pytest.fixture(scope="module")
def ctx(fresh_events: Fresh) -> Fresh:
    return fresh_events


def _new(ctx: Fresh, **fields: Any) -> dict[str, Any]:
    client, auth, _ = ctx
    response = _report(client, auth("operator"), location=_inside(client, auth, GRID), **fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _codes(ctx: Fresh, q: str, user: str = "operator") -> list[str]:
    client, auth, _ = ctx
    response = client.get("/api/v1/events", params={"q": q, "page_size": 100}, headers=auth(user))
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def test_terms_are_the_bigrams_of_each_run() -> None:
    assert search.document("井盖松动", "南张街道12号") == (
        "井盖 盖松 松动 动 南张 张街 街道 道1 12 2号 号"
    )
    # Full-width letters and case fold to the same terms; punctuation separates runs.
    assert search.document("ＡＢ路灯") == search.document("ab路灯")
    assert search.document("灯，亮") == "灯 亮"
    assert search.query_terms("路灯 不亮") == ["路灯", "不亮"]
    # One character: every character begins a term, so it is a prefix search.
    assert search.query_terms("灯") == ["灯*"]
    assert search.fts5_match(["路灯", "灯*"]) == '"路灯" "灯"*'
    assert search.query_terms("%!") == []


def test_a_two_character_word_finds_the_cases_that_contain_it(ctx: Fresh) -> None:
    first = _new(ctx, title="夜间施工噪扰民严重")
    second = _new(ctx, title="广场舞噪扰问题", address="幸福小区东门")
    _new(ctx, title="噪声扰民")  # 噪 and 扰 both occur, but not 噪扰: not a match
    assert set(_codes(ctx, "噪扰")) == {first["code"], second["code"]}
    assert _codes(ctx, "幸福小区东") == [second["code"]]  # the address is searched too
    assert _codes(ctx, second["code"]) == [second["code"]]  # a code is matched whole
    assert _codes(ctx, "扰民严重 ") == [first["code"]]


def test_single_characters_and_symbols_still_search(ctx: Fresh) -> None:
    marker = _new(ctx, title="罕见字甪直路段")
    assert _codes(ctx, "甪") == [marker["code"]]
    last = _new(ctx, title="结尾是罕见字亍")  # the last character of a run is a term too
    assert _codes(ctx, "亍") == [last["code"]]
    percent = _new(ctx, title="满意度100%达成")
    assert _codes(ctx, "100%") == [percent["code"]]  # LIKE wildcards are matched literally


def test_a_changed_title_is_searched_under_its_new_words(ctx: Fresh) -> None:
    _, _, engine = ctx
    case = _new(ctx, title="旧标题甲乙丙")
    with unit_of_work(engine) as session:
        row = session.get(Event, case["id"])
        assert row is not None
        row.title = "新标题丁戊己"
    assert _codes(ctx, "甲乙丙") == []
    assert _codes(ctx, "丁戊己") == [case["code"]]


def test_search_respects_the_readers_area(ctx: Fresh) -> None:
    case = _new(ctx, title="辖区检索测试庚辛")
    assert _codes(ctx, "庚辛") == [case["code"]]
    assert _codes(ctx, "庚辛", user="street_nanzhang") == []


def test_every_case_is_in_the_index(ctx: Fresh) -> None:
    """The seeded history (bulk-written) and the cases reported through the API alike."""
    _, _, engine = ctx
    with engine.connect() as connection:
        blank = connection.execute(
            text("SELECT count(*) FROM events WHERE search_text = '' AND title <> ''")
        ).scalar_one()
    assert blank == 0


def test_a_common_phrase_pages_newest_first_with_the_other_filters(ctx: Fresh) -> None:
    """Many matches: the pages follow each other newest first with nothing twice, the total
    counts them all, and the other filters still apply (on SQLite the cases are read in the
    index's order, each then tested)."""
    client, auth, engine = ctx
    made = [_new(ctx, title=f"公共短语壬癸检索{n}")["id"] for n in range(7)]
    voided = made[2]
    with unit_of_work(engine) as session:
        row = session.get(Event, voided)
        assert row is not None
        row.status = "voided"
    headers = auth("operator")
    seen: list[int] = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/v1/events",
            params={"q": "壬癸检索", "page_size": 3, "page": page},
            headers=headers,
        ).json()
        assert body["total"] == 7
        assert len(body["items"]) == min(3, 7 - len(seen))
        seen += [item["id"] for item in body["items"]]
    assert seen == sorted(made, reverse=True)
    only_voided = client.get(
        "/api/v1/events", params={"q": "壬癸检索", "status": "voided"}, headers=headers
    ).json()
    assert [item["id"] for item in only_voided["items"]] == [voided]
    assert only_voided["total"] == 1
