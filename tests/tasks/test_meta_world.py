"""The Meta-World tasks: B-Pref's way of making them (goal observed, drawn anew from the
seed at each reset), success as the task's metric, and everything a task does here."""

from __future__ import annotations

import numpy as np
import pytest

from backflip.config import TrainConfig
from backflip.envs.make import EnvError, make_env
from backflip.envs.physics import physics_state, set_physics_state
from backflip.envs.render import ClipRenderer
from backflip.evaluation import episode_returns
from backflip.tasks.meta_world import META_WORLD_ENVS
from backflip.tasks.registry import task_for

metaworld = pytest.importorskip("metaworld", reason="pip install --no-deps metaworld==3.1.1")


def test_a_seed_draws_the_goal_and_the_goal_is_observed() -> None:
    env = make_env("metaworld/button-press-v3")
    first, _ = env.reset(seed=0)
    again, _ = env.reset(seed=0)
    other, _ = env.reset(seed=1)
    assert first.shape == (39,)
    np.testing.assert_array_equal(first[-3:], again[-3:])  # the goal: the last three
    assert not np.allclose(first[-3:], other[-3:])


@pytest.mark.parametrize("env_id", META_WORLD_ENVS)
def test_each_task_runs_as_long_as_asked_with_its_reward_and_no_costs(env_id: str) -> None:
    env = make_env(env_id, horizon=600, costs="hidden")  # past Meta-World's own 500
    assert task_for(env_id).cost_terms == ()
    env.reset(seed=0)
    steps = 0
    truncated = False
    while not truncated:
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
        assert not terminated and reward == info["env_reward"]
        assert 0.0 <= reward <= 10.0
    assert steps == 600


def test_success_rate_is_the_share_of_episodes_that_succeed_at_some_step() -> None:
    from metaworld.policies.sawyer_button_press_v3_policy import SawyerButtonPressV3Policy

    config = TrainConfig(env="metaworld/button-press-v3", eval_episodes=3)
    expert = SawyerButtonPressV3Policy()
    solved = episode_returns(config, 150, expert.get_action, 3, seed=0)
    random = episode_returns(config, 150, None, 3, seed=0)
    np.testing.assert_array_equal(solved.metrics["success_rate"], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(random.metrics["success_rate"], [0.0, 0.0, 0.0])
    assert solved.task.mean() > random.task.mean()


@pytest.mark.parametrize("env_id", ["metaworld/drawer-open-v3", "metaworld/window-open-v3"])
def test_clips_render_with_the_object_and_goal_where_the_episode_put_them(env_id: str) -> None:
    env = make_env(env_id)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)  # the goal's bounds too
    states = [info["physics_state"]]
    for _ in range(20):
        states.append(env.step(env.action_space.sample())[4]["physics_state"])
    renderer = ClipRenderer(env_id, 64, 48)  # its own env, reset with another seed
    frames = renderer.render(np.array(states))
    episode, drawn = env.unwrapped.model, renderer.model
    np.testing.assert_array_equal(drawn.body_pos, episode.body_pos)
    np.testing.assert_array_equal(drawn.site_pos, episode.site_pos)
    np.testing.assert_array_equal(renderer.data.mocap_pos, env.unwrapped.data.mocap_pos)
    renderer.close()
    assert frames.shape == (21, 48, 64, 3) and frames.std() > 5
    assert not np.array_equal(frames[0], frames[-1])  # the arm moved


def test_a_restored_state_is_the_whole_state() -> None:
    env, other = make_env("metaworld/door-open-v3"), make_env("metaworld/door-open-v3")
    env.reset(seed=0)
    other.reset(seed=1)
    for _ in range(10):
        info = env.step(env.action_space.sample())[4]
    set_physics_state(other, info["physics_state"])
    np.testing.assert_array_equal(physics_state(other), info["physics_state"])
    np.testing.assert_array_equal(other.unwrapped.model.body_pos, env.unwrapped.model.body_pos)


def test_without_metaworld_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "metaworld.env_dict", None)
    with pytest.raises(EnvError, match=r"pip install --no-deps metaworld==3\.1\.1"):
        make_env("metaworld/door-open-v3")
