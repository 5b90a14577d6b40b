"""Query selection: valid distinct pairs, and the most informative ones first."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from backflip.preference.query import best_clips, select_queries


def unordered(pairs: list[tuple[int, int]]) -> set[frozenset[int]]:
    return {frozenset(p) for p in pairs}


@pytest.mark.parametrize("method", ["uniform", "disagreement", "entropy"])
def test_pairs_are_distinct_and_valid(method: str) -> None:
    def probs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.random.default_rng(0).random((3, len(left)))

    pairs = select_queries(30, 40, method, np.random.default_rng(0), probs)  # type: ignore[arg-type]
    assert len(pairs) == 40
    assert all(isinstance(i, int) and isinstance(j, int) for i, j in pairs)
    assert all(0 <= i < 30 and 0 <= j < 30 and i != j for i, j in pairs)
    assert len(unordered(pairs)) == 40


def test_returns_every_pair_when_fewer_exist_than_asked() -> None:
    pairs = select_queries(50, 2000, "uniform", np.random.default_rng(0))
    assert len(pairs) == 50 * 49 // 2
    assert unordered(pairs) == {frozenset(p) for p in itertools.combinations(range(50), 2)}
    assert len(select_queries(2, 5, "uniform", np.random.default_rng(0))) == 1


def test_both_orders_and_all_clips_appear() -> None:
    pairs = select_queries(20, 150, "uniform", np.random.default_rng(1))
    assert sum(i < j for i, j in pairs) not in (0, len(pairs))
    assert {i for p in pairs for i in p} == set(range(20))


def test_same_rng_same_pairs() -> None:
    first = select_queries(100, 20, "uniform", np.random.default_rng(5))
    assert first == select_queries(100, 20, "uniform", np.random.default_rng(5))
    assert first != select_queries(100, 20, "uniform", np.random.default_rng(6))


def table(n: int, seed: int) -> np.ndarray:
    """A symmetric ``(n, n)`` table of distinct per-pair values in (0, 0.5)."""
    values = np.random.default_rng(seed).permutation(n * n).reshape(n, n) / (2 * n * n + 1)
    return np.triu(values, 1) + np.triu(values, 1).T


class FakeEnsemble:
    """Two members whose P(left better) spread by ``spread[i, j]`` around ``mean[i, j]``."""

    def __init__(self, spread: np.ndarray, mean: np.ndarray) -> None:
        self.spread, self.mean = spread, mean
        self.asked: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        self.asked.append((left.copy(), right.copy()))
        m, s = self.mean[left, right], self.spread[left, right]
        return np.stack([np.clip(m - s, 0, 1), np.clip(m + s, 0, 1)])


def test_disagreement_picks_highest_variance_pairs() -> None:
    n = 8
    spread = table(n, 0)
    fake = FakeEnsemble(spread, np.full((n, n), 0.5))
    pairs = select_queries(n, 4, "disagreement", np.random.default_rng(0), fake)
    # 10 * 4 candidates > 28 pairs: every pair is a candidate, so the best 4 overall win.
    best = sorted(itertools.combinations(range(n), 2), key=lambda p: -spread[p])[:4]
    assert unordered(pairs) == unordered(best)


def test_disagreement_ranks_among_the_drawn_candidates() -> None:
    n = 200
    spread = table(n, 1)
    fake = FakeEnsemble(spread, np.full((n, n), 0.5))
    pairs = select_queries(n, 5, "disagreement", np.random.default_rng(0), fake, oversample=10)
    ((left, right),) = fake.asked
    assert len(left) == 50
    assert len(unordered(list(zip(left.tolist(), right.tolist(), strict=True)))) == 50
    top = np.argsort(-spread[left, right])[:5]
    assert pairs == [(int(left[k]), int(right[k])) for k in top]


def test_entropy_picks_pairs_nearest_even_odds() -> None:
    n = 8
    mean = table(n, 2) * 2  # member-mean P in (0, 1), distinct per pair
    fake = FakeEnsemble(np.zeros((n, n)), mean)  # members agree: variance says nothing
    pairs = select_queries(n, 3, "entropy", np.random.default_rng(0), fake)
    best = sorted(itertools.combinations(range(n), 2), key=lambda p: abs(mean[p] - 0.5))[:3]
    assert unordered(pairs) == unordered(best)


def test_entropy_and_disagreement_differ() -> None:
    n = 8
    mean, spread = table(n, 4) * 2, table(n, 5)
    fake = FakeEnsemble(spread, mean)
    by_entropy = select_queries(n, 3, "entropy", np.random.default_rng(0), fake)
    by_variance = select_queries(n, 3, "disagreement", np.random.default_rng(0), fake)
    assert unordered(by_entropy) != unordered(by_variance)


def test_sure_ties_come_last_and_more_candidates_are_drawn_to_avoid_them() -> None:
    # Clips 0-4 differ from each other; the other 195 look alike to every member.
    returns = np.where(np.arange(200) < 5, np.arange(200) * 3.0, 0.0)
    noise = np.random.default_rng(1).normal(0, 0.5, size=(3, 5))

    def probs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        member = returns[None] + np.pad(noise, ((0, 0), (0, 195)))  # (3, 200)
        return 1 / (1 + np.exp(-(member[:, left] - member[:, right])))

    # One candidate per query: most are sure ties, so 20 times as many are drawn.
    picked = select_queries(200, 4, "disagreement", np.random.default_rng(0), probs, 1, 0.05)
    assert all(min(i, j) < 5 for i, j in picked)
    blind = select_queries(200, 4, "disagreement", np.random.default_rng(0), probs, 1, 0.0)
    assert sum(min(i, j) < 5 for i, j in blind) < 4
    # With nothing but sure ties left, they are still asked.
    flat = select_queries(
        200, 3, "disagreement", np.random.default_rng(0), lambda a, b: np.full((3, len(a)), 0.5),
        10, 0.05,
    )  # fmt: skip
    assert len(flat) == 3


def test_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="n_segments"):
        select_queries(1, 3, "uniform", rng)
    with pytest.raises(ValueError, match="preference_probs"):
        select_queries(10, 3, "disagreement", rng)
    with pytest.raises(ValueError, match="preference_probs"):
        select_queries(10, 3, "entropy", rng)
    with pytest.raises(ValueError, match=r"\(M, 30\)"):
        select_queries(10, 3, "entropy", rng, lambda left, right: np.zeros((2, 3)))
    assert select_queries(10, 0, "uniform", rng) == []


def test_best_clips_rank_by_members_standardized_returns_not_their_scales() -> None:
    # Member 0 (large scale) ranks clip 3 first; members 1 and 2 (small scale) rank 1
    # first and 3 last. Raw means would follow member 0; standardized, the majority wins.
    returns = np.array(
        [
            [0.0, 10.0, 20.0, 1000.0, 5.0, 6.0, 7.0, 8.0],
            [0.0, 9.0, 8.0, -1.0, 1.0, 2.0, 3.0, 4.0],
            [0.0, 9.0, 8.0, -1.0, 1.0, 2.0, 3.0, 4.0],
        ]
    )
    assert best_clips(returns).tolist() == [1, 2]
    assert best_clips(returns, fraction=0.5).tolist()[:2] == [1, 2]
    assert len(best_clips(returns, fraction=0.5)) == 4
    assert len(best_clips(returns[:, :3], fraction=0.1)) == 2  # never fewer than a pair
    flat = np.ones((3, 5))  # members that rate every clip alike: no division by zero
    assert len(best_clips(flat)) == 2
    with pytest.raises(ValueError, match="clips >= 2"):
        best_clips(returns[:, :1])
