"""``--restarts`` for a batch of worlds: as ``backflip/envs/restarts.py`` does for one env,
with one memory for all worlds."""

from __future__ import annotations

import collections

import numpy as np

from backflip.envs.restarts import VISITED_CAPACITY


class BatchedRestarts:
    """With probability ``share``, a world's reset puts it into a remembered physics state
    (``(1 + nq + nv,)`` ``[time, qpos, qvel]``): with a ``source`` capacity, one of the
    latest that many states the task's restart source picked; without, one of all states
    visited (a uniform reservoir of :data:`VISITED_CAPACITY`). Not checkpointed, like the
    env's."""

    def __init__(self, share: float, seed: int, source_capacity: int | None = None) -> None:
        self.share = share
        self.rng = np.random.default_rng(seed)
        self.from_source = source_capacity is not None
        self.picked: collections.deque[np.ndarray] = collections.deque(maxlen=source_capacity)
        self.visited: list[np.ndarray] = []
        self.seen = 0

    def remember(self, states: np.ndarray, picked: np.ndarray | None) -> None:
        """The ``(n, 1 + nq + nv)`` states a step reached, and with a source, the ``(n,)``
        bool of those it picked."""
        if self.from_source:
            assert picked is not None
            self.picked.extend(np.array(state) for state in states[picked])
            return
        visited = np.asarray(states)
        free = max(0, VISITED_CAPACITY - len(self.visited))
        self.visited.extend(np.array(state) for state in visited[:free])
        rest = visited[free:]
        seen = self.seen + free + np.arange(1, len(rest) + 1)  # each one's count, 1-based
        slots = (self.rng.random(len(rest)) * seen).astype(np.int64)  # uniform in [0, seen)
        kept = slots < VISITED_CAPACITY  # a uniform reservoir, as the env's
        for slot, state in zip(slots[kept], rest[kept], strict=True):
            self.visited[slot] = np.array(state)
        self.seen += len(visited)

    def draw(self, n: int) -> list[np.ndarray | None]:
        """Per world, the state its reset restarts from, or None for the env's reset."""
        states = list(self.picked) if self.from_source else self.visited
        if not states:
            return [None] * n
        restart = self.rng.random(n) < self.share
        chosen = self.rng.integers(len(states), size=n)
        return [states[int(k)] if go else None for go, k in zip(restart, chosen, strict=True)]
