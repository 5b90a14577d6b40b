"""Gymnasium's inverted pendulum (a cart balancing a pole): the task of a run that a
random policy fails for good within a second.

Importing this registers its task with backflip; the env is gymnasium's own.
"""

from __future__ import annotations

from backflip.tasks.registry import register_task

INVERTED_PENDULUM = "InvertedPendulum-v5"
register_task((INVERTED_PENDULUM,), "backflip.tasks.inverted_pendulum.task:InvertedPendulumTask")
