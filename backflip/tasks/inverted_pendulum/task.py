"""What balancing a pole asks of a run: short training episodes, and the random phase's
clips each from a reset.

A random policy drops the pole within about 0.2 s, and in a fixed-length episode a fallen
pole stays down. Cut from whole 1,000-step episodes, clips show mostly a pole already
down, the teacher calls them ties, and the learned reward has nothing to tell apart. From
resets, and from training episodes of 100 steps (4 s), clips show the pole falling from
upright, some later than others. The evaluation keeps the env's 1,000 steps (measured in
``docs/history.md``, "Balance tasks").
"""

from __future__ import annotations

import types

from backflip.tasks.base import Task


class InvertedPendulumTask(Task):
    question = "Which clip keeps the pole upright longer?"
    cost_terms: tuple[str, ...] = ()
    settings = types.MappingProxyType(
        {"horizon": 100, "eval_horizon": 1000, "schedule": {"random_clips": "resets"}}
    )
