"""A run directory opened for reading (``backflip eval``, ``backflip video``): its
configuration and the agent of its latest checkpoint."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.factory import make_agent
from backflip.agents.normalization import agent_observation, normalize
from backflip.config import TrainConfig
from backflip.envs.make import make_run_env
from backflip.seeds import Seeds
from backflip.storage.run_dir import Checkpoint, RunDir, RunDirError
from backflip.training.build import evaluation_horizon, training_horizon
from backflip.training.checkpoints import load_agent


@dataclasses.dataclass
class SavedRun:
    """A run as ``backflip train`` wrote it so far (finished, or still going)."""

    run_dir: RunDir
    config: TrainConfig
    checkpoint: Checkpoint
    agent: BaseAlgorithm

    @classmethod
    def open(cls, root: Path, device: torch.device) -> SavedRun:
        """Loads the config and the latest agent; :class:`RunDirError` if there is none."""
        run_dir = RunDir(root)
        config = run_dir.read_config()
        checkpoint = run_dir.latest_checkpoint()
        if checkpoint is None:
            raise RunDirError(f"{root} has no checkpoint yet")
        horizon = training_horizon(config)
        venv = normalize(
            DummyVecEnv([lambda: make_run_env(config, horizon)]),
            config.agent.settings(config.algo),
            training=False,
        )
        seed = Seeds.of(config.seed).agent
        agent = make_agent(
            config.algo, venv, config.agent, config.steps, seed, device, inference_only=True
        )
        load_agent(agent, checkpoint, config)
        return cls(run_dir, config, checkpoint, agent)

    @property
    def eval_horizon(self) -> int:
        """Evaluation episode length (steps): ``--eval-horizon``, else ``--horizon``."""
        return evaluation_horizon(self.config)

    def policy(self, obs: np.ndarray) -> np.ndarray:
        """The agent's deterministic action for one observation."""
        return self.agent.predict(agent_observation(self.agent, obs), deterministic=True)[0]
