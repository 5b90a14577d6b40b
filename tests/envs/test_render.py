"""Rendering clips from saved physics states."""

from __future__ import annotations

import copy

import mujoco
import numpy as np
import pytest

from backflip.envs.make import make_env
from backflip.envs.physics import mujoco_env
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
