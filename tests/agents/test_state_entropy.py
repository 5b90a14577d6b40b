"""PEBBLE's state-entropy reward: k-nearest-neighbour distances over recent observations."""

from __future__ import annotations

import numpy as np
import pytest

from backflip.agents.state_entropy import StateEntropyReward, knn_distances


def test_knn_distances_match_a_brute_force_search() -> None:
    rng = np.random.default_rng(0)
    memory = rng.normal(size=(50, 3)).astype(np.float32)
    points = memory[:5]
    for k in (1, 3):
        got = knn_distances(points, memory, k)
        for point, distance in zip(points, got, strict=True):
            others = np.sort(np.linalg.norm(memory - point, axis=1))[1:]  # itself skipped
            assert distance == pytest.approx(others[k - 1], rel=1e-4, abs=1e-5)


def test_with_fewer_rows_than_k_it_takes_the_farthest() -> None:
    memory = np.array([[0.0], [3.0]], dtype=np.float32)
    assert knn_distances(memory[:1], memory, k=5)[0] == pytest.approx(3.0)


def test_a_new_state_pays_more_than_one_seen_many_times() -> None:
    entropy = StateEntropyReward(k=3, capacity=100)
    zeros, one = np.zeros((1, 2)), np.zeros((1, 1))
    for _ in range(20):
        repeated = entropy(zeros, one, np.zeros((1, 2)))  # the same state again and again
    novel = entropy(zeros, one, np.array([[5.0, 5.0]]))
    assert repeated[0] == pytest.approx(0.0, abs=1e-6)
    assert novel[0] > 1.0


def test_it_remembers_only_the_last_capacity_observations() -> None:
    entropy = StateEntropyReward(k=1, capacity=4)
    for i in range(10):
        entropy(np.zeros((2, 1)), np.zeros((2, 1)), np.full((2, 1), float(i)))
    assert entropy.memory is not None
    np.testing.assert_array_equal(entropy.memory[:, 0], [8.0, 8.0, 9.0, 9.0])
