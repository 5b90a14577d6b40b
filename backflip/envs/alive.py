"""What a walker earns for staying up: the env's 0/1 healthy bonus, or its torso height.

gymnasium's Hopper and Walker2d pay ``healthy_reward`` (1 a step) while the torso's height
and angle are in a healthy range. Without early termination that is a step function of
the pose, which a reward model can only learn from clips that show both sides of it.
rl-teacher, the code of the 2017 paper, paid the torso's height instead (Hopper
``height - 1``, Walker ``height - 2``, each on top of gym's constant alive bonus):
continuous, and visible in every clip. ``--alive height`` is that task: the healthy
bonus leaves the reward and the torso's height above its starting height (m) joins it,
for the oracle, ``--reward true`` and the evaluation alike.
"""

from __future__ import annotations

from backflip.config import Alive

HEIGHT_SWAP: dict[str, tuple[str, str]] = {
    "Hopper-v5": ("reward_survive", "z_distance_from_origin"),
    "Walker2d-v5": ("reward_survive", "z_distance_from_origin"),
}
"""``info`` keys of each env's healthy bonus and of its torso height above the start."""


def alive_swap(env_id: str, alive: Alive) -> tuple[str, str] | None:
    """``(term out, term in)`` of ``env_id``'s reward for ``alive``, ``None`` for the env's
    own. Raises ``KeyError`` for ``height`` on an env whose terms are not listed."""
    if alive == "healthy":
        return None
    return HEIGHT_SWAP[env_id]
