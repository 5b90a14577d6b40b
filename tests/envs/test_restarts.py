"""Training restarts from visited states or landings: where they start, what they keep,
what the backflip judge makes of a restart in the air, and that evaluations never
restart."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backflip.config import TrainConfig
from backflip.envs.backflip_judge import AIR
from backflip.envs.hopper_backflip import ENV_ID
from backflip.envs.make import make_env
from backflip.envs.restarts import VisitedStateRestarts
from backflip.evaluation import episode_returns


def _walk(env: VisitedStateRestarts, steps: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        env.step(rng.uniform(-1, 1, env.action_space.shape))


def test_without_a_share_every_reset_is_the_envs_own() -> None:
    plain = make_env("Hopper-v5", horizon=20)
    wrapped = VisitedStateRestarts(make_env("Hopper-v5", horizon=20), share=0.0, seed=0)
    wrapped.reset(seed=1)
    _walk(wrapped, 20)
    for seed in (2, 3):
        obs, info = wrapped.reset(seed=seed)
        expected, _ = plain.reset(seed=seed)
        np.testing.assert_array_equal(obs, expected)
        assert "restarted" not in info


def test_a_restart_starts_from_a_visited_state_and_shows_its_observation() -> None:
    env = VisitedStateRestarts(make_env("Hopper-v5", horizon=20), share=0.99, seed=0)
    env.reset(seed=1)
    _walk(env, 60)  # three episodes' worth, the horizon ignored here
    obs, info = env.reset(seed=2)
    assert info["restarted"]
    assert any(np.array_equal(info["physics_state"], s) for s in env.visited)
    base = env.unwrapped
    state = info["physics_state"]
    np.testing.assert_array_equal(base.data.qpos, state[1 : 1 + base.model.nq])
    np.testing.assert_allclose(obs, base._get_obs())
    steps = 0
    truncated = False
    while not truncated:  # the fixed horizon counts from the restart
        *_, truncated, _ = env.step(np.zeros(3))
        steps += 1
    assert steps == 20


def test_it_remembers_a_uniform_sample_of_at_most_capacity_states() -> None:
    env = VisitedStateRestarts(make_env("Hopper-v5", horizon=1000), share=0.5, seed=0, capacity=50)
    env.reset(seed=0)
    _walk(env, 500)
    assert len(env.visited) == 50 and env.seen == 500
    times = np.array([s[0] for s in env.visited])
    assert times.min() < 0.25 * times.max()  # early states kept as well as late ones


def test_a_restart_in_the_air_counts_as_taken_off_from_anything() -> None:
    env = make_env(ENV_ID, horizon=100, env_kwargs={"takeoff": "foot"})
    env.reset(seed=0)
    base = env.unwrapped
    base.data.qpos[1] += 1.0  # lifted a metre: in the air, turning back
    base.data.qvel[2] = -8.0
    base.set_state(base.data.qpos.copy(), base.data.qvel.copy())
    base.restarted()
    assert base.air.contact == AIR and base.air.launch == 0
    _, _, _, _, info = env.step(np.zeros(3))
    assert info["reward_rotation"] == pytest.approx(0.0)  # not paid: no take-off from the foot


def _drop(env: VisitedStateRestarts, turn_rate: float) -> dict:
    """Lifts the backflip Hopper a metre, turning back at ``turn_rate`` rad/s, and steps
    it with zero actions until it touches down; returns that step's info."""
    env.reset(seed=0)
    base = env.unwrapped
    base.data.qpos[1] += 1.0
    base.data.qvel[2] = -turn_rate
    base.set_state(base.data.qpos.copy(), base.data.qvel.copy())
    base.restarted()
    for _ in range(200):
        *_, info = env.step(np.zeros(3))
        if base.touchdown is not None:
            return info
    raise AssertionError("no touchdown in 200 steps")


@pytest.mark.parametrize("turn_rate", [10.0, 14.0])  # lands tipped 60 degrees; upright
def test_landing_restarts_start_from_a_touchdown_on_the_foot_after_a_turn_back(
    turn_rate: float,
) -> None:
    env = VisitedStateRestarts(make_env(ENV_ID, horizon=300), share=0.99, seed=0, source="landings")
    info = _drop(env, turn_rate)
    assert env.unwrapped.touchdown.turned > np.pi
    assert len(env.landings) == 1
    np.testing.assert_array_equal(env.landings[0], info["physics_state"])
    for _ in range(20):  # on the floor after it: no further landing
        env.step(np.zeros(3))
    assert len(env.landings) == 1
    _, restart = env.reset(seed=1)
    assert restart["restarted"]
    np.testing.assert_array_equal(restart["physics_state"], info["physics_state"])


@pytest.mark.parametrize("turn_rate", [0.0, 15.0])  # no turn back; over-turned onto the back
def test_a_touchdown_without_a_turn_back_or_off_the_foot_is_no_landing_to_restart_from(
    turn_rate: float,
) -> None:
    env = VisitedStateRestarts(make_env(ENV_ID, horizon=300), share=0.99, seed=0, source="landings")
    _drop(env, turn_rate)
    assert env.unwrapped.touchdown is not None
    assert not env.landings
    _, info = env.reset(seed=1)
    assert "restarted" not in info


def test_landing_restarts_need_an_env_that_reports_touchdowns() -> None:
    with pytest.raises(ValueError, match="reports no landings"):
        VisitedStateRestarts(make_env("Hopper-v5", horizon=20), 0.5, 0, source="landings")


def test_evaluation_episodes_never_restart() -> None:
    config = TrainConfig(env="Hopper-v5", eval_episodes=2, seed=3)
    restarting = dataclasses.replace(config, restarts=0.5)
    plain = episode_returns(config, 50, None, 2, seed=7)
    again = episode_returns(restarting, 50, None, 2, seed=7)
    np.testing.assert_array_equal(plain.task, again.task)
