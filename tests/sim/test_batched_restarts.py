"""Restarts for a batch of worlds remember visited states as a uniform reservoir."""

from __future__ import annotations

import numpy as np

from backflip.envs.restarts import VISITED_CAPACITY
from backflip.sim.restarts import BatchedRestarts


def test_visited_states_fill_a_uniform_reservoir_and_restart_every_world() -> None:
    restarts = BatchedRestarts(1.0, seed=0)
    assert restarts.draw(4) == [None] * 4  # nothing remembered yet
    steps, worlds = 250, 64  # 16,000 states, 8 times the reservoir
    for step in range(steps):
        states = np.arange(worlds)[:, None] + step * worlds + np.zeros((1, 3))
        restarts.remember(states, None)
    assert restarts.seen == steps * worlds and len(restarts.visited) == VISITED_CAPACITY
    kept = np.array([state[0] for state in restarts.visited])
    assert len(set(kept)) == VISITED_CAPACITY  # each state at most once
    late = np.mean(kept >= steps * worlds / 2)  # half the states came in the second half
    assert 0.4 < late < 0.6
    assert all(state is not None for state in restarts.draw(8))
