"""Agent checkpoints without pickle: torch state dicts and ``.npz`` replay buffers."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

_BUFFER_FIELDS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts")


def atomic_torch_save(obj: object, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_agent(agent: BaseAlgorithm, path: Path) -> None:
    """Networks, optimizers and counters of ``agent`` as one state dict file."""
    state: dict[str, object] = {
        "params": agent.get_parameters(),
        "num_timesteps": agent.num_timesteps,
        "n_updates": int(getattr(agent, "_n_updates", 0)),
        "episode_num": int(agent._episode_num),
    }
    if isinstance(agent, SAC) and agent.log_ent_coef is not None:
        state["log_ent_coef"] = agent.log_ent_coef.detach().cpu()
    atomic_torch_save(state, path)


def load_agent(agent: BaseAlgorithm, path: Path) -> None:
    """Restores what :func:`save_agent` wrote into a freshly built ``agent``."""
    state = torch.load(path, map_location=agent.device, weights_only=True)
    agent.set_parameters(state["params"], exact_match=True, device=agent.device)
    agent.num_timesteps = int(state["num_timesteps"])
    agent._episode_num = int(state["episode_num"])
    if hasattr(agent, "_n_updates"):
        agent._n_updates = int(state["n_updates"])
    if "log_ent_coef" in state and isinstance(agent, SAC) and agent.log_ent_coef is not None:
        with torch.no_grad():
            agent.log_ent_coef.copy_(state["log_ent_coef"].to(agent.device))


def save_policy(agent: BaseAlgorithm, path: Path) -> None:
    """Only the policy's weights: small enough to keep one per reward-model update."""
    atomic_torch_save(agent.policy.state_dict(), path)


def load_policy(agent: BaseAlgorithm, path: Path) -> None:
    agent.policy.load_state_dict(torch.load(path, map_location=agent.device, weights_only=True))


def save_replay_buffer(agent: BaseAlgorithm, path: Path) -> None:
    """The filled part of an off-policy agent's replay buffer, as ``.npz``."""
    if not isinstance(agent, OffPolicyAlgorithm) or agent.replay_buffer is None:
        return
    buffer = agent.replay_buffer
    size = buffer.buffer_size if buffer.full else buffer.pos
    arrays = {name: getattr(buffer, name)[:size] for name in _BUFFER_FIELDS}
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, pos=buffer.pos, full=buffer.full, **arrays)
    os.replace(tmp, path)


def load_replay_buffer(agent: BaseAlgorithm, path: Path) -> None:
    if not isinstance(agent, OffPolicyAlgorithm) or agent.replay_buffer is None:
        return
    buffer = agent.replay_buffer
    with np.load(path, allow_pickle=False) as data:
        for name in _BUFFER_FIELDS:
            values = data[name]
            getattr(buffer, name)[: len(values)] = values
        buffer.pos = int(data["pos"])
        buffer.full = bool(data["full"])
