"""The detectors as pure functions: injected anomalies are found with the right numbers, a
steady background is quiet."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np

from gridgov.alerts import detect
from gridgov.alerts.detect import ClosedCase, Report, SlaModel

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def test_a_spike_is_found_with_its_numbers() -> None:
    history = [12, 10, 15, 13, 11, 14, 12, 13]
    found = detect.rise(42, history, threshold=3.0, min_count=5)
    assert found is not None
    assert found.current == 42
    assert found.mean == sum(history) / 8 == 12.5
    # The spread: the weeks' variance (here below their mean, so the mean), with the mean's
    # own uncertainty.
    assert math.isclose(found.sd, math.sqrt(12.5 * (1 + 1 / 8)))
    assert math.isclose(found.z, (42 - 12.5) / found.sd)
    assert found.history == tuple(history)
    assert found.p_value < 0.00135


def test_small_counts_and_ordinary_weeks_are_not_alerts() -> None:
    assert detect.rise(2, [0] * 8, threshold=3.0, min_count=5) is None  # 0 → 2
    assert detect.rise(4, [0] * 8, threshold=3.0, min_count=5) is None  # below the minimum
    assert detect.rise(16, [12, 10, 15, 13, 11, 14, 12, 13], threshold=3.0, min_count=5) is None
    # A noisy category: 30 against weeks swinging between 5 and 35 is within its spread.
    assert detect.rise(30, [5, 35, 10, 30, 8, 28, 12, 33], threshold=3.0, min_count=5) is None


def test_sensitivity_is_the_threshold() -> None:
    history = [10, 12, 9, 11, 10, 13, 8, 11]
    assert detect.rise(22, history, threshold=3.0, min_count=5) is None
    assert detect.rise(22, history, threshold=2.0, min_count=5) is not None


def test_a_steady_poisson_background_is_quiet_and_injected_rises_are_found() -> None:
    rng = np.random.default_rng(1)
    quiet, found, injected = 0, 0, 0
    for mean in (0.5, 2, 5, 10, 30, 80, 200):
        for _ in range(300):
            series = [int(x) for x in rng.poisson(mean, 9)]
            if detect.rise(series[-1], series[:-1], threshold=3.0, min_count=5):
                quiet += 1
            if mean >= 5:
                injected += 1
                spike = int(rng.poisson(mean * 3))
                if detect.rise(spike, series[:-1], threshold=3.0, min_count=5):
                    found += 1
    assert quiet == 0
    assert found / injected > 0.8


def test_windows_are_the_same_weekdays_of_past_weeks() -> None:
    today = date(2026, 11, 30)  # a Monday
    current, past = detect.windows(today, "week", 8)
    assert (current.first, current.last) == (date(2026, 11, 24), today)
    assert len(past) == 8
    assert (past[0].first, past[0].last) == (date(2026, 11, 17), date(2026, 11, 23))
    assert all(w.first.weekday() == current.first.weekday() for w in past)
    day, days = detect.windows(today, "day", 8)
    assert day.days == 1 and days[-1].first == today - timedelta(weeks=8)


def test_the_most_specific_rise_speaks_for_the_cause() -> None:
    parents = {"0101": "01", "0102": "01"}
    keys = {
        ("day", "d/s1/", "01"),
        ("day", "d/s1/", "0101"),
        ("day", "d/s1/c1/", "0101"),
        ("week", "d/s1/c1/", "0101"),
        ("week", "d/s2/", "0102"),
    }
    kept = detect.most_specific(keys, parents.get)
    assert kept == {("day", "d/s1/c1/", "0101"), ("week", "d/s2/", "0102")}


def _at(event_id: int, lon: float, lat: float, category: str = "0101", days: int = 0,
        component: str | None = None) -> Report:  # fmt: skip
    return Report(event_id, category, lon, lat, T0 + timedelta(days=days), "d/s/c/g/", component)


def test_reports_at_one_spot_form_one_group() -> None:
    metre = 1 / 111_320
    reports = [
        _at(1, 117.0, 35.0),
        _at(2, 117.0 + 20 * metre, 35.0, days=3),
        _at(3, 117.0, 35.0 + 30 * metre, days=9),
        _at(4, 117.0, 35.0 + 40 * metre, days=12),
        _at(5, 117.0 + 500 * metre, 35.0, days=2),  # another spot
        _at(6, 117.0, 35.0, category="0202", days=4),  # another category
        _at(7, 117.0, 35.0, category="0202", days=5),
    ]
    groups = detect.recurrences(reports, min_count=3, radius_m=50)
    assert len(groups) == 1
    assert groups[0].event_ids == [1, 2, 3, 4]
    assert groups[0].category_code == "0101"
    assert groups[0].first_at == T0 and groups[0].last_at == T0 + timedelta(days=12)


def test_reports_on_one_component_form_one_group_wherever_they_are_placed() -> None:
    reports = [_at(i, 117.0 + i * 0.01, 35.0, component="JG-0042") for i in range(1, 4)]
    reports.append(_at(9, 117.0, 35.0, component="JG-0043"))
    groups = detect.recurrences(reports, min_count=3, radius_m=50)
    assert [(g.key, g.event_ids) for g in groups] == [("component:JG-0042", [1, 2, 3])]


def test_sla_model_ranks_the_case_history_says_will_be_late_first() -> None:
    history = [
        # 0101 at department 7: four in five finish late.
        *(ClosedCase("0101", "01", "grid", 7, 1.1 + i / 100) for i in range(40)),
        *(ClosedCase("0101", "01", "grid", 7, 0.2 + i / 25) for i in range(10)),
        # 0201 at department 8: finished all through their time, nearly always in time.
        *(ClosedCase("0201", "02", "grid", 8, 0.1 + i * 0.018) for i in range(48)),
        *(ClosedCase("0201", "02", "grid", 8, 1.2) for _ in range(2)),
    ]
    model = SlaModel(history)
    late = model.estimate("0101", "01", "grid", 7, 0.5)
    early = model.estimate("0201", "02", "grid", 8, 0.5)
    assert late.probability > 0.6 > early.probability
    # The figures quoted to the user: the group's on-time rate and, of its cases that had
    # used half their time without closing, how many ended late.
    assert late.cases == 50 and math.isclose(late.on_time_rate or 0, 0.2)
    assert late.late_survivors == 40 and late.survivors == 40 + 2
    # The longer a case of the early category stays open, the likelier it is one of the
    # rare late ones.
    assert model.estimate("0201", "02", "grid", 8, 0.9).probability > early.probability


def test_elapsed_share() -> None:
    assert detect.elapsed_share(T0, T0 + timedelta(hours=10), T0 + timedelta(hours=7)) == 0.7
