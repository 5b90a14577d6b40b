"""The batched envs of a run with ``--sim warp``."""

from __future__ import annotations

import gymnasium as gym
import torch

from backflip.config import VISITED, TrainConfig
from backflip.envs.costs import hidden_terms
from backflip.envs.make import make_run_env
from backflip.envs.physics import mujoco_env
from backflip.sim.locomotion import SimError, locomotion
from backflip.sim.restarts import BatchedRestarts
from backflip.sim.warp_vec_env import WarpVecEnv
from backflip.tasks.base import BatchedTask
from backflip.tasks.registry import task_for


def check_sim(config: TrainConfig) -> None:
    """:class:`SimError` for a run ``--sim warp`` cannot make (before anything is written)."""
    if config.sim != "warp":
        return
    if config.alive != "healthy":
        raise SimError("--sim warp pays the healthy bonus only: leave --alive at healthy")
    env = make_run_env(config, 1)
    try:
        batched_task(config.env, env, 1)
    finally:
        env.close()


def batched_task(env_id: str, env: gym.Env, n: int) -> BatchedTask:
    """``n`` worlds of ``env`` (made as ``env_id``): its task plug-in's, or a gymnasium
    locomotion task's; :class:`SimError` for an env the batched simulator does not run."""
    task = task_for(env_id)
    if task.batches:
        return task.batched(mujoco_env(env), n)
    return locomotion(env_id, mujoco_env(env))


def warp_vec_env(
    config: TrainConfig, horizon: int, n: int, device: torch.device, restarts_seed: int
) -> WarpVecEnv:
    """``n`` worlds of the run's env, ``horizon`` steps an episode, on ``device``."""
    check_sim(config)
    template = make_run_env(config, horizon)
    task = batched_task(config.env, template, n)
    hidden = hidden_terms(config.env, config.costs) or ()
    where = "cpu" if device.type == "cpu" else f"cuda:{device.index or 0}"
    restarts = source = None
    if config.restarts > 0:
        if config.restarts_from == VISITED:
            restarts = BatchedRestarts(config.restarts, restarts_seed)
        else:
            source = config.restarts_from
            capacity = task_for(config.env).restart_source(source).capacity
            restarts = BatchedRestarts(config.restarts, restarts_seed, capacity)
    return WarpVecEnv(template, task, n, horizon, hidden, where, restarts, source)
