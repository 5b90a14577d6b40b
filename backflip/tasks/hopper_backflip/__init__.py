"""The backflip: a Hopper free to turn over, judged by how well it backflips.

Importing this registers the envs with gymnasium (their code is imported when one is
made) and their task (``task.py``) with backflip.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from backflip.tasks.registry import register_task

HOPPER_BACKFLIP = "backflip/HopperBackflip-v1"
"""The backflip env with the judge that teaches clean, repeated backflips."""
HOPPER_BACKFLIP_V0 = "backflip/HopperBackflip-v0"
"""The same env with the judge's first defaults (runs made before v1 still open)."""
HOPPER_BACKFLIP_HANDWRITTEN = "backflip/HopperBackflipHandwritten-v0"
"""The same Hopper rewarded by the backflip reward OpenAI wrote by hand in 2017."""
HOPPER_BACKFLIP_HANDWRITTEN_V1 = "backflip/HopperBackflipHandwritten-v1"
"""The hand-written reward on v1's Hopper: the same observation (the flight in it) and
landings, so that an agent trained on it differs from v1's only in what it is paid."""
BACKFLIP_ENVS = (
    HOPPER_BACKFLIP,
    HOPPER_BACKFLIP_V0,
    HOPPER_BACKFLIP_HANDWRITTEN,
    HOPPER_BACKFLIP_HANDWRITTEN_V1,
)

JUDGE = {
    "takeoff": "upright",
    "landing_weight": 100,
    "floor_weight": 2,
    "unlanded_weight": 0.5,
    "landing_stay": 0.25,
    "turn_cap": 1,
    "landing_takeoff": "upright",
    "landing_min_turns": 0.75,
    "flight_obs": True,
}
"""v1's judge (``BackflipWeights`` in ``judge.py`` has the meaning of each): rotation paid
only in the air after an upright take-off from the foot, one turn a phase; a landing bonus
for three quarters of a turn or more landed upright on the foot that stays up 0.25 s; a
light cost for lying on the floor; the flight in the observation."""

_KWARGS: dict[str, dict[str, Any]] = {
    HOPPER_BACKFLIP: {"reward": "judge", **JUDGE},
    HOPPER_BACKFLIP_V0: {"reward": "judge"},
    HOPPER_BACKFLIP_HANDWRITTEN: {"reward": "handwritten"},
    HOPPER_BACKFLIP_HANDWRITTEN_V1: {"reward": "handwritten", **JUDGE},
}

for _env_id, _kwargs in _KWARGS.items():
    if _env_id not in gym.registry:
        gym.register(
            _env_id,
            entry_point="backflip.tasks.hopper_backflip.env:HopperBackflipEnv",
            max_episode_steps=1000,
            kwargs=_kwargs,
        )
register_task(BACKFLIP_ENVS, "backflip.tasks.hopper_backflip.task:HopperBackflipTask")
