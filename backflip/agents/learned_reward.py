"""The VecEnv wrapper through which the learned reward replaces the env's reward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

# (obs, acts, next_obs), each (n, dim) -> (n,) rewards. Never given the true reward.
RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class LearnedRewardVecEnv(VecEnvWrapper):
    """Replaces each step's reward with ``reward_fn(obs, act, next_obs)``; with
    ``reward_fn`` None, passes the env's reward on (a true-reward run outside PEBBLE's
    pre-training).

    The env's true reward stays with the inner envs (their ``Monitor`` records true episode
    returns for evaluation); the agent above this wrapper only sees the learned one.
    """

    def __init__(self, venv: VecEnv, reward_fn: RewardFn | None) -> None:
        super().__init__(venv)
        self.reward_fn = reward_fn
        self._last_obs: np.ndarray | None = None
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        obs = np.asarray(self.venv.reset())
        self._last_obs = obs
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)
        self.venv.step_async(actions)

    def step_wait(self) -> VecEnvStepReturn:
        obs, env_rewards, dones, infos = self.venv.step_wait()
        if self.reward_fn is None:
            self._last_obs = np.asarray(obs)
            return obs, env_rewards, dones, infos
        assert self._last_obs is not None and self._actions is not None, "reset() first"
        next_obs = np.array(obs, copy=True)
        for i in np.flatnonzero(dones):
            next_obs[i] = infos[i]["terminal_observation"]
        rewards = np.asarray(self.reward_fn(self._last_obs, self._actions, next_obs))
        self._last_obs = np.asarray(obs)
        return obs, rewards.astype(np.float32), dones, infos
