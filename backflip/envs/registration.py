"""Registers backflip's envs with gymnasium by name, without importing MuJoCo."""

from __future__ import annotations

import gymnasium as gym

HOPPER_BACKFLIP = "backflip/HopperBackflip-v0"


def register() -> None:
    """Registers :data:`HOPPER_BACKFLIP` (once); gymnasium imports it when it is made."""
    if HOPPER_BACKFLIP not in gym.registry:
        gym.register(
            HOPPER_BACKFLIP,
            entry_point="backflip.envs.hopper_backflip:HopperBackflipEnv",
            max_episode_steps=1000,
        )
