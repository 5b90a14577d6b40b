"""What a Meta-World task is judged by: success (the env's own test, at any step of the
episode), as B-Pref and PEBBLE report it. Its reward has no control costs."""

from __future__ import annotations

from backflip.tasks.base import Metric, Task


class MetaWorldTask(Task):
    question = "Which clip gets closer to doing the task?"
    metrics = (Metric("success_rate", "success rate", info_key="success"),)
    cost_terms: tuple[str, ...] = ()
