"""The clips the preference side works with: recent ones to ask about, a sample held out."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from backflip.config import QueryConfig
from backflip.records import Segment


class ClipPool:
    """Clips of the agent's rollouts, a round's worth at a time.

    Most become query candidates: the clips of the latest ``pool_rounds`` rounds (at most
    ``pool_size``, the newest), so queries are about what the agent does now, not what it
    did long ago (QPA, Hu et al. 2024). A share (``heldout_share``) goes instead to a
    held-out sample that is never asked about and measures how well the learned reward
    tracks the oracle's. Reservoir sampling keeps that sample uniform over the whole run.
    """

    def __init__(self, config: QueryConfig, seed: int) -> None:
        self.config = config
        self.rng = np.random.default_rng(seed)
        self.rounds: deque[list[Segment]] = deque(maxlen=config.pool_rounds)
        self.heldout: list[Segment] = []
        self.heldout_seen = 0
        """clips ever sent to the held-out sample, kept or not."""

    def add(self, clips: Iterable[Segment]) -> None:
        """Adds one round's new clips, oldest first (a round without clips changes no
        candidate)."""
        fresh = []
        for clip in clips:
            if self.rng.random() < self.config.heldout_share:
                self._hold_out(clip)
            else:
                fresh.append(clip)
        if fresh:
            self.rounds.append(fresh)

    def candidates(self) -> list[Segment]:
        """The clips queries may be about, oldest first."""
        recent = [clip for batch in self.rounds for clip in batch]
        return recent[-self.config.pool_size :]

    def restore(self, heldout: list[Segment], heldout_seen: int) -> None:
        """Puts back the held-out sample of a checkpoint."""
        self.heldout, self.heldout_seen = list(heldout), heldout_seen

    def _hold_out(self, clip: Segment) -> None:
        self.heldout_seen += 1
        size = self.config.heldout_size
        if len(self.heldout) < size:
            self.heldout.append(clip)
        else:
            j = int(self.rng.integers(0, self.heldout_seen))
            if j < size:
                self.heldout[j] = clip
