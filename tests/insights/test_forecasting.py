"""The forecast model (pure) on synthetic weekly-seasonal series."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from gridgov.insights import forecasting
from gridgov.insights.forecasting import backtest, forecast, seasonal_naive, weekday_profile

PROFILE = (1.3, 1.15, 1.05, 1.0, 1.1, 0.6, 0.5)  # Monday .. Sunday
MONDAY = date(2025, 1, 6)


def series(days: int, level: float = 40.0, seed: int = 3) -> list[tuple[date, int]]:
    rng = np.random.default_rng(seed)
    return [
        (MONDAY + timedelta(days=i), int(rng.poisson(level * PROFILE[i % 7]))) for i in range(days)
    ]


@pytest.mark.parametrize("horizon", [7, 30])
def test_horizon_and_days_follow_the_history(horizon: int) -> None:
    history = series(182)
    result = forecast(history, horizon)
    assert len(result.points) == horizon
    assert result.points[0].day == history[-1][0] + timedelta(days=1)
    assert [p.day for p in result.points] == [
        history[-1][0] + timedelta(days=i) for i in range(1, horizon + 1)
    ]
    assert result.method == forecasting.METHOD
    assert all(p.lower <= p.value <= p.upper for p in result.points)


def test_weekday_shape_is_learned() -> None:
    result = forecast(series(182, level=100), 7)
    by_weekday = {p.day.weekday(): p.value for p in result.points}
    assert by_weekday[0] > 1.15 * by_weekday[3] > 1.15 * by_weekday[6]
    assert by_weekday[6] == pytest.approx(50, rel=0.15)
    assert by_weekday[0] == pytest.approx(130, rel=0.15)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_interval_covers_most_held_out_days(seed: int) -> None:
    full = series(182 + 30, seed=seed)
    history, held_out = full[:182], full[182:]
    for level, least in ((0.8, 0.6), (0.95, 0.8)):
        result = forecast(history, 30, level=level)
        inside = sum(
            p.lower <= actual <= p.upper
            for p, (_, actual) in zip(result.points, held_out, strict=True)
        )
        assert inside >= least * 30, (level, inside)
    assert result.mape_backtest is not None and result.mape_backtest < 25


def test_better_than_seasonal_naive_on_noisy_counts() -> None:
    figures = backtest(series(260, level=30, seed=9), 7, origins=60)
    assert figures.mape is not None and figures.naive_mape is not None
    assert figures.mape < figures.naive_mape
    assert figures.coverage is not None and figures.coverage > 0.7


def test_empty_and_short_histories() -> None:
    empty = forecast([], 7)
    assert empty.points == [] and empty.mape_backtest is None
    zeros = forecast([(MONDAY + timedelta(days=i), 0) for i in range(60)], 7)
    assert [p.value for p in zeros.points] == [0.0] * 7
    assert all(p.upper == 0 for p in zeros.points)
    short = forecast(series(5), 7)
    assert short.method == forecasting.FALLBACK
    assert len(short.points) == 7


def test_models_directly() -> None:
    y = np.asarray([v for _, v in series(70)], dtype=float)
    assert len(weekday_profile(y, 0, 30)) == 30
    naive = seasonal_naive(y, 0, 14)
    assert list(naive[:7]) == list(y[-7:]) == list(naive[7:])
