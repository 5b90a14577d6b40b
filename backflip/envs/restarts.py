"""Training episodes that start where earlier ones went, not only from the env's reset.

A policy trained on short episodes from the standing start knows the states of their
first seconds; an evaluation episode that runs longer reaches others that it has never
acted in. Starting a share of the training episodes from physics states the env visited
before spreads the starts over everything the policy reaches; a task's own restart source
(``backflip/tasks/base.py``) picks the states where its behaviour goes on or ends.
Evaluation envs never restart.
"""

from __future__ import annotations

import collections
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from backflip.envs.physics import mujoco_env, set_physics_state
from backflip.tasks.base import RestartSource

VISITED_CAPACITY = 2000
"""visited states remembered (a uniform reservoir of all so far)."""


class VisitedStateRestarts(gym.Wrapper):
    """With probability ``share``, a reset puts the env into a remembered physics state
    (``info["physics_state"]`` of a step) instead of its own reset state.

    Without a ``source``: drawn uniformly from all states visited (a reservoir of
    ``capacity``). With one: from the latest ``source.capacity`` states it
    picked; until it has picked one, resets are the env's own.

    An env with a ``restarted()`` method (one whose reward remembers earlier steps) has it
    called after such a restart. The memory is not checkpointed (nor are the envs'
    episodes): a resumed run remembers anew from its first step.
    """

    def __init__(
        self,
        env: gym.Env,
        share: float,
        seed: int,
        source: RestartSource | None = None,
        capacity: int = VISITED_CAPACITY,
    ) -> None:
        super().__init__(env)
        self.share = share
        self.source = source
        self.capacity = capacity
        self.rng = np.random.default_rng(seed)
        self.visited: list[np.ndarray] = []
        picked = None if source is None else source.capacity
        self.picked: collections.deque[np.ndarray] = collections.deque(maxlen=picked)
        self.seen = 0

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        state = np.asarray(info["physics_state"])
        if self.source is None:
            self._remember(state)
        elif self.source(self.env):
            self.picked.append(state)
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        states = self.visited if self.source is None else self.picked
        if states and self.rng.random() < self.share:
            state = states[int(self.rng.integers(len(states)))]
            set_physics_state(self.env, state)
            base = mujoco_env(self.env)
            if hasattr(base, "restarted"):
                base.restarted()
            obs = base._get_obs()  # type: ignore[attr-defined]  # every MuJoCo task has it
            info = {**info, "physics_state": state.copy(), "restarted": True}
        return obs, info

    def _remember(self, state: np.ndarray) -> None:
        self.seen += 1
        if len(self.visited) < self.capacity:
            self.visited.append(state)
        else:
            slot = int(self.rng.integers(self.seen))
            if slot < self.capacity:
                self.visited[slot] = state
