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
from backflip.sim.build import batched_task, check_sim
from backflip.sim.locomotion import SimError
from backflip.sim.restarts import BatchedRestarts
from backflip.sim.warp_vec_env import WarpVecEnv
from backflip.tasks.hopper_backflip import HOPPER_BACKFLIP, HOPPER_BACKFLIP_HANDWRITTEN_V1
from backflip.tasks.hopper_backflip.judge import AIR, FOOT, OTHER
from backflip.tasks.hopper_backflip.landings import LANDING_CAPACITY
from backflip.training.run import train

STEPS = 200
"""Env steps of MuJoCo C's trajectory that each task's worlds are checked along."""


def worlds(
    env_id: str,
    n: int,
    horizon: int,
    costs: str = "hidden",
    device: str = "cpu",
    restarts: BatchedRestarts | None = None,
    restarts_from: str | None = None,
) -> tuple[WarpVecEnv, object]:
    env = make_env(env_id, horizon=horizon, costs=costs)  # type: ignore[arg-type]
    task = batched_task(env_id, env, n)
    hidden = hidden_terms(env_id, costs) or ()  # type: ignore[arg-type]
    venv = WarpVecEnv(env, task, n, horizon, hidden, device, restarts, restarts_from)
    return venv, env


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


def spinning(env: object, turn_rate: float) -> np.ndarray:
    """Lifts the backflip Hopper a metre above its start, turning back at ``turn_rate``
    rad/s (as after a take-off); its physics state."""
    env.reset(seed=0)  # type: ignore[attr-defined]
    base = env.unwrapped  # type: ignore[attr-defined]
    base.data.qpos[1] += 1.0
    base.data.qvel[2] = -turn_rate
    base.set_state(base.data.qpos.copy(), base.data.qvel.copy())
    base.restarted()
    return np.concatenate([[base.data.time], base.data.qpos, base.data.qvel])


@pytest.mark.parametrize("env_id", [HOPPER_BACKFLIP, HOPPER_BACKFLIP_HANDWRITTEN_V1])
def test_each_backflip_step_agrees_with_mujoco_through_a_flip(env_id: str) -> None:
    """From a spin in the air, through the touchdown and what follows, one step of the
    worlds from each of MuJoCo C's states agrees with it: what touches the floor, the
    judge's memory of the flight in the observation, every reward term and the landings
    picked for restarts. Measured worst: 7e-6 in observation and 3e-6 (the judge) or
    7e-6 (hand-written) in reward."""
    venv, env = worlds(env_id, 2, STEPS + 1)
    venv.reset()
    state = spinning(env, 14.0)  # lands upright after more than half a turn
    base = env.unwrapped  # type: ignore[attr-defined]
    put(venv, state)
    venv.task.started(venv.qpos, venv.qvel, venv.contacts(), np.ones(2, dtype=bool))
    seen, landings, worst = set(), 0, np.zeros(2)
    for _ in range(STEPS):
        put(venv, state)
        obs, reward, _, _, info = env.step(np.zeros(3))  # type: ignore[attr-defined]
        venv.step_async(np.zeros((2, 3)))
        batch_obs, batch_reward, _, infos = venv.step_wait()
        contact = base.floor_contact()
        assert venv.task.floor_contacts(venv.contacts()).tolist() == [contact] * 2
        picked = landed_now = base.touchdown is not None and base.touchdown.turned > np.pi
        if env_id == HOPPER_BACKFLIP:
            picked = bool(venv.task.picked("landings")[0])
            assert picked == (landed_now and contact == FOOT)
        landings += picked
        seen.add(contact)
        for name, value in info.items():
            if name.startswith("reward_"):
                assert infos[0][name] == pytest.approx(value, abs=1e-4), name
        worst = np.maximum(worst, [np.abs(batch_obs[0] - obs).max(), abs(batch_reward[0] - reward)])
        state = info["physics_state"]
    assert seen == {AIR, FOOT, OTHER} and landings >= (env_id == HOPPER_BACKFLIP)
    assert worst[0] < 1e-4 and worst[1] < 1e-4, worst


def test_worlds_restart_from_the_landings_they_made() -> None:
    """``--restarts 1 --restarts-from landings``: once a world lands a turn on its foot,
    the next episode of every world starts there, the judge's memory started anew."""
    restarts = BatchedRestarts(1.0, seed=0, source_capacity=LANDING_CAPACITY)
    horizon = 60
    venv, env = worlds(HOPPER_BACKFLIP, 2, horizon, restarts=restarts, restarts_from="landings")
    venv.reset()
    assert not any(info.get("restarted") for info in venv.reset_infos)  # none remembered yet
    put(venv, spinning(env, 14.0))
    venv.task.started(venv.qpos, venv.qvel, venv.contacts(), np.ones(2, dtype=bool))
    for _ in range(horizon):
        venv.step_async(np.zeros((2, 3)))
        venv.step_wait()
    assert len(restarts.picked) >= 2  # both worlds landed (the same landing)
    landing = restarts.picked[0]
    assert all(info["restarted"] for info in venv.reset_infos)
    for info in venv.reset_infos:
        np.testing.assert_allclose(info["physics_state"], landing, atol=1e-6)
    flights = venv.task.flights
    assert not flights.touchdown.any() and not flights.held.any()
    assert (flights.contact == FOOT).all()  # started anew where it landed, on the foot


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
    with pytest.raises(SimError) as refused:
        check_sim(dataclasses.replace(base, env="Ant-v5"))
    message = str(refused.value)
    assert message.startswith("--sim warp runs HalfCheetah-v5, Hopper-v5, Walker2d-v5, ")
    assert HOPPER_BACKFLIP in message and message.endswith("; not Ant-v5 (use --sim mujoco)")
    with pytest.raises(SimError, match="leave --alive at healthy"):
        check_sim(dataclasses.replace(base, env="Hopper-v5", alive="height"))
    check_sim(dataclasses.replace(base, env="Walker2d-v5", restarts=0.5))
    check_sim(dataclasses.replace(base, env=HOPPER_BACKFLIP, restarts_from="landings"))

    monkeypatch.setitem(sys.modules, "mujoco_warp", None)  # as if not installed
    with pytest.raises(SimError, match=r"pip install 'backflip\[warp\]'"):
        warp_module.import_warp()


@pytest.mark.parametrize(
    ("env_id", "restarts"),
    [("HalfCheetah-v5", 0.0), (HOPPER_BACKFLIP, 0.5)],  # the backflip from its landings
)
def test_a_learned_reward_run_trains_on_warp_worlds_and_keeps_its_clips(
    tmp_path: Path, env_id: str, restarts: float
) -> None:
    """A tiny PPO run from labels, its episodes stepped by MuJoCo Warp on the CPU: clips
    carry physics states that MuJoCo C re-renders, and the run says which simulator."""
    config = TrainConfig(
        env=env_id,
        restarts=restarts,
        restarts_from="landings" if restarts else "visited",
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
    config = dataclasses.replace(
        config,
        schedule=dataclasses.replace(config.schedule, rounds=2),
        query=dataclasses.replace(config.query, segment_len=30),  # fits the 64-step episodes
    )
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
    env = make_env(env_id, horizon=64)
    model = mujoco_env(env).model
    assert states.shape[1] == 1 + model.nq + model.nv
    assert np.all(np.diff(states[:, 0]) > 0)  # time runs on within a clip
    renderer = ClipRenderer(env_id, width=64, height=48)
    frames = renderer.render(states[:3])
    renderer.close()
    assert frames.shape == (3, 48, 64, 3) and frames.std() > 0  # MuJoCo C draws them
