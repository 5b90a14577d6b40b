"""Observation and reward normalization for the agent: SB3's ``VecNormalize``.

The agent sees running-standardized observations and (if asked) rewards divided by the
running std of its discounted return; the clip recorder and the learned reward sit below
this wrapper and see the env's own observations (the reward model keeps its own input
normalization). The running statistics travel with the agent's state, the observation
statistics also with its saved policies, so a policy acts on the observations it was
trained on.
"""

from __future__ import annotations

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from backflip.config import PPOConfig, SACConfig


def normalize(venv: VecEnv, settings: PPOConfig | SACConfig, training: bool = True) -> VecEnv:
    """``venv`` behind ``VecNormalize`` as ``settings`` ask (``normalize_obs``,
    ``normalize_reward`` with the agent's ``gamma``); ``training=False`` freezes the
    statistics (evaluation)."""
    if not (settings.normalize_obs or settings.normalize_reward):
        return venv
    return VecNormalize(
        venv,
        training=training,
        norm_obs=settings.normalize_obs,
        norm_reward=settings.normalize_reward,
        gamma=settings.gamma,
    )


def _normalizer(agent: BaseAlgorithm) -> VecNormalize | None:
    env = agent.get_env()
    return env if isinstance(env, VecNormalize) else None


def _rms_state(rms: RunningMeanStd) -> dict[str, torch.Tensor]:
    return {
        "mean": torch.as_tensor(np.asarray(rms.mean, np.float64)),
        "var": torch.as_tensor(np.asarray(rms.var, np.float64)),
        "count": torch.tensor(float(rms.count), dtype=torch.float64),
    }


def _set_rms_state(rms: RunningMeanStd, state: dict[str, torch.Tensor]) -> None:
    rms.mean = state["mean"].cpu().numpy().astype(np.float64)
    rms.var = state["var"].cpu().numpy().astype(np.float64)
    rms.count = float(state["count"])


def obs_stats(agent: BaseAlgorithm) -> dict[str, torch.Tensor]:
    """``{"mean", "var" (obs_dim,), "count" ()}`` float64 tensors of the agent's running
    observation statistics; empty when it does not normalize observations."""
    norm = _normalizer(agent)
    if norm is None or not norm.norm_obs:
        return {}
    assert isinstance(norm.obs_rms, RunningMeanStd)  # Box observations
    return _rms_state(norm.obs_rms)


def set_obs_stats(agent: BaseAlgorithm, stats: dict[str, torch.Tensor]) -> None:
    """Restores :func:`obs_stats`; raises ``ValueError`` if the agent and the stats
    disagree on whether observations are normalized."""
    norm = _normalizer(agent)
    if (norm is None or not norm.norm_obs) != (not stats):
        raise ValueError("the saved agent and this one differ in observation normalization")
    if norm is not None and stats:
        assert isinstance(norm.obs_rms, RunningMeanStd)
        _set_rms_state(norm.obs_rms, stats)


def reward_stats(agent: BaseAlgorithm) -> dict[str, torch.Tensor]:
    """The running statistics of the discounted return (``mean``, ``var``, ``count``) and
    each env's running return ``returns`` (n_envs,); empty when rewards are not
    normalized."""
    norm = _normalizer(agent)
    if norm is None or not norm.norm_reward:
        return {}
    return {**_rms_state(norm.ret_rms), "returns": torch.as_tensor(norm.returns.copy())}


def set_reward_stats(agent: BaseAlgorithm, stats: dict[str, torch.Tensor]) -> None:
    """Restores :func:`reward_stats`; ``ValueError`` if normalization differs."""
    norm = _normalizer(agent)
    if (norm is None or not norm.norm_reward) != (not stats):
        raise ValueError("the saved agent and this one differ in reward normalization")
    if norm is not None and stats:
        _set_rms_state(norm.ret_rms, stats)
        norm.returns = stats["returns"].cpu().numpy().copy()


def agent_observation(agent: BaseAlgorithm, obs: np.ndarray) -> np.ndarray:
    """``obs`` of the env, as the agent sees it (normalized if it normalizes)."""
    norm = _normalizer(agent)
    return obs if norm is None else np.asarray(norm.normalize_obs(obs))
