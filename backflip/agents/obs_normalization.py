"""Observation normalization for the agent: SB3's ``VecNormalize`` on observations only.

The agent sees running-standardized observations; the clip recorder and the learned
reward sit below this wrapper and see the env's own (the reward model keeps its own input
normalization). The running statistics travel with the agent's state and its saved
policies, so that a policy always acts on the observations it was trained on.
"""

from __future__ import annotations

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecNormalize


def normalize_observations(venv: VecEnv, enabled: bool, training: bool = True) -> VecEnv:
    """``venv`` behind ``VecNormalize(norm_obs=True, norm_reward=False)`` if ``enabled``;
    ``training=False`` freezes the statistics (evaluation)."""
    if not enabled:
        return venv
    return VecNormalize(venv, training=training, norm_obs=True, norm_reward=False)


def _normalizer(agent: BaseAlgorithm) -> VecNormalize | None:
    env = agent.get_env()
    return env if isinstance(env, VecNormalize) else None


def obs_stats(agent: BaseAlgorithm) -> dict[str, torch.Tensor]:
    """``{"mean", "var" (obs_dim,), "count" ()}`` float64 tensors of the agent's running
    observation statistics; empty when it does not normalize."""
    norm = _normalizer(agent)
    if norm is None:
        return {}
    rms = norm.obs_rms
    assert not isinstance(rms, dict)  # Box observations
    return {
        "mean": torch.as_tensor(np.asarray(rms.mean, np.float64)),
        "var": torch.as_tensor(np.asarray(rms.var, np.float64)),
        "count": torch.tensor(float(rms.count), dtype=torch.float64),
    }


def set_obs_stats(agent: BaseAlgorithm, stats: dict[str, torch.Tensor]) -> None:
    """Restores :func:`obs_stats`; raises ``ValueError`` if the agent and the stats
    disagree on whether observations are normalized."""
    norm = _normalizer(agent)
    if (norm is None) != (not stats):
        raise ValueError("the saved agent and this one differ in observation normalization")
    if norm is None:
        return
    rms = norm.obs_rms
    assert not isinstance(rms, dict)
    rms.mean = stats["mean"].cpu().numpy().astype(np.float64)
    rms.var = stats["var"].cpu().numpy().astype(np.float64)
    rms.count = float(stats["count"])


def agent_observation(agent: BaseAlgorithm, obs: np.ndarray) -> np.ndarray:
    """``obs`` of the env, as the agent sees it (normalized if it normalizes)."""
    norm = _normalizer(agent)
    return obs if norm is None else np.asarray(norm.normalize_obs(obs))
