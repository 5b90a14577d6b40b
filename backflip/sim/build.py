"""The batched envs of a run with ``--sim warp``."""

from __future__ import annotations

import torch

from backflip.config import TrainConfig
from backflip.envs.costs import hidden_terms
from backflip.envs.make import make_run_env
from backflip.envs.physics import mujoco_env
from backflip.sim.locomotion import SimError, locomotion
from backflip.sim.warp_vec_env import WarpVecEnv


def check_sim(config: TrainConfig) -> None:
    """:class:`SimError` for a run ``--sim warp`` cannot make (before anything is written)."""
    if config.sim != "warp":
        return
    if config.alive != "healthy":
        raise SimError("--sim warp pays the healthy bonus only: leave --alive at healthy")
    if config.restarts > 0:
        raise SimError("--sim warp starts every episode from a reset: leave --restarts at 0")
    env = make_run_env(config, 1)
    try:
        locomotion(config.env, mujoco_env(env))
    finally:
        env.close()


def warp_vec_env(config: TrainConfig, horizon: int, n: int, device: torch.device) -> WarpVecEnv:
    """``n`` worlds of the run's env, ``horizon`` steps an episode, on ``device``."""
    check_sim(config)
    template = make_run_env(config, horizon)
    task = locomotion(config.env, mujoco_env(template))
    hidden = hidden_terms(config.env, config.costs) or ()
    where = "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
    return WarpVecEnv(template, task, n, horizon, hidden, device=where)
