"""RUNE (Liang et al. 2022): the agent's reward plus a bonus where the reward ensemble's
members disagree, shrinking over training, so the agent explores what the labels have
not settled yet."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (obs, acts, next_obs), each (n, dim) -> (M, n) each member's normalized reward.
MemberRewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class RuneReward:
    """``mean + beta * (1 - decay) ** t * std`` over the members' rewards of each
    transition, ``t`` the env steps taken so far.

    Called once per vectorized env step with one row per env, it counts those rows as
    env steps; set :attr:`steps` to the agent's step count before it acts (a resumed run).
    """

    def __init__(self, members: MemberRewardFn, beta: float, decay: float) -> None:
        self.members = members
        self.beta = beta
        self.decay = decay
        self.steps = 0

    def weight(self) -> float:
        """The bonus weight at :attr:`steps`."""
        return float(self.beta * (1.0 - self.decay) ** self.steps)

    def __call__(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        rewards = self.current(obs, acts, next_obs)
        self.steps += len(obs)
        return rewards

    def current(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        """``(n,)`` float32 rewards with the bonus weight as it is now; counts no steps
        (SAC's replay relabelling)."""
        members = self.members(obs, acts, next_obs)
        return (members.mean(axis=0) + self.weight() * members.std(axis=0)).astype(np.float32)
