"""The typed records that flow from rollout to oracle to label store to reward model, and
the one array format in which clips are saved."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

Source = Literal["synthetic", "human"]
LABELS = (0.0, 0.5, 1.0)


def _frozen_copy(array: np.ndarray, dtype: type) -> np.ndarray:
    """A private, read-only copy, so a clip never keeps a whole rollout alive."""
    out: np.ndarray = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Segment:
    """A clip of ``T`` consecutive steps cut from one episode of the agent's rollouts.

    Attributes:
        obs: ``(T + 1, obs_dim)`` float32 observations; ``obs[t + 1]`` follows ``acts[t]``.
        acts: ``(T, act_dim)`` float32 actions.
        oracle_rewards: ``(T,)`` float32 rewards the synthetic oracle judges by (the env's
            reward without control costs). Only the oracle and evaluation may read them.
        states: ``(T + 1, 1 + nq + nv)`` float64 physics states ``[time, qpos, qvel]``,
            enough to re-render every frame of the clip.
        env_id: gymnasium id of the env the clip came from.
        seed: seed of the run that made the clip.
        episode: index of the episode within that run.
        start_step: step of the episode at which the clip starts.
    """

    obs: np.ndarray
    acts: np.ndarray
    oracle_rewards: np.ndarray
    states: np.ndarray
    env_id: str
    seed: int
    episode: int
    start_step: int

    def __post_init__(self) -> None:
        obs = _frozen_copy(self.obs, np.float32)
        acts = _frozen_copy(self.acts, np.float32)
        rewards = _frozen_copy(self.oracle_rewards, np.float32)
        states = _frozen_copy(self.states, np.float64)
        if acts.ndim != 2 or acts.shape[0] < 1:
            raise ValueError(f"acts must have shape (T, act_dim) with T >= 1, got {acts.shape}")
        length = acts.shape[0]
        if obs.ndim != 2 or obs.shape[0] != length + 1:
            raise ValueError(f"obs must have shape ({length + 1}, obs_dim), got {obs.shape}")
        if rewards.shape != (length,):
            raise ValueError(f"oracle_rewards must have shape ({length},), got {rewards.shape}")
        if states.ndim != 2 or states.shape[0] != length + 1:
            raise ValueError(f"states must have shape ({length + 1}, n), got {states.shape}")
        if self.episode < 0 or self.start_step < 0:
            raise ValueError("episode and start_step must be non-negative")
        for name, value in (("obs", obs), ("acts", acts), ("oracle_rewards", rewards)):
            if not np.all(np.isfinite(value)):
                raise ValueError(f"{name} contains NaN or inf")
        object.__setattr__(self, "obs", obs)
        object.__setattr__(self, "acts", acts)
        object.__setattr__(self, "oracle_rewards", rewards)
        object.__setattr__(self, "states", states)

    def __len__(self) -> int:
        return int(self.acts.shape[0])

    @property
    def oracle_return(self) -> float:
        """Sum of the oracle's reward over the clip."""
        return float(self.oracle_rewards.sum())

    def transitions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(obs, acts, next_obs)``, each ``(T, dim)``: what the reward model may see."""
        return self.obs[:-1], self.acts, self.obs[1:]


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One answered query: which of two stored clips is better.

    Attributes:
        left_id: label-store id of the first clip.
        right_id: label-store id of the second clip.
        label: probability that ``left`` is better: 1.0 left, 0.0 right, 0.5 about equal;
            ``None`` when the oracle could not tell (skipped, never trained on).
        source: ``"synthetic"`` or ``"human"``.
        labeller: who answered (oracle name or person).
        answered_at: Unix time of the answer, seconds.
    """

    left_id: int
    right_id: int
    label: float | None
    source: Source = "synthetic"
    labeller: str = "synthetic"
    answered_at: float = dataclasses.field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.left_id == self.right_id:
            raise ValueError("a comparison needs two different clips")
        if self.label is not None and self.label not in LABELS:
            raise ValueError(f"label must be one of {LABELS} or None, got {self.label!r}")
        if self.source not in ("synthetic", "human"):
            raise ValueError(f"source must be 'synthetic' or 'human', got {self.source!r}")

    @property
    def skipped(self) -> bool:
        return self.label is None


def segments_to_arrays(segments: Sequence[Segment]) -> dict[str, np.ndarray]:
    """Equal-length clips stacked into named arrays (leading axis: clip), for ``.npz``."""
    if not segments:
        return {"count": np.array(0)}
    lengths = {len(s) for s in segments}
    if len(lengths) != 1:
        raise ValueError(f"clips saved together must have one length, got {sorted(lengths)}")
    return {
        "count": np.array(len(segments)),
        "obs": np.stack([s.obs for s in segments]),
        "acts": np.stack([s.acts for s in segments]),
        "oracle_rewards": np.stack([s.oracle_rewards for s in segments]),
        "states": np.stack([s.states for s in segments]),
        "env_id": np.array([s.env_id for s in segments]),
        "seed": np.array([s.seed for s in segments], dtype=np.int64),
        "episode": np.array([s.episode for s in segments], dtype=np.int64),
        "start_step": np.array([s.start_step for s in segments], dtype=np.int64),
    }


def segments_from_arrays(arrays: Mapping[str, np.ndarray]) -> list[Segment]:
    """The clips of :func:`segments_to_arrays` (validated again on the way in)."""
    return [
        Segment(
            obs=arrays["obs"][i],
            acts=arrays["acts"][i],
            oracle_rewards=arrays["oracle_rewards"][i],
            states=arrays["states"][i],
            env_id=str(arrays["env_id"][i]),
            seed=int(arrays["seed"][i]),
            episode=int(arrays["episode"][i]),
            start_step=int(arrays["start_step"][i]),
        )
        for i in range(int(arrays["count"]))
    ]
