"""Where a run asks its questions and collects the answers: the label store, and who answers.

A synthetic teacher answers at once; a person answers later, in a labelling window
(``backflip label``), through the same store. Either way every answer is in the store the
moment it is given, and the reward model trains on whatever is there.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np

from backflip.config import QueryMethod
from backflip.preference.ensemble import bradley_terry
from backflip.preference.oracle import SyntheticOracle
from backflip.preference.query import best_clips, select_queries
from backflip.preference.reward_model import RewardModel
from backflip.records import Comparison, Segment
from backflip.storage.label_store import LabelStore


class Teacher(Protocol):
    """Who answers the run's queries."""

    def pose(self, store: LabelStore, ids: tuple[int, int], clips: tuple[Segment, Segment]) -> None:
        """Puts the query of stored clips ``ids`` (``clips``) to the teacher."""
        ...

    def recall(self, clips: Iterable[Segment]) -> None:
        """Shows the teacher clips it judged before this process started (a resumed run)."""
        ...


class SyntheticTeacher:
    """Answers at once with a :class:`SyntheticOracle`, storing a finished comparison."""

    def __init__(self, oracle: SyntheticOracle) -> None:
        self.oracle = oracle

    def pose(self, store: LabelStore, ids: tuple[int, int], clips: tuple[Segment, Segment]) -> None:
        label = self.oracle.compare(*clips)
        store.add_comparison(Comparison(*ids, label, source="synthetic", labeller="synthetic"))

    def recall(self, clips: Iterable[Segment]) -> None:
        # The teacher judges relative to the returns it has seen.
        self.oracle.remember(clips)


class Person:
    """Leaves each query pending in the store, for a labelling window to answer."""

    def pose(self, store: LabelStore, ids: tuple[int, int], clips: tuple[Segment, Segment]) -> None:
        store.add_query(*ids)

    def recall(self, clips: Iterable[Segment]) -> None:
        pass


class LabelDesk:
    """Picks queries among candidate clips, poses them to the teacher, gathers answers.

    Args:
        store: the run's label store.
        teacher: who answers.
        method: how queries are picked (``backflip/preference/query.py``).
        oversample: random candidate pairs drawn per query.
        seed: the query draws.
        tie_margin: see ``backflip/preference/query.py``.
        top_share: share of each round's queries asked among the best quarter of the
            candidates by the reward model's ranking (``--query.top-share``).
    """

    def __init__(
        self,
        store: LabelStore,
        teacher: Teacher,
        method: QueryMethod,
        oversample: int,
        seed: int,
        tie_margin: float = 0.0,
        top_share: float = 0.0,
    ) -> None:
        self.store = store
        self.tie_margin = tie_margin
        self.top_share = top_share
        self.teacher = teacher
        self.method = method
        self.oversample = oversample
        self.rng = np.random.default_rng(seed)
        labelled = {
            i for c in store.comparisons(include_skipped=True) for i in (c.left_id, c.right_id)
        }
        self.clips: dict[int, Segment] = {i: store.load_segment(i) for i in sorted(labelled)}
        """clips that queries were posed about, by store id."""
        self._ids: dict[int, int] = {}  # id(clip) -> store id, for clips of this process
        teacher.recall(self.clips.values())

    def ask(self, n: int, candidates: Sequence[Segment], model: RewardModel) -> int:
        """Poses up to ``n`` new queries about ``candidates``; returns how many it posed.

        No pair is posed twice. Before the first answer the pairs are uniform; after it,
        ``method`` ranks them with the reward model's members, and ``top_share`` of them
        are pairs of the best quarter of ``candidates``.
        """
        pool = list(candidates)
        if n <= 0 or len(pool) < 2:
            return 0
        returns = None
        if self.store.n_answered() > 0 and (self.method != "uniform" or self.top_share > 0):
            returns = model.ensemble.clip_returns(pool, normalized=False)  # (M, pool)
        asked = self.store.asked_pairs()
        posed = 0
        n_top = round(self.top_share * n) if returns is not None else 0
        if n_top > 0:
            assert returns is not None
            best = best_clips(returns)
            posed += self._pose(n_top, [pool[i] for i in best], returns[:, best], asked)
        return posed + self._pose(n - posed, pool, returns, asked)

    def _pose(
        self, n: int, pool: list[Segment], returns: np.ndarray | None, asked: set[frozenset[int]]
    ) -> int:
        """Poses up to ``n`` pairs of ``pool`` not in ``asked`` (which it extends), ranked
        by ``method`` on the members' ``returns`` ``(M, len(pool))`` (uniform without)."""
        if n <= 0:
            return 0
        probs = None
        if self.method != "uniform" and returns is not None:
            clip_returns = returns

            def probs(left: np.ndarray, right: np.ndarray) -> np.ndarray:
                return bradley_terry(clip_returns[:, left], clip_returns[:, right])

        method: QueryMethod = self.method if probs is not None else "uniform"
        # Spares, best first: a pair asked in an earlier round is passed over.
        pairs = select_queries(
            len(pool),
            2 * n + 8,
            method,
            self.rng,
            preference_probs=probs,
            oversample=self.oversample,
            tie_margin=self.tie_margin,
        )
        posed = 0
        for i, j in pairs:
            if posed == n:
                break
            known = self._ids.get(id(pool[i])), self._ids.get(id(pool[j]))
            if None not in known and frozenset(known) in asked:
                continue
            ids = self._store_id(pool[i]), self._store_id(pool[j])
            self.teacher.pose(self.store, ids, (pool[i], pool[j]))
            asked.add(frozenset(ids))
            posed += 1
        return posed

    def _store_id(self, clip: Segment) -> int:
        key = id(clip)
        if key not in self._ids:
            self._ids[key] = self.store.add_segment(clip)
            self.clips[self._ids[key]] = clip
        return self._ids[key]

    def answered(self) -> tuple[list[Comparison], dict[int, Segment]]:
        """Every answer that can be trained on (skips left out), and the clips they name."""
        comparisons = self.store.comparisons()
        for c in comparisons:  # answers to queries posed by an earlier process
            for i in (c.left_id, c.right_id):
                if i not in self.clips:
                    self.clips[i] = self.store.load_segment(i)
        return comparisons, self.clips

    def n_asked(self) -> int:
        """Queries posed so far: answered (skips included) or still waiting."""
        return self.store.n_answered() + self.store.pending_count()

    def wait_until_none_pending(self, poll_s: float = 1.0) -> None:
        """Sleeps until every query posed has been answered or skipped."""
        while self.store.pending_count() > 0:
            time.sleep(poll_s)

    def wait_for_answers(self, minimum: int, poll_s: float = 1.0) -> None:
        """Sleeps (no busy wait) until ``minimum`` non-skipped answers are in the store."""
        while self.store.n_answered(include_skipped=False) < minimum:
            time.sleep(poll_s)
