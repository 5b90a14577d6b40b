"""When labels are asked: Christiano et al.'s decaying label rate over a run."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class LabelSchedule:
    """A label budget spread over a run: a block up front, then a decaying rate.

    ``initial = round(total * initial_fraction)`` labels are asked about clips of the
    initial random policy at step 0; the rest arrive at a rate proportional to
    ``1 / (1 + t / tau)`` with ``tau = steps / decay``, so the rate at the end of the run
    is ``1 / (1 + decay)`` of the rate at its start (the paper: ``2e6 / (t + 2e6)``).
    """

    total: int
    """label budget of the whole run (comparisons); 0 asks none."""
    steps: int
    """env steps of the run; ``due`` reaches ``total`` here."""
    initial_fraction: float = 0.25
    """share of the budget asked at step 0, in [0, 1]."""
    decay: float = 4.0
    """start-to-end ratio of the label rate minus 1; > 0."""

    def __post_init__(self) -> None:
        if self.total < 0:
            raise ValueError(f"total must be >= 0, got {self.total}")
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if not 0 <= self.initial_fraction <= 1:
            raise ValueError(f"initial_fraction must be in [0, 1], got {self.initial_fraction}")
        if not (self.decay > 0 and math.isfinite(self.decay)):
            raise ValueError(f"decay must be a finite number > 0, got {self.decay}")

    @property
    def initial(self) -> int:
        """Labels asked at step 0."""
        return round(self.total * self.initial_fraction)

    @property
    def tau(self) -> float:
        """Env steps over which the label rate halves the first time."""
        return self.steps / self.decay

    def due(self, step: int) -> int:
        """Cumulative labels that should have been asked by env step ``step``.

        Non-decreasing in ``step``; ``due(0) == initial``; ``due(s) == total`` for every
        ``s >= steps``.
        """
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        if step >= self.steps:
            return self.total
        rest = self.total - self.initial
        fraction = math.log1p(step / self.tau) / math.log1p(self.decay)
        return min(self.total, self.initial + math.floor(rest * fraction))
