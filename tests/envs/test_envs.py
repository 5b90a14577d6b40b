"""make_env: fixed horizon, physics-state replay, oracle reward, seeding, bad ids, env checker."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from backflip.config import TrainConfig
from backflip.envs.alive import HEIGHT_SWAP
from backflip.envs.costs import COST_TERMS
from backflip.envs.fixed_horizon import FixedHorizon
from backflip.envs.make import EnvError, check_env_id, make_env, make_run_env
from backflip.envs.physics import mujoco_env, physics_state, set_physics_state

HORIZON = 300
Policy = Callable[[gym.Env, np.random.Generator], np.ndarray]
Episode = tuple[int, bool, bool, np.ndarray, list[dict[str, Any]]]


def falling(env: gym.Env, rng: np.random.Generator) -> np.ndarray:
    """Full torque on every joint: Hopper falls within a few dozen steps."""
    return np.asarray(env.action_space.high, dtype=np.float32)


def random(env: gym.Env, rng: np.random.Generator) -> np.ndarray:
    low, high = env.action_space.low, env.action_space.high
    return rng.uniform(low, high).astype(np.float32)


def run_episode(env: gym.Env, policy: Policy, seed: int = 0, max_steps: int = 10_000) -> Episode:
    """Steps until the episode ends; returns (steps, terminated, truncated, obs, infos)."""
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    observations, infos = [obs], [info]
    for t in range(1, max_steps + 1):
        obs, _reward, terminated, truncated, info = env.step(policy(env, rng))
        observations.append(obs)
        infos.append(info)
        if terminated or truncated:
            return t, terminated, truncated, np.array(observations), infos
    raise AssertionError(f"episode did not end within {max_steps} steps")


@pytest.mark.parametrize("policy", [random, falling])
def test_fixed_horizon_never_terminates_and_truncates_at_horizon(policy: Policy) -> None:
    env = make_env("Hopper-v5", horizon=HORIZON)
    for seed in (0, 1):  # the step count restarts with each reset
        steps, terminated, truncated, _, _ = run_episode(env, policy, seed=seed)
        assert (steps, terminated, truncated) == (HORIZON, False, True)
        if policy is falling:  # it fell long before the end, and the episode went on
            assert not env.unwrapped.is_healthy
    env.close()


def test_without_fixed_horizon_hopper_terminates_when_it_falls() -> None:
    env = make_env("Hopper-v5", horizon=HORIZON, fixed_horizon=False)
    assert not isinstance(env, FixedHorizon)
    steps, terminated, truncated, _, _ = run_episode(env, falling)
    assert terminated and not truncated
    assert steps < 100
    env.close()


def test_default_horizon_is_the_registered_one() -> None:
    env = make_env("Hopper-v5")
    assert isinstance(env, FixedHorizon)
    assert env.horizon == 1000
    env.close()


def test_physics_state_shape_and_replay() -> None:
    env = make_env("Hopper-v5", horizon=60)
    model = env.unwrapped.model
    _, _, _, observations, infos = run_episode(env, random, seed=3)
    states = [info["physics_state"] for info in infos]
    for state in states:
        assert state.shape == (1 + model.nq + model.nv,)
        assert state.dtype == np.float64
    assert states[0][0] == 0.0 and states[-1][0] > 0.0  # time goes forward
    np.testing.assert_array_equal(states[-1][1 : 1 + model.nq], env.unwrapped.data.qpos)

    # Re-run the same actions from recorded states, in a second env reset elsewhere.
    rng = np.random.default_rng(3)
    actions = [random(env, rng) for _ in range(60)]
    replay = make_env("Hopper-v5", horizon=60)
    replay.reset(seed=99)
    for t in (0, 17, 59):
        set_physics_state(replay, states[t])
        np.testing.assert_array_equal(physics_state(replay), states[t])  # renders the same
        obs, _, _, _, info = replay.step(actions[t])
        # Equal up to round-off: the state leaves out MuJoCo's solver warm start.
        np.testing.assert_allclose(obs, observations[t + 1], rtol=0, atol=1e-9)
        np.testing.assert_allclose(info["physics_state"], states[t + 1], rtol=0, atol=1e-9)
    # A different action from the same state does not give the same observation.
    set_physics_state(replay, states[17])
    obs, *_ = replay.step(-actions[17])
    assert not np.allclose(obs, observations[18])
    env.close()
    replay.close()


def test_hidden_costs_leave_the_task_reward_visible_costs_stay() -> None:
    hidden = make_env("HalfCheetah-v5", horizon=20)
    visible = make_env("HalfCheetah-v5", horizon=20, costs="visible")
    hidden.reset(seed=0)
    visible.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        action = random(hidden, rng)
        _, task, _, _, info = hidden.step(action)
        _, env_reward, _, _, info_visible = visible.step(action)
        assert info["reward_ctrl"] < 0.0  # a cost the oracle must not see
        assert task == info["oracle_reward"] == pytest.approx(info["reward_forward"])
        assert info["env_reward"] == env_reward == pytest.approx(task + info["reward_ctrl"])
        assert info_visible["oracle_reward"] == env_reward == info_visible["env_reward"]
    hidden.close()
    visible.close()


@pytest.mark.parametrize("env_id", sorted(COST_TERMS))
def test_every_listed_cost_term_is_a_cost_of_the_env(env_id: str) -> None:
    env = make_env(env_id, horizon=5)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(5):
        _, task, _, _, info = env.step(env.action_space.sample())
        costs = [info[term] for term in COST_TERMS[env_id]]  # KeyError: a wrong name
        assert all(c <= 0 for c in costs)
        # float32 sums: a reward near 0 is within float rounding, not 1e-6 of itself
        assert task == pytest.approx(info["env_reward"] - sum(costs), abs=1e-6)
    env.close()


def test_the_known_costs_cover_every_v5_mujoco_env() -> None:
    v5 = {
        env_id
        for env_id, spec in gym.registry.items()
        if env_id.endswith("-v5") and "mujoco" in str(spec.entry_point)
    }
    assert v5 and v5 <= set(COST_TERMS)
    assert COST_TERMS["HumanoidStandup-v5"] == ("reward_quadctrl", "reward_impact")


def test_unknown_costs_cannot_be_hidden() -> None:
    with pytest.raises(EnvError, match="control costs of 'Hopper-v4' are not known"):
        make_env("Hopper-v4", horizon=5)
    make_env("Hopper-v4", horizon=5, costs="visible").close()


@pytest.mark.parametrize("env_id", sorted(HEIGHT_SWAP))
def test_alive_height_pays_the_torso_height_in_place_of_the_healthy_bonus(env_id: str) -> None:
    healthy = make_env(env_id, horizon=300)
    height = make_env(env_id, horizon=300, alive="height")
    healthy.reset(seed=0)
    start = mujoco_env(height).init_qpos[1]
    height.reset(seed=0)
    rng = np.random.default_rng(0)
    survive, below = [], []
    for _ in range(300):  # a random walker falls: both sides of the healthy range
        action = random(healthy, rng)
        _, old, _, _, info = healthy.step(action)
        _, new, _, _, info_height = height.step(action)
        torso = mujoco_env(height).data.qpos[1] - start
        assert new == info_height["oracle_reward"]
        assert new == pytest.approx(old - info["reward_survive"] + torso)
        assert info_height["env_reward"] == info["env_reward"]
        survive.append(info["reward_survive"])
        below.append(torso < -0.5)
    assert 0.0 in survive and 1.0 in survive and any(below)
    healthy.close()
    height.close()


def test_alive_height_is_refused_where_there_is_no_torso_height() -> None:
    with pytest.raises(EnvError, match="--alive height is known for Hopper-v5, Walker2d-v5"):
        make_env("HalfCheetah-v5", horizon=5, alive="height")


def test_same_seed_same_trajectory_and_other_seed_differs() -> None:
    a = make_env("HalfCheetah-v5", horizon=50)
    b = make_env("HalfCheetah-v5", horizon=50)
    _, _, _, obs_a, infos_a = run_episode(a, random, seed=7)
    _, _, _, obs_b, infos_b = run_episode(b, random, seed=7)
    np.testing.assert_array_equal(obs_a, obs_b)
    rewards_a = [info["oracle_reward"] for info in infos_a[1:]]
    rewards_b = [info["oracle_reward"] for info in infos_b[1:]]
    assert rewards_a == rewards_b
    _, _, _, obs_c, _ = run_episode(b, random, seed=8)
    assert not np.allclose(obs_a, obs_c)
    a.close()
    b.close()


@pytest.mark.parametrize(
    ("env_id", "match"),
    [("Nope-v9", "unknown env id 'Nope-v9'"), ("CartPole-v1", "is not a MuJoCo env")],
)
def test_bad_env_ids_raise_env_error(env_id: str, match: str) -> None:
    with pytest.raises(EnvError, match=match):
        make_env(env_id, horizon=10)


def test_check_env_id_rejects_unknown_id() -> None:
    with pytest.raises(EnvError, match="unknown env id"):
        check_env_id("Nope-v9")
    assert check_env_id("Hopper-v5").id == "Hopper-v5"


def test_horizon_below_one_is_refused() -> None:
    base = make_env("Hopper-v5", horizon=5, fixed_horizon=False)
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        FixedHorizon(base, 0)
    base.close()


def test_gymnasium_env_checker_passes_on_the_wrapped_env() -> None:
    env = make_env("HalfCheetah-v5", horizon=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "wrapped env" and infinite-bounds notices
        check_env(env, skip_render_check=True)  # includes env.spec.make() of the wrappers
    env.close()


def test_spec_make_rebuilds_the_same_wrappers() -> None:
    env = make_env("Hopper-v5", horizon=40)
    again = env.spec.make()
    assert isinstance(again, FixedHorizon) and again.horizon == 40
    steps, terminated, truncated, obs_again, _ = run_episode(again, falling)
    assert (steps, terminated, truncated) == (40, False, True)
    _, _, _, obs, _ = run_episode(env, falling)
    np.testing.assert_array_equal(obs, obs_again)
    env.close()
    again.close()


def test_a_runs_env_kwargs_reach_the_env_it_acts_in() -> None:
    config = TrainConfig(
        env="backflip/HopperBackflip-v0", env_kwargs=("landing_weight=30", "takeoff=upright")
    )
    env = make_run_env(config, horizon=10)
    weights = env.unwrapped.weights  # type: ignore[attr-defined]
    assert (weights.landing, weights.takeoff) == (30, "upright")
    env.close()
    with pytest.raises(EnvError, match="cannot be made with these --env-kwargs: .*'wings'$"):
        make_env("Hopper-v5", env_kwargs={"wings": 2})
