"""Registers backflip's envs with gymnasium by name, without importing MuJoCo."""

from __future__ import annotations

import gymnasium as gym

HOPPER_BACKFLIP = "backflip/HopperBackflip-v0"
HOPPER_BACKFLIP_HANDWRITTEN = "backflip/HopperBackflipHandwritten-v0"
"""The same Hopper rewarded by the backflip reward OpenAI wrote by hand in 2017."""
BACKFLIP_ENVS = (HOPPER_BACKFLIP, HOPPER_BACKFLIP_HANDWRITTEN)

QUESTIONS = dict.fromkeys(BACKFLIP_ENVS, "Which clip is the better backflip?")
"""What the labelling window asks about clips of an env; others get :data:`QUESTION`."""
QUESTION = "Which clip does the task better?"


def register() -> None:
    """Registers :data:`BACKFLIP_ENVS` (once); gymnasium imports them when they are made."""
    for env_id, reward in zip(BACKFLIP_ENVS, ("judge", "handwritten"), strict=True):
        if env_id not in gym.registry:
            gym.register(
                env_id,
                entry_point="backflip.envs.hopper_backflip:HopperBackflipEnv",
                max_episode_steps=1000,
                kwargs={"reward": reward},
            )
