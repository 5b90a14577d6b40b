"""The Meta-World tasks: B-Pref's way of making them (goal observed, drawn anew from the
seed at each reset), success as the task's metric, and everything a task does here."""

from __future__ import annotations

import numpy as np
import pytest

from backflip.config import TrainConfig
from backflip.envs.make import EnvError, make_env
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


def test_clips_render_from_their_states() -> None:
    env = make_env("metaworld/drawer-open-v3")
    _, info = env.reset(seed=0)
    states = [info["physics_state"]]
    for _ in range(20):
        states.append(env.step(env.action_space.sample())[4]["physics_state"])
    renderer = ClipRenderer("metaworld/drawer-open-v3", 64, 48)
    frames = renderer.render(np.array(states))
    renderer.close()
    assert frames.shape == (21, 48, 64, 3) and frames.std() > 5
    assert not np.array_equal(frames[0], frames[-1])  # the arm moved


def test_without_metaworld_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("sys").modules, "metaworld.env_dict", None)
    with pytest.raises(EnvError, match=r"pip install --no-deps metaworld==3\.1\.1"):
        make_env("metaworld/door-open-v3")
