"""``backflip eval``: the true return of a finished (or running) run's latest policy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.checkpoint import load_agent
from backflip.agents.factory import make_agent
from backflip.checks import UsageError
from backflip.config import TrainConfig, load_config
from backflip.envs.make import default_horizon, make_env
from backflip.evaluate import episode_returns, returns_summary
from backflip.run_dir import RunDir, RunDirError


def evaluate_run(root: Path, episodes: int, seed: int, device: torch.device) -> dict[str, object]:
    """Loads the run's latest agent checkpoint and measures true returns."""
    run_dir = RunDir(root)
    config = _load_config(run_dir)
    try:
        checkpoint = run_dir.latest_checkpoint()
    except RunDirError as err:
        raise UsageError(str(err)) from None
    if checkpoint is None:
        raise UsageError(f"{root} has no checkpoint yet")
    horizon = config.horizon or default_horizon(config.env)
    venv = DummyVecEnv([lambda: make_env(config.env, horizon=horizon)])
    agent = make_agent(config.algo, venv, config.seed, device, buffer_size=1)
    load_agent(agent, checkpoint / "agent.pt")

    def policy(obs: np.ndarray) -> np.ndarray:
        return agent.predict(obs, deterministic=True)[0]

    final = episode_returns(config.env, horizon, policy, episodes, seed)
    random = episode_returns(config.env, horizon, None, episodes, seed)
    return {
        "run_dir": str(root),
        "env_id": config.env,
        "algo": config.algo,
        "reward": config.reward,
        "steps": int(agent.num_timesteps),
        "episodes": episodes,
        **returns_summary(final, random),
    }


def _load_config(run_dir: RunDir) -> TrainConfig:
    if not run_dir.root.is_dir():
        raise UsageError(f"{run_dir.root} is not a directory")
    try:
        return load_config(run_dir.config)
    except FileNotFoundError:
        raise UsageError(f"{run_dir.root} is not a backflip run (no config.json)") from None
    except (ValueError, TypeError) as err:
        raise UsageError(f"{run_dir.config} is corrupted ({err})") from None
