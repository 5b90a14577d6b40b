"""A Meta-World task as B-Pref makes it: the goal in the observation and drawn anew at
each reset, from the env's seeded generator; episodes as long as the caller's time limit.

Meta-World 3.1.1 pins MuJoCo 3.3; on the MuJoCo this package pins, a weld constraint has
12 parameters, not 11, and Meta-World's ``reset_mocap_welds`` fails to set them: the one
change here sets the 11 it means and leaves the 12th as the model has it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium.utils import seeding

WELD = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 5.0]
"""Meta-World's weld parameters for the mocap that moves the hand."""


def make_meta_world_env(task: str, render_mode: str | None = None) -> gym.Env:
    """The Meta-World v3 env ``task`` (e.g. ``"button-press"``), goal observable;
    ``ImportError`` naming what to install when Meta-World is not installed."""
    try:
        from metaworld.env_dict import ALL_V3_ENVIRONMENTS
    except ImportError:
        raise ImportError(
            "the Meta-World tasks need metaworld: pip install --no-deps metaworld==3.1.1"
        ) from None
    base = ALL_V3_ENVIRONMENTS[f"{task}-v3"]
    env_class = type(f"GoalObservable{base.__name__}", (_GoalObservable, base), {})
    env: gym.Env = env_class(render_mode=render_mode)
    return env


class _GoalObservable:
    """Mixed in before a Meta-World env class: what B-Pref's ``make_metaworld_env`` and
    Meta-World's goal-observable envs set, with seeded resets."""

    clip_camera = {
        "lookat": (0.0, 0.65, 0.15),
        "distance": 1.5,
        "azimuth": 135.0,
        "elevation": -30.0,
    }
    """The table, the arm and the object in view (Meta-World's corner cameras come out
    upside down from MuJoCo's renderer)."""

    def __init__(self, **kwargs: Any) -> None:
        parent: Any = super()
        parent.__init__(**kwargs)
        env: Any = self
        env._partially_observable = False
        env._freeze_rand_vec = False
        env.seeded_rand_vec = True  # goals from the env's own generator
        env._set_task_called = True
        del env.sawyer_observation_space  # a cached property: again, with the goal
        env.observation_space = env.sawyer_observation_space
        env.max_path_length = np.iinfo(np.int64).max  # the time limit is the caller's

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        env: Any = self
        if seed is not None:  # Meta-World's reset ignores its seed
            env.np_random, _ = seeding.np_random(seed)
        parent: Any = super()
        obs, info = parent.reset(seed=None, options=options)
        return obs, info

    def extra_state(self) -> np.ndarray:
        """What a drawing or a restart needs beyond ``qpos`` and ``qvel``: the episode's
        goal draw (where the task put its object and goal) and the hand's mocap target,
        ``(len(rand_vec) + 7,)``."""
        env: Any = self
        mocap = (env.data.mocap_pos.ravel(), env.data.mocap_quat.ravel())
        return np.concatenate([env._last_rand_vec, *mocap])

    def set_extra_state(self, extra: np.ndarray) -> None:
        """Puts the task where :meth:`extra_state` says (its reset, with that goal draw,
        only when the draw differs), then the mocap target."""
        env: Any = self
        size = env._random_reset_space.low.size
        goal, mocap = extra[:size], extra[size:]
        if env._last_rand_vec is None or not np.array_equal(goal, env._last_rand_vec):
            frozen = env._freeze_rand_vec
            env._freeze_rand_vec, env._last_rand_vec = True, goal.copy()
            env.reset_model()
            env._freeze_rand_vec = frozen
        n = env.data.mocap_pos.size
        env.data.mocap_pos[:] = mocap[:n].reshape(env.data.mocap_pos.shape)
        env.data.mocap_quat[:] = mocap[n:].reshape(env.data.mocap_quat.shape)

    def reset_mocap_welds(self) -> None:
        env: Any = self
        model = env.model
        for i in range(model.eq_data.shape[0]):
            if model.eq_type[i] == mujoco.mjtEq.mjEQ_WELD:
                model.eq_data[i, : len(WELD)] = WELD
