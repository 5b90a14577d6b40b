"""Statistics over seeds: mean and interquartile mean with percentile bootstrap confidence
intervals (scipy.stats.bootstrap; the IQM is rliable's, a 25% trimmed mean)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from scipy import stats

RESAMPLES = 10_000
CONFIDENCE = 0.95
Statistic = Callable[..., np.ndarray]
"""``(values, axis) -> statistic along axis``"""


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A statistic over seeds and its 95% confidence interval (NaN with one seed)."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        if math.isnan(self.value):
            return "–"
        if math.isnan(self.low):
            return f"{self.value:.2f}"
        return f"{self.value:.2f} [{self.low:.2f}, {self.high:.2f}]"


def normalized_score(learned: float, baseline: float, random: float) -> float:
    """(learned - random) / (baseline - random): 1 matches the baseline, 0 a random
    policy; NaN unless the baseline beats the random policy (below it, the ratio would rank
    a better learned run lower)."""
    gap = baseline - random
    return (learned - random) / gap if gap > 0 else math.nan


def format_score(value: float) -> str:
    """A score to two decimals, "–" where there is none (NaN)."""
    return "–" if math.isnan(value) else f"{value:.2f}"


def mean(values: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(values, axis=axis)


def iqm(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Interquartile mean: the mean of the middle 50% (Agarwal et al. 2021)."""
    return np.asarray(stats.trim_mean(values, 0.25, axis=axis))


def estimate(values: list[float], statistic: Statistic = mean) -> Estimate:
    """``statistic`` of ``values`` with a percentile bootstrap CI over them (seeded, so a
    report rebuilt from the same runs prints the same intervals)."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return Estimate(math.nan, math.nan, math.nan)
    value = float(statistic(data))
    if data.size < 2:
        return Estimate(value, math.nan, math.nan)
    if np.ptp(data) == 0:
        return Estimate(value, value, value)
    result = stats.bootstrap(
        (data,),
        statistic,
        n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(0),
    )
    interval = result.confidence_interval
    return Estimate(value, float(interval.low), float(interval.high))
