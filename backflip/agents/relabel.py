"""PEBBLE's replay relabeling: after each reward update, SAC's stored rewards are redone."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.buffers import ReplayBuffer

from backflip.agents.learned_reward import RewardFn


def relabel_replay_buffer(
    buffer: ReplayBuffer, reward_fn: RewardFn, action_space: spaces.Box
) -> int:
    """Overwrites ``buffer.rewards`` with ``reward_fn``; returns how many were relabelled.

    SB3 stores SAC's actions scaled to [-1, 1]; the reward model was fit on (and sees
    during rollouts) the actions the env received, so they are mapped back to
    ``action_space``'s bounds first.
    """
    size = buffer.buffer_size if buffer.full else buffer.pos
    if size == 0:
        return 0
    obs = buffer.observations[:size]
    next_obs = buffer.next_observations[:size]
    low, high = action_space.low, action_space.high
    acts = low + 0.5 * (buffer.actions[:size] + 1.0) * (high - low)  # as SB3's unscale_action
    n_envs = obs.shape[1]
    flat = (
        obs.reshape(size * n_envs, -1),
        acts.reshape(size * n_envs, -1).astype(np.float32),
        next_obs.reshape(size * n_envs, -1),
    )
    buffer.rewards[:size] = reward_fn(*flat).reshape(size, n_envs)
    return size * n_envs
