"""What balancing a pole asks of a run: the random phase's clips each from a reset.

A random policy drops the pole within about 0.2 s. Cut from whole fixed-length episodes,
its clips show mostly a pole already down, the teacher calls them ties, and the learned
reward has nothing to tell apart; from resets, each clip shows a fall from upright, some
slower than others (measured in ``docs/history.md``, "Balance tasks").
"""

from __future__ import annotations

import types

from backflip.tasks.base import Task


class InvertedPendulumTask(Task):
    question = "Which clip keeps the pole upright longer?"
    cost_terms: tuple[str, ...] = ()
    settings = types.MappingProxyType({"schedule": {"random_clips": "resets"}})
