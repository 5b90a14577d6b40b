"""DeepMind Control Suite tasks (Tassa et al. 2018), as B-Pref, PEBBLE and SURF use them.

Importing this registers the envs with gymnasium and their task with backflip; making
one needs ``dm_control`` (``pip install 'backflip[dmc]'``) for its model files.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from backflip.tasks.registry import register_task

_ENVS: dict[str, tuple[str, dict[str, Any]]] = {
    "dmc/walker_stand-v0": ("env:WalkerEnv", {"move_speed": 0.0}),
    "dmc/walker_walk-v0": ("env:WalkerEnv", {"move_speed": 1.0}),
    "dmc/walker_run-v0": ("env:WalkerEnv", {"move_speed": 8.0}),
    "dmc/cheetah_run-v0": ("env:CheetahEnv", {}),
    "dmc/quadruped_walk-v0": ("quadruped:QuadrupedEnv", {"desired_speed": 0.5}),
    "dmc/quadruped_run-v0": ("quadruped:QuadrupedEnv", {"desired_speed": 5.0}),
}
DMC_ENVS = tuple(_ENVS)

for _env_id, (_class, _kwargs) in _ENVS.items():
    if _env_id not in gym.registry:
        gym.register(
            _env_id,
            entry_point=f"backflip.tasks.dmc.{_class}",
            max_episode_steps=1000,
            kwargs=_kwargs,
        )
register_task(DMC_ENVS, "backflip.tasks.dmc.task:DMCTask")
