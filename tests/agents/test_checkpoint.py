"""Agent states round-trip through files without pickle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

from backflip.agents.checkpoint import (
    agent_state,
    replay_arrays,
    set_agent_state,
    set_replay_arrays,
)
from backflip.agents.factory import make_agent
from backflip.agents.normalization import normalize
from backflip.config import AgentConfig, PPOConfig, SACConfig
from backflip.envs.make import make_env
from backflip.storage.atomic import atomic_savez
from backflip.training.checkpoints import torch_load, torch_save

SMALL = AgentConfig(sac=SACConfig(learning_starts=20, buffer_size=300))


def venv() -> DummyVecEnv:
    env = DummyVecEnv([lambda: make_env("HalfCheetah-v5", horizon=50)])
    env.seed(0)
    return env


@pytest.mark.parametrize("algo", ["sac", "ppo"])
def test_agent_round_trip(tmp_path, algo) -> None:
    cpu = torch.device("cpu")
    agent = make_agent(algo, venv(), SMALL, 300, seed=0, device=cpu)
    agent.learn(200 if algo == "sac" else 1024)
    torch_save(agent_state(agent), tmp_path / "agent.pt")
    replay = replay_arrays(agent)
    if replay is not None:
        atomic_savez(tmp_path / "replay.npz", replay)
    fresh = make_agent(algo, venv(), SMALL, 300, seed=1, device=cpu)
    set_agent_state(fresh, torch_load(tmp_path / "agent.pt", cpu))
    if replay is not None:
        with np.load(tmp_path / "replay.npz", allow_pickle=False) as data:
            set_replay_arrays(fresh, {name: data[name] for name in data.files})
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


def test_normalization_statistics_round_trip(tmp_path) -> None:
    """A resumed agent divides rewards by the same running return std, and acts on
    observations standardized as before."""
    cpu = torch.device("cpu")
    config = AgentConfig(ppo=PPOConfig(n_envs=1, n_steps=128, batch_size=64, normalize_reward=True))

    def build(seed: int) -> BaseAlgorithm:
        return make_agent("ppo", normalize(venv(), config.ppo), config, 300, seed, cpu)

    agent = build(0)
    agent.learn(256)
    torch_save(agent_state(agent), tmp_path / "agent.pt")
    fresh = build(1)
    before = fresh.get_env()
    assert isinstance(before, VecNormalize) and before.ret_rms.count < 1
    set_agent_state(fresh, torch_load(tmp_path / "agent.pt", cpu))
    old, new = agent.get_env(), fresh.get_env()
    assert isinstance(old, VecNormalize) and isinstance(new, VecNormalize)
    assert new.ret_rms.count == old.ret_rms.count > 256
    np.testing.assert_array_equal(new.ret_rms.var, old.ret_rms.var)
    np.testing.assert_array_equal(new.returns, old.returns)
    np.testing.assert_array_equal(new.obs_rms.mean, old.obs_rms.mean)
    rewards = np.array([1.0, -2.0])
    np.testing.assert_array_equal(new.normalize_reward(rewards), old.normalize_reward(rewards))
    assert not np.allclose(old.normalize_reward(rewards), rewards)

    plain = make_agent("ppo", venv(), config, 300, 1, cpu)
    with pytest.raises(ValueError, match="normalization"):
        set_agent_state(plain, torch_load(tmp_path / "agent.pt", cpu))
