"""PEBBLE's replay relabeling: after each reward update, SAC's stored rewards are redone."""

from __future__ import annotations

from stable_baselines3.common.buffers import ReplayBuffer

from backflip.agents.learned_reward import RewardFn


def relabel_replay_buffer(buffer: ReplayBuffer, reward_fn: RewardFn) -> int:
    """Overwrites ``buffer.rewards`` with ``reward_fn``; returns how many were relabelled."""
    size = buffer.buffer_size if buffer.full else buffer.pos
    if size == 0:
        return 0
    obs = buffer.observations[:size]
    next_obs = buffer.next_observations[:size]
    acts = buffer.actions[:size]
    n_envs = obs.shape[1]
    flat = (
        obs.reshape(size * n_envs, -1),
        acts.reshape(size * n_envs, -1),
        next_obs.reshape(size * n_envs, -1),
    )
    buffer.rewards[:size] = reward_fn(*flat).reshape(size, n_envs)
    return size * n_envs
