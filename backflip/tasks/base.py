"""What generic code asks of a task: the interface every task plug-in implements.

A task is what a person wants of an env beyond its reward: the question the labelling
window asks, metrics of an episode read from its physics states (a success rate, say), a
caption per video frame, extra pictures, and states to restart training episodes from.
Generic code (evaluation, commands, video, training) asks the env's task
(``backflip/tasks/registry.py``) and never names one.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

QUESTION = "Which clip does the task better?"


@dataclasses.dataclass(frozen=True)
class Metric:
    """A per-episode figure of a task, averaged over evaluation episodes.

    ``summary.json`` holds the policy's mean as ``name`` and a random policy's as
    ``random_<name>``.
    """

    name: str
    """summary key, e.g. ``success_rate``."""
    label: str
    """a few words for printed lines, e.g. ``success rate``."""
    info_key: str | None = None
    """if set, the metric of an episode is the largest ``info[info_key]`` of its steps
    (a success flag: whether it happened), not :meth:`Task.episode_metrics`'s."""


class RestartSource(Protocol):
    """Which physics states a training episode may restart from (beyond any visited one)."""

    capacity: int
    """states remembered at most: the latest."""

    def __call__(self, env: gym.Env) -> bool:
        """Whether the state the env's last step reached is one to restart from."""
        ...


@dataclasses.dataclass(frozen=True)
class WorldContacts:
    """The contacts of a batch of worlds after a step, as MuJoCo lists them."""

    geom: np.ndarray
    """``(m, 2)`` int: the two geom ids of each contact."""
    world: np.ndarray
    """``(m,)`` int: the world each contact is in."""


class BatchedTask(Protocol):
    """A task's env for ``n`` worlds that the batched simulator (``backflip/sim/``) steps
    together: what the env computes for one world, for all at once. Arrays have the batch
    first: ``qpos`` ``(n, nq)``, ``qvel`` ``(n, nv)``, ``action`` ``(n, nu)``."""

    @property
    def uses_contacts(self) -> bool:
        """Whether it reads the worlds' contacts (else it is given none, and nothing is
        copied off the device for them)."""
        ...

    def reset_states(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` start states ``(qpos, qvel)``, drawn as the env's reset draws one."""
        ...

    def started(
        self, qpos: np.ndarray, qvel: np.ndarray, contacts: WorldContacts, restarted: np.ndarray
    ) -> None:
        """Every world begins an episode in the given state: from a reset, or where
        ``(n,)`` bool ``restarted`` says, from a restart (``--restarts``)."""
        ...

    def reward_terms(
        self,
        x_before: np.ndarray,
        qpos: np.ndarray,
        qvel: np.ndarray,
        action: np.ndarray,
        contacts: WorldContacts,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The env's ``(n,)`` reward of the step just simulated and its ``info`` terms by
        the env's names (``x_before``: ``(n,)`` x positions before the step)."""
        ...

    def observe(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """``(n, obs_dim)`` float64 observations after the step (or the start)."""
        ...

    def picked(self, source: str) -> np.ndarray:
        """``(n,)`` bool: the worlds whose state after the step just simulated the
        restart source ``source`` picks (see :meth:`Task.restart_source`)."""
        ...


@dataclasses.dataclass(frozen=True)
class Picture:
    """An extra picture a task drew of the final policy (``backflip video``)."""

    name: str
    """the file name in the videos folder, e.g. ``grasp.png``."""
    note: str
    """one line for the user: what it shows, or why it was not drawn."""
    path: Path | None
    """where it was written; None when there was nothing to draw."""


Render = Callable[[np.ndarray], np.ndarray]
"""``(n, 1 + nq + nv)`` physics states to ``(n, H, W, 3)`` uint8 frames."""


class Task:
    """The generic task: a plain question, no metrics, captions, pictures or restart
    sources of its own. Plug-ins subclass it and override what their task has."""

    question: str = QUESTION
    """what the labelling window asks about two clips."""
    metrics: tuple[Metric, ...] = ()
    """the figures :meth:`episode_metrics` returns, in order."""
    restart_sources: tuple[str, ...] = ()
    """names of the sources :meth:`restart_source` makes (``--restarts-from``)."""
    cost_terms: tuple[str, ...] | None = None
    """``info`` keys of the control-cost terms of the env's reward, for ``--costs
    hidden`` (``()``: it has none); None: unknown (``backflip/envs/costs.py`` lists the
    gymnasium tasks')."""
    settings: Mapping[str, Any] = types.MappingProxyType({})
    """settings this task's runs take instead of the defaults, shaped as a preset's TOML
    (``{"schedule": {"random_clips": "resets"}}``); a preset, a settings file and the flags
    each override them, and the run saves the result."""
    batches: bool = False
    """whether :meth:`batched` makes the task's env for the batched simulator."""

    def episode_metrics(self, states: np.ndarray) -> dict[str, float]:
        """Each of :attr:`metrics` by name for one episode's ``(T + 1, 1 + nq + nv)``
        physics states."""
        return {}

    def frame_captions(self, states: np.ndarray) -> list[str] | None:
        """A caption line per state of one episode (``(T, 1 + nq + nv)``), or None."""
        return None

    def pictures(
        self, episodes: Iterator[np.ndarray], render: Render, folder: Path
    ) -> list[Picture]:
        """Extra pictures of the final policy, drawn from the evaluation episodes'
        physics states (``episodes`` yields them lazily, in order) into ``folder``."""
        return []

    def restart_source(self, name: str) -> RestartSource:
        """The source ``name`` of :attr:`restart_sources`."""
        raise KeyError(name)

    def batched(self, env: gym.Env, n: int) -> BatchedTask:
        """``n`` worlds of ``env`` (a made env of this task, unwrapped) for ``--sim
        warp``, where :attr:`batches` says the task has them."""
        raise NotImplementedError(f"{type(self).__name__} does not batch its env")


def describe(metrics: Iterable[Metric], summary: dict[str, object]) -> str | None:
    """One line of the task's figures in ``summary`` next to a random policy's."""
    parts = [
        f"{m.label} {summary[m.name]:.2f} (random policy {summary['random_' + m.name]:.2f})"
        for m in metrics
        if m.name in summary
    ]
    return ", ".join(parts) or None
