"""Asks the oracle about recent clips and fits the reward ensemble to the answers."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from backflip.agents.checkpoint import atomic_torch_save
from backflip.preference.clip_files import load_segments_npz, save_segments_npz
from backflip.preference.ensemble import RewardEnsemble, bradley_terry
from backflip.preference.label_store import LabelStore
from backflip.preference.oracle import Oracle
from backflip.preference.query import QueryMethod, select_queries
from backflip.preference.records import Comparison, Segment
from backflip.preference.reward_training import FitStats, RewardTrainer


class RewardLearner:
    """The preference side of the loop: clip pool, queries, label store, reward ensemble.

    Clips arrive from the agent's rollouts. A share of them is held out (never asked
    about) to measure how well the learned reward tracks the true one.
    """

    def __init__(
        self,
        store: LabelStore,
        oracle: Oracle | None,
        ensemble: RewardEnsemble,
        trainer: RewardTrainer,
        query: QueryMethod,
        seed: int,
        pool_size: int = 400,
        heldout_size: int = 400,
        heldout_share: float = 0.1,
    ) -> None:
        self.store = store
        self.oracle = oracle
        self.ensemble = ensemble
        self.trainer = trainer
        self.query = query
        self.rng = np.random.default_rng([seed, 1])
        self.candidates: deque[Segment] = deque(maxlen=pool_size)
        self.heldout: list[Segment] = []
        self.heldout_size = heldout_size
        self.heldout_share = heldout_share
        self._heldout_seen = 0
        self.segments: dict[int, Segment] = {
            sid: store.load_segment(sid) for sid in _labelled_ids(store)
        }
        self._stored: dict[int, int] = {}  # id(segment) -> store id

    # -- clips ---------------------------------------------------------------------------
    def add_clips(self, clips: Iterable[Segment]) -> None:
        """Adds new clips: most become query candidates, a few go to the held-out set."""
        for clip in clips:
            if self.rng.random() < self.heldout_share:
                self._hold_out(clip)
            else:
                self.candidates.append(clip)

    def _hold_out(self, clip: Segment) -> None:
        # Reservoir sampling keeps a uniform sample of the whole run's clips.
        self._heldout_seen += 1
        if len(self.heldout) < self.heldout_size:
            self.heldout.append(clip)
        else:
            j = int(self.rng.integers(0, self._heldout_seen))
            if j < self.heldout_size:
                self.heldout[j] = clip

    # -- queries -------------------------------------------------------------------------
    def ask(self, n: int) -> int:
        """Asks ``n`` queries about candidate clips; returns how many were asked.

        With a synthetic oracle each is answered at once; with a person (``oracle=None``)
        each waits in the label store until a labelling window answers it.
        """
        pool = list(self.candidates)
        if n <= 0 or len(pool) < 2:
            return 0
        probs = None
        if self.query != "uniform" and self.store.n_answered() > 0:
            returns = self.ensemble.clip_returns(pool, normalized=False)  # (M, pool)

            def probs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
                return bradley_terry(returns[:, left], returns[:, right])

        method: QueryMethod = self.query if probs is not None else "uniform"
        # Spares, best first: a pair asked in an earlier round is passed over.
        pairs = select_queries(len(pool), 2 * n + 8, method, self.rng, preference_probs=probs)
        asked = self.store.asked_pairs()
        count = 0
        for i, j in pairs:
            if count == n:
                break
            known = self._stored.get(id(pool[i])), self._stored.get(id(pool[j]))
            if None not in known and frozenset(known) in asked:
                continue
            left_id, right_id = self._store_id(pool[i]), self._store_id(pool[j])
            if self.oracle is None:
                self.store.add_query(left_id, right_id)
            else:
                label = self.oracle.compare(pool[i], pool[j])
                self.store.add_comparison(
                    Comparison(left_id, right_id, label, source="synthetic", labeller="synthetic")
                )
            asked.add(frozenset((left_id, right_id)))
            count += 1
        return count

    def _store_id(self, clip: Segment) -> int:
        key = id(clip)
        if key not in self._stored:
            sid = self.store.add_segment(clip)
            self._stored[key] = sid
            self.segments[sid] = clip
        return self._stored[key]

    # -- reward model --------------------------------------------------------------------
    def fit(self) -> FitStats | None:
        """Refits the ensemble on every answered comparison; None if none is usable."""
        comparisons = self.store.comparisons()  # skipped ones left out
        if not comparisons:
            return None
        for c in comparisons:  # answers to queries posted by an earlier process
            for sid in (c.left_id, c.right_id):
                if sid not in self.segments:
                    self.segments[sid] = self.store.load_segment(sid)
        return self.trainer.fit(comparisons, self.segments)

    def n_asked(self) -> int:
        """Queries posted so far: answered (skips included) or still waiting."""
        return self.store.n_answered() + self.store.pending_count()

    def reward(self, obs: np.ndarray, acts: np.ndarray, next_obs: np.ndarray) -> np.ndarray:
        """``(n,)`` learned rewards for ``(n, dim)`` transitions. Sees no true reward."""
        return self.ensemble.predict(obs, acts, next_obs)

    def heldout_correlation(self) -> float | None:
        """Pearson correlation of predicted vs true returns of the held-out clips."""
        if len(self.heldout) < 3:
            return None
        predicted = self.ensemble.clip_returns(self.heldout).mean(axis=0)
        true = np.array([clip.true_return for clip in self.heldout])
        if predicted.std() == 0 or true.std() == 0:
            return None
        return float(np.corrcoef(predicted, true)[0, 1])

    # -- checkpoints ---------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        atomic_torch_save(self.ensemble.state_dict(), folder / "reward_ensemble.pt")
        atomic_torch_save(self.trainer.state_dict(), folder / "reward_trainer.pt")
        save_segments_npz(self.heldout, folder / "heldout_clips.npz")
        (folder / "learner.json").write_text(json.dumps({"heldout_seen": self._heldout_seen}))

    def load(self, folder: Path) -> None:
        device = next(self.ensemble.parameters()).device
        self.ensemble.load_state_dict(
            torch.load(folder / "reward_ensemble.pt", map_location=device, weights_only=True)
        )
        self.trainer.load_state_dict(
            torch.load(folder / "reward_trainer.pt", map_location=device, weights_only=True)
        )
        self.heldout = load_segments_npz(folder / "heldout_clips.npz")
        self._heldout_seen = int(json.loads((folder / "learner.json").read_text())["heldout_seen"])
        # The teacher judges relative to the returns it has seen: show it the labelled clips.
        remember = getattr(self.oracle, "remember", None) if self.oracle is not None else None
        if remember is not None:
            remember(self.segments[i] for i in sorted(self.segments))


def _labelled_ids(store: LabelStore) -> set[int]:
    return {i for c in store.comparisons(include_skipped=True) for i in (c.left_id, c.right_id)}
