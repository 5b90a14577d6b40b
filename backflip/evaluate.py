"""Roll out a policy (or random actions) and measure the env's true return."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backflip.envs.make import make_env

Policy = Callable[[np.ndarray], np.ndarray]


def true_returns(
    env_id: str, horizon: int | None, policy: Policy | None, episodes: int, seed: int
) -> np.ndarray:
    """``(episodes,)`` true returns on the fixed-horizon env; ``policy=None`` acts randomly."""
    env = make_env(env_id, horizon=horizon)
    env.action_space.seed(seed)
    out = np.zeros(episodes)
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done = False
        while not done:
            action = env.action_space.sample() if policy is None else policy(obs)
            obs, reward, terminated, truncated, _ = env.step(action)
            out[ep] += float(reward)
            done = terminated or truncated
    env.close()
    return out
