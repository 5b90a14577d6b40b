"""RUNE's bonus: the members' spread, weighted by a weight that decays with env steps."""

from __future__ import annotations

import numpy as np
import pytest

from backflip.agents.rune import RuneReward

# Two transitions, three members: the first agreed on, the second disputed.
MEMBERS = np.array([[1.0, -2.0], [1.0, 0.0], [1.0, 2.0]], dtype=np.float32)


def _members(obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
    return MEMBERS[:, : len(obs)]


def test_the_bonus_is_the_members_spread_times_the_weight() -> None:
    rune = RuneReward(_members, beta=0.5, decay=0.0)
    rewards = rune(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)))
    spread = np.std([-2.0, 0.0, 2.0])
    np.testing.assert_allclose(rewards, [1.0, 0.5 * spread], rtol=1e-6)


def test_the_weight_decays_with_each_env_step_taken() -> None:
    rune = RuneReward(_members, beta=0.5, decay=0.01)
    for _ in range(10):  # ten vectorized steps of two envs
        rune(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)))
    assert rune.steps == 20
    assert rune.weight() == pytest.approx(0.5 * 0.99**20)
    before = rune.steps
    rune.current(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)))  # relabelling
    assert rune.steps == before


def test_without_a_bonus_it_is_the_ensemble_mean() -> None:
    rune = RuneReward(_members, beta=0.0, decay=1e-5)
    rewards = rune(np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)))
    np.testing.assert_allclose(rewards, MEMBERS.mean(axis=0))
