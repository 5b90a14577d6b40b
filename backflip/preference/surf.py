"""SURF (Park et al. 2022): the reward fit also learns from unlabelled clip pairs where the
ensemble is already sure which is better, and reads each clip's return from a random
window of it, so that a few labels go further."""

from __future__ import annotations

import math

import numpy as np
import torch

from backflip.preference.loss import random_answer_bce


def pseudo_labels(p_left: torch.Tensor, threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Which of ``(B,)`` pairs the ensemble is sure of (mean ``P(left better)`` at least
    ``threshold`` or at most ``1 - threshold``) and their labels (1.0: left, 0.0: right),
    both ``(B,)``."""
    sure = torch.maximum(p_left, 1.0 - p_left) >= threshold
    return sure, (p_left > 0.5).float()


def crop_window(rng: np.random.Generator, steps: int, crop: float) -> tuple[int, int, int]:
    """A temporal crop of a pair of ``steps``-step clips: ``(length, left start, right
    start)``, the length drawn from ``ceil((1 - crop) * steps)`` to ``steps`` and the same
    for both clips, each start drawn on its own."""
    length = int(rng.integers(max(1, math.ceil((1.0 - crop) * steps)), steps + 1))
    left, right = rng.integers(0, steps - length + 1, size=2)
    return length, int(left), int(right)


def pseudo_label_loss(diffs: torch.Tensor, threshold: float, eps: float) -> torch.Tensor:
    """SURF's loss on unlabelled pairs: ``diffs`` ``(M, B)`` are the members'
    ``R_left - R_right``; each member's mean cross-entropy on the pairs the ensemble is
    sure of (see :func:`pseudo_labels`) against the ensemble's own answer, summed over
    members (0 when it is sure of none)."""
    sure, target = pseudo_labels(torch.sigmoid(diffs.detach()).mean(0), threshold)
    if not bool(sure.any()):
        return diffs.new_zeros(())
    kept = diffs[:, sure]
    return random_answer_bce(kept, target[sure].expand_as(kept), eps).mean(1).sum()
