"""When a reward fit stops: every member right on ``target_accuracy`` of its own training
comparisons (PEBBLE's criterion), within a floor and a cap of optimizer steps."""

from __future__ import annotations

import dataclasses
import math

import torch

from backflip.config import RewardTrainingConfig

CHECK_EVERY = 25
"""Optimizer steps (whole epochs) between checks of the criterion, at least."""
CHECK_SHARE = 1 / 3
"""Checks read every step of every clip: they are spaced so that they cost about this
share of the training steps between them."""


@dataclasses.dataclass
class StoppingRule:
    """Decides, after each epoch of a fit, whether to check the criterion and whether it
    is met; :attr:`accuracy` is the last check's (NaN before the first)."""

    config: RewardTrainingConfig
    check_every: int
    """optimizer steps between checks."""
    checked: int = 0
    """optimizer steps at the last check."""
    accuracy: float = math.nan

    @classmethod
    def for_fit(
        cls, config: RewardTrainingConfig, n_clips: int, clip_steps: int, stride: int
    ) -> StoppingRule:
        """The rule of a fit on ``n_clips`` clips of ``clip_steps`` steps, read at
        ``stride`` in training: checks that cost about :data:`CHECK_SHARE` of training."""
        rows = 3 * 2 * config.batch_size * math.ceil(clip_steps / stride)  # forward, backward
        every = max(CHECK_EVERY, math.ceil(n_clips * clip_steps / (CHECK_SHARE * rows)))
        return cls(config, every)

    def check_due(self, steps: int) -> bool:
        """Whether to check after ``steps`` optimizer steps: past the floor, and either a
        check's spacing since the last or the cap reached."""
        if steps < self.config.min_steps:
            return False
        return steps - self.checked >= self.check_every or steps >= self.config.max_steps

    def met(self, steps: int, accuracy: float) -> bool:
        """Records a check at ``steps`` that found ``accuracy``; whether the fit is done."""
        self.checked, self.accuracy = steps, accuracy
        return not accuracy < self.config.target_accuracy


def train_accuracy(
    diffs: torch.Tensor, labels: torch.Tensor, counts: torch.Tensor, decided: torch.Tensor
) -> float:
    """The lowest member accuracy on its own non-tie training comparisons (NaN if none).

    ``diffs`` ``(M, n)`` are ``R_left - R_right``; ``labels`` ``(n,)``; ``counts`` ``(M,
    n)`` each member's bootstrap counts; ``decided`` ``(n,)`` the non-ties."""
    correct = ((diffs > 0) == (labels > 0.5)).float()  # (M, n)
    weight = counts * decided
    total = weight.sum(1)
    if not bool((total > 0).all()):
        return math.nan
    return float(((correct * weight).sum(1) / total).min())
