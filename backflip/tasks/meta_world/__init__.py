"""Meta-World's manipulation tasks (Yu et al. 2019; v3 envs), as B-Pref, PEBBLE and SURF
use them: the goal observed and drawn anew each episode, success as the task's metric.

Importing this registers the envs with gymnasium and their task with backflip; making
one needs the ``metaworld`` package (``pip install --no-deps metaworld==3.1.1``: it pins
an older MuJoCo than this package, and runs on ours with the change in ``env.py``).
"""

from __future__ import annotations

import gymnasium as gym

from backflip.tasks.registry import register_task

TASKS = (
    "button-press",
    "door-open",
    "drawer-open",
    "sweep-into",
    "window-open",
    "hammer",
)
"""The tasks B-Pref, PEBBLE and SURF report on."""
META_WORLD_ENVS = tuple(f"metaworld/{name}-v3" for name in TASKS)

for _name, _env_id in zip(TASKS, META_WORLD_ENVS, strict=True):
    if _env_id not in gym.registry:
        gym.register(
            _env_id,
            entry_point="backflip.tasks.meta_world.env:make_meta_world_env",
            max_episode_steps=500,
            kwargs={"task": _name},
        )
register_task(META_WORLD_ENVS, "backflip.tasks.meta_world.task:MetaWorldTask")
