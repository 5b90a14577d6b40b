"""The DeepMind Control Suite tasks: the same episodes as dm_control's own, and everything
a gymnasium task does here (physics states, rendering, training, the costs protocol)."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import pytest

import backflip.tasks.dmc.env as dmc_env
from backflip.envs.make import EnvError, make_env
from backflip.envs.physics import physics_state, set_physics_state
from backflip.envs.render import ClipRenderer
from backflip.tasks.dmc import DMC_ENVS
from backflip.tasks.registry import task_for

REFERENCE = json.loads((Path(__file__).parent / "dmc_reference.json").read_text())
"""dm_control 1.0.50's own tasks on MuJoCo 3.17 (``benchmarks/dmc_fidelity.py``)."""


@pytest.mark.parametrize(
    ("env_id", "name"),
    [
        ("dmc/walker_walk-v0", "walker_walk"),
        ("dmc/walker_run-v0", "walker_run"),
        ("dmc/cheetah_run-v0", "cheetah_run"),
        ("dmc/quadruped_walk-v0", "quadruped_walk"),
        ("dmc/quadruped_run-v0", "quadruped_run"),
    ],
)
def test_episodes_start_and_go_as_dm_controls_own(env_id: str, name: str) -> None:
    reference = REFERENCE[name]
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    # dm_control draws its start from RandomState(5): draw ours from the same stream
    env.np_random = np.random.RandomState(5)  # type: ignore[assignment]
    mujoco.mj_resetData(env.model, env.data)
    env.reset_model()
    start = np.concatenate([env.data.qpos, env.data.qvel])
    np.testing.assert_allclose(start, reference["start"], atol=1e-8)
    actions = np.random.default_rng(0).uniform(-1, 1, (20, env.action_space.shape[0]))
    rewards = [env.step(action)[1] for action in actions]
    np.testing.assert_allclose(rewards, reference["rewards"], atol=1e-8)
    np.testing.assert_allclose(env.observation(), reference["last_obs"], atol=1e-6)


@pytest.mark.parametrize("env_id", DMC_ENVS)
def test_each_task_is_a_fixed_horizon_env_with_physics_states(env_id: str) -> None:
    env = make_env(env_id, costs="hidden")
    assert task_for(env_id).cost_terms == ()  # no control costs: hidden = visible
    obs, info = env.reset(seed=1)
    assert env.observation_space.contains(obs)
    rewards = []
    for _ in range(1000):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        rewards.append(reward)
        assert not terminated
        assert reward == info["env_reward"] == info["oracle_reward"]
    assert truncated and min(rewards) >= 0.0 and max(rewards) <= 1.0
    # a recorded state puts another env where this one is
    other = make_env(env_id)
    other.reset(seed=2)
    set_physics_state(other, info["physics_state"])
    np.testing.assert_array_equal(physics_state(other), info["physics_state"])
    # what a restart from it observes (backflip/envs/restarts.py), actuator states included;
    # the quadruped's IMU and toe forces (its last 30) depend on the last action as well
    of_the_state = len(obs) - (30 if "quadruped" in env_id else 0)
    np.testing.assert_array_equal(other.unwrapped._get_obs()[:of_the_state], obs[:of_the_state])


def test_clips_render_from_their_states_with_the_floor_under_them() -> None:
    env = make_env("dmc/walker_walk-v0")
    _, info = env.reset(seed=0)
    states = [info["physics_state"]]
    for _ in range(40):
        states.append(env.step(env.action_space.sample())[4]["physics_state"])
    renderer = ClipRenderer("dmc/walker_walk-v0", 64, 48)
    # drawn as DMC shows the walker: its model's side camera, which follows it
    assert renderer.camera.type == mujoco.mjtCamera.mjCAMERA_FIXED
    assert renderer.camera.fixedcamid == renderer.model.camera("side").id
    frames = renderer.render(np.array(states))
    renderer.close()
    assert frames.shape == (41, 48, 64, 3)
    assert frames[:, 40:].std() > 5  # the floor's checks at the bottom, not a flat void
    assert not np.array_equal(frames[0], frames[-1])


def test_without_dm_control_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dmc_env.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EnvError, match=r"pip install 'backflip\[dmc\]'"):
        make_env("dmc/walker_walk-v0")
