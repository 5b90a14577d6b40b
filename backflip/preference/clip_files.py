"""Many clips of one length in one ``.npz`` file (no pickle)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from backflip.preference.records import Segment


def save_segments_npz(segments: Sequence[Segment], path: Path) -> None:
    """Stacks equal-length clips into ``path`` (written atomically)."""
    tmp = path.with_name(path.name + ".tmp.npz")
    if segments:
        np.savez(
            tmp,
            obs=np.stack([s.obs for s in segments]),
            acts=np.stack([s.acts for s in segments]),
            true_rewards=np.stack([s.true_rewards for s in segments]),
            states=np.stack([s.states for s in segments]),
            episode=np.array([s.episode for s in segments]),
            start_step=np.array([s.start_step for s in segments]),
            seed=np.array([s.seed for s in segments]),
            env_id=np.array(segments[0].env_id),
        )
    else:
        np.savez(tmp, empty=np.array(True))
    os.replace(tmp, path)


def load_segments_npz(path: Path) -> list[Segment]:
    with np.load(path, allow_pickle=False) as data:
        if "empty" in data:
            return []
        env_id = str(data["env_id"])
        return [
            Segment(
                obs=data["obs"][i],
                acts=data["acts"][i],
                true_rewards=data["true_rewards"][i],
                states=data["states"][i],
                env_id=env_id,
                seed=int(data["seed"][i]),
                episode=int(data["episode"][i]),
                start_step=int(data["start_step"][i]),
            )
            for i in range(len(data["episode"]))
        ]
