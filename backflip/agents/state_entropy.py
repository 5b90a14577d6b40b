"""PEBBLE's unsupervised pre-training reward (Lee et al. 2021): a particle estimate of the
entropy of the states the agent visits, so that it learns to reach new ones and the first
clips a teacher compares show varied behaviour, not random twitching."""

from __future__ import annotations

import numpy as np

CAPACITY = 10_000
"""Recent observations the state entropy is measured against (a fixed constant of runs)."""


class StateEntropyReward:
    """``log(1 + d_k)`` per transition, ``d_k`` the distance from its next observation to
    the ``k``-th nearest of the last ``capacity`` observations (itself excluded), each
    dimension standardized by those observations' std so that no unit dominates.

    A reward function for the agent's env wrapper: called once per vectorized step with
    ``(n, dim)`` arrays, it remembers the ``n`` next observations.
    """

    def __init__(self, k: int, capacity: int = CAPACITY) -> None:
        self.k = k
        self.capacity = capacity
        self.memory: np.ndarray | None = None

    def __call__(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        new = np.asarray(next_obs, dtype=np.float32).reshape(len(next_obs), -1)
        seen = new if self.memory is None else np.concatenate((self.memory, new))
        self.memory = seen[-self.capacity :]
        scale = self.memory.std(axis=0) + 1e-6
        return np.log1p(knn_distances(new / scale, self.memory / scale, self.k))


def knn_distances(points: np.ndarray, memory: np.ndarray, k: int) -> np.ndarray:
    """``(n,)`` float32 distance from each of ``(n, dim)`` ``points`` to its ``k``-th nearest
    row of ``(N, dim)`` ``memory`` that holds the points themselves (their zero distance
    to themselves is skipped; with fewer than ``k + 1`` rows, the farthest)."""
    squared = (
        (points**2).sum(axis=1)[:, None]
        - 2.0 * points @ memory.T
        + (memory**2).sum(axis=1)[None, :]
    )
    index = min(k, memory.shape[0] - 1)
    kth = np.partition(np.maximum(squared, 0.0), index, axis=1)[:, index]
    return np.sqrt(kth).astype(np.float32)
