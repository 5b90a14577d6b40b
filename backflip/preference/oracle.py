"""Who answers queries: the one-method ``Oracle`` interface and the B-Pref synthetic teacher."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from backflip.config import TeacherConfig
from backflip.records import Segment

SCALE_FLOOR = 1e-8
"""Smallest return scale (std of seen clip returns) the synthetic teacher divides by."""


class Oracle(Protocol):
    """Anything that can say which of two clips is better."""

    def compare(self, left: Segment, right: Segment) -> float | None:
        """Probability that ``left`` is better than ``right``.

        Returns:
            ``1.0`` left is better, ``0.0`` right is better, ``0.5`` about equal, or
            ``None`` when the oracle cannot tell (a skip: never trained on).
        """
        ...


class SyntheticOracle:
    """Answers from the clips' oracle rewards, with B-Pref's human-like imperfections.

    Reads only ``Segment.oracle_rewards``. Both clips of every call join the record of
    seen returns (the last ``history`` of them) before judging. Deterministic for a
    seed and a sequence of calls.
    """

    name = "synthetic"

    def __init__(self, config: TeacherConfig, seed: int, history: int = 10_000) -> None:
        if history < 2:
            raise ValueError(f"history must be >= 2, got {history}")
        self.config = config
        self.rng = np.random.default_rng(seed)
        self._seen = np.zeros(history)  # ring buffer of seen returns
        self._count = 0  # returns seen in all, including those overwritten

    def clip_return(self, segment: Segment) -> float:
        """Myopic return of a clip: ``sum_t gamma**(T-1-t) * r_t``, in reward units."""
        rewards = segment.oracle_rewards.astype(np.float64)
        weights = self.config.gamma ** np.arange(len(rewards) - 1, -1, -1, dtype=np.float64)
        return float(rewards @ weights)

    def seen(self) -> np.ndarray:
        """``(n,)`` the last ``history`` returns seen, in no particular order."""
        return self._seen[: min(self._count, len(self._seen))]

    def scale(self) -> float:
        """Std of the returns seen so far, floored at :data:`SCALE_FLOOR`."""
        seen = self.seen()
        return max(float(seen.std()), SCALE_FLOOR) if len(seen) else SCALE_FLOOR

    def remember(self, segments: Iterable[Segment]) -> None:
        """Adds clips' returns to the history that sets the scale and the skip quantile
        (e.g. the labelled clips of a resumed run), without answering anything."""
        for segment in segments:
            self._remember(self.clip_return(segment))

    def _remember(self, value: float) -> None:
        self._seen[self._count % len(self._seen)] = value
        self._count += 1

    def compare(self, left: Segment, right: Segment) -> float | None:
        """1.0 left better, 0.0 right better, 0.5 about equal, None skipped."""
        cfg = self.config
        r_left, r_right = self.clip_return(left), self.clip_return(right)
        self._remember(r_left)
        self._remember(r_right)
        scale = self.scale()
        if cfg.skip > 0:
            threshold = float(np.quantile(self.seen(), cfg.skip))
            if r_left < threshold and r_right < threshold:
                return None
        diff = r_left - r_right
        if diff == 0 or abs(diff) < cfg.equal * scale:
            return 0.5
        if math.isinf(cfg.beta):
            label = 1.0 if diff > 0 else 0.0
        else:
            p_left = _sigmoid(cfg.beta * diff / scale)
            label = 1.0 if self.rng.random() < p_left else 0.0
        if cfg.mistake > 0 and self.rng.random() < cfg.mistake:
            label = 1.0 - label
        return label


def _sigmoid(x: float) -> float:
    """Logistic function, stable for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
