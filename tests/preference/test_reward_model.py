"""The reward model saves with its constructor arguments and rebuilds from them alone."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from backflip.config import RewardModelConfig, RewardTrainingConfig
from backflip.preference.reward_model import RewardModel

CPU = torch.device("cpu")


def test_from_state_rebuilds_a_non_default_model_that_predicts_the_same() -> None:
    config = RewardModelConfig(members=2, hidden=(8, 4))
    model = RewardModel(5, 2, config, RewardTrainingConfig(min_steps=3, max_steps=3), CPU, seed=1)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    rebuilt = RewardModel.from_state(torch.load(buffer, weights_only=True), CPU)
    assert rebuilt.ensemble.hidden == (8, 4) and rebuilt.ensemble.n_members == 2
    x = np.random.default_rng(0).normal(size=(7, 5))
    a = np.random.default_rng(1).normal(size=(7, 2))
    np.testing.assert_array_equal(rebuilt.predict(x, a, x), model.predict(x, a, x))


def test_a_differently_built_model_refuses_the_state() -> None:
    saved = RewardModel(5, 2, RewardModelConfig(), RewardTrainingConfig(), CPU, seed=0)
    other = RewardModel(5, 2, RewardModelConfig(members=4), RewardTrainingConfig(), CPU, seed=0)
    with pytest.raises(ValueError, match="built as"):
        other.load_state_dict(saved.state_dict())
