"""Build SB3 agents, used as they are (no subclasses)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from stable_baselines3 import PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

Algo = Literal["sac", "ppo"]


def make_agent(
    algo: Algo,
    venv: VecEnv,
    seed: int,
    device: torch.device,
    tensorboard_log: Path | None = None,
    learning_starts: int = 1000,
    buffer_size: int = 1_000_000,
) -> BaseAlgorithm:
    """SAC or PPO with settings that learn MuJoCo locomotion within small budgets.

    Args:
        algo: ``"sac"`` or ``"ppo"``.
        venv: the (learned-reward) vectorized env the agent acts in.
        seed: seeds the agent's torch and action sampling.
        device: where the agent's networks live.
        tensorboard_log: folder for SB3's TensorBoard logs.
        learning_starts: SAC's random-action steps before its first update.
        buffer_size: SAC's replay capacity in transitions.
    """
    log = str(tensorboard_log) if tensorboard_log else None
    if algo == "sac":
        return SAC(
            "MlpPolicy",
            venv,
            learning_starts=learning_starts,
            buffer_size=buffer_size,
            seed=seed,
            device=device,
            tensorboard_log=log,
            verbose=0,
        )
    if algo == "ppo":
        # A larger entropy bonus helps with a reward that keeps changing (DESIGN.md §1.6).
        return PPO(
            "MlpPolicy",
            venv,
            n_steps=1024,
            batch_size=64,
            gae_lambda=0.95,
            gamma=0.99,
            n_epochs=10,
            ent_coef=0.01,
            learning_rate=3e-4,
            clip_range=0.2,
            seed=seed,
            device=device,
            tensorboard_log=log,
            verbose=0,
        )
    raise ValueError(f"unknown algo {algo!r}; choose sac or ppo")
