"""Forecast (预测) of daily case volume: a weekday-profile model with empirical intervals.
Pure: a daily series in, points with intervals out.

The model ("weekday_profile"), refitted at every origin:

- weekday factors: the mean of each weekday over the last ``PROFILE_DAYS`` days divided by the
  mean of all of them, shrunk towards 1 by a prior worth ``SHRINK_CASES`` cases, so a sparse
  series (a few cases a day) does not swing while a dense one keeps its shape;
- level: an exponentially weighted mean (half-life ``HALF_LIFE`` days) of the deseasonalised
  days over the same window, so the forecast follows the recent volume (yearly seasons,
  growth) without a trend term that would run away over 30 days;
- point forecast = level × the weekday's factor.

The interval comes from the model's own errors on the history: at each of the last
``ERROR_ORIGINS`` days the model is refitted on what came before and its forecasts for the
next 1..horizon days are compared with what happened; the quantiles of log((actual + 1) /
(forecast + 1)) give the band, which is widened to at least the Poisson band of the forecast
(counts are never less uncertain than Poisson). ``mape_backtest`` is the same comparison's
MAPE over days with cases. The seasonal-naive baseline (the same weekday a week before) is
here for the benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

PROFILE_DAYS = 56
HALF_LIFE = 14.0
SHRINK_CASES = 10.0  # the prior's weight, in cases: strong for a sparse series only
MIN_PROFILE_DAYS = 14
ERROR_ORIGINS = 91
MIN_TRAIN = 28
MIN_ERRORS = 20
HORIZONS = (7, 30)
LEVELS = (0.8, 0.95)
METHOD = "weekday_profile"
FALLBACK = "recent_mean"

FloatArray = np.ndarray
Predictor = Callable[[FloatArray, int, int], FloatArray]


@dataclass(frozen=True)
class ForecastPoint:
    day: date
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class Result:
    points: list[ForecastPoint]
    method: str
    level: float
    mape_backtest: float | None
    errors_used: int


def weekday_profile(y: FloatArray, first_weekday: int, horizon: int) -> FloatArray:
    """Forecasts of the ``horizon`` days after ``y`` (``first_weekday``: y[0]'s weekday)."""
    n = len(y)
    if n == 0:
        return np.zeros(horizon)
    window = y[-PROFILE_DAYS:]
    start = n - len(window)
    weekdays = (np.arange(start, n) + first_weekday) % 7
    mean = float(window.mean())
    if mean <= 0:
        return np.zeros(horizon)
    factors = np.ones(7)
    if len(window) >= MIN_PROFILE_DAYS:
        prior_days = SHRINK_CASES / mean
        for d in range(7):
            seen = window[weekdays == d]
            factors[d] = (seen.sum() + prior_days * mean) / (len(seen) + prior_days) / mean
    ages = np.arange(len(window))[::-1]
    weights = 0.5 ** (ages / HALF_LIFE)
    level = float((weights * window / factors[weekdays]).sum() / weights.sum())
    future = (np.arange(n, n + horizon) + first_weekday) % 7
    return np.asarray(level * factors[future], dtype=float)


def seasonal_naive(y: FloatArray, first_weekday: int, horizon: int) -> FloatArray:
    """The same weekday one week before, repeated (the benchmark's baseline)."""
    n = len(y)
    if n < 7:
        return np.full(horizon, float(y.mean()) if n else 0.0)
    last_week = y[-7:]
    return np.asarray([last_week[h % 7] for h in range(horizon)], dtype=float)


def _origins(n: int, count: int) -> range:
    return range(max(MIN_TRAIN, n - count), n)


def log_errors(
    y: FloatArray, first_weekday: int, horizon: int, predictor: Predictor = weekday_profile
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rolling-origin (actual, forecast, log error) over the last ``ERROR_ORIGINS`` origins."""
    actual: list[float] = []
    predicted: list[float] = []
    for origin in _origins(len(y), ERROR_ORIGINS):
        steps = min(horizon, len(y) - origin)
        guess = predictor(y[:origin], first_weekday, steps)
        actual += list(y[origin : origin + steps])
        predicted += list(guess)
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return a, p, np.log((a + 1.0) / (p + 1.0))


def poisson_quantile(lam: float, q: float) -> int:
    """The smallest k with P(X <= k) >= q, X ~ Poisson(lam)."""
    if lam <= 0:
        return 0
    if lam > 500:  # normal approximation, far beyond any day a district has
        z = _normal_quantile(q)
        return max(0, math.floor(lam + z * math.sqrt(lam) + 0.5))
    term = math.exp(-lam)
    total, k = term, 0
    while total < q:
        k += 1
        term *= lam / k
        total += term
    return k


def _normal_quantile(q: float) -> float:
    # Acklam's rational approximation is overkill here: the two levels used are tabled.
    table = {0.025: -1.959964, 0.1: -1.281552, 0.9: 1.281552, 0.975: 1.959964}
    return table.get(round(q, 3), 0.0)


def mape(actual: FloatArray, predicted: FloatArray) -> float | None:
    """Mean absolute percentage error over the days with cases (percent)."""
    mask = actual > 0
    if not mask.any():
        return None
    return float(np.mean(np.abs(actual[mask] - predicted[mask]) / actual[mask]) * 100)


def smape(actual: FloatArray, predicted: FloatArray) -> float | None:
    denominator = np.abs(actual) + np.abs(predicted)
    mask = denominator > 0
    if not mask.any():
        return None
    return float(np.mean(2 * np.abs(actual[mask] - predicted[mask]) / denominator[mask]) * 100)


def forecast(history: Sequence[tuple[date, int]], horizon: int, *, level: float = 0.8) -> Result:
    """Daily forecasts for the ``horizon`` days after a contiguous daily history."""
    if horizon < 1:
        raise ValueError("horizon must be positive")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if not history:
        return Result([], FALLBACK, level, None, 0)
    y = np.asarray([v for _, v in history], dtype=float)
    first_weekday = history[0][0].weekday()
    last_day = history[-1][0]
    method = METHOD if len(y) >= MIN_PROFILE_DAYS else FALLBACK
    values = weekday_profile(y, first_weekday, horizon)
    actual, predicted, errors = log_errors(y, first_weekday, horizon)
    tail = (1 - level) / 2
    if len(errors) >= MIN_ERRORS:
        low_q, high_q = (float(v) for v in np.quantile(errors, [tail, 1 - tail]))
    else:
        low_q = high_q = 0.0
    points = []
    for step, raw in enumerate(values, start=1):
        value = float(raw)
        lower = (value + 1.0) * math.exp(low_q) - 1.0
        upper = (value + 1.0) * math.exp(high_q) - 1.0
        lower = min(lower, float(poisson_quantile(value, tail)))
        upper = max(upper, float(poisson_quantile(value, 1 - tail)))
        points.append(
            ForecastPoint(
                last_day + timedelta(days=step),
                round(value, 2),
                round(max(0.0, lower), 2),
                round(max(upper, value), 2),
            )
        )
    return Result(
        points,
        method,
        level,
        None if len(errors) < MIN_ERRORS else _rounded(mape(actual, predicted)),
        len(errors),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class Backtest:
    horizon: int
    origins: int
    mape: float | None
    smape: float | None
    coverage: float | None  # share of actual days inside the interval (weekday model only)
    naive_mape: float | None
    naive_smape: float | None


def backtest(
    history: Sequence[tuple[date, int]],
    horizon: int,
    *,
    origins: int,
    level: float = 0.8,
    stride: int = 1,
) -> Backtest:
    """Honest rolling-origin evaluation: at each origin the forecast (interval included) sees
    only the days before it; the seasonal-naive baseline is scored on the same days."""
    y = np.asarray([v for _, v in history], dtype=float)
    first_weekday = history[0][0].weekday() if history else 0
    actual: list[float] = []
    model: list[float] = []
    naive: list[float] = []
    inside = 0
    used = 0
    last_origin = len(y) - horizon
    for origin in range(
        max(MIN_TRAIN, last_origin - origins * stride + 1), last_origin + 1, stride
    ):
        result = forecast(history[:origin], horizon, level=level)
        truth = y[origin : origin + horizon]
        actual += list(truth)
        model += [p.value for p in result.points]
        naive += list(seasonal_naive(y[:origin], first_weekday, horizon))
        inside += sum(
            1 for p, t in zip(result.points, truth, strict=True) if p.lower <= t <= p.upper
        )
        used += 1
    a = np.asarray(actual)
    m = np.asarray(model)
    nv = np.asarray(naive)
    return Backtest(
        horizon,
        used,
        _rounded(mape(a, m)),
        _rounded(smape(a, m)),
        round(inside / len(a), 3) if len(a) else None,
        _rounded(mape(a, nv)),
        _rounded(smape(a, nv)),
    )
