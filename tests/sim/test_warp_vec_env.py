"""``--sim warp``: MuJoCo Warp's worlds hand out what the run's MuJoCo C envs would (on
the CPU here; the speed is a benchmark's, on a GPU)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from backflip.config import TrainConfig
from backflip.envs.costs import hidden_terms
from backflip.envs.make import make_env
from backflip.envs.physics import mujoco_env
from backflip.envs.render import ClipRenderer
from backflip.sim import warp_vec_env as warp_module
from backflip.sim.build import check_sim
from backflip.sim.locomotion import SimError, locomotion
from backflip.sim.warp_vec_env import WarpVecEnv
from backflip.training.run import train

STEPS = 200
"""Env steps of MuJoCo C's trajectory that each task's worlds are checked along."""


def worlds(
    env_id: str, n: int, horizon: int, costs: str = "hidden", device: str = "cpu"
) -> tuple[WarpVecEnv, object]:
    env = make_env(env_id, horizon=horizon, costs=costs)  # type: ignore[arg-type]
    task = locomotion(env_id, mujoco_env(env))
    hidden = hidden_terms(env_id, costs) or ()  # type: ignore[arg-type]
    return WarpVecEnv(env, task, n, horizon, hidden, device=device), env


def put(venv: WarpVecEnv, state: np.ndarray) -> None:
    nq = venv.qpos.shape[1]
    n = venv.num_envs
    venv.set_states(
        np.full(n, state[0]), np.tile(state[1 : 1 + nq], (n, 1)), np.tile(state[1 + nq :], (n, 1))
    )


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda:0", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("env_id", ["HalfCheetah-v5", "Hopper-v5", "Walker2d-v5"])
def test_each_step_agrees_with_mujoco_from_the_same_state(env_id: str, device: str) -> None:
    """Along MuJoCo C's trajectory of random actions, one env step of the worlds from each
    of its states, with its action, lands where MuJoCo C did: observations and physics
    states within 5e-3 (float32 against float64; 1e-3 measured for the cheetah's
    velocities, 1e-4 for the others), rewards within 1e-4."""
    venv, env = worlds(env_id, 2, STEPS + 1, device=device)
    venv.reset()
    _, info = env.reset(seed=3)  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    state = info["physics_state"]
    errors = []
    for _ in range(STEPS):
        put(venv, state)
        action = rng.uniform(-1, 1, size=env.action_space.shape)  # type: ignore[attr-defined]
        obs, reward, _, _, info = env.step(action)  # type: ignore[attr-defined]
        venv.step_async(np.stack([action, action]))
        batch_obs, batch_reward, dones, infos = venv.step_wait()
        assert not dones.any()
        assert np.array_equal(batch_obs[0], batch_obs[1])
        errors.append(
            (
                np.abs(batch_obs[0] - obs).max(),
                np.abs(infos[0]["physics_state"] - info["physics_state"]).max(),
                abs(batch_reward[0] - reward),
                abs(infos[0]["env_reward"] - info["env_reward"]),
            )
        )
        assert infos[0]["oracle_reward"] == pytest.approx(float(batch_reward[0]), abs=1e-5)
        state = info["physics_state"]
    worst = np.max(errors, axis=0)
    assert worst[0] < 5e-3 and worst[1] < 5e-3, worst
    assert worst[2] < 1e-4 and worst[3] < 1e-4, worst


def test_hidden_costs_leave_the_task_reward_and_visible_ones_stay() -> None:
    for costs in ("hidden", "visible"):
        venv, _ = worlds("Hopper-v5", 3, 5, costs)
        venv.seed(1)
        venv.reset()
        action = np.full((3, 3), 0.5)
        venv.step_async(action)
        _, reward, _, infos = venv.step_wait()
        forward = np.array([i["reward_forward"] + i["reward_survive"] for i in infos])
        ctrl = np.array([i["reward_ctrl"] for i in infos])
        assert ctrl == pytest.approx(-1e-3 * 0.75)
        expected = forward if costs == "hidden" else forward + ctrl
        assert reward == pytest.approx(expected, abs=1e-6)


def test_every_world_is_truncated_at_the_horizon_and_starts_again() -> None:
    horizon = 4
    venv, _ = worlds("HalfCheetah-v5", 3, horizon)
    venv.seed(7)
    first = venv.reset()
    starts = [info["physics_state"] for info in venv.reset_infos]
    assert len({tuple(s) for s in starts}) == 3  # each world its own draw
    assert all(s[0] == 0.0 for s in starts)
    rewards = np.zeros(3)
    for t in range(horizon):
        venv.step_async(np.zeros((3, 6)))
        obs, reward, dones, infos = venv.step_wait()
        rewards += reward
        assert dones.all() == (t == horizon - 1) and dones.any() == dones.all()
    assert all(info["TimeLimit.truncated"] for info in infos)
    assert [info["episode"]["r"] for info in infos] == pytest.approx(rewards, abs=1e-4)
    assert all(info["episode"]["l"] == horizon for info in infos)
    assert all(info["physics_state"][0] > 0 for info in infos)  # the last step's state
    again = [info["physics_state"] for info in venv.reset_infos]
    assert all(s[0] == 0.0 for s in again) and not np.allclose(again[0], starts[0])
    assert not np.allclose(obs, infos[0]["terminal_observation"])
    venv.seed(7)
    assert np.array_equal(venv.reset(), first)  # the same seed, the same starts


def test_starts_are_drawn_as_the_env_draws_them() -> None:
    venv, env = worlds("Hopper-v5", 256, 10)
    venv.seed(0)
    venv.reset()
    states = np.array([info["physics_state"] for info in venv.reset_infos])
    base = mujoco_env(env)  # type: ignore[arg-type]
    start = np.concatenate([base.init_qpos, base.init_qvel])
    offsets = states[:, 1:] - start
    assert np.abs(offsets).max() <= 5e-3 + 1e-7  # Hopper-v5's reset_noise_scale
    assert np.abs(offsets).max() > 4.5e-3  # spread over the whole range


def test_runs_it_cannot_make_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    base = TrainConfig(sim="warp", algo="ppo")
    with pytest.raises(
        SimError, match="--sim warp runs HalfCheetah-v5, Hopper-v5, Walker2d-v5; not Ant-v5"
    ):
        check_sim(dataclasses.replace(base, env="Ant-v5"))
    with pytest.raises(SimError, match="leave --alive at healthy"):
        check_sim(dataclasses.replace(base, env="Hopper-v5", alive="height"))
    with pytest.raises(SimError, match="leave --restarts at 0"):
        check_sim(dataclasses.replace(base, restarts=0.5))
    check_sim(dataclasses.replace(base, env="Walker2d-v5"))

    monkeypatch.setitem(sys.modules, "mujoco_warp", None)  # as if not installed
    with pytest.raises(SimError, match=r"pip install 'backflip\[warp\]'"):
        warp_module.import_warp()


def test_a_learned_reward_run_trains_on_warp_worlds_and_keeps_its_clips(tmp_path: Path) -> None:
    """A tiny PPO run from labels, its episodes stepped by MuJoCo Warp on the CPU: clips
    carry physics states that MuJoCo C re-renders, and the run says which simulator."""
    config = TrainConfig(
        env="HalfCheetah-v5",
        algo="ppo",
        steps=1024,
        labels=12,
        seed=2,
        horizon=64,
        eval_horizon=64,
        eval_episodes=1,
        sim="warp",
        run_dir=tmp_path / "run",
    )
    config = dataclasses.replace(config, schedule=dataclasses.replace(config.schedule, rounds=2))
    config = dataclasses.replace(
        config,
        agent=dataclasses.replace(
            config.agent,
            ppo=dataclasses.replace(config.agent.ppo, n_envs=4, n_steps=64, batch_size=64),
        ),
    )
    summary = train(config, torch.device("cpu"), progress=False)
    assert summary["steps"] >= 1024
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["sim"] == "warp"
    clips = sorted((tmp_path / "run" / "clips").glob("*.npz"))
    assert clips
    with np.load(clips[0]) as clip:
        states = clip["states"][0]  # (T + 1, 1 + nq + nv) of its first clip
    env = make_env("HalfCheetah-v5", horizon=64)
    model = mujoco_env(env).model
    assert states.shape[1] == 1 + model.nq + model.nv
    assert np.all(np.diff(states[:, 0]) > 0)  # time runs on within a clip
    renderer = ClipRenderer("HalfCheetah-v5", width=64, height=48)
    frames = renderer.render(states[:3])
    renderer.close()
    assert frames.shape == (3, 48, 64, 3) and frames.std() > 0  # MuJoCo C draws them
