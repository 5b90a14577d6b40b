"""SURF's mechanics: the pseudo-label threshold, the temporal crop, and a fit that learns
from the unlabelled pairs it is sure of."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
import torch

from backflip.config import ConfigError, RewardTrainingConfig
from backflip.preference.surf import crop_window, pseudo_labels
from tests.preference.test_reward_training import (
    make_pairs,
    make_segments,
    make_trainer,
    steps,
    true_comparisons,
)


def test_only_pairs_the_ensemble_is_sure_of_get_a_pseudo_label() -> None:
    p_left = torch.tensor([0.99, 0.5, 0.02, 0.9, 0.95])
    sure, labels = pseudo_labels(p_left, threshold=0.95)
    assert sure.tolist() == [True, False, True, False, True]
    assert labels[sure].tolist() == [1.0, 0.0, 1.0]


def test_a_crop_is_one_length_for_both_clips_at_starts_of_their_own() -> None:
    rng = np.random.default_rng(0)
    windows = [crop_window(rng, 50, 0.2) for _ in range(2000)]
    lengths = {length for length, _, _ in windows}
    assert min(lengths) == math.ceil(0.8 * 50) and max(lengths) == 50
    assert all(s >= 0 and s + length <= 50 for length, a, b in windows for s in (a, b))
    assert any(a != b for _, a, b in windows)  # the two starts are drawn apart


def test_a_cropped_pair_is_read_from_its_two_windows_scaled_to_the_clip() -> None:
    trainer = make_trainer()
    x = torch.randn(4, 20, trainer.ensemble.in_dim)
    pairs = torch.tensor([[0, 1], [2, 3]])
    full = trainer._pair_diffs(x, pairs)
    torch.testing.assert_close(trainer._pair_diffs(x, pairs, window=(20, 0, 0)), full)
    got = trainer._pair_diffs(x, pairs, window=(5, 3, 10))
    with torch.no_grad():
        rewards = trainer.ensemble.mlp(x.reshape(-1, x.shape[-1])).reshape(-1, 4, 20)
    left = rewards[:, pairs[:, 0], 3:8].sum(-1) * 4  # 20 / 5
    right = rewards[:, pairs[:, 1], 10:15].sum(-1) * 4
    torch.testing.assert_close(got, left - right, rtol=1e-5, atol=1e-5)


def _sure_share(trainer, clips: list, threshold: float) -> float:
    """Share of all pairs of ``clips`` on which the mean member is at least this sure."""
    returns = trainer.ensemble.clip_returns(clips, normalized=False)  # (M, n)
    diffs = torch.as_tensor(returns[:, :, None] - returns[:, None, :])
    sure, _ = pseudo_labels(torch.sigmoid(diffs).mean(0).flatten(), threshold)
    return float(sure.float().mean())


def test_a_surf_fit_learns_from_the_unlabelled_pairs_it_is_sure_of() -> None:
    segs = make_segments(20)
    comps = true_comparisons(segs, make_pairs(20, 20))
    unlabelled = list(make_segments(100, seed=5).values())
    plain = make_trainer(steps(200))
    plain.fit(comps, segs, unlabelled)  # SURF off: the unlabelled clips are not read
    surf = make_trainer(steps(200, surf_threshold=0.9, surf_weight=3.0))
    surf.fit(comps, segs, unlabelled)
    # Trained towards the labels it gave itself, it is sure of more unlabelled pairs.
    assert _sure_share(surf, unlabelled, 0.9) > _sure_share(plain, unlabelled, 0.9) + 0.05
    assert plain.ensemble.clip_returns(unlabelled).shape == (3, 100)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"surf_threshold": 0.4},
            "--reward-training.surf-threshold must be 0 (off) or in (0.5, 1]",
        ),
        ({"surf_crop": 1.0}, "--reward-training.surf-crop must be in [0, 1)"),
        ({"surf_weight": -1.0}, "--reward-training.surf-weight must be >= 0"),
    ],
)
def test_surf_settings_are_checked(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        dataclasses.replace(RewardTrainingConfig(), **changes)


def test_a_crop_shorter_than_the_stride_still_reads_a_step() -> None:
    segs = make_segments(20, length=100)
    comps = true_comparisons(segs, make_pairs(20, 20))
    trainer = make_trainer(steps(200, train_clip_steps=10, surf_crop=0.99))
    stats = trainer.fit(comps, segs)  # windows from 1 step, every 10th step read
    assert np.isfinite(stats.train_loss)
