import tempfile
from pathlib import Path

import pytest
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.factory import make_agent
from backflip.config import AgentConfig
from backflip.envs.make import make_env


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_an_agent_without_a_log_folder_makes_no_sb3_folder_in_the_temp_dir(
    algo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    venv = DummyVecEnv([lambda: make_env("Hopper-v5", horizon=20)])
    agent = make_agent(algo, venv, AgentConfig(), 64, 0, torch.device("cpu"))  # type: ignore[arg-type]
    agent.learn(64)
    assert agent.num_timesteps >= 64
    assert list(tmp_path.glob("SB3-*")) == []
