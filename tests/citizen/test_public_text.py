"""The pure parts of the citizen channel: the in-memory rate limiter, the redaction and
blurring of public copies, the category questions, and the Open311 XML writer/reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov.citizen import catalog
from gridgov.kit.errors import TooManyRequests
from gridgov.kit.ratelimit import RateLimiter
from gridgov.open311 import xml


def test_sliding_window_limiter() -> None:
    moment = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = RateLimiter(clock=lambda: moment[0])
    assert [limiter.hit("k", 2) for _ in range(2)] == [None, None]
    assert limiter.hit("k", 2) == 60  # the oldest hit frees its slot a minute later
    assert limiter.hit("other", 2) is None  # keys count apart
    moment[0] += timedelta(seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("k", 2)
    assert refused.value.details["retry_after"] == 30
    moment[0] += timedelta(seconds=31)
    assert limiter.hit("k", 2) is None


def test_limiter_forgets_idle_keys_when_full() -> None:
    moment = [datetime(2026, 1, 1, tzinfo=UTC)]
    limiter = RateLimiter(clock=lambda: moment[0], max_keys=10)
    for n in range(10):
        limiter.hit(f"ip:{n}", 5)
    moment[0] += timedelta(minutes=2)
    assert limiter.hit("ip:new", 5) is None
    assert len(limiter._hits) <= 10


def test_redaction_removes_phone_and_id_numbers_only() -> None:
    text = "电话13812345678，身份证37081119900101123X，座机0537-2345678，门牌 12 号，编号 SJ2026"
    redacted = catalog.redact(text)
    for secret in ("13812345678", "37081119900101123X", "0537-2345678"):
        assert secret not in redacted
    assert "门牌 12 号" in redacted and "SJ2026" in redacted


def test_blur_snaps_every_point_of_a_cell_to_its_centre() -> None:
    a = catalog.blur(116.5871, 35.4102)
    b = catalog.blur(116.5899, 35.4149)
    assert a == b == (116.5875, 35.4125)
    assert catalog.blur(116.5901, 35.4102) != a
    assert catalog.is_sensitive("0501") and catalog.is_sensitive("0603")
    assert not catalog.is_sensitive("0101")


def test_category_questions_are_checked() -> None:
    kept, problems = catalog.validate_answers("0101", {"waste_kind": "bulky", "junk": "x"})
    assert kept == {"waste_kind": "bulky"} and problems == []
    assert catalog.describe_answers("0101", kept) == "垃圾类型：大件垃圾"
    _, problems = catalog.validate_answers("0101", {"waste_kind": "gold"})
    assert problems and problems[0][0] == "waste_kind"
    _, problems = catalog.validate_answers("0302", {"lamp_count": "three"})
    assert problems == [("lamp_count", "“不亮的路灯数量”应为数字")]
    assert catalog.validate_answers("0102", {"anything": "x"}) == ({}, [])


def test_xml_round_trip_escapes_and_keeps_structure() -> None:
    body = [
        {
            "service_request_id": "SJ1",
            "description": "<script>alert('x')</script> & 垃圾",
            "lat": 35.1,
            "media_url": None,
            "metadata": True,
        }
    ]
    document = xml.dumps("service_requests", body)
    assert b"<script>" not in document and b"&lt;script&gt;" in document
    root, data = xml.parse(document)
    assert root == "service_requests"
    assert data == [
        {
            "service_request_id": "SJ1",
            "description": "<script>alert('x')</script> & 垃圾",
            "lat": "35.1",
            "media_url": "",
            "metadata": "true",
        }
    ]
    definition = {
        "service_code": "0101",
        "attributes": [{"code": "a", "values": [{"key": "k", "name": "n"}]}],
    }
    root, data = xml.parse(xml.dumps("service_definition", definition))
    assert data == definition
