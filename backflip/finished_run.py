"""Open a run directory for reading: its config, latest agent and reward model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.checkpoint import load_agent
from backflip.agents.factory import make_agent
from backflip.checks import UsageError
from backflip.config import TrainConfig, load_config
from backflip.envs.make import EnvError, default_horizon, make_env
from backflip.run_dir import RunDir, RunDirError


@dataclasses.dataclass
class FinishedRun:
    """A run as written by ``backflip train`` (finished or still going)."""

    run_dir: RunDir
    config: TrainConfig
    checkpoint: Path
    agent: BaseAlgorithm
    horizon: int
    """training episode length (steps)"""

    @classmethod
    def open(cls, root: Path, device: torch.device) -> FinishedRun:
        """Loads config and latest agent; :class:`UsageError` if there is none to load."""
        run_dir = RunDir(root)
        if not run_dir.root.is_dir():
            raise UsageError(f"{root} is not a directory")
        try:
            config = load_config(run_dir.config)
        except FileNotFoundError:
            raise UsageError(f"{root} is not a backflip run (no config.json)") from None
        except (ValueError, TypeError) as err:
            raise UsageError(f"{run_dir.config} is corrupted ({err})") from None
        try:
            checkpoint = run_dir.latest_checkpoint()
        except RunDirError as err:
            raise UsageError(str(err)) from None
        if checkpoint is None:
            raise UsageError(f"{root} has no checkpoint yet")
        try:
            horizon = config.horizon or default_horizon(config.env)
            venv = DummyVecEnv([lambda: make_env(config.env, horizon=horizon)])
        except EnvError as err:
            raise UsageError(f"{root}: {err}") from None
        agent = make_agent(config.algo, venv, config.seed, device, buffer_size=1)
        load_agent(agent, checkpoint / "agent.pt")
        return cls(run_dir, config, checkpoint, agent, horizon)

    @property
    def eval_horizon(self) -> int:
        """Evaluation episode length (steps): ``--eval-horizon``, else ``horizon``."""
        return self.config.resolved_eval_horizon(self.horizon)

    def policy(self, obs: np.ndarray) -> np.ndarray:
        """The agent's deterministic action for one observation."""
        return self.agent.predict(obs, deterministic=True)[0]
