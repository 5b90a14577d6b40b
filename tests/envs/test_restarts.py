"""Training restarts from visited states or landings: where they start, what they keep,
what the backflip judge makes of a restart in the air, and that evaluations never
restart."""

from __future__ import annotations

import dataclasses

import numpy as np

from backflip.config import TrainConfig
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


def test_evaluation_episodes_never_restart() -> None:
    config = TrainConfig(env="Hopper-v5", eval_episodes=2, seed=3)
    restarting = dataclasses.replace(config, restarts=0.5)
    plain = episode_returns(config, 50, None, 2, seed=7)
    again = episode_returns(restarting, 50, None, 2, seed=7)
    np.testing.assert_array_equal(plain.task, again.task)
