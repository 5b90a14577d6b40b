"""An SB3 agent's state as plain tensors and arrays (no pickle); files are written by
``backflip/training/checkpoints.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3 import SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from backflip.agents.normalization import (
    obs_stats,
    reward_stats,
    set_obs_stats,
    set_reward_stats,
)

_BUFFER_FIELDS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def agent_state(agent: BaseAlgorithm) -> dict[str, Any]:
    """Networks, optimizers, normalization statistics and counters of ``agent`` (for
    ``torch.save``)."""
    state: dict[str, Any] = {
        "params": agent.get_parameters(),
        "obs_normalization": obs_stats(agent),
        "reward_normalization": reward_stats(agent),
        "num_timesteps": agent.num_timesteps,
        "n_updates": int(getattr(agent, "_n_updates", 0)),
        "episode_num": int(agent._episode_num),
    }
    if isinstance(agent, SAC) and agent.log_ent_coef is not None:
        state["log_ent_coef"] = agent.log_ent_coef.detach().cpu()
    return state


def set_agent_state(agent: BaseAlgorithm, state: dict[str, Any]) -> None:
    """Restores what :func:`agent_state` gave into a freshly built ``agent``."""
    agent.set_parameters(state["params"], exact_match=True, device=agent.device)
    set_obs_stats(agent, state["obs_normalization"])
    set_reward_stats(agent, state["reward_normalization"])
    agent.num_timesteps = int(state["num_timesteps"])
    agent._episode_num = int(state["episode_num"])
    if hasattr(agent, "_n_updates"):
        agent._n_updates = int(state["n_updates"])
    if "log_ent_coef" in state and isinstance(agent, SAC) and agent.log_ent_coef is not None:
        with torch.no_grad():
            agent.log_ent_coef.copy_(state["log_ent_coef"].to(agent.device))


def policy_state(agent: BaseAlgorithm) -> dict[str, Any]:
    """The policy's weights and observation statistics: enough to act (for ``torch.save``)."""
    return {"policy": agent.policy.state_dict(), "obs_normalization": obs_stats(agent)}


def set_policy_state(agent: BaseAlgorithm, state: dict[str, Any]) -> None:
    """Restores what :func:`policy_state` gave."""
    agent.policy.load_state_dict(state["policy"])
    set_obs_stats(agent, state["obs_normalization"])


def replay_arrays(agent: BaseAlgorithm) -> dict[str, np.ndarray] | None:
    """The filled part of an off-policy agent's replay buffer; None for on-policy agents."""
    if not isinstance(agent, OffPolicyAlgorithm) or agent.replay_buffer is None:
        return None
    buffer = agent.replay_buffer
    size = buffer.buffer_size if buffer.full else buffer.pos
    arrays = {name: getattr(buffer, name)[:size] for name in _BUFFER_FIELDS}
    return {"pos": np.array(buffer.pos), "full": np.array(buffer.full), **arrays}


def set_replay_arrays(agent: BaseAlgorithm, arrays: dict[str, np.ndarray]) -> None:
    """Refills the replay buffer from :func:`replay_arrays`."""
    if not isinstance(agent, OffPolicyAlgorithm) or agent.replay_buffer is None:
        return
    buffer = agent.replay_buffer
    for name in _BUFFER_FIELDS:
        values = arrays[name]
        getattr(buffer, name)[: len(values)] = values
    buffer.pos = int(arrays["pos"])
    buffer.full = bool(arrays["full"])
