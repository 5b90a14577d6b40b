"""The backflip task: what the window asks, the flips an episode made, its captions, the
flip strip and restarts from landings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np

from backflip.tasks.base import BatchedTask, Metric, Picture, Render, RestartSource, Task
from backflip.tasks.hopper_backflip.env import HopperBackflipEnv
from backflip.tasks.hopper_backflip.flip_strip import flip_strip
from backflip.tasks.hopper_backflip.flip_trace import flip_trace
from backflip.tasks.hopper_backflip.landings import Landings


class HopperBackflipTask(Task):
    """Backflips: counted from physics states (``flips.py``: every complete turn back;
    ``clean_flips.py``: off the foot, a whole turn, onto the foot, still up)."""

    question = "Which clip is the better backflip?"
    metrics = (
        Metric("flips_per_episode", "backflips per episode"),
        Metric("clean_flips_per_episode", "clean backflips per episode"),
        Metric("late_clean_flips_per_episode", "clean ones in the last quarter"),
    )
    restart_sources = ("landings",)
    cost_terms = ()  # the judge's reward has no control cost: a person judges it the same
    batches = True

    def episode_metrics(self, states: np.ndarray) -> dict[str, float]:
        trace = flip_trace(states)
        return {
            "flips_per_episode": float(trace.all[-1]),
            "clean_flips_per_episode": float(trace.clean[-1]),
            "late_clean_flips_per_episode": float(trace.clean_in_last_quarter()),
        }

    def frame_captions(self, states: np.ndarray) -> list[str] | None:
        trace = flip_trace(states)
        return [
            f"backflips: {every}  clean: {clean}"
            for every, clean in zip(trace.all, trace.clean, strict=True)
        ]

    def pictures(
        self, episodes: Iterator[np.ndarray], render: Render, folder: Path
    ) -> list[Picture]:
        return [flip_strip(episodes, render, folder)]

    def batched(self, env: gym.Env, n: int) -> BatchedTask:
        from backflip.tasks.hopper_backflip.batched import BatchedBackflip

        assert isinstance(env, HopperBackflipEnv)
        return BatchedBackflip(env, n)

    def restart_source(self, name: str) -> RestartSource:
        if name != "landings":
            raise KeyError(name)
        return Landings()
