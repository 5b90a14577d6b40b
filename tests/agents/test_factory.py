import tempfile
from pathlib import Path

import pytest
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.factory import make_agent
from backflip.config import AgentConfig, SACConfig
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


def test_sac_starts_from_the_temperature_and_updates_targets_as_configured() -> None:
    venv = DummyVecEnv([lambda: make_env("Hopper-v5", horizon=20)])
    default = make_agent("sac", venv, AgentConfig(), 64, 0, torch.device("cpu"))
    assert float(default.log_ent_coef.exp()) == pytest.approx(1.0)  # SB3's "auto"
    assert default.target_update_interval == 1
    sac = SACConfig(init_temperature=0.1, target_update_interval=2)
    agent = make_agent("sac", venv, AgentConfig(sac=sac), 64, 0, torch.device("cpu"))
    assert float(agent.log_ent_coef.exp()) == pytest.approx(0.1)
    assert agent.target_update_interval == 2
