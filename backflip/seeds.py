"""Every random stream of a run, derived from its one seed in one place.

``np.random.SeedSequence(seed).spawn`` gives each component an independent stream, so
adding a draw to one component never shifts another's.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Seeds:
    """Seeds (non-negative ints) of one run's components."""

    env: int
    """the training envs' resets."""
    agent: int
    """the agent's torch and action sampling."""
    clips: int
    """where the clip recorder cuts episodes."""
    random_phase: int
    """the random actions of the first clips."""
    pool: int
    """which clips are held out from queries."""
    query: int
    """which candidate pairs are drawn."""
    teacher: int
    """the synthetic teacher's noise (also in the window's synthetic-human mode)."""
    reward_model: int
    """the reward ensemble's initial weights, validation split and bootstrap draws."""
    evaluation: int
    """the first evaluation episode; episode ``k`` of every evaluation (``summary.json``,
    ``backflip eval``, ``backflip video``) resets with ``evaluation + k``."""
    restarts: int
    """which visited states the training envs restart from (``--restarts``)."""

    @classmethod
    def of(cls, seed: int) -> Seeds:
        """The streams of a run with seed ``seed`` (>= 0)."""
        names = [f.name for f in dataclasses.fields(cls)]
        children = np.random.SeedSequence(seed).spawn(len(names))
        # 31 bits: every library takes them (gymnasium, torch, SB3's set_random_seed).
        values = [int(child.generate_state(1)[0] >> 1) for child in children]
        return cls(**dict(zip(names, values, strict=True)))
