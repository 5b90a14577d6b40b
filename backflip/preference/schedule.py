"""When labels are asked: Christiano et al.'s decaying label rate, finished early."""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class LabelSchedule:
    """A label budget spread over the first part of a run: a block up front, then a
    decaying rate that has asked the whole budget at step ``until * steps``.

    ``initial = round(total * initial_fraction)`` labels are asked about clips of the
    initial random policy at step 0; the rest arrive at a rate proportional to
    ``1 / (1 + t / tau)`` with ``tau = until * steps / decay``, so the rate when labelling
    ends is ``1 / (1 + decay)`` of the rate at its start (the paper: ``2e6 / (t + 2e6)``).
    Labels asked late teach the agent little: by default all are in by mid-run.
    """

    total: int
    """label budget of the whole run (comparisons); 0 asks none."""
    steps: int
    """env steps of the run."""
    initial_fraction: float = 0.25
    """share of the budget asked at step 0, in [0, 1]."""
    decay: float = 4.0
    """start-to-end ratio of the label rate minus 1; > 0."""
    until: float = 0.5
    """share of ``steps`` by which ``due`` reaches ``total``, in (0, 1]."""

    def __post_init__(self) -> None:
        if self.total < 0:
            raise ValueError(f"total must be >= 0, got {self.total}")
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if not 0 <= self.initial_fraction <= 1:
            raise ValueError(f"initial_fraction must be in [0, 1], got {self.initial_fraction}")
        if not (self.decay > 0 and math.isfinite(self.decay)):
            raise ValueError(f"decay must be a finite number > 0, got {self.decay}")
        if not 0 < self.until <= 1:
            raise ValueError(f"until must be in (0, 1], got {self.until}")

    @property
    def initial(self) -> int:
        """Labels asked at step 0."""
        return round(self.total * self.initial_fraction)

    @property
    def last_step(self) -> float:
        """Env step from which the whole budget is due."""
        return self.until * self.steps

    @property
    def tau(self) -> float:
        """Env steps over which the label rate halves the first time."""
        return self.last_step / self.decay

    def due(self, step: int) -> int:
        """Cumulative labels that should have been asked by env step ``step``.

        Non-decreasing in ``step``; ``due(0) == initial``; ``due(s) == total`` for every
        ``s >= until * steps``.
        """
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        if step >= self.last_step:
            return self.total
        rest = self.total - self.initial
        fraction = math.log1p(step / self.tau) / math.log1p(self.decay)
        return min(self.total, self.initial + math.floor(rest * fraction))

    def initial_batches(self, batches: int) -> list[int]:
        """Cumulative targets ``(batches,)`` for asking the initial block in ``batches``
        roughly equal parts (fewer when the block is smaller); the last is ``initial``."""
        count = max(1, min(batches, self.initial))
        return sorted({math.ceil(self.initial * (k + 1) / count) for k in range(count)})
