"""Rendering clips from saved physics states."""

from __future__ import annotations

import copy

import mujoco
import numpy as np
import pytest

from backflip.envs.make import make_env
from backflip.envs.physics import mujoco_env, set_physics_state
from backflip.envs.render import ClipRenderer


def rollout_states(env_id: str, steps: int, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """States of a random rollout, and frames drawn live from the env as it ran."""
    renderer = ClipRenderer(env_id, 160, 120)
    env = make_env(env_id, horizon=steps)
    env.action_space.seed(seed)
    _, info = env.reset(seed=seed)
    base = mujoco_env(env)

    def capture() -> np.ndarray:
        # After mj_step the body positions lag the new qpos by one substep: draw a
        # forwarded copy, leaving the live simulation untouched.
        data = copy.copy(base.data)
        mujoco.mj_forward(base.model, data)
        return renderer.draw(data)

    states, live = [info["physics_state"]], [capture()]
    for _ in range(steps):
        _, _, _, _, info = env.step(env.action_space.sample())
        states.append(info["physics_state"])
        live.append(capture())
    renderer.close()
    return np.stack(states), live


@pytest.fixture(scope="module")
def hopper() -> tuple[np.ndarray, list[np.ndarray]]:
    return rollout_states("Hopper-v5", 30)


def test_one_frame_per_state_of_the_asked_size_and_repeatable(hopper) -> None:
    states, _ = hopper
    renderer = ClipRenderer("Hopper-v5", 160, 120)
    frames = renderer.render(states)
    assert frames.shape == (31, 120, 160, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(frames, renderer.render(states))
    assert frames.std() > 10  # a scene, not a blank image
    assert not np.array_equal(frames[0], frames[-1])  # the hopper moved


def test_rerendering_saved_states_matches_frames_captured_live(hopper) -> None:
    states, live = hopper
    frames = ClipRenderer("Hopper-v5", 160, 120).render(states)
    for t, frame in enumerate(live):
        np.testing.assert_array_equal(frames[t], frame)


def test_high_quality_differs_and_wrong_state_width_is_refused(hopper) -> None:
    states, _ = hopper
    fast = ClipRenderer("Hopper-v5", 160, 120, "fast").render(states[:1])
    high = ClipRenderer("Hopper-v5", 160, 120, "high").render(states[:1])
    assert fast.shape == high.shape and not np.array_equal(fast, high)
    with pytest.raises(ValueError, match="columns"):
        ClipRenderer("Hopper-v5", 160, 120).render(states[:, :5])


@pytest.mark.parametrize("env_id", ["HalfCheetah-v5", "Hopper-v5"])
def test_the_floor_is_under_a_body_200_m_down_the_track(env_id: str) -> None:
    renderer = ClipRenderer(env_id, 160, 120)
    model = renderer.model
    start = np.concatenate(([0.0], model.qpos0, np.zeros(model.nv)))
    far = start.copy()
    far[1] += 200.0  # qpos[0]: the root's x, far past the floor's edge in the model
    floor = model.geom_pos.copy()
    brightness = renderer.render(np.stack([start, far]))[:, 90:].mean(axis=-1)  # lower quarter
    light = (brightness > 150).mean(axis=(1, 2))  # the floor's light checks; the sky has none
    assert light[0] > 0.3 and abs(light[1] - light[0]) < 0.1
    np.testing.assert_array_equal(model.geom_pos, floor)  # only the drawing moved


def test_drawing_a_live_env_far_down_the_track_leaves_its_simulation_as_it_was() -> None:
    renderer = ClipRenderer("HalfCheetah-v5", 64, 48)
    runs = []
    for draw in (False, True):
        env = make_env("HalfCheetah-v5", horizon=20)
        env.action_space.seed(0)
        _, info = env.reset(seed=0)
        state = info["physics_state"].copy()
        state[1] += 200.0
        set_physics_state(env, state)
        states = [state]
        for _ in range(20):
            states.append(env.step(env.action_space.sample())[4]["physics_state"])
            if draw:
                renderer.draw(mujoco_env(env).data)
        runs.append(np.stack(states))
    np.testing.assert_array_equal(runs[0], runs[1])
