"""Training episodes that start where earlier ones went, not only from the env's reset.

A policy trained on short episodes from the standing start knows the states of their
first seconds; an evaluation episode that runs longer reaches others (after a third flip,
say) that it has never acted in. Starting a share of the training episodes from physics
states the env visited before spreads the starts over everything the policy reaches.
Evaluation envs never restart.
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from backflip.envs.physics import mujoco_env, set_physics_state


class VisitedStateRestarts(gym.Wrapper):
    """With probability ``share``, a reset puts the env into a physics state drawn
    uniformly from those it has visited (``info["physics_state"]`` of every step, a
    reservoir of ``capacity``) instead of its own reset state.

    An env with a ``restarted()`` method (the backflip env: its judge forgets the phase
    in the air) has it called after such a restart. The memory is not checkpointed (nor
    are the envs' episodes): a resumed run remembers anew from its first step.
    """

    def __init__(self, env: gym.Env, share: float, seed: int, capacity: int = 2000) -> None:
        super().__init__(env)
        self.share = share
        self.capacity = capacity
        self.rng = np.random.default_rng(seed)
        self.visited: list[np.ndarray] = []
        self.seen = 0

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._remember(np.asarray(info["physics_state"]))
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        if self.visited and self.rng.random() < self.share:
            state = self.visited[int(self.rng.integers(len(self.visited)))]
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
