"""Training episodes that start where earlier ones went, not only from the env's reset.

A policy trained on short episodes from the standing start knows the states of their
first seconds; an evaluation episode that runs longer reaches others (after a third flip,
say) that it has never acted in. Starting a share of the training episodes from physics
states the env visited before spreads the starts over everything the policy reaches.
Restarting only from landings (the backflip env's touchdowns on the foot after a turn
back) puts the policy where a chain of flips goes on or ends: on the foot just after a
landing, often a little over-turned or tipped. Evaluation envs never restart.
"""

from __future__ import annotations

import collections
import math
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from backflip.config import RestartFrom
from backflip.envs.backflip_judge import FOOT
from backflip.envs.physics import mujoco_env, set_physics_state

LANDING_TURNS = 0.5
"""fewest turns back (of 2 pi rad) in the air before a touchdown that counts as a landing."""
LANDING_CAPACITY = 500
"""landings remembered: the latest, so that restarts follow the policy as it improves."""


def reports_landings(env: gym.Env) -> bool:
    """Whether the env keeps ``touchdown`` (the backflip env), which ``landings`` reads."""
    return hasattr(env.unwrapped, "touchdown")


class VisitedStateRestarts(gym.Wrapper):
    """With probability ``share``, a reset puts the env into a remembered physics state
    (``info["physics_state"]`` of a step) instead of its own reset state.

    ``source="visited"``: drawn uniformly from all states visited (a reservoir of
    ``capacity``). ``source="landings"``: from the latest :data:`LANDING_CAPACITY` steps
    that ended a phase in the air on the foot alone after at least :data:`LANDING_TURNS`
    turns back (the env's ``touchdown`` and ``air.contact``, which the backflip env
    has), upright or not; until one is seen, resets are the env's own.

    An env with a ``restarted()`` method (the backflip env: its judge forgets the phase
    in the air) has it called after such a restart. The memory is not checkpointed (nor
    are the envs' episodes): a resumed run remembers anew from its first step.
    """

    def __init__(
        self,
        env: gym.Env,
        share: float,
        seed: int,
        capacity: int = 2000,
        source: RestartFrom = "visited",
    ) -> None:
        super().__init__(env)
        self.base = env.unwrapped
        if source == "landings" and not reports_landings(env):
            raise ValueError(f"{type(self.base).__name__} reports no landings")
        self.share = share
        self.capacity = capacity
        self.source = source
        self.rng = np.random.default_rng(seed)
        self.visited: list[np.ndarray] = []
        self.landings: collections.deque[np.ndarray] = collections.deque(maxlen=LANDING_CAPACITY)
        self.seen = 0

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        state = np.asarray(info["physics_state"])
        if self.source == "visited":
            self._remember(state)
        elif self._landed():
            self.landings.append(state)
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        states = self.visited if self.source == "visited" else self.landings
        if states and self.rng.random() < self.share:
            state = states[int(self.rng.integers(len(states)))]
            set_physics_state(self.env, state)
            base = mujoco_env(self.env)
            if hasattr(base, "restarted"):
                base.restarted()
            obs = base._get_obs()  # type: ignore[attr-defined]  # every MuJoCo task has it
            info = {**info, "physics_state": state.copy(), "restarted": True}
        return obs, info

    def _landed(self) -> bool:
        """The step just taken touched down on the foot alone after a turn back (the
        backflip env's ``touchdown``, and its ``air.contact``: what touches the floor now)."""
        touchdown = self.base.touchdown  # type: ignore[attr-defined]  # checked in __init__
        return (
            touchdown is not None
            and touchdown.turned >= LANDING_TURNS * 2 * math.pi
            and self.base.air.contact == FOOT  # type: ignore[attr-defined]
        )

    def _remember(self, state: np.ndarray) -> None:
        self.seen += 1
        if len(self.visited) < self.capacity:
            self.visited.append(state)
        else:
            slot = int(self.rng.integers(self.seen))
            if slot < self.capacity:
                self.visited[slot] = state
