"""Agent checkpoints round-trip without pickle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3.common.vec_env import DummyVecEnv

from backflip.agents.checkpoint import (
    load_agent,
    load_replay_buffer,
    save_agent,
    save_replay_buffer,
)
from backflip.agents.factory import make_agent
from backflip.envs.make import make_env


def venv() -> DummyVecEnv:
    env = DummyVecEnv([lambda: make_env("HalfCheetah-v5", horizon=50)])
    env.seed(0)
    return env


@pytest.mark.parametrize("algo", ["sac", "ppo"])
def test_agent_round_trip(tmp_path, algo) -> None:
    cpu = torch.device("cpu")
    agent = make_agent(algo, venv(), seed=0, device=cpu, learning_starts=20, buffer_size=300)
    agent.learn(200 if algo == "sac" else 1024)
    save_agent(agent, tmp_path / "agent.pt")
    save_replay_buffer(agent, tmp_path / "replay.npz")
    fresh = make_agent(algo, venv(), seed=1, device=cpu, learning_starts=20, buffer_size=300)
    load_agent(fresh, tmp_path / "agent.pt")
    load_replay_buffer(fresh, tmp_path / "replay.npz")
    assert fresh.num_timesteps == agent.num_timesteps
    obs = np.random.default_rng(0).normal(size=(5, 17)).astype(np.float32)
    np.testing.assert_array_equal(
        fresh.predict(obs, deterministic=True)[0], agent.predict(obs, deterministic=True)[0]
    )
    if algo == "sac":
        assert fresh.replay_buffer.pos == agent.replay_buffer.pos
        np.testing.assert_array_equal(fresh.replay_buffer.rewards, agent.replay_buffer.rewards)
        assert torch.equal(fresh.log_ent_coef.detach(), agent.log_ent_coef.detach())
    # The file is loadable without unpickling arbitrary objects.
    torch.load(tmp_path / "agent.pt", weights_only=True)
    assert (tmp_path / "replay.npz").exists() == (algo == "sac")
