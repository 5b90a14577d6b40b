"""Which pairs of candidate clips to ask about: uniform, ensemble disagreement or entropy;
and which clips the reward model rates best."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backflip.config import QueryMethod

PreferenceProbs = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(left_idx (P,), right_idx (P,)) -> (M, P)``: each ensemble member's P(left better)."""

_EPS = 1e-12


def select_queries(
    n_segments: int,
    n_queries: int,
    method: QueryMethod,
    rng: np.random.Generator,
    preference_probs: PreferenceProbs | None = None,
    oversample: int = 10,
    tie_margin: float = 0.0,
) -> list[tuple[int, int]]:
    """Picks ``n_queries`` pairs ``(left, right)`` of distinct indices into ``n_segments`` clips.

    Draws ``oversample * n_queries`` random candidate pairs (no unordered pair twice,
    random left/right order), then keeps: ``uniform`` the first ``n_queries``;
    ``disagreement`` those with the largest variance of P(left better) across ensemble
    members; ``entropy`` those whose member-mean P(left better) has the largest binary
    entropy (nearest 0.5). Returns every distinct pair when fewer exist than asked.

    With ``tie_margin > 0`` (ranked methods only), a pair that every member is sure is a
    tie (``|P(left) - 0.5| < tie_margin`` for all) comes after every other: its answer
    would teach nothing. If fewer than ``n_queries`` candidates are not sure ties, up to
    :data:`TIE_REDRAW` times as many candidates are drawn, once.
    """
    if n_segments < 2:
        raise ValueError(f"need at least 2 clips to form a pair, got n_segments={n_segments}")
    if n_queries < 0:
        raise ValueError(f"n_queries must be >= 0, got {n_queries}")
    if oversample < 1:
        raise ValueError(f"oversample must be >= 1, got {oversample}")
    if method not in ("uniform", "disagreement", "entropy"):
        raise ValueError(f"unknown query method {method!r}")
    if method != "uniform" and preference_probs is None:
        raise ValueError(f"query method {method!r} needs preference_probs")
    if n_queries == 0:
        return []
    n_pairs = n_segments * (n_segments - 1) // 2
    n_candidates = min(oversample * n_queries, n_pairs)
    left, right = _draw_pairs(n_pairs, n_candidates, rng)
    if method == "uniform":
        order = np.arange(n_candidates)
    else:
        assert preference_probs is not None
        probs = np.asarray(preference_probs(left, right), dtype=np.float64)
        tie = _sure_ties(probs, tie_margin)
        if int((~tie).sum()) < n_queries and n_candidates < n_pairs:
            n_candidates = min(TIE_REDRAW * n_candidates, n_pairs)
            left, right = _draw_pairs(n_pairs, n_candidates, rng)
            probs = np.asarray(preference_probs(left, right), dtype=np.float64)
            tie = _sure_ties(probs, tie_margin)
        score = _score(method, probs, n_candidates)
        order = np.lexsort((-score, tie))  # not-ties first, each by score
    keep = order[:n_queries]
    return [(int(i), int(j)) for i, j in zip(left[keep], right[keep], strict=True)]


def best_clips(returns: np.ndarray, fraction: float = 0.25) -> np.ndarray:
    """Indices of the ``fraction`` of clips (at least 2) the ensemble rates best, best first.

    ``returns`` ``(M, N)``: each member's return of each clip. Each member's returns are
    standardized first (members of an ensemble fit to comparisons agree on order, not
    on scale), then averaged over members.
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 2 or returns.shape[1] < 2:
        raise ValueError(f"returns must be (members, clips >= 2), got {returns.shape}")
    spread = returns.std(axis=1, keepdims=True)
    z = (returns - returns.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0)
    keep = min(returns.shape[1], max(2, int(np.ceil(fraction * returns.shape[1]))))
    return np.argsort(-z.mean(axis=0), kind="stable")[:keep]


TIE_REDRAW = 20
"""How many times more candidate pairs are drawn when too many are sure ties."""


def _draw_pairs(
    n_pairs: int, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` distinct random pairs ``(left (count,), right (count,))``, random order."""
    left, right = _pair_from_index(rng.choice(n_pairs, size=count, replace=False))
    swap = rng.random(count) < 0.5
    return np.where(swap, right, left), np.where(swap, left, right)


def _sure_ties(probs: np.ndarray, margin: float) -> np.ndarray:
    """``(P,)`` pairs that every member of ``(M, P)`` puts within ``margin`` of 0.5."""
    probs = probs[None] if probs.ndim == 1 else probs
    return np.all(np.abs(probs - 0.5) < margin, axis=0)


def _score(method: QueryMethod, probs: np.ndarray, n_candidates: int) -> np.ndarray:
    """``(P,)`` informativeness of each candidate pair from ``(M, P)`` member probabilities."""
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim == 1:
        probs = probs[None]
    if probs.ndim != 2 or probs.shape[1] != n_candidates:
        raise ValueError(f"preference_probs must return (M, {n_candidates}), got {probs.shape}")
    if method == "disagreement":
        return probs.var(axis=0)
    p = np.clip(probs.mean(axis=0), _EPS, 1 - _EPS)
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def _pair_from_index(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maps pair numbers ``k`` in ``[0, n(n-1)/2)`` to index pairs ``(i, j)``, ``i < j``.

    Pairs are numbered ``(0,1), (0,2), (1,2), (0,3), ...``: ``k = j(j-1)/2 + i``.
    """
    k = np.asarray(k, dtype=np.int64)
    j = np.floor((1 + np.sqrt(1 + 8 * k.astype(np.float64))) / 2).astype(np.int64)
    j = np.where(j * (j - 1) // 2 > k, j - 1, j)  # fix float rounding either way
    j = np.where((j + 1) * j // 2 <= k, j + 1, j)
    i = k - j * (j - 1) // 2
    return i, j
